//! Shard reports and their merge: what a shard of an audit records about itself, and one report made of
//! every shard's.
//!
//! This module does no I/O. The reports it merges are untrusted input (files on a shared volume): every
//! claim a shard report makes about itself is checked against its own contents before it is used, and a
//! set of reports that cannot be from one audit is refused with the reason, never merged into something
//! smaller. A missing shard is not refused: the merged report lists it and is incomplete (exit 3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::evidence::PeerFacts;
use crate::report::finding::{Code, Finding, Severity};
use crate::report::{DeviceReport, LedgerHead, Outcome, Report, SCHEMA_VERSION, Summary};
use crate::shard::{Shard, assign, devices_digest};

/// What a shard's report records about the shard: which one it is, the devices it held and the inventory
/// it was cut from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 0-based, below `count`.
    pub index: u32,
    pub count: u32,
    /// The `--group` the inventory was narrowed to before it was split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// [`devices_digest`] of this shard's inventory devices (not the `missing` ones it reports).
    pub devices_digest: String,
    /// How many devices the inventory (after `--group`) had before it was split.
    pub inventory_devices: usize,
    /// [`devices_digest`] of the whole inventory (after `--group`): equal in every shard of one audit.
    pub inventory_digest: String,
    /// The severity `fleet-outlier` findings get in this installation (its severity overrides).
    pub fleet_outlier_severity: Severity,
    /// What fleet consensus needs of each of this shard's devices. A shard judges no consensus itself
    /// (its peers are in every shard); the merge judges it over all of them, as one audit would.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<PeerFacts>,
}

impl ShardInfo {
    /// The shard's record, from the shard and the inventory's device names before and after the split.
    pub fn new<'a>(
        shard: Shard,
        group: Option<&str>,
        inventory: impl IntoIterator<Item = &'a str>,
    ) -> ShardInfo {
        let all: Vec<&str> = inventory.into_iter().collect();
        ShardInfo {
            index: shard.index,
            count: shard.count,
            group: group.map(str::to_owned),
            devices_digest: devices_digest(all.iter().copied().filter(|n| shard.owns(n))),
            inventory_devices: all.len(),
            inventory_digest: devices_digest(all.iter().copied()),
            fleet_outlier_severity: Code::FleetOutlier.default_severity(),
            peers: Vec::new(),
        }
    }
}

/// What a merged report records about the shards it was made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub inventory_devices: usize,
    pub inventory_digest: String,
    /// The shards that were there, by index.
    pub shards: Vec<MergedShard>,
    /// The indices of the shards that were not: their devices were not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<u32>,
}

/// One shard of a merged report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedShard {
    pub index: u32,
    /// Where the shard report was read from.
    pub source: String,
    pub devices: usize,
    pub devices_digest: String,
    pub started_at: String,
    pub finished_at: String,
}

/// Why a set of reports was not merged. Each names the report it is about (`report`: its path as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("{report}: not a shard report (it has no `shard`; run `audit --shard K/N`)")]
    NotAShard { report: String },
    #[error("{report}: is a merged report already; merge the shard reports themselves")]
    AlreadyMerged { report: String },
    #[error("{report}: a report of `{command}`, not of `audit`")]
    NotAnAudit { report: String, command: String },
    #[error("{report}: {what} is {actual}, but {first} has {expected}: not shards of one audit")]
    Differs {
        report: String,
        first: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{report}: shard {index}/{count} is not a shard (index not below count, or count 0)")]
    BadShard {
        report: String,
        index: u32,
        count: u32,
    },
    #[error("shard {index} given twice: {first} and {second}")]
    DuplicateShard {
        index: u32,
        first: String,
        second: String,
    },
    #[error("device {device} is in two shard reports: {first} and {second}")]
    DeviceInTwoShards {
        device: String,
        first: String,
        second: String,
    },
    #[error(
        "{report}: device {device} belongs to shard {expected}/{count}, not to this shard {actual}"
    )]
    WrongShard {
        report: String,
        device: String,
        count: u32,
        expected: u32,
        actual: u32,
    },
    #[error(
        "{report}: the shard's device list digest is {recorded}, its devices digest to {computed}: the report was edited or cut short"
    )]
    DigestMismatch {
        report: String,
        recorded: String,
        computed: String,
    },
    #[error(
        "the shards hold {actual} device(s) digesting to {computed}, the inventory they were cut from had {expected} digesting to {recorded}"
    )]
    InventoryMismatch {
        expected: usize,
        actual: usize,
        recorded: String,
        computed: String,
    },
    #[error("{report}: inconsistent report: {reason}")]
    Inconsistent { report: String, reason: String },
}

