//! CSV with a header row, as vendors' download portals export it: quoted fields, doubled quotes, line
//! breaks inside quotes, and columns found by their header.

use super::{Builder, LineProblem, Row};
use crate::digest::{Algorithm, Digest};

/// Splits CSV into records of fields, each with the line it starts on. Quoted fields may hold commas,
/// doubled quotes and line breaks.
pub(crate) fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, LineProblem> {
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(LineProblem {
                    line,
                    reason: "a quote inside an unquoted field".into(),
                });
            }
            '\n' if quoted => {
                line += 1;
                field.push('\n');
            }
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                was_quoted = false;
                line += 1;
                start = line;
            }
            c => {
                if was_quoted && !quoted && !c.is_whitespace() {
                    return Err(LineProblem {
                        line,
                        reason: "text after a closing quote".into(),
                    });
                }
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(LineProblem {
            line: start,
            reason: "a quoted field is never closed".into(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    File,
    Platform,
    Version,
    Vendor,
    Digest(Algorithm),
    Other,
}

fn column(header: &str) -> Column {
    let h: String = header
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match h.as_str() {
        "file" | "filename" | "image" | "imagename" | "imagefile" | "name" => Column::File,
        "platform" | "product" | "model" => Column::Platform,
        "version" | "release" | "softwareversion" => Column::Version,
        "vendor" => Column::Vendor,
        _ if h.contains("sha512") => Column::Digest(Algorithm::Sha512),
        _ if h.contains("sha256") => Column::Digest(Algorithm::Sha256),
        _ if h.contains("md5") => Column::Digest(Algorithm::Md5),
        _ => Column::Other,
    }
}

pub(super) fn csv(text: &str, b: &mut Builder<'_>) {
    let records = match csv_records(text) {
        Ok(r) => r,
        Err(p) => return b.problem(p.line, p.reason),
    };
    let mut rows = records
        .into_iter()
        .filter(|(_, f)| !(f.len() == 1 && f[0].trim().is_empty()));
    let Some((hline, header)) = rows.next() else {
        return;
    };
    let columns: Vec<Column> = header.iter().map(|h| column(h)).collect();
    let find = |want: Column| columns.iter().position(|c| *c == want);
    let digests: Vec<(usize, Algorithm)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Column::Digest(a) => Some((i, *a)),
            _ => None,
        })
        .collect();
    let Some(file_col) = find(Column::File) else {
        return b.problem(
            hline,
            "the header names no file column (File, File Name, Image or Image Name)".into(),
        );
    };
    if digests.is_empty() {
        return b.problem(
            hline,
            "the header names no MD5, SHA256 or SHA512 column".into(),
        );
    }
    let (platform, version, vendor) = (
        find(Column::Platform),
        find(Column::Version),
        find(Column::Vendor),
    );
    for (line, fields) in rows {
        if fields.len() != columns.len() {
            b.problem(
                line,
                format!("{} fields, the header has {}", fields.len(), columns.len()),
            );
            continue;
        }
        let mut ds = Vec::new();
        let mut bad = false;
        for (i, alg) in &digests {
            let cell = fields[*i].trim();
            if cell.is_empty() {
                continue;
            }
            match Digest::from_hex(*alg, cell) {
                Ok(d) => ds.push(d),
                Err(e) => {
                    b.problem(line, format!("column `{}`: {e}", header[*i].trim()));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        let cell = |c: Option<usize>| c.map(|i| fields[i].as_str());
        b.add(
            line,
            Row {
                vendor: cell(vendor),
                platform: cell(platform),
                version: cell(version),
                file: &fields[file_col],
                digests: ds,
                ..Row::default()
            },
        );
    }
}
