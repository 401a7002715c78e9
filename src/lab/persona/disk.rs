//! A persona's filesystem as data: the files the platform keeps by itself, the running image and the
//! one BootVariableChanged adds, the startup configuration, and what the file scenarios write.
//!
//! Rule: a persona describes its disk in consts; [`Disk::build`] is the only code that turns such a
//! description and the device's flags into a VFS. Only what depends on more than the flags (a
//! kickstart image, an upgrade, files naming the serial) is added by the persona itself.

use super::common::{fill, running};
use crate::lab::device::{DeviceCore, Flags};
use crate::lab::vfs::{Vfs, VfsFile};

/// What a fixed node is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum What {
    Dir,
    /// A world-writable directory with the sticky bit (`/tmp`).
    Sticky,
    Text(&'static str),
    /// An executable file (mode 0755).
    Exec(&'static str),
    /// A symbolic link to this target.
    Link(&'static str),
}

/// A file or directory the platform keeps by itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub path: &'static str,
    pub what: What,
    pub mtime: u32,
}

impl Node {
    pub(crate) const fn new(path: &'static str, what: What, mtime: u32) -> Node {
        Node { path, what, mtime }
    }

    pub(crate) const fn dir(path: &'static str, mtime: u32) -> Node {
        Node {
            path,
            what: What::Dir,
            mtime,
        }
    }

    pub(crate) const fn text(path: &'static str, body: &'static str, mtime: u32) -> Node {
        Node {
            path,
            what: What::Text(body),
            mtime,
        }
    }

    pub(crate) const fn exec(path: &'static str, body: &'static str, mtime: u32) -> Node {
        Node {
            path,
            what: What::Exec(body),
            mtime,
        }
    }
}

fn file_of(what: What, mtime: u32) -> VfsFile {
    match what {
        What::Dir => VfsFile::dir(mtime),
        What::Sticky => VfsFile::dir(mtime).with_mode(0o1777),
        What::Text(body) => VfsFile::bytes(body, mtime),
        What::Exec(body) => VfsFile::bytes(body, mtime).with_mode(0o755),
        What::Link(target) => VfsFile::symlink(target, mtime),
    }
}

/// Adds a file a scenario (or an upgrade) writes; a directory it lands in that the platform does not
/// keep is created with it, dated like the file (`mkdir -p` before the copy).
pub(crate) fn insert_new(v: &mut Vfs, path: &str, file: VfsFile) {
    if let Some((parent, _)) = path.rsplit_once('/')
        && !parent.is_empty()
        && v.get(parent).is_none()
    {
        v.insert(parent, VfsFile::dir(file.mtime));
    }
    v.insert(path, file);
}

/// The startup configuration, as a template.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub path: &'static str,
    /// `{name}` stands for the hostname, `{extra}` for where StartupConfigChanged adds [`Config::extra`].
    pub template: &'static str,
    pub extra: &'static str,
    /// Cisco NVRAM size: the text starts `Using N out of SIZE bytes`, N the length of the rest.
    pub nvram: Option<u64>,
    /// The stored text uses CRLF line endings (the template uses LF).
    pub crlf: bool,
    pub mtime: u32,
}

impl Config {
    /// A plain-text configuration at `path` (LF line endings, no NVRAM header).
    pub(crate) const fn plain(
        path: &'static str,
        template: &'static str,
        extra: &'static str,
        mtime: u32,
    ) -> Config {
        Config {
            path,
            template,
            extra,
            nvram: None,
            crlf: false,
            mtime,
        }
    }

    /// Kept in Cisco NVRAM of `size` bytes (the `Using N out of SIZE bytes` header).
    pub(crate) const fn in_nvram(self, size: u64) -> Config {
        Config {
            nvram: Some(size),
            ..self
        }
    }

    /// Stored with CRLF line endings.
    pub(crate) const fn with_crlf(self) -> Config {
        Config { crlf: true, ..self }
    }

    /// The text for a device named `name`, changed or not.
    pub(crate) fn render(&self, name: &str, changed: bool) -> String {
        let extra = if changed { self.extra } else { "" };
        let mut body = fill(self.template, &[("name", name), ("extra", extra)]);
        let eol = if self.crlf { "\r\n" } else { "\n" };
        if self.crlf {
            body = body.replace('\n', eol);
        }
        match self.nvram {
            Some(size) => format!("Using {} out of {size} bytes{eol}{body}", body.len()),
            None => body,
        }
    }
}