/// A shard report and where it came from (a path, as the user gave it), for messages.
pub struct Input {
    pub source: String,
    pub report: Report,
}

/// Merges the reports of one sharded audit into one report: every device once, one summary, the exit code
/// of all their findings and incompleteness. Refused (see [`MergeError`]) when the reports cannot be the
/// shards of one audit: not shard reports, another command, schema, tool version, shard count, group,
/// inventory, failing severity or ledger head differ between them, a shard index twice, a device in two
/// shards or in a shard its name does not hash to, or a report whose contents do not match what it says
/// about itself. Shards that are absent are listed in [`Merged::missing`] and make the report incomplete.
pub fn merge(inputs: Vec<Input>) -> Result<Report, MergeError> {
    let first = inputs.first().ok_or(MergeError::Empty)?;
    let first_source = first.source.clone();
    let first_info = check_one(first)?.clone();
    let first_report = &first.report;
    let mut by_index: BTreeMap<u32, &Input> = BTreeMap::new();
    for input in &inputs {
        let info = check_one(input)?;
        let r = &input.report;
        let differs = |what: &'static str, expected: String, actual: String| {
            if expected == actual {
                Ok(())
            } else {
                // Both values come from files: escaped before they reach a terminal.
                Err(MergeError::Differs {
                    report: input.source.clone(),
                    first: first_source.clone(),
                    what,
                    expected: crate::sanitize::display_line(&expected, 100),
                    actual: crate::sanitize::display_line(&actual, 100),
                })
            }
        };
        differs(
            "the schema version",
            first_report.schema_version.to_string(),
            r.schema_version.to_string(),
        )?;
        differs(
            "the netattest version",
            first_report.tool_version.clone(),
            r.tool_version.clone(),
        )?;
        differs(
            "the shard count",
            first_info.count.to_string(),
            info.count.to_string(),
        )?;
        differs(
            "the group",
            format!("{:?}", first_info.group),
            format!("{:?}", info.group),
        )?;
        differs(
            "the inventory digest",
            first_info.inventory_digest.clone(),
            info.inventory_digest.clone(),
        )?;
        differs(
            "the inventory size",
            first_info.inventory_devices.to_string(),
            info.inventory_devices.to_string(),
        )?;
        differs(
            "the fleet-outlier severity",
            first_info.fleet_outlier_severity.name().to_owned(),
            info.fleet_outlier_severity.name().to_owned(),
        )?;
        differs(
            "fail_on",
            first_report.fail_on.name().to_owned(),
            r.fail_on.name().to_owned(),
        )?;
        // Audits read the ledger and never write it, so the shards of one audit see one head. Another
        // head means the baselines changed between shards (an enrollment or approval ran), and a merge
        // would mix verdicts against two states: refused, run the audit again.
        let head =
            |h: &Option<LedgerHead>| h.as_ref().map_or("no ledger".into(), |h| h.to_string());
        differs(
            "the baseline ledger head",
            head(&first_report.ledger_head),
            head(&r.ledger_head),
        )?;
        if let Some(previous) = by_index.insert(info.index, input) {
            return Err(MergeError::DuplicateShard {
                index: info.index,
                first: previous.source.clone(),
                second: input.source.clone(),
            });
        }
    }
    let count = first_info.count;
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for input in by_index.values() {
        for d in &input.report.devices {
            if let Some(other) = owner.insert(&d.device, &input.source) {
                return Err(MergeError::DeviceInTwoShards {
                    device: d.device.clone(),
                    first: other.to_owned(),
                    second: input.source.clone(),
                });
            }
        }
    }
    let missing: Vec<u32> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    let inventory: Vec<&str> = by_index
        .values()
        .flat_map(|i| &i.report.devices)
        .filter(|d| d.outcome != Outcome::Missing)
        .map(|d| d.device.as_str())
        .collect();
    if missing.is_empty() {
        let computed = devices_digest(inventory.iter().copied());
        if computed != first_info.inventory_digest
            || inventory.len() != first_info.inventory_devices
        {
            return Err(MergeError::InventoryMismatch {
                expected: first_info.inventory_devices,
                actual: inventory.len(),
                recorded: first_info.inventory_digest.clone(),
                computed,
            });
        }
    } else if inventory.len() > first_info.inventory_devices {
        return Err(MergeError::InventoryMismatch {
            expected: first_info.inventory_devices,
            actual: inventory.len(),
            recorded: first_info.inventory_digest.clone(),
            computed: devices_digest(inventory.iter().copied()),
        });
    }

    // The summaries are added up, not recounted: a device's listing may be folded, and its summary counts
    // every finding. Trust findings (about the audit host's catalogs) are the same in every shard, so they
    // are taken out of each summary, de-duplicated, and counted once.
    let mut summary = Summary::default();
    let mut trust: Vec<Finding> = Vec::new();
    let mut devices: Vec<DeviceReport> = Vec::new();
    let mut shards = Vec::new();
    for (&index, input) in &by_index {
        let r = &input.report;
        let part = device_part(input)?;
        add(&mut summary, &part);
        for f in &r.trust {
            if !trust.contains(f) {
                trust.push(f.clone());
            }
        }
        devices.extend(r.devices.iter().cloned());
        shards.push(MergedShard {
            index,
            source: input.source.clone(),
            devices: r.devices.len(),
            devices_digest: r
                .shard
                .as_ref()
                .map(|s| s.devices_digest.clone())
                .unwrap_or_default(),
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
        });
    }
    devices.sort_by(|a, b| a.device.cmp(&b.device));
    for f in &trust {
        summary.count(f);
    }
    let started_at = by_index
        .values()
        .map(|i| i.report.started_at.clone())
        .min()
        .unwrap_or_default();
    let finished_at = by_index
        .values()
        .map(|i| i.report.finished_at.clone())
        .max()
        .unwrap_or_default();
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        tool_version: first_report.tool_version.clone(),
        command: "audit".into(),
        started_at,
        finished_at,
        fail_on: first_report.fail_on,
        summary,
        trust,
        ledger_head: first_report.ledger_head.clone(),
        shard: None,
        merged: Some(Merged {
            count,
            group: first_info.group.clone(),
            inventory_devices: first_info.inventory_devices,
            inventory_digest: first_info.inventory_digest.clone(),
            shards,
            missing,
        }),
        devices,
    })
}

