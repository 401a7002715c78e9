//! Ansible's YAML inventory, as `ansible.builtin.yaml` reads it (its plugin docs: "should start with the
//! `all` group and contain hosts/vars/children entries. Host entries can have sub-entries defined, which
//! will be treated as variables. Vars entries are normal group vars. Children are 'child groups', which can
//! also have their own vars/hosts/children and so on").
//!
//! Top-level keys are groups (usually just `all`); a group's value is a mapping of `hosts` (host pattern →
//! variables or nothing; a lone string is one host), `vars` and `children` (group name → the same shape).
//! A group that appears in several places is one group. Ansible Vault values (`!vault |`) are read as the
//! opaque text they are and never used. Other keys in a group are skipped with a note, as Ansible warns.

use yaml_rust2::{Yaml, YamlLoader};

use super::{Inventory, Problem, Var, expand_pattern};

pub(super) fn parse(text: &str) -> Result<Inventory, Vec<Problem>> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        vec![Problem {
            origin: format!("line {}", e.marker().line()),
            reason: format!("not YAML: {}", e.info()),
        }]
    })?;
    let mut walk = Walk {
        text,
        inv: Inventory::default(),
        problems: Vec::new(),
    };
    match docs.first() {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(top)) => {
            for (k, body) in top {
                match scalar(k) {
                    Some(name) => walk.group(&name, None, body, &name, 0),
                    None => walk.bad("top level", "a group name must be text".into()),
                }
            }
        }
        Some(_) => walk.bad(
            "line 1",
            "an Ansible YAML inventory is a mapping of groups (`all:` …)".into(),
        ),
    }
    if walk.problems.is_empty() {
        Ok(walk.inv)
    } else {
        Err(walk.problems)
    }
}

struct Walk<'a> {
    text: &'a str,
    inv: Inventory,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    fn bad(&mut self, origin: &str, reason: String) {
        self.problems.push(Problem {
            origin: origin.to_owned(),
            reason,
        });
    }

    /// `path` is the dotted way to this node (`all.children.core`), for messages; `from` the line (0-based)
    /// its parent's key is on, where the search for its own key starts.
    fn group(&mut self, name: &str, parent: Option<&str>, body: &Yaml, path: &str, from: usize) {
        let at = self.find(name, from);
        if path.matches(".children.").count() >= super::MAX_NESTING {
            return self.bad(path, "groups nested too deep".into());
        }
        self.inv.group(name);
        if let Some(p) = parent {
            self.inv.group(p).children.insert(name.to_owned());
        }
        let entries = match body {
            Yaml::Null => return,
            Yaml::Hash(h) => h,
            _ => {
                let origin = self.label(at, path);
                return self.bad(&origin, format!("group `{name}` is not a mapping"));
            }
        };
        for (k, v) in entries {
            let key = scalar(k).unwrap_or_default();
            let here = format!("{path}.{key}");
            let key_at = self.find(&key, at.unwrap_or(from));
            let below = key_at.or(at).unwrap_or(from);
            match (key.as_str(), v) {
                (_, Yaml::Null) => {}
                ("hosts", Yaml::Hash(hosts)) => {
                    for (pattern, vars) in hosts {
                        match scalar(pattern) {
                            Some(pattern) => self.host(name, &pattern, vars, &here, below),
                            None => self.bad(&here, "a host name must be text".into()),
                        }
                    }
                }
                // "one machine will work without a colon" (the plugin docs' example).
                ("hosts", Yaml::String(one)) => self.host(name, one, &Yaml::Null, &here, below),
                ("vars", Yaml::Hash(vars)) => {
                    let origin = self.label(key_at, &here);
                    for (vk, vv) in vars {
                        if let (Some(vk), Some(value)) = (scalar(vk), value(vv)) {
                            self.inv.group(name).vars.insert(
                                vk,
                                Var {
                                    value,
                                    origin: origin.clone(),
                                },
                            );
                        }
                    }
                }
                ("children", Yaml::Hash(children)) => {
                    for (ck, cv) in children {
                        match scalar(ck) {
                            Some(child) => {
                                let path = format!("{here}.{child}");
                                self.group(&child, Some(name), cv, &path, below)
                            }
                            None => self.bad(&here, "a child group name must be text".into()),
                        }
                    }
                }
                ("hosts" | "vars" | "children", _) => {
                    let origin = self.label(key_at, &here);
                    self.bad(
                        &origin,
                        format!("`{key}` of group `{name}` is not a mapping"),
                    );
                }
                (other, _) => {
                    let origin = self.label(key_at, &here);
                    self.bad(
                        &origin,
                        format!(
                            "group `{name}` has the key `{other}`; a group holds only hosts, vars and children"
                        ),
                    );
                }
            }
        }
    }

    fn host(&mut self, group: &str, pattern: &str, vars: &Yaml, path: &str, from: usize) {
        let origin = self.label(self.find(pattern, from), &format!("{path}.{pattern}"));
        let (hosts, port) = match expand_pattern(pattern) {
            Ok(x) => x,
            Err(why) => return self.bad(&origin, why),
        };
        let mut list = Vec::new();
        if let Some(p) = port {
            list.push(("ansible_port".to_owned(), p.to_string()));
        }
        match vars {
            Yaml::Null => {}
            Yaml::Hash(h) => {
                for (k, v) in h {
                    if let (Some(k), Some(v)) = (scalar(k), value(v)) {
                        list.push((k, v));
                    }
                }
            }
            _ => {
                return self.bad(
                    &origin,
                    format!("host `{pattern}`'s variables are not a mapping"),
                );
            }
        }
        for h in hosts {
            self.inv.add_host(&h, group, &origin, list.clone());
        }
    }

    /// The first line at or after `from` (0-based) that sets `key:`: a best effort, since the parser keeps no
    /// positions, that holds because a mapping's keys come in the order they are written.
    fn find(&self, key: &str, from: usize) -> Option<usize> {
        self.text
            .lines()
            .skip(from)
            .position(|l| {
                let l = l.trim_start();
                let l = l
                    .strip_prefix('"')
                    .and_then(|r| r.strip_prefix(key))
                    .and_then(|r| r.strip_prefix('"'))
                    .or_else(|| l.strip_prefix(key));
                l.is_some_and(|r| r.starts_with(':') || r.is_empty())
            })
            .map(|i| i + from)
    }

    /// `line N (path)` where the line is known, else the path.
    fn label(&self, line: Option<usize>, path: &str) -> String {
        match line {
            Some(i) => format!("line {} ({path})", i + 1),
            None => path.to_owned(),
        }
    }
}

/// A key or scalar as text (YAML reads `10` and `1.5` as numbers; Ansible's names are text).
fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A variable's value as text, when it is a scalar (the variables read here are all scalars).
fn value(y: &Yaml) -> Option<String> {
    match y {
        Yaml::Null => Some(String::new()),
        y => scalar(y).or_else(|| Some("<structured>".into())),
    }
}
