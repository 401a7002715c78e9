//! Oxidized's CSV source, the `router.db` file.
//!
//! Format, from Oxidized's docs/Sources.md ("Source: CSV") and lib/oxidized/source/csv.rb: one device per
//! line; lines matching `^\s*#` are comments; each line is split on `source.csv.delimiter` (a regexp,
//! default `/:/`) and `source.csv.map` says which field is which (default `name: 0`, `model: 1`; the docs'
//! fuller example is `name: 0, ip: 1, model: 2, username: 3, password: 4` with `vars_map: enable: 5`).
//! Without `ip`, Oxidized resolves the name, and so does netattest (the name is the address). `group` is
//! the node's Oxidized group. `username`, `password` and every `vars_map` field are never read: a
//! credential-bearing one is said to be ignored.

use std::collections::BTreeMap;

use regex::Regex;

use super::{Parsed, Problem, Record, is_secret_key};

/// Which field is which, and what separates them: Oxidized's `source.csv.delimiter` and `map` (with
/// `vars_map`'s fields, which are only ever skipped).
#[derive(Debug, Clone)]
pub struct OxidizedLayout {
    pub delimiter: Regex,
    /// Field name (`name`, `ip`, `model`, `group`, `username`, `password`, `enable`, …) → 0-based position.
    pub map: BTreeMap<String, usize>,
}

impl Default for OxidizedLayout {
    fn default() -> Self {
        OxidizedLayout {
            delimiter: Regex::new(":").expect("a literal colon is a regex"),
            map: [("name".to_owned(), 0), ("model".to_owned(), 1)]
                .into_iter()
                .collect(),
        }
    }
}

impl OxidizedLayout {
    /// From a delimiter regex (`None`: `:`) and `name=0,ip=1,model=2`-style pairs (`None`: `name=0,model=1`).
    pub fn new(delimiter: Option<&str>, map: Option<&[(String, usize)]>) -> Result<Self, String> {
        let mut layout = OxidizedLayout::default();
        if let Some(d) = delimiter {
            if d.is_empty() {
                return Err("the delimiter is empty".into());
            }
            layout.delimiter =
                Regex::new(d).map_err(|e| format!("delimiter `{d}` is not a regex: {e}"))?;
        }
        if let Some(pairs) = map {
            layout.map = pairs.iter().cloned().collect();
            if !layout.map.contains_key("name") {
                return Err("the map must say which field is `name`".into());
            }
            if !layout.map.contains_key("model") {
                return Err("the map must say which field is `model`".into());
            }
        }
        Ok(layout)
    }

    /// Parses `name=0,ip=1,model=2` (as `--map` takes it).
    pub fn parse_map(text: &str) -> Result<Vec<(String, usize)>, String> {
        text.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("`{pair}` is not FIELD=POSITION"))?;
                let pos = v
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{}` is not a field position (0, 1, …)", v.trim()))?;
                Ok((k.trim().to_owned(), pos))
            })
            .collect()
    }
}

pub(super) fn parse(text: &str, layout: &OxidizedLayout) -> Result<Parsed, Vec<Problem>> {
    let mut parsed = Parsed::default();
    let field = |data: &[&str], key: &str| {
        layout
            .map
            .get(key)
            .and_then(|i| data.get(*i))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // csv.rb: `next if line.match(/^\s*#/)`, and an empty line splits into nothing.
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let origin = format!("line {}", i + 1);
        let data: Vec<&str> = layout.delimiter.split(line).collect();
        for key in layout.map.keys() {
            if is_secret_key(key) && field(&data, key).is_some() {
                parsed.secrets.push((key.clone(), origin.clone()));
            }
        }
        parsed.records.push(Record {
            name: field(&data, "name").unwrap_or_default(),
            host: field(&data, "ip"),
            port: None,
            platforms: field(&data, "model").into_iter().collect(),
            groups: field(&data, "group").into_iter().collect(),
            origin,
        });
    }
    Ok(parsed)
}
