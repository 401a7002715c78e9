//! Ansible's INI inventory, as `ansible.builtin.ini` reads it (its plugin docs, and
//! lib/ansible/plugins/inventory/ini.py):
//!
//! - `[group]` sections hold hosts, `[group:children]` child groups, `[group:vars]` one `key=value` per
//!   line; lines before any section are hosts of `ungrouped`; `#` and `;` start comment lines.
//! - A host line is a host pattern, then `key=value` variables, split as a POSIX shell splits words
//!   (quotes, backslashes, `#` comments to the end of the line).
//! - Values are Python literals when they parse as one (`"'quoted'"` loses its quotes), else text.
//! - `[g:vars]` for a group declared nowhere, and `[g:children]` naming an undeclared group, are errors.

use std::collections::BTreeMap;

use super::{Inventory, Problem, Var, expand_pattern};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Children,
    Vars,
}

pub(super) fn parse(text: &str) -> Result<Inventory, Vec<Problem>> {
    let mut inv = Inventory::default();
    let mut problems = Vec::new();
    let mut group = "ungrouped".to_owned();
    let mut state = State::Hosts;
    // Groups a `:vars` or `:children` section refers to before (or without) declaring them: name → line.
    let mut pending: BTreeMap<String, (usize, State)> = BTreeMap::new();
    let mut declared = std::collections::BTreeSet::from(["all".to_owned(), "ungrouped".to_owned()]);
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let origin = format!("line {n}");
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let mut bad = |reason: String| {
            problems.push(Problem {
                origin: origin.clone(),
                reason,
            })
        };
        if line.starts_with('[') {
            match section(line) {
                Some((name, kind)) => {
                    state = match kind {
                        None | Some("hosts") => State::Hosts,
                        Some("children") => State::Children,
                        Some("vars") => State::Vars,
                        Some(other) => {
                            bad(format!(
                                "section [{name}:{other}] has unknown type `{other}`"
                            ));
                            continue;
                        }
                    };
                    if state == State::Vars {
                        if !declared.contains(name) {
                            pending.entry(name.to_owned()).or_insert((n, State::Vars));
                        }
                    } else {
                        declared.insert(name.to_owned());
                        pending.remove(name);
                    }
                    inv.group(name);
                    group = name.to_owned();
                }
                None if line.ends_with(']') => bad(format!(
                    "invalid section `{line}`: no spaces, and only `:children`, `:vars` or `:hosts` after the name"
                )),
                // A host pattern may begin with a range or an IPv6 address in brackets.
                None => host_line(line, &group, &origin, &mut inv, &mut bad),
            }
            continue;
        }
        match state {
            State::Hosts => host_line(line, &group, &origin, &mut inv, &mut bad),
            State::Children => match group_name(line) {
                Some(child) => {
                    if !declared.contains(child) {
                        pending
                            .entry(child.to_owned())
                            .or_insert((n, State::Children));
                    }
                    inv.group(&group).children.insert(child.to_owned());
                    inv.group(child);
                }
                None => bad(format!("expected a group name, got `{line}`")),
            },
            State::Vars => match line.split_once('=') {
                Some((k, v)) => {
                    let value = literal(strip_comment(v.trim()));
                    inv.group(&group).vars.insert(
                        k.trim().to_owned(),
                        Var {
                            value,
                            origin: origin.clone(),
                        },
                    );
                }
                None => bad(format!("expected key=value, got `{line}`")),
            },
        }
    }
    for (name, (line, state)) in pending {
        problems.push(Problem {
            origin: format!("line {line}"),
            reason: match state {
                State::Vars => format!("section [{name}:vars] is for a group declared nowhere"),
                _ => format!("[…:children] includes the undeclared group `{name}`"),
            },
        });
    }
    if problems.is_empty() {
        Ok(inv)
    } else {
        Err(problems)
    }
}

/// One host line: a pattern and `key=value` variables.
fn host_line(
    line: &str,
    group: &str,
    origin: &str,
    inv: &mut Inventory,
    bad: &mut impl FnMut(String),
) {
    let tokens = match shell_words(line) {
        Ok(t) => t,
        Err(why) => return bad(format!("cannot split the host line: {why}")),
    };
    let Some((pattern, rest)) = tokens.split_first() else {
        return;
    };
    let (hosts, port) = match expand_pattern(pattern) {
        Ok(x) => x,
        Err(why) => return bad(why),
    };
    let mut vars = Vec::new();
    if let Some(p) = port {
        vars.push(("ansible_port".to_owned(), p.to_string()));
    }
    for t in rest {
        match t.split_once('=') {
            Some((k, v)) => vars.push((k.to_owned(), literal(v))),
            None => return bad(format!("expected key=value after the host, got `{t}`")),
        }
    }
    for h in hosts {
        inv.add_host(&h, group, origin, vars.clone());
    }
}

/// `[name]` or `[name:kind]`, with an optional trailing comment.
fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let (inside, after) = rest.split_once(']')?;
    let after = after.trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let (name, kind) = match inside.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (inside, None),
    };
    let name_ok = !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == ']');
    let kind_ok =
        kind.is_none_or(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
    (name_ok && kind_ok).then_some((name, kind))
}

/// A child group name line: one word, then an optional comment.
fn group_name(line: &str) -> Option<&str> {
    let word = line.split_whitespace().next()?;
    let rest = line[word.len()..].trim_start();
    let ok = !word.contains([':', ']']) && (rest.is_empty() || rest.starts_with('#'));
    ok.then_some(word)
}

/// A `:vars` value as Python's literal_eval leaves it, for the values that matter here: a quoted string
/// loses its quotes; anything else is the text as written.
fn literal(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_owned();
        }
    }
    v.to_owned()
}

/// Drops a ` # comment` after an unquoted value (literal_eval ignores it after a literal).
fn strip_comment(v: &str) -> &str {
    if v.starts_with(['"', '\'']) {
        return v;
    }
    match v.find(" #") {
        Some(i) => v[..i].trim_end(),
        None => v,
    }
}

/// POSIX shell word splitting with `#` comments, as Python's `shlex.split(line, comments=True)`.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("no closing quotation".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("no escaped character".into()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lines_split_as_a_shell_does_with_comments() {
        let cases: &[(&str, &[&str])] = &[
            (
                "rtr1 ansible_host=10.0.0.1",
                &["rtr1", "ansible_host=10.0.0.1"],
            ),
            ("rtr1 a=\"b c\" # note", &["rtr1", "a=b c"]),
            (
                "tomcat3 mysecret=\"'03#pa33w0rd'\"",
                &["tomcat3", "mysecret='03#pa33w0rd'"],
            ),
            ("h x=a\\ b", &["h", "x=a b"]),
            ("# only a comment", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(shell_words(line).unwrap(), *want, "{line}");
        }
        assert!(shell_words("h x='open").is_err());
    }

    #[test]
    fn sections_name_a_group_and_a_kind() {
        assert_eq!(section("[core]"), Some(("core", None)));
        assert_eq!(
            section("[core:children] # c"),
            Some(("core", Some("children")))
        );
        assert_eq!(section("[core:vars]"), Some(("core", Some("vars"))));
        assert_eq!(section("[core routers]"), None);
        assert_eq!(section("[1:3].example.net"), None);
    }
}
