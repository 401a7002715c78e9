//! NetBox's device list: the JSON answer of `GET /api/dcim/devices/` (NetBox REST API docs, "REST API
//! Overview": a paginated object `{count, next, previous, results: [...]}`), or a bare array of its
//! `results` (as `jq '[.results[]]'` over several pages gives).
//!
//! Per device, as NetBox's DeviceSerializer writes it: `name` (may be `null`: NetBox allows unnamed
//! devices), `primary_ip` / `primary_ip4` / `primary_ip6` (`{"address": "10.0.0.1/24", …}`, the address
//! with its prefix length), `platform` (`{"slug": "ios-xe", "name": "Cisco IOS XE", …}` or `null`),
//! `role` (`device_role` before NetBox 3.6), `site` and `tags` (`[{"slug": …}]`).
//!
//! The address is `primary_ip` (NetBox's own choice between v4 and v6), else `primary_ip4`, else
//! `primary_ip6`, with the prefix length stripped; a device with none is reached by its name. The
//! platform is looked up by slug, then by name. Groups are the role's, site's and tags' slugs.

use serde_json::Value;

use super::{Note, Parsed, Problem, Record};

pub(super) fn parse(text: &str) -> Result<Parsed, Vec<Problem>> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem {
            origin: format!("line {}", e.line()),
            reason: format!("not JSON: {e}"),
        }]
    })?;
    let mut parsed = Parsed::default();
    let list = match &v {
        Value::Array(list) => list,
        Value::Object(o) => match o.get("results") {
            Some(Value::Array(list)) => {
                if let Some(next) = o.get("next").and_then(Value::as_str) {
                    parsed.notes.push(Note {
                        origin: "next".into(),
                        message: format!(
                            "this is one page of {} devices ({} here); the rest are at {next} (or ask for ?limit=0 where MAX_PAGE_SIZE allows)",
                            o.get("count").and_then(Value::as_u64).map_or("more".into(), |c| c.to_string()),
                            list.len()
                        ),
                    });
                }
                list
            }
            _ => return Err(not_a_device_list()),
        },
        _ => return Err(not_a_device_list()),
    };
    let mut problems = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let origin = match d.get("id").and_then(Value::as_u64) {
            Some(id) => format!("results[{i}] (id {id})"),
            None => format!("results[{i}]"),
        };
        if !d.is_object() {
            problems.push(Problem {
                origin,
                reason: "not a device object".into(),
            });
            continue;
        }
        let str_at = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let host = ["primary_ip", "primary_ip4", "primary_ip6"]
            .iter()
            .find_map(|k| d.get(*k).and_then(|ip| str_at(ip, "address")))
            .map(|a| match a.split_once('/') {
                Some((addr, _len)) => addr.to_owned(),
                None => a,
            });
        let platforms = match d.get("platform") {
            Some(p) if p.is_object() => ["slug", "name"]
                .iter()
                .filter_map(|k| str_at(p, k))
                .collect(),
            // Older exports, and hand-written ones, give the slug alone.
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
            _ => Vec::new(),
        };
        let mut groups = Vec::new();
        for key in ["role", "device_role", "site"] {
            if let Some(slug) = d.get(key).and_then(|r| str_at(r, "slug")) {
                groups.push(slug);
            }
        }
        if let Some(Value::Array(tags)) = d.get("tags") {
            for t in tags {
                match t {
                    Value::String(s) => groups.push(s.clone()),
                    t => groups.extend(str_at(t, "slug")),
                }
            }
        }
        parsed.records.push(Record {
            name: str_at(d, "name").unwrap_or_default(),
            host,
            port: None,
            platforms,
            groups,
            origin,
        });
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

fn not_a_device_list() -> Vec<Problem> {
    vec![Problem {
        origin: "line 1".into(),
        reason: "expected NetBox's /api/dcim/devices/ answer (an object with `results`) or an array of devices".into(),
    }]
}
