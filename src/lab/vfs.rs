//! Virtual filesystem of a lab device.
//!
//! Rule: a VFS is a cheap, immutable snapshot (files are generated specs or shared bytes), built
//! from device state for each command, so a command never sees a half-applied scenario.

use std::collections::BTreeMap;
use std::sync::Arc;

use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

use super::image::{ImageSpec, hex};

/// Where a file's bytes come from.
#[derive(Clone, Debug)]
pub enum FileData {
    /// A generated image (large, never materialised).
    Image(ImageSpec),
    /// Literal content (configs, small text files).
    Bytes(Arc<[u8]>),
    /// A directory entry (listings only; reading one fails).
    Dir,
    /// A symbolic link to this target (listings only).
    Symlink(String),
}

/// One file: content plus the metadata listings show.
#[derive(Clone, Debug)]
pub struct VfsFile {
    /// The content.
    pub data: FileData,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: u32,
    /// Unix permission bits (without the file-type bits).
    pub mode: u32,
}

/// Hash algorithms the personas expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgo {
    /// SHA-512.
    Sha512,
    /// SHA-256.
    Sha256,
    /// MD5.
    Md5,
}

impl VfsFile {
    /// A regular file with literal content.
    pub fn bytes(content: impl Into<Vec<u8>>, mtime: u32) -> Self {
        VfsFile {
            data: FileData::Bytes(Arc::from(content.into())),
            mtime,
            mode: 0o644,
        }
    }

    /// A regular file backed by a generated image.
    pub fn image(spec: ImageSpec, mtime: u32) -> Self {
        VfsFile {
            data: FileData::Image(spec),
            mtime,
            mode: 0o644,
        }
    }

    /// A directory.
    pub fn dir(mtime: u32) -> Self {
        VfsFile {
            data: FileData::Dir,
            mtime,
            mode: 0o755,
        }
    }

    /// A symbolic link.
    pub fn symlink(target: &str, mtime: u32) -> Self {
        VfsFile {
            data: FileData::Symlink(target.to_owned()),
            mtime,
            mode: 0o777,
        }
    }

    /// With these permission bits.
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    /// True for directories.
    pub fn is_dir(&self) -> bool {
        matches!(self.data, FileData::Dir)
    }

    /// Size in bytes (directories report 4096 like ext4).
    pub fn len(&self) -> u64 {
        match &self.data {
            FileData::Image(s) => s.len(),
            FileData::Bytes(b) => b.len() as u64,
            FileData::Dir => 4096,
            FileData::Symlink(t) => t.len() as u64,
        }
    }

    /// Reads at `offset` into `buf`; 0 at the end and for directories.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        match &self.data {
            FileData::Image(s) => s.read_at(offset, buf),
            FileData::Bytes(b) => {
                let Ok(off) = usize::try_from(offset) else {
                    return 0;
                };
                if off >= b.len() {
                    return 0;
                }
                let n = (b.len() - off).min(buf.len());
                buf[..n].copy_from_slice(&b[off..off + n]);
                n
            }
            FileData::Dir | FileData::Symlink(_) => 0,
        }
    }

    /// Hex digest of the content (image digests are cached; this may take seconds for a
    /// large image, so call it off the async runtime).
    pub fn digest_hex(&self, algo: HashAlgo) -> String {
        match &self.data {
            FileData::Image(s) => match algo {
                HashAlgo::Sha512 => s.sha512_hex(),
                HashAlgo::Sha256 => s.sha256_hex(),
                HashAlgo::Md5 => s.md5_hex(),
            },
            FileData::Bytes(b) => match algo {
                HashAlgo::Sha512 => hex(&Sha512::digest(b)),
                HashAlgo::Sha256 => hex(&Sha256::digest(b)),
                HashAlgo::Md5 => hex(&Md5::digest(b)),
            },
            FileData::Dir | FileData::Symlink(_) => String::new(),
        }
    }
}

/// Path → file map for one device. Paths are stored in the device's own spelling
/// (`/etc/os-release`, `bootflash:packages.conf`).
#[derive(Clone, Debug, Default)]
pub struct Vfs {
    files: BTreeMap<String, VfsFile>,
}

impl Vfs {
    /// An empty filesystem.
    pub fn new() -> Self {
        Vfs::default()
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<String>, file: VfsFile) {
        self.files.insert(path.into(), file);
    }

    /// Looks a path up exactly.
    pub fn get(&self, path: &str) -> Option<&VfsFile> {
        self.files.get(path)
    }

    /// All entries whose path starts with `prefix`, in path order.
    pub fn list(&self, prefix: &str) -> impl Iterator<Item = (&str, &VfsFile)> {
        self.files
            .range(prefix.to_string()..)
            .take_while(move |(p, _)| p.starts_with(prefix))
            .map(|(p, f)| (p.as_str(), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_files_read_and_hash_like_their_content() {
        let f = VfsFile::bytes("hello\n", 0);
        let mut buf = [0u8; 4];
        assert_eq!(f.read_at(0, &mut buf), 4);
        assert_eq!(f.read_at(4, &mut buf), 2);
        assert_eq!(f.read_at(6, &mut buf), 0);
        assert_eq!(
            f.digest_hex(HashAlgo::Md5),
            "b1946ac92492d2347c6235b4d2611184"
        );
    }

    #[test]
    fn list_returns_only_the_prefix() {
        let mut v = Vfs::new();
        v.insert("bootflash:a", VfsFile::bytes("1", 0));
        v.insert("bootflash:b", VfsFile::bytes("2", 0));
        v.insert("nvram:c", VfsFile::bytes("3", 0));
        let names: Vec<_> = v.list("bootflash:").map(|(p, _)| p).collect();
        assert_eq!(names, ["bootflash:a", "bootflash:b"]);
    }
}
