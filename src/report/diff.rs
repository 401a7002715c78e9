//! Differences between two pieces of evidence, field by field, for `baseline diff`. Pure, no I/O.

use std::collections::BTreeMap;

use crate::evidence::Evidence;

/// One changed field: its path (`images[bootflash:x.bin].reported.sha512`) and the values on each side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// Every field that differs, sorted by path. When-collected timestamps are not differences; the
/// redacted startup config is compared line by line instead of as one value. Lists of things with an
/// identity (files by path, containers and images by name, snapshot slices by media and device) are
/// compared as sets keyed by it: an entry added or removed is one change (`files[flash:x.bin]`), an entry
/// changed lists only its changed fields, and nothing moves because another entry came before it.
pub fn evidence_diff(old: &Evidence, new: &Evidence) -> Vec<FieldChange> {
    let (a, b) = (flatten(old), flatten(new));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    // An entry present on one side only: its fields are not listed one by one.
    let mut whole: Option<String> = None;
    for k in keys {
        // A chunk map's digests are summarised below, not printed as one long string.
        if k == "collected_at" || k == "boot_config.redacted" || k.ends_with(".chunk_map.sha256") {
            continue;
        }
        if let Some(w) = &whole
            && k.starts_with(w.as_str())
            && k[w.len()..].starts_with('.')
        {
            continue;
        }
        let (o, n) = (a.get(k), b.get(k));
        if k.ends_with(']') && k.contains(ENTRY) {
            // An entry marker: only its presence is compared here.
            if o.is_some() != n.is_some() {
                whole = Some(k.clone());
                out.push(FieldChange {
                    field: k.replace(ENTRY, "["),
                    old: o.cloned(),
                    new: n.cloned(),
                });
            }
            continue;
        }
        if o != n {
            out.push(FieldChange {
                field: k.replace(ENTRY, "["),
                old: o.cloned(),
                new: n.cloned(),
            });
        }
    }
    for n in &new.images {
        let was = old.images.iter().find(|o| o.path == n.path);
        let maps = was
            .and_then(|o| o.pulled.as_ref()?.chunk_map.as_ref())
            .zip(n.pulled.as_ref().and_then(|p| p.chunk_map.as_ref()));
        if let Some((a, b)) = maps
            && a != b
            && let Some(what) = a.describe_difference(b, 8)
        {
            out.push(FieldChange {
                field: format!("images[{}].pulled.chunks", n.path),
                old: None,
                new: Some(what),
            });
        }
    }
    if let (Some(o), Some(n)) = (&old.boot_config, &new.boot_config) {
        for line in line_diff(&o.redacted, &n.redacted, 200) {
            out.push(FieldChange {
                field: "boot_config.lines".into(),
                old: None,
                new: Some(line),
            });
        }
    }
    out
}

fn flatten(ev: &Evidence) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(v) = serde_json::to_value(ev) {
        walk("", &v, &mut out);
    }
    out
}

fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    use serde_json::Value;
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| walk(&join(k), v, out)),
        Value::Array(items) => match keyed(items) {
            Some(ids) => {
                for (id, v) in ids.into_iter().zip(items) {
                    let at = format!("{prefix}{ENTRY}{id}]");
                    out.insert(at.clone(), v.to_string());
                    walk(&at, v, out);
                }
            }
            None => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(&format!("{prefix}[{i}]"), v, out)),
        },
        Value::Null => {}
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// Marks a keyed entry in flattened paths (`files\u{1}flash:x]`) until it is shown as `files[flash:x]`.
const ENTRY: &str = "[\u{1}";

/// The identities of a list's entries, when every entry has one and no two share it.
fn keyed(items: &[serde_json::Value]) -> Option<Vec<String>> {
    let id = |v: &serde_json::Value| -> Option<String> {
        let o = v.as_object()?;
        let s = |k: &str| o.get(k).and_then(|x| x.as_str());
        if let Some(path) = s("path") {
            return Some(match s("filesystem") {
                Some(fs) if !fs.is_empty() && !path.starts_with(fs) => format!("{fs}{path}"),
                _ => path.to_owned(),
            });
        }
        if let Some(name) = s("name") {
            return Some(match s("tag") {
                Some(tag) => format!("{name}:{tag}"),
                None => name.to_owned(),
            });
        }
        Some(format!("{}:{}", s("media")?, s("device")?))
    };
    let ids: Vec<String> = items.iter().map(id).collect::<Option<_>>()?;
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    (unique.len() == ids.len() && !ids.is_empty()).then_some(ids)
}

