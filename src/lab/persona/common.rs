//! Helpers the network-CLI personas share: word matching, file reads, hash-line wrapping, SCP source.
//!
//! Rule: pure functions of a snapshot, like the personas themselves.

use super::Reply;
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::image::ImageSpec;

/// Lower-cased words of a command line, for keyword matching (arguments keep their case in `words`).
pub(crate) fn keywords(command: &str) -> (Vec<&str>, Vec<String>) {
    let words: Vec<&str> = command.split_whitespace().collect();
    let lower = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    (words, lower)
}

/// The running image's bytes in the current state.
pub(crate) fn running(core: &DeviceCore, flags: &Flags) -> ImageSpec {
    if flags.patched {
        core.patched_image.clone()
    } else {
        core.clean_image.clone()
    }
}

/// A small file's whole content (empty when missing).
pub(crate) fn read_all(snap: &Snapshot, path: &str) -> Vec<u8> {
    snap.vfs
        .get(path)
        .map(|f| {
            let mut buf = vec![0u8; usize::try_from(f.len()).unwrap_or(0)];
            let n = f.read_at(0, &mut buf);
            buf.truncate(n);
            buf
        })
        .unwrap_or_default()
}

/// A line hard-wrapped at `width` columns, LF line endings.
pub(crate) fn wrap(line: &str, width: usize) -> String {
    let mut out = String::new();
    let mut rest = line;
    while rest.len() > width {
        let (head, tail) = rest.split_at(width);
        out.push_str(head);
        out.push('\n');
        rest = tail;
    }
    out.push_str(rest);
    out.push('\n');
    out
}

/// `scp -f PATH` on an exec channel, with the persona's path normalisation.
pub(crate) fn scp_source(snap: &Snapshot, arg: &str, normalise: fn(&str) -> String) -> Reply {
    let path = normalise(arg);
    let name = path
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(path.as_str())
        .to_string();
    Reply::ScpSource {
        name,
        file: snap.vfs.get(&path).filter(|f| !f.is_dir()).cloned(),
        error: format!("scp: {path}: No such file or directory\n"),
    }
}

/// `fs:/a`, `fs:///a`, `FS:a` → `fs:a`; a bare name goes on `default_fs`.
pub(crate) fn fs_path(arg: &str, default_fs: &str) -> String {
    match arg.split_once(':') {
        Some((fs, rest)) => format!(
            "{}:{}",
            fs.to_ascii_lowercase(),
            rest.trim_start_matches('/')
        ),
        None => format!("{default_fs}:{}", arg.trim_start_matches('/')),
    }
}
