//! What the Cisco personas share: the IOS family's (classic IOS, IOS-XE) path spelling, `verify` and
//! `scp -f` reply that names the file by its path on the filesystem, and every Cisco platform's
//! `show software authenticity` signer block.
//!
//! Rule: each persona describes its differences as a [`Verify`] value; the answer is built here once.

use super::Reply;
use super::common::{digest, fs_path, wrap};
use crate::lab::device::Snapshot;
use crate::lab::vfs::{HashAlgo, VfsFile};

/// `fs:/NAME`, `flash:NAME`, `NAME` → `fs:NAME` (`flash:` is an alias of the platform's own flash).
pub(crate) fn flash_path(arg: &str, fs: &str) -> String {
    let path = fs_path(arg, fs);
    match path.strip_prefix("flash:") {
        Some(rest) => format!("{fs}:{rest}"),
        None => path,
    }
}

/// `scp -f PATH` for the already normalised `path` on `fs` (`flash0:`): the `C` line names the file by
/// its path below the filesystem, subdirectories included.
pub(crate) fn scp_source(snap: &Snapshot, path: &str, fs: &str) -> Reply {
    Reply::ScpSource {
        name: path.trim_start_matches(fs).to_string(),
        file: snap.vfs.get(path).filter(|f| !f.is_dir()).cloned(),
        error: format!("scp: {path}: No such file or directory\n"),
    }
}

/// How `verify /md5|/sha512 PATH` answers on one platform; the answer line is wrapped at 80 columns.
pub(crate) struct Verify {
    pub normalise: fn(&str) -> String,
    /// The answer to a flag other than `/md5` or `/sha512`, as it is sent.
    pub invalid: &'static str,
    /// Dots before `Done!` for `system:memory/text`.
    pub text_dots: usize,
    /// Dots before `Done!` for a file of the given size.
    pub file_dots: fn(u64) -> usize,
    /// What stands between `Done!` and the answer line, and after it.
    pub gap: &'static str,
    pub tail: &'static str,
    /// Why a missing file cannot be opened (`File not found`).
    pub missing: &'static str,
    /// The answer names the path as typed rather than normalised.
    pub echo_arg: bool,
    /// Answers use CRLF line endings.
    pub crlf: bool,
}

impl Verify {
    pub(crate) fn answer(&self, snap: &Snapshot, flag: &str, arg: &str) -> Reply {
        let flag = flag.to_ascii_lowercase();
        let algo = match flag.as_str() {
            "/sha512" => HashAlgo::Sha512,
            "/md5" => HashAlgo::Md5,
            _ => return Reply::text(self.invalid),
        };
        let (dots, shown, hex) = if arg.eq_ignore_ascii_case("system:memory/text") {
            (self.text_dots, arg.to_string(), snap.text_digest(algo))
        } else {
            let path = (self.normalise)(arg);
            let Some(hex) = digest(snap, &path, algo) else {
                return self.text(format!("%Error opening {path} ({})\n", self.missing));
            };
            let len = snap.vfs.get(&path).map_or(0, VfsFile::len);
            let shown = if self.echo_arg { arg.to_string() } else { path };
            ((self.file_dots)(len), shown, hex)
        };
        let line = format!("verify {flag} ({shown}) = {hex}");
        self.text(format!(
            "{}Done!{}{}{}",
            ".".repeat(dots),
            self.gap,
            wrap(&line, 80),
            self.tail
        ))
    }

    fn text(&self, s: String) -> Reply {
        Reply::text(if self.crlf {
            s.replace('\n', "\r\n")
        } else {
            s
        })
    }
}

/// Who signed the running image and what verified it, as `show software authenticity running` shows it.
pub(crate) struct Signer {
    pub image_type: &'static str,
    pub common_name: &'static str,
    pub unit: &'static str,
    pub serial: &'static str,
    pub hash: &'static str,
    pub verifier: &'static str,
    pub verifier_version: &'static str,
    /// A blank line before the verifier and after it (IOS, IOS-XE).
    pub spaced: bool,
}

impl Signer {
    /// `head`, then the signer block, LF line endings.
    pub(crate) fn text(&self, head: &str) -> String {
        let gap = if self.spaced { "\n" } else { "" };
        format!(
            "{head}Image type                    : {}\n    Signer Information\n\
             \x20       Common Name           : {}\n        Organization Unit     : {}\n\
             \x20       Organization Name     : CiscoSystems\n    Certificate Serial Number : {}\n\
             \x20   Hash Algorithm            : {}\n    Signature Algorithm       : 2048-bit RSA\n\
             \x20   Key Version               : A\n{gap}    Verifier Information\n\
             \x20       Verifier Name         : {}\n        Verifier Version      : {}\n{gap}",
            self.image_type,
            self.common_name,
            self.unit,
            self.serial,
            self.hash,
            self.verifier,
            self.verifier_version
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_is_an_alias_and_a_bare_name_lands_on_the_platform_flash() {
        assert_eq!(
            flash_path("bootflash:/a.bin", "bootflash"),
            "bootflash:a.bin"
        );
        assert_eq!(flash_path("flash:a.bin", "bootflash"), "bootflash:a.bin");
        assert_eq!(
            flash_path("BOOTFLASH:A.bin", "bootflash"),
            "bootflash:A.bin"
        );
        assert_eq!(flash_path("FLASH:/a", "flash0"), "flash0:a");
        assert_eq!(flash_path("a", "flash0"), "flash0:a");
        assert_eq!(flash_path("nvram:x", "flash0"), "nvram:x");
    }
}