/// Lines removed (`-`) and added (`+`), in order, at most `max` of them.
pub fn line_diff(old: &str, new: &str, max: usize) -> Vec<String> {
    use std::collections::BTreeMap;
    fn count(text: &str) -> BTreeMap<&str, isize> {
        let mut m: BTreeMap<&str, isize> = BTreeMap::new();
        for l in text.lines() {
            *m.entry(l).or_default() += 1;
        }
        m
    }
    let (mut o, mut n) = (count(old), count(new));
    let mut out = Vec::new();
    for l in old.lines() {
        if let Some(c) = n.get_mut(l)
            && *c > 0
        {
            *c -= 1;
            continue;
        }
        out.push(format!("- {l}"));
    }
    for l in new.lines() {
        if let Some(c) = o.get_mut(l)
            && *c > 0
        {
            *c -= 1;
            continue;
        }
        out.push(format!("+ {l}"));
    }
    if out.len() > max {
        let more = out.len() - max;
        out.truncate(max);
        out.push(format!("… {more} more changed lines"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{BootConfig, Identity};

    fn ev() -> Evidence {
        Evidence {
            device: "r1".into(),
            platform: "linux".into(),
            collected_at: "t1".into(),
            identity: Identity {
                serial: Some("A".into()),
                host_key: "k".into(),
                host_key_fingerprint: "f".into(),
                ..Default::default()
            },
            images: Vec::new(),
            boot: Default::default(),
            signature: None,
            boot_config: Some(BootConfig {
                sha256: "1".into(),
                redacted: "a\nb".into(),
            }),
            files: None,
            container_images: None,
            containers: None,
            snapshots: None,
            text_segment: None,
            not_collected: Default::default(),
        }
    }

    #[test]
    fn only_real_changes_are_listed() {
        let mut new = ev();
        new.collected_at = "t2".into();
        assert!(evidence_diff(&ev(), &new).is_empty());
        new.identity.serial = Some("B".into());
        new.boot_config = Some(BootConfig {
            sha256: "2".into(),
            redacted: "a\nc".into(),
        });
        let d = evidence_diff(&ev(), &new);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "boot_config.sha256",
                "identity.serial",
                "boot_config.lines",
                "boot_config.lines"
            ]
        );
        assert_eq!(d[1].old.as_deref(), Some("A"));
        assert_eq!(d[3].new.as_deref(), Some("+ c"));
    }

    fn file(path: &str, size: u64) -> crate::evidence::files::FileEntry {
        serde_json::from_value(serde_json::json!({
            "filesystem": "flash:", "path": path, "kind": "file", "size": size, "mtime": "t"
        }))
        .unwrap()
    }

    #[test]
    fn lists_with_an_identity_are_compared_as_sets_one_line_per_real_change() {
        let mut old = ev();
        old.files = Some(vec![file("a.bin", 1), file("b.log", 2), file("c.cfg", 3)]);
        let mut new = ev();
        // One file added at the front, one grown, one removed.
        new.files = Some(vec![
            file("0-implant.sh", 9),
            file("a.bin", 1),
            file("b.log", 5),
        ]);
        let d = evidence_diff(&old, &new);
        let fields: Vec<&str> = d.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "files[flash:0-implant.sh]",
                "files[flash:b.log].size",
                "files[flash:c.cfg]"
            ],
            "{d:?}"
        );
        assert!(d[0].old.is_none() && d[0].new.as_deref().unwrap().contains("\"size\":9"));
        assert_eq!(
            (d[1].old.as_deref(), d[1].new.as_deref()),
            (Some("2"), Some("5"))
        );
        assert!(d[2].new.is_none());
    }

    #[test]
    fn line_diff_shows_removed_and_added_lines() {
        assert_eq!(line_diff("a\nb\nc", "a\nc\nd", 10), vec!["- b", "+ d"]);
        assert_eq!(line_diff("a", "b\nc\nd", 2).len(), 3);
    }
}
