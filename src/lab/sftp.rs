//! Read-only SFTP server over a device's VFS (Linux persona only).
//!
//! Rule: nothing here can change the device: any open with a write flag and every mutating request
//! is refused, and reads are served from the generator at the offset asked for.

use std::collections::HashMap;
use std::sync::Arc;

use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};

use super::device::Device;
use super::vfs::VfsFile;

/// Largest READ answered in one packet (russh-sftp's client asks for at most 256 KiB).
const MAX_READ: u32 = 256 * 1024;

/// One SFTP session's state: open handles pin the file as it was at open time.
pub(crate) struct LabSftp {
    dev: Arc<Device>,
    handles: HashMap<String, VfsFile>,
    next_handle: u64,
}

impl LabSftp {
    pub fn new(dev: Arc<Device>) -> Self {
        LabSftp {
            dev,
            handles: HashMap::new(),
            next_handle: 1,
        }
    }

    fn lookup(&self, path: &str) -> Result<VfsFile, StatusCode> {
        let path = normalise(path);
        self.dev
            .snapshot()
            .vfs
            .get(&path)
            .cloned()
            .ok_or(StatusCode::NoSuchFile)
    }
}

/// Resolves `.`/`..` and makes the path absolute (the lab user's home is `/`).
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn attrs_of(f: &VfsFile) -> FileAttributes {
    let kind = if f.is_dir() { 0o040_000 } else { 0o100_000 };
    FileAttributes {
        size: Some(f.len()),
        uid: Some(0),
        user: None,
        gid: Some(0),
        group: None,
        permissions: Some(kind | f.mode),
        atime: Some(f.mtime),
        mtime: Some(f.mtime),
    }
}

impl russh_sftp::server::Handler for LabSftp {
    type Error = StatusCode;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        Ok(Name {
            id,
            files: vec![File::dummy(normalise(&path))],
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let f = self.lookup(&path)?;
        Ok(Attrs {
            id,
            attrs: attrs_of(&f),
        })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        self.stat(id, path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let f = self.handles.get(&handle).ok_or(StatusCode::Failure)?;
        Ok(Attrs {
            id,
            attrs: attrs_of(f),
        })
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let writes = OpenFlags::WRITE
            | OpenFlags::APPEND
            | OpenFlags::CREATE
            | OpenFlags::TRUNCATE
            | OpenFlags::EXCLUDE;
        if pflags.intersects(writes) {
            return Err(StatusCode::PermissionDenied);
        }
        let f = self.lookup(&filename)?;
        if f.is_dir() {
            return Err(StatusCode::Failure);
        }
        let handle = format!("h{}", self.next_handle);
        self.next_handle += 1;
        self.handles.insert(handle.clone(), f);
        Ok(Handle { id, handle })
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let f = self.handles.get(&handle).ok_or(StatusCode::Failure)?;
        let mut data = vec![0u8; len.min(MAX_READ) as usize];
        if self.dev.flags().fault == Some(super::device::Fault::EndlessImage) {
            // `/dev/zero` behind the image's name: past its announced size, and never an end.
            return Ok(Data { id, data });
        }
        let n = f.read_at(offset, &mut data);
        if n == 0 {
            return Err(StatusCode::Eof);
        }
        data.truncate(n);
        Ok(Data { id, data })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        self.handles
            .remove(&handle)
            .ok_or(StatusCode::Failure)
            .map(|_| Status {
                id,
                status_code: StatusCode::Ok,
                error_message: "Ok".into(),
                language_tag: "en-US".into(),
            })
    }

    async fn write(
        &mut self,
        _id: u32,
        _handle: String,
        _offset: u64,
        _data: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        Err(StatusCode::PermissionDenied)
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn paths_resolve_dots_and_become_absolute() {
        assert_eq!(normalise("."), "/");
        assert_eq!(normalise(""), "/");
        assert_eq!(normalise("host/../etc/./os-release"), "/etc/os-release");
        assert_eq!(normalise("/../../x"), "/x");
    }
}