/// One report's own checks: a shard report of `audit` whose devices all hash to its shard, whose device
/// list digests to what it recorded, and whose summary counts its devices.
fn check_one(input: &Input) -> Result<&ShardInfo, MergeError> {
    let r = &input.report;
    let source = || input.source.clone();
    if r.merged.is_some() {
        return Err(MergeError::AlreadyMerged { report: source() });
    }
    let info = r
        .shard
        .as_ref()
        .ok_or_else(|| MergeError::NotAShard { report: source() })?;
    if r.command != "audit" {
        return Err(MergeError::NotAnAudit {
            report: source(),
            command: crate::sanitize::display_line(&r.command, 40),
        });
    }
    if r.schema_version != SCHEMA_VERSION {
        return Err(MergeError::Differs {
            report: source(),
            first: "this netattest".into(),
            what: "the schema version",
            expected: SCHEMA_VERSION.to_string(),
            actual: r.schema_version.to_string(),
        });
    }
    if Shard::new(info.index, info.count).is_err() {
        return Err(MergeError::BadShard {
            report: source(),
            index: info.index,
            count: info.count,
        });
    }
    for d in &r.devices {
        let expected = assign(&d.device, info.count);
        if expected != info.index {
            return Err(MergeError::WrongShard {
                report: source(),
                device: crate::sanitize::display_line(&d.device, 80),
                count: info.count,
                expected,
                actual: info.index,
            });
        }
    }
    let computed = devices_digest(
        r.devices
            .iter()
            .filter(|d| d.outcome != Outcome::Missing)
            .map(|d| d.device.as_str()),
    );
    if computed != info.devices_digest {
        return Err(MergeError::DigestMismatch {
            report: source(),
            recorded: crate::sanitize::display_line(&info.devices_digest, 80),
            computed,
        });
    }
    // Consensus facts only for the shard's own devices, once each: a report cannot vote for devices it
    // did not check, or twice for one.
    let mut voted = std::collections::BTreeSet::new();
    for p in &info.peers {
        if !r.devices.iter().any(|d| d.device == p.device) || !voted.insert(p.device.as_str()) {
            return Err(MergeError::Inconsistent {
                report: source(),
                reason: format!(
                    "consensus facts for {}, which is not one of its devices or is there twice",
                    crate::sanitize::display_line(&p.device, 80)
                ),
            });
        }
    }
    Ok(info)
}

