//! Ansible inventory files, INI (`ansible.builtin.ini`) and YAML (`ansible.builtin.yaml`), read into one
//! model of groups, hosts and variables, then resolved as Ansible resolves them.
//!
//! Ansible's rules followed here (docs "How to build your inventory", the ini and yaml inventory plugin
//! docs): every host is in `all`; a host in no group is in `ungrouped`; a child group's hosts are its
//! parents' hosts too; variables come from `all`, then each group from the shallowest to the deepest (same
//! depth: by name), then the host itself, the later winning. `ansible_host` overrides the inventory
//! hostname as the address; `ansible_port` (or `host:port` in the host pattern) is the port;
//! `ansible_network_os` is the platform, unless `netattest_platform` names one for netattest alone. Host
//! patterns with ranges (`rtr[01:20].example.net`, `[a:f]`, `[1:9:2]`) expand as Ansible expands them.
//! The groups a host ends up in, less `all` and `ungrouped`, are its netattest groups.

mod ini;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};

use super::{Parsed, Problem, Record, is_secret_key};

/// One variable value, with where it was set.
#[derive(Debug, Clone)]
struct Var {
    value: String,
    origin: String,
}

#[derive(Debug, Default)]
struct Group {
    vars: BTreeMap<String, Var>,
    children: BTreeSet<String>,
    hosts: BTreeSet<String>,
}

#[derive(Debug)]
struct Host {
    origin: String,
    vars: BTreeMap<String, Var>,
}

/// Groups and hosts as the file declares them, hosts in the order they first appear.
#[derive(Debug, Default)]
struct Inventory {
    groups: BTreeMap<String, Group>,
    hosts: Vec<(String, Host)>,
    index: BTreeMap<String, usize>,
}

