//! Hosted containers and apps (T1525) against the baseline. Pure, no I/O.

use std::collections::BTreeMap;

use crate::evidence::containers::{Container, ContainerImage};
use crate::report::finding::{Code, Finding};

fn describe(i: &ContainerImage) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &i.digest {
        parts.push(d.clone());
    }
    if let Some(v) = &i.version {
        parts.push(format!("version {v}"));
    }
    if let Some(s) = &i.source {
        parts.push(format!("from {s}"));
    }
    if let Some(id) = &i.id {
        parts.push(format!("id {id}"));
    }
    parts.join(", ")
}

/// Whether `now` is another image than `was` under the same name. The image ID (the hash of the image's
/// config, what `docker images --no-trunc` shows) is compared whenever both sides have one: an image
/// replaced under the same name with no registry digest (`<none>`, a local build or `docker load`) has the
/// same name and no digest, and only its ID tells. Then the registry digest, else version and source.
fn replaced(was: &ContainerImage, now: &ContainerImage) -> bool {
    if let (Some(a), Some(b)) = (&was.id, &now.id)
        && a != b
    {
        return true;
    }
    match (&was.digest, &now.digest) {
        (Some(a), Some(b)) => a != b,
        (None, None) => (&was.version, &was.source) != (&now.version, &now.source),
        _ => true,
    }
}

/// `alpine` and `alpine:latest` are one image; a registry port (`host:5000/x`) is not a tag.
fn normalise(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || name.starts_with("sha256:") {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

/// Images and containers now against the baseline: `container-image-added` for a new image (and for a
/// running container whose image the baseline does not hold), `container-image-changed` for a known
/// name with a new digest.
pub fn diff(
    dev: &str,
    base: &[ContainerImage],
    now: &[ContainerImage],
    running: &[Container],
) -> Vec<Finding> {
    let was: BTreeMap<String, &ContainerImage> =
        base.iter().map(|i| (normalise(&i.name), i)).collect();
    let mut out = Vec::new();
    let mut added: BTreeMap<String, usize> = BTreeMap::new();
    for i in now {
        let key = normalise(&i.name);
        match was.get(&key) {
            None => {
                added.insert(key, out.len());
                out.push(
                    Finding::new(Code::ContainerImageAdded, dev, format!("image {}", i.name))
                        .actual(describe(i)),
                );
            }
            Some(b) if replaced(b, i) => out.push(
                Finding::new(
                    Code::ContainerImageChanged,
                    dev,
                    format!("image {}", i.name),
                )
                .expected(describe(b))
                .actual(describe(i))
                .evidence("same name, different content: a replaced image under a trusted name"),
            ),
            Some(_) => {}
        }
    }
    let known = |image: &str| {
        let key = normalise(image);
        was.contains_key(&key)
            || base
                .iter()
                .any(|b| b.id.as_deref().is_some_and(|id| id == image))
    };
    for c in running.iter().filter(|c| c.is_running()) {
        if known(&c.image) {
            continue;
        }
        let line = format!("container {} runs it ({})", c.name, c.state);
        match added.get(&normalise(&c.image)) {
            Some(&at) => out[at].evidence.push(line),
            None => out.push(
                Finding::new(
                    Code::ContainerImageAdded,
                    dev,
                    format!("container {}", c.name),
                )
                .actual(format!("runs {} ({})", c.image, c.state))
                .evidence("a running container whose image the baseline does not hold"),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::profile::containers::tests::*;
    use crate::profile::containers::*;
    #[test]
    fn an_image_replaced_under_its_name_without_a_registry_digest_is_changed() {
        let image = |id: &str| ContainerImage {
            name: "local/agent:1".into(),
            digest: None,
            id: Some(id.into()),
            source: None,
            version: Some("1".into()),
        };
        let f = diff("r1", &[image("sha256:aaaa")], &[image("sha256:bbbb")], &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, Code::ContainerImageChanged);
        assert!(
            f[0].actual.as_deref().unwrap().contains("id sha256:bbbb"),
            "{f:?}"
        );
        assert!(diff("r1", &[image("sha256:aaaa")], &[image("sha256:aaaa")], &[]).is_empty());
    }

    #[test]
    fn added_changed_and_unknown_running_images_are_findings() {
        let base = docker_images(IMAGES.as_bytes()).unwrap();
        let mut now = base.clone();
        now[0].digest = Some("sha256:bbbb".into());
        now.push(ContainerImage {
            name: "alpine:latest".into(),
            digest: Some("sha256:cccc".into()),
            id: Some("sha256:4444".into()),
            source: Some("docker.io".into()),
            version: None,
        });
        let running = vec![
            Container {
                name: "a1".into(),
                image: "alpine".into(),
                state: "running".into(),
            },
            Container {
                name: "ghost".into(),
                image: "evil/miner:2".into(),
                state: "Up 5 seconds".into(),
            },
            Container {
                name: "db".into(),
                image: "docker-database".into(),
                state: "running".into(),
            },
        ];
        let f = diff("r1", &base, &now, &running);
        let codes: Vec<(Code, &str)> = f.iter().map(|f| (f.code, f.subject.as_str())).collect();
        assert_eq!(
            codes,
            [
                (Code::ContainerImageChanged, "image docker-database:latest"),
                (Code::ContainerImageAdded, "image alpine:latest"),
                (Code::ContainerImageAdded, "container ghost"),
            ]
        );
        assert!(f[1].evidence[0].contains("container a1"));
        assert!(diff("r1", &base, &base, &[]).is_empty());
    }
}