/// The part of a shard's summary that is about its devices (the trust findings taken out), checked against
/// the devices it lists.
fn device_part(input: &Input) -> Result<Summary, MergeError> {
    let r = &input.report;
    let bad = |reason: String| MergeError::Inconsistent {
        report: input.source.clone(),
        reason,
    };
    let s = &r.summary;
    let complete = r.devices.iter().filter(|d| d.outcome.is_complete()).count();
    if s.devices != r.devices.len()
        || s.complete != complete
        || s.incomplete != s.devices - complete
    {
        return Err(bad(format!(
            "its summary counts {} device(s), {} complete and {} not, it lists {} with {complete} complete",
            s.devices,
            s.complete,
            s.incomplete,
            r.devices.len()
        )));
    }
    let by_severity = [s.critical, s.high, s.medium, s.low, s.info]
        .iter()
        .try_fold(0usize, |a, &b| a.checked_add(b));
    if by_severity != Some(s.findings) {
        return Err(bad(format!(
            "its summary counts {} finding(s), and a different number by severity",
            s.findings
        )));
    }
    let by_code = s.codes.values().try_fold(0usize, |a, &b| a.checked_add(b));
    if !s.codes.is_empty() && by_code != Some(s.findings) {
        return Err(bad(format!(
            "its summary counts {} finding(s), and a different number by code",
            s.findings
        )));
    }
    let mut part = s.clone();
    for f in &r.trust {
        if let Some(n) = part.codes.get_mut(&f.code) {
            *n = n
                .checked_sub(1)
                .ok_or_else(|| bad("its summary counts fewer findings than it lists".into()))?;
            if *n == 0 {
                part.codes.remove(&f.code);
            }
        }
        let slot = match f.severity {
            Severity::Critical => &mut part.critical,
            Severity::High => &mut part.high,
            Severity::Medium => &mut part.medium,
            Severity::Low => &mut part.low,
            Severity::Info => &mut part.info,
        };
        *slot = slot
            .checked_sub(1)
            .ok_or_else(|| bad("its summary counts fewer findings than it lists".into()))?;
        part.findings -= 1;
    }
    // Each listed finding stands for at least one counted one (a folded listing for more).
    let listed: usize = r.devices.iter().map(|d| d.findings.len()).sum();
    if part.findings < listed {
        return Err(bad(format!(
            "its summary counts {} device finding(s), it lists {listed}",
            part.findings
        )));
    }
    Ok(part)
}

/// Adds fleet consensus findings (judged over every shard's peers) to the devices they are about: listed
/// (folded past [`crate::report::MAX_LISTED`] like any listing) and counted.
pub fn add_fleet_findings(report: &mut Report, findings: Vec<Finding>) {
    for f in findings {
        let Some(d) = report.devices.iter_mut().find(|d| d.device == f.device) else {
            continue;
        };
        report.summary.count(&f);
        let mut listed = std::mem::take(&mut d.findings);
        listed.push(f);
        d.findings = crate::report::fold(listed, crate::report::MAX_LISTED);
    }
}

/// Every shard's consensus facts and the severity their findings get, from reports [`merge`] accepted.
pub fn peers_of(inputs: &[Input]) -> (Vec<PeerFacts>, Severity) {
    let peers = inputs
        .iter()
        .filter_map(|i| i.report.shard.as_ref())
        .flat_map(|s| s.peers.iter().cloned())
        .collect();
    let severity = inputs
        .first()
        .and_then(|i| i.report.shard.as_ref())
        .map_or(Code::FleetOutlier.default_severity(), |s| {
            s.fleet_outlier_severity
        });
    (peers, severity)
}

/// Saturating: the counts come from files, and a huge one must not overflow (it was checked against the
/// listing only from below).
fn add(total: &mut Summary, part: &Summary) {
    for (t, p) in [
        (&mut total.devices, part.devices),
        (&mut total.complete, part.complete),
        (&mut total.incomplete, part.incomplete),
        (&mut total.findings, part.findings),
        (&mut total.critical, part.critical),
        (&mut total.high, part.high),
        (&mut total.medium, part.medium),
        (&mut total.low, part.low),
        (&mut total.info, part.info),
        (&mut total.fully_verified, part.fully_verified),
        (&mut total.partly_verified, part.partly_verified),
    ] {
        *t = t.saturating_add(p);
    }
    for (code, n) in &part.codes {
        let t = total.codes.entry(*code).or_default();
        *t = t.saturating_add(*n);
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
