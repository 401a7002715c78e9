//! Helpers the network-CLI personas share: word matching, file reads, hash-line wrapping, SCP source.
//!
//! Rule: pure functions of a snapshot, like the personas themselves.

use super::Reply;
use crate::lab::device::{DeviceCore, Flags, Snapshot};
use crate::lab::image::ImageSpec;
use crate::lab::vfs::HashAlgo;

/// One command line, split once: the text as sent, its words (arguments keep their case) and the
/// lower-cased words keywords match on.
pub(crate) struct Line<'a> {
    pub text: &'a str,
    pub words: Vec<&'a str>,
    pub lower: Vec<String>,
}

impl<'a> Line<'a> {
    pub(crate) fn new(text: &'a str) -> Line<'a> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let lower = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        Line { text, words, lower }
    }

    /// The lower-cased words as a slice pattern can match them.
    pub(crate) fn keys(&self) -> Vec<&str> {
        self.lower.iter().map(String::as_str).collect()
    }
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

/// `template` with each `{key}` of `values` replaced, in one pass; other braces stay as they are.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let hit = values.iter().find_map(|(k, v)| {
            let after = tail.strip_prefix(k)?.strip_prefix('}')?;
            Some((v, after))
        });
        match hit {
            Some((v, after)) => {
                out.push_str(v);
                rest = after;
            }
            None => {
                out.push('{');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `template` for this device: `{host}`, `{serial}` and `{image}` (the running image's path) filled in.
pub(crate) fn render(snap: &Snapshot, template: &str) -> String {
    fill(
        template,
        &[
            ("host", snap.hostname()),
            ("serial", snap.serial()),
            ("image", snap.running_image_path()),
        ],
    )
}

/// The digest a device reports for the regular file at `path` (`None` when missing or a directory).
pub(crate) fn digest(snap: &Snapshot, path: &str, algo: HashAlgo) -> Option<String> {
    snap.vfs
        .get(path)
        .filter(|f| !f.is_dir())
        .and_then(|_| snap.reported_digest(path, algo))
}

/// The hash a command's algorithm word names (`/sha-512`, `sha256sum`, `md5`, ...); MD5 for any other.
pub(crate) fn algo(name: &str) -> HashAlgo {
    if name.contains("512") {
        HashAlgo::Sha512
    } else if name.contains("256") {
        HashAlgo::Sha256
    } else {
        HashAlgo::Md5
    }
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

/// A platform's own container listing (app hosting, virtual services) as data: the shipped entry, the
/// same entry as ContainerReplaced leaves it, and the one ContainerImplanted adds after `sep`.
pub(crate) struct Hosted<T: 'static> {
    pub shipped: T,
    pub replaced: T,
    pub implant: T,
    pub sep: &'static str,
    pub block: fn(&T) -> String,
}

impl<T> Hosted<T> {
    /// The listing in the state `flags` describe.
    pub(crate) fn show(&self, flags: &Flags) -> String {
        let base = if flags.container_replaced {
            &self.replaced
        } else {
            &self.shipped
        };
        let mut s = (self.block)(base);
        if flags.container_implanted {
            s.push_str(self.sep);
            s.push_str(&(self.block)(&self.implant));
        }
        s
    }
}

/// The containers a docker-hosting persona runs when clean. ContainerReplaced changes the content (the
/// digest) of `replaceable` under the same name; ContainerImplanted adds and starts an updater image
/// from a third-party registry.
pub(crate) struct DockerHost {
    /// `(repository, tag)`.
    pub images: &'static [(&'static str, &'static str)],
    /// `(container name, repository:tag)`.
    pub running: &'static [(&'static str, &'static str)],
    pub replaceable: &'static str,
}

impl DockerHost {
    /// `docker ...` reached through the platform's Linux shell: `shell_line` split as that shell would,
    /// the docker arguments after its first `skip` words; `absent` when the device runs no docker.
    pub(crate) fn via_shell(
        &self,
        snap: &Snapshot,
        shell_line: &str,
        skip: usize,
        absent: &str,
    ) -> String {
        let Ok(words) = super::linux::lex(shell_line) else {
            return "bash: -c: line 1: syntax error (lab shell)\n".to_string();
        };
        if !snap.core.containers {
            return absent.to_string();
        }
        docker(snap, self, words.get(skip..).unwrap_or_default()).unwrap_or_else(|| {
            "docker: lab supports only the profile's images and ps forms\n".to_string()
        })
    }
}

/// A `sha256:` digest derived from the lab seed and a label.
fn docker_digest(snap: &Snapshot, label: &str) -> String {
    let b = crate::lab::device::derive(snap.core.seed, 0, label);
    format!("sha256:{}", crate::lab::image::hex(&b))
}

/// `docker images --digests --no-trunc --format '{{json .}}'` and `docker ps --no-trunc --format
/// '{{json .}}'` (the words after `docker`, unquoted): JSON lines as docker prints them. `None` for any
/// other form.
pub(crate) fn docker<S: AsRef<str>>(
    snap: &Snapshot,
    host: &DockerHost,
    args: &[S],
) -> Option<String> {
    let is =
        |a: &[&str]| a.len() == args.len() && a.iter().zip(args).all(|(x, y)| *x == y.as_ref());
    let f = &snap.flags;
    let mut images: Vec<(&str, &str, String)> = host
        .images
        .iter()
        .map(|(repo, tag)| {
            let label = if f.container_replaced && *repo == host.replaceable {
                format!("{repo}-replaced")
            } else {
                (*repo).to_string()
            };
            (*repo, *tag, docker_digest(snap, &label))
        })
        .collect();
    let mut running = host.running.to_vec();
    if f.container_implanted {
        images.push((
            "registry.example.net/tools/updater",
            "1.0",
            docker_digest(snap, "updater"),
        ));
        running.push(("updater", "registry.example.net/tools/updater:1.0"));
    }
    let mut out = String::new();
    if is(&[
        "images",
        "--digests",
        "--no-trunc",
        "--format",
        "{{json .}}",
    ]) {
        for (repo, tag, d) in images {
            let id = docker_digest(snap, &format!("id-{d}"));
            out.push_str(&format!(
                "{{\"Containers\":\"N/A\",\"CreatedAt\":\"2023-11-14 22:13:20 +0000 UTC\",\"Digest\":\"{d}\",\"ID\":\"{id}\",\"Repository\":\"{repo}\",\"Size\":\"133MB\",\"Tag\":\"{tag}\"}}\n"
            ));
        }
    } else if is(&["ps", "--no-trunc", "--format", "{{json .}}"]) {
        for (name, image) in running {
            out.push_str(&format!(
                "{{\"Command\":\"\\\"/usr/local/bin/supervisord\\\"\",\"ID\":\"{}\",\"Image\":\"{image}\",\"Names\":\"{name}\",\"State\":\"running\",\"Status\":\"Up 3 weeks\"}}\n",
                &docker_digest(snap, name)[7..]
            ));
        }
    } else {
        return None;
    }
    Some(out)
}
