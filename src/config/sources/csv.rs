//! netattest's own CSV inventory: a header row, then one device per row (RFC 4180 quoting: quoted fields,
//! doubled quotes, line breaks inside quotes; the same reader as catalog import).
//!
//! Columns are found by their header, case and punctuation aside: `name` (or `hostname`, `device`),
//! `platform` (or `os`, `network_os`, `model`), and optionally `host` (or `address`, `ip`, `mgmt_ip`),
//! `port`, `groups` (or `group`, `tags`; several separated by `;`, `|` or spaces). The platform is any name
//! the platform table knows, a profile id included. Other columns are not read; one whose header names a
//! credential (`password`, `secret`, `enable`, …) is said to be ignored.

use super::{Parsed, Problem, Record, is_secret_key};
use crate::trust::catalog::import::csv::csv_records;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Host,
    Port,
    Platform,
    Groups,
    Other,
}

fn column(header: &str) -> Column {
    let h: String = header
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match h.as_str() {
        "name" | "hostname" | "device" | "devicename" => Column::Name,
        "host" | "address" | "ip" | "ipaddress" | "mgmtip" | "managementip" => Column::Host,
        "port" | "sshport" => Column::Port,
        "platform" | "os" | "networkos" | "model" => Column::Platform,
        "groups" | "group" | "tags" => Column::Groups,
        _ => Column::Other,
    }
}

pub(super) fn parse(text: &str) -> Result<Parsed, Vec<Problem>> {
    let records = csv_records(text).map_err(|p| {
        vec![Problem {
            origin: format!("line {}", p.line),
            reason: p.reason,
        }]
    })?;
    let mut rows = records
        .into_iter()
        .filter(|(_, f)| !(f.len() == 1 && f[0].trim().is_empty()))
        .filter(|(_, f)| !f[0].trim_start().starts_with('#'));
    let Some((hline, header)) = rows.next() else {
        return Ok(Parsed::default());
    };
    let columns: Vec<Column> = header.iter().map(|h| column(h)).collect();
    let find = |want: Column| columns.iter().position(|c| *c == want);
    let mut problems = Vec::new();
    let (Some(name_col), Some(platform_col)) = (find(Column::Name), find(Column::Platform)) else {
        return Err(vec![Problem {
            origin: format!("line {hline}"),
            reason: "the header row must name a `name` and a `platform` column (and may name host, port, groups)".into(),
        }]);
    };
    let (host_col, port_col, groups_col) =
        (find(Column::Host), find(Column::Port), find(Column::Groups));
    let mut parsed = Parsed::default();
    let secret_cols: Vec<(usize, &String)> = header
        .iter()
        .enumerate()
        .filter(|(i, h)| columns[*i] == Column::Other && is_secret_key(h))
        .collect();
    for (line, fields) in rows {
        let origin = format!("line {line}");
        let get = |col: Option<usize>| {
            col.and_then(|c| fields.get(c))
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
        };
        for (i, h) in &secret_cols {
            if fields.get(*i).is_some_and(|v| !v.trim().is_empty()) {
                parsed.secrets.push((h.trim().to_owned(), origin.clone()));
            }
        }
        let port = match get(port_col) {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problems.push(Problem {
                        origin: origin.clone(),
                        reason: format!("port `{}` is not a TCP port", p.escape_debug()),
                    });
                    continue;
                }
            },
        };
        parsed.records.push(Record {
            name: get(Some(name_col)).unwrap_or_default(),
            host: get(host_col),
            port,
            platforms: get(Some(platform_col)).into_iter().collect(),
            groups: get(groups_col)
                .map(|g| {
                    g.split(|c: char| c == ';' || c == '|' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            origin,
        });
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(problems)
    }
}