impl Inventory {
    fn group(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_owned()).or_default()
    }

    /// Adds (or finds) a host, puts it in `group`, and sets its variables (later settings win).
    fn add_host(&mut self, name: &str, group: &str, origin: &str, vars: Vec<(String, String)>) {
        let i = match self.index.get(name) {
            Some(i) => *i,
            None => {
                self.hosts.push((
                    name.to_owned(),
                    Host {
                        origin: origin.to_owned(),
                        vars: BTreeMap::new(),
                    },
                ));
                self.index.insert(name.to_owned(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        let host = &mut self.hosts[i].1;
        for (k, v) in vars {
            host.vars.insert(
                k,
                Var {
                    value: v,
                    origin: origin.to_owned(),
                },
            );
        }
        self.group(group).hosts.insert(name.to_owned());
    }
}

/// Reads an Ansible inventory: YAML when the file name says so (`.yml`, `.yaml`, `.json`, Ansible's
/// `yaml_valid_extensions`) or the text starts as YAML does, INI otherwise.
pub(super) fn parse(text: &str, file_name: Option<&str>) -> Result<Parsed, Vec<Problem>> {
    let inv = if is_yaml(text, file_name) {
        yaml::parse(text)?
    } else {
        ini::parse(text)?
    };
    resolve(inv)
}

fn is_yaml(text: &str, file_name: Option<&str>) -> bool {
    let ext = file_name
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("yml" | "yaml" | "json") => return true,
        Some("ini" | "cfg") => return false,
        _ => {}
    }
    // INI's first entry is a section or a host; YAML's is `---`, `{`, or a top-level `key:`.
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with(['#', ';']))
        .is_some_and(|l| l == "---" || l.starts_with('{') || l.ends_with(':'))
}

/// Every host with its groups and resolved variables, as records.
fn resolve(mut inv: Inventory) -> Result<Parsed, Vec<Problem>> {
    // A host in no group other than `all` is in `ungrouped`, and every group is under `all`.
    let grouped: BTreeSet<String> = inv
        .groups
        .iter()
        .filter(|(name, _)| *name != "all" && *name != "ungrouped")
        .flat_map(|(_, g)| g.hosts.iter().cloned())
        .collect();
    let names: Vec<String> = inv.hosts.iter().map(|(n, _)| n.clone()).collect();
    for name in names.iter().filter(|n| !grouped.contains(*n)) {
        inv.group("ungrouped").hosts.insert(name.clone());
    }
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, g) in &inv.groups {
        for c in &g.children {
            parents.entry(c.clone()).or_default().insert(name.clone());
        }
    }
    let mut problems = Vec::new();
    let mut depth: BTreeMap<String, usize> = BTreeMap::new();
    for name in inv.groups.keys() {
        if let Err(cycle) = group_depth(name, &parents, &mut depth, &mut Vec::new()) {
            problems.push(Problem {
                origin: format!("group {name}"),
                reason: format!("group cycle or runaway nesting: {}", cycle.join(" -> ")),
            });
            break;
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut parsed = Parsed::default();
    for (gname, g) in &inv.groups {
        for (k, v) in &g.vars {
            if is_secret_key(k) {
                parsed
                    .secrets
                    .push((k.clone(), format!("{} (group {gname})", v.origin)));
            }
        }
    }
    for (name, host) in &inv.hosts {
        // Direct groups, then every ancestor.
        let mut groups: BTreeSet<String> = inv
            .groups
            .iter()
            .filter(|(_, g)| g.hosts.contains(name))
            .map(|(n, _)| n.clone())
            .collect();
        let mut todo: Vec<String> = groups.iter().cloned().collect();
        while let Some(g) = todo.pop() {
            for p in parents.get(&g).into_iter().flatten() {
                if groups.insert(p.clone()) {
                    todo.push(p.clone());
                }
            }
        }
        groups.insert("all".into());
        let mut order: Vec<&String> = groups.iter().collect();
        order.sort_by_key(|g| (depth.get(*g).copied().unwrap_or(0), *g));
        let mut vars: BTreeMap<&str, &Var> = BTreeMap::new();
        for g in order {
            if let Some(group) = inv.groups.get(g) {
                vars.extend(group.vars.iter().map(|(k, v)| (k.as_str(), v)));
            }
        }
        vars.extend(host.vars.iter().map(|(k, v)| (k.as_str(), v)));
        for (k, v) in &host.vars {
            if is_secret_key(k) {
                parsed
                    .secrets
                    .push((k.clone(), format!("{} (host {name})", v.origin)));
            }
        }
        let get = |k: &str| vars.get(k).map(|v| v.value.trim().to_owned());
        let port = match get("ansible_port").or_else(|| get("ansible_ssh_port")) {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problems.push(Problem {
                        origin: host.origin.clone(),
                        reason: format!(
                            "host {name}: ansible_port `{}` is not a TCP port",
                            p.escape_debug()
                        ),
                    });
                    continue;
                }
            },
        };
        let platform = get("netattest_platform").or_else(|| get("ansible_network_os"));
        parsed.records.push(Record {
            name: name.clone(),
            host: get("ansible_host").or_else(|| get("ansible_ssh_host")),
            port,
            platforms: platform.into_iter().filter(|p| !p.is_empty()).collect(),
            groups: groups
                .into_iter()
                .filter(|g| g != "all" && g != "ungrouped")
                .collect(),
            origin: host.origin.clone(),
        });
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}

/// A group's distance from `all` (its deepest path), or the cycle that makes it endless.
fn group_depth(
    name: &str,
    parents: &BTreeMap<String, BTreeSet<String>>,
    memo: &mut BTreeMap<String, usize>,
    path: &mut Vec<String>,
) -> Result<usize, Vec<String>> {
    if name == "all" {
        return Ok(0);
    }
    if let Some(d) = memo.get(name) {
        return Ok(*d);
    }
    if path.len() >= MAX_NESTING {
        let mut cycle = path[..3].to_vec();
        cycle.push(format!(
            "… ({MAX_NESTING} levels deep: too deep to be meant)"
        ));
        return Err(cycle);
    }
    if path.iter().any(|p| p == name) {
        let mut cycle = path.clone();
        cycle.push(name.to_owned());
        return Err(cycle);
    }
    path.push(name.to_owned());
    let mut d = 1;
    for p in parents.get(name).into_iter().flatten() {
        d = d.max(group_depth(p, parents, memo, path)? + 1);
    }
    path.pop();
    memo.insert(name.to_owned(), d);
    Ok(d)
}

/// The deepest group nesting read: beyond it a file is a mistake (or an attack on the stack), not a fleet.
pub(super) const MAX_NESTING: usize = 256;

/// The most hosts one pattern may expand to: `[1:99999999]` is a typo, not a fleet, and a few nested ranges
/// multiply (the inventory_sources fuzz target found a 430-byte file that took seconds at 65 536). 4096
/// names from one line is more than any rack or site pattern needs.
const MAX_EXPANSION: usize = 4096;

/// A host pattern (`rtr1`, `rtr1:2222`, `10.0.0.1:22`, `[2001:db8::1]:22`, `rtr[01:03].lab`) as host names
/// and the port it names.
fn expand_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (host, port) = split_port(pattern)?;
    let mut out = Vec::new();
    expand_ranges(&host, &mut out)?;
    Ok((out, port))
}