/// What the file scenarios (ToolCopied, DdImage, SnapshotCreated, NewLogFile, ApprovedMaintenance) put
/// on a persona's filesystem, in that platform's own names, all dated `at`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileScenarios {
    pub at: u32,
    pub tool: (&'static str, What),
    /// Where DdImage writes a raw disk image (Linux only).
    pub dd_image: Option<&'static str>,
    /// The alternate image SnapshotCreated leaves beside the running one (`None`: the platform keeps
    /// snapshots elsewhere).
    pub alt_image: Option<&'static str>,
    pub new_log: (&'static str, &'static str),
    pub maintenance: (&'static str, &'static str),
}

impl FileScenarios {
    /// The tool, the new log and the maintenance file, all dated `at`; no raw disk image, no alternate
    /// image.
    pub(crate) const fn at(
        at: u32,
        tool: (&'static str, What),
        new_log: (&'static str, &'static str),
        maintenance: (&'static str, &'static str),
    ) -> FileScenarios {
        FileScenarios {
            at,
            tool,
            dd_image: None,
            alt_image: None,
            new_log,
            maintenance,
        }
    }

    /// SnapshotCreated leaves the alternate image at `path`.
    pub(crate) const fn with_alt_image(self, path: &'static str) -> FileScenarios {
        FileScenarios {
            alt_image: Some(path),
            ..self
        }
    }

    /// DdImage writes a raw disk image at `path`.
    pub(crate) const fn with_dd_image(self, path: &'static str) -> FileScenarios {
        FileScenarios {
            dd_image: Some(path),
            ..self
        }
    }

    /// Adds what the active scenarios brought.
    pub(crate) fn apply(&self, v: &mut Vfs, core: &DeviceCore, flags: &Flags) {
        let at = self.at;
        let image = || VfsFile::image(core.alt_image.clone(), at);
        if flags.tool_copied {
            insert_new(v, self.tool.0, file_of(self.tool.1, at));
            flood_beside(v, self.tool.0, flags, at);
        }
        if let Some(path) = self.dd_image.filter(|_| flags.dd_image) {
            insert_new(v, path, image());
        }
        if let Some(path) = self.alt_image.filter(|_| flags.snapshot_created) {
            insert_new(v, path, image());
        }
        if flags.new_log {
            insert_new(v, self.new_log.0, VfsFile::bytes(self.new_log.1, at));
        }
        if flags.maintenance {
            insert_new(
                v,
                self.maintenance.0,
                VfsFile::bytes(self.maintenance.1, at),
            );
        }
    }
}

/// Everything a persona's filesystem holds that follows from the flags alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Disk {
    /// The running image's path and date (`None`: the platform keeps no image file).
    pub running: Option<(&'static str, u32)>,
    /// The image BootVariableChanged puts beside it, and its date.
    pub next: Option<(&'static str, u32)>,
    pub fixed: &'static [Node],
    pub config: Option<Config>,
    pub scenarios: Option<FileScenarios>,
}

impl Disk {
    /// A platform that keeps only a configuration.
    pub(crate) const fn config_only(config: Config) -> Disk {
        Disk {
            running: None,
            next: None,
            fixed: &[],
            config: Some(config),
            scenarios: None,
        }
    }

    /// The VFS of a device in the state `flags` describes.
    pub(crate) fn build(&self, core: &DeviceCore, flags: &Flags) -> Vfs {
        let mut v = Vfs::new();
        for n in self.fixed {
            v.insert(n.path, file_of(n.what, n.mtime));
        }
        if let Some((path, mtime)) = self.running {
            v.insert(path, VfsFile::image(running(core, flags), mtime));
        }
        if let Some((path, mtime)) = self.next.filter(|_| flags.boot_changed) {
            insert_new(&mut v, path, VfsFile::image(core.alt_image.clone(), mtime));
        }
        if let Some(c) = &self.config {
            let text = c.render(&core.name, flags.config_changed);
            v.insert(c.path, VfsFile::bytes(text, c.mtime));
        }
        if let Some(s) = &self.scenarios {
            s.apply(&mut v, core, flags);
        }
        v
    }
}

/// Under `file-flood`: 150 benign new files in the directory of the attacker's `tool`, named to sort
/// before it, so a listing cut in path order would drop the implant.
fn flood_beside(v: &mut Vfs, tool: &str, flags: &Flags, at: u32) {
    if !flags.file_flood {
        return;
    }
    let dir = &tool[..tool.rfind(['/', ':']).map_or(0, |i| i + 1)];
    for i in 0..150 {
        v.insert(
            format!("{dir}aaa-flood-{i:03}.txt"),
            VfsFile::bytes(format!("entry {i}\n"), at),
        );
    }
}