/// Ansible's parse_address, for what inventories hold: a bracketed IPv6 address with a port, a bare IPv6
/// address (no port), or a name or IPv4 address with an optional `:port`.
fn split_port(pattern: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("`{pattern}`: `{p}` is not a port"))
    };
    if let Some(rest) = pattern.strip_prefix('[')
        && let Some((inside, after)) = rest.split_once(']')
        && inside.matches(':').count() >= 2
    {
        return match after.strip_prefix(':') {
            Some(p) => Ok((inside.to_owned(), Some(port(p)?))),
            None if after.is_empty() => Ok((inside.to_owned(), None)),
            None => Err(format!("`{pattern}` is not an address")),
        };
    }
    // Colons outside brackets (ranges use `[a:b]`).
    let mut depth = 0i32;
    let outside: Vec<usize> = pattern
        .char_indices()
        .filter_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ':' if depth == 0 => return Some(i),
                _ => {}
            }
            None
        })
        .collect();
    match outside.as_slice() {
        [] => Ok((pattern.to_owned(), None)),
        [i] => {
            let p = &pattern[i + 1..];
            if p.is_empty() {
                return Err(format!(
                    "`{pattern}` ends in `:`, which is reserved for a port"
                ));
            }
            Ok((pattern[..*i].to_owned(), Some(port(p)?)))
        }
        // A bare IPv6 address: no port can be told from it.
        _ => Ok((pattern.to_owned(), None)),
    }
}

/// Expands the first `[beg:end(:stride)]` range and recurses on the rest.
fn expand_ranges(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Some(open) = pattern.find('[') else {
        out.push(pattern.to_owned());
        return Ok(());
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("`{pattern}`: a `[` range is never closed"))?;
    let (head, spec, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = spec.split(':').collect();
    let (beg, end, stride) = match parts.as_slice() {
        [b, e] => (*b, *e, 1usize),
        [b, e, s] => (
            *b,
            *e,
            s.parse::<usize>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| format!("`{pattern}`: range stride `{s}` is not a number"))?,
        ),
        _ => return Err(format!("`{pattern}`: `[{spec}]` is not a range [beg:end]")),
    };
    let beg = if beg.is_empty() { "0" } else { beg };
    if end.is_empty() {
        return Err(format!("`{pattern}`: the range has no end"));
    }
    let items: Vec<String> = if let (Ok(b), Ok(e)) = (beg.parse::<usize>(), end.parse::<usize>()) {
        // A leading zero fixes the width, which both ends must then share.
        let width = if beg.starts_with('0') && beg.len() > 1 {
            if beg.len() != end.len() {
                return Err(format!(
                    "`{pattern}`: a zero-padded range needs ends of equal width"
                ));
            }
            beg.len()
        } else {
            0
        };
        if b > e {
            return Err(format!("`{pattern}`: the range runs backwards"));
        }
        if (e - b) / stride >= MAX_EXPANSION {
            return Err(format!(
                "`{pattern}` expands to more than {MAX_EXPANSION} hosts"
            ));
        }
        (b..=e)
            .step_by(stride)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else {
        let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
        let pos = |s: &str| {
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => letters.iter().position(|l| *l == c),
                _ => None,
            }
        };
        let (Some(b), Some(e)) = (pos(beg), pos(end)) else {
            return Err(format!(
                "`{pattern}`: `[{spec}]` is neither a numeric nor a one-letter range"
            ));
        };
        if b > e {
            return Err(format!("`{pattern}`: the range runs backwards"));
        }
        letters[b..=e]
            .iter()
            .step_by(stride)
            .map(|c| c.to_string())
            .collect()
    };
    for item in items {
        expand_ranges(&format!("{head}{item}{tail}"), out)?;
        if out.len() > MAX_EXPANSION {
            return Err(format!(
                "`{pattern}` expands to more than {MAX_EXPANSION} hosts"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
