use super::*;
use crate::report::finding::Code;

fn dev(name: &str, outcome: Outcome, findings: Vec<Finding>) -> DeviceReport {
    DeviceReport {
        device: name.into(),
        platform: "linux".into(),
        address: "127.0.0.1:22".into(),
        outcome,
        detail: None,
        facts: None,
        findings,
        duration_ms: 1,
    }
}

fn inventory() -> Vec<String> {
    (0..12).map(|i| format!("sw-{i:02}")).collect()
}

/// Shard `index` of `count` over `names`, every device verified and clean unless `tweak` says otherwise.
fn shard_report(
    names: &[String],
    index: u32,
    count: u32,
    tweak: &dyn Fn(&str) -> DeviceReport,
) -> Input {
    let shard = Shard::new(index, count).unwrap();
    let devices = names
        .iter()
        .filter(|n| shard.owns(n))
        .map(|n| tweak(n))
        .collect();
    let report = Report::new(
        "audit",
        format!("2026-12-03T10:0{index}:00Z"),
        Severity::Low,
        devices,
    )
    .with_shard(Some(ShardInfo::new(
        shard,
        None,
        names.iter().map(String::as_str),
    )));
    Input {
        source: format!("shard-{index}.json"),
        report,
    }
}

fn clean(n: &str) -> DeviceReport {
    dev(n, Outcome::Verified, vec![])
}

fn all_shards(count: u32) -> Vec<Input> {
    (0..count)
        .map(|i| shard_report(&inventory(), i, count, &clean))
        .collect()
}

#[test]
fn every_shard_merged_lists_every_device_once_with_one_summary() {
    for count in 1..=5 {
        let merged = merge(all_shards(count)).unwrap();
        let names: Vec<&str> = merged.devices.iter().map(|d| d.device.as_str()).collect();
        let mut expected = inventory();
        expected.sort();
        assert_eq!(names, expected, "N={count}");
        assert_eq!(merged.summary.devices, 12);
        assert_eq!(merged.summary.complete, 12);
        assert_eq!(merged.exit_code(), 0);
        let m = merged.merged.as_ref().unwrap();
        assert!(m.missing.is_empty());
        assert_eq!(m.shards.len(), count as usize);
        assert!(merged.shard.is_none());
        assert_eq!(merged.started_at, "2026-12-03T10:00:00Z");
    }
}

#[test]
fn the_merged_exit_code_comes_from_every_shards_findings_and_outcomes() {
    let target = inventory()[3].clone();
    let owner = assign(&target, 3);
    let with = |outcome: Outcome, findings: bool| {
        (0..3)
            .map(|i| {
                let t = target.clone();
                shard_report(&inventory(), i, 3, &move |n| {
                    if n == t {
                        let f = if findings {
                            vec![Finding::new(Code::ImageDrift, n, "bootflash:x.bin")]
                        } else {
                            vec![]
                        };
                        dev(n, outcome, f)
                    } else {
                        clean(n)
                    }
                })
            })
            .collect::<Vec<_>>()
    };
    let drift = merge(with(Outcome::Verified, true)).unwrap();
    assert_eq!(drift.exit_code(), 1, "shard {owner} found drift");
    assert_eq!(drift.summary.critical, 1);
    let down = merge(with(Outcome::Timeout, false)).unwrap();
    assert_eq!(down.exit_code(), 3);
    assert_eq!(down.summary.incomplete, 1);
}

#[test]
fn a_missing_shard_makes_the_merge_incomplete_and_is_named() {
    let mut shards = all_shards(3);
    let gone = shards.remove(1);
    let merged = merge(shards).unwrap();
    assert_eq!(merged.merged.as_ref().unwrap().missing, vec![1]);
    assert_eq!(merged.exit_code(), 3, "never a smaller clean report");
    assert_eq!(
        merged.summary.devices,
        12 - gone.report.devices.len(),
        "only what was checked is listed"
    );
    let mut text = Vec::new();
    crate::report::render(
        &merged,
        crate::report::Format::Text,
        Default::default(),
        &mut text,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("shard 1/3 MISSING"), "{text}");
    // Findings still win over incompleteness, as in any report.
    let mut shards = all_shards(3);
    shards.remove(1);
    let n = shards[0].report.devices[0].device.clone();
    shards[0] = shard_report(&inventory(), 0, 3, &|d| {
        if d == n {
            dev(
                d,
                Outcome::Verified,
                vec![Finding::new(Code::SerialChanged, d, "serial")],
            )
        } else {
            clean(d)
        }
    });
    assert_eq!(merge(shards).unwrap().exit_code(), 1);
}

#[test]
fn folded_findings_and_shared_trust_findings_are_counted_as_in_one_report() {
    let first = inventory().into_iter().find(|n| assign(n, 2) == 0).unwrap();
    let mut shards: Vec<Input> = (0..2)
        .map(|i| {
            let f = first.clone();
            shard_report(&inventory(), i, 2, &move |n| {
                if n == f {
                    let many = (0..150)
                        .map(|k| Finding::new(Code::FileAdded, n, format!("flash:{k}.log")))
                        .collect();
                    dev(n, Outcome::Verified, many)
                } else {
                    clean(n)
                }
            })
        })
        .collect();
    let catalog = Finding::new(Code::CatalogSignatureInvalid, "audit host", "vendor.csv");
    for s in &mut shards {
        s.report = s.report.clone().with_trust(vec![catalog.clone()]);
    }
    let merged = merge(shards).unwrap();
    assert_eq!(merged.trust, vec![catalog], "one audit host, one finding");
    assert_eq!(merged.summary.findings, 151);
    assert_eq!(merged.summary.medium, 150);
    assert_eq!(merged.summary.critical, 1);
}

#[test]
fn a_missing_device_is_reported_by_its_own_shard_and_counted_once() {
    let gone = "retired-rtr".to_string();
    let owner = assign(&gone, 2);
    let mut shards = all_shards(2);
    let mut r = shards[owner as usize].report.clone();
    r.devices.push(dev(&gone, Outcome::Missing, vec![]));
    let info = r.shard.clone();
    shards[owner as usize].report =
        Report::new("audit", r.started_at, r.fail_on, r.devices).with_shard(info);
    let merged = merge(shards).unwrap();
    assert_eq!(merged.summary.devices, 13);
    assert_eq!(merged.summary.incomplete, 1);
    assert_eq!(merged.exit_code(), 3);
}

/// Each case edits a correct set of shard reports into one that cannot be one audit's.
#[test]
fn reports_that_are_not_one_audits_shards_are_refused_with_the_reason() {
    type Edit = fn(&mut Vec<Input>);
    let cases: &[(&str, Edit, &str)] = &[
        ("empty", |s| s.clear(), "nothing to merge"),
        (
            "same shard twice",
            |s| {
                let again = shard_report(&inventory(), 0, 3, &clean);
                s[1] = Input {
                    source: "again.json".into(),
                    ..again
                };
            },
            "shard 0 given twice: shard-0.json and again.json",
        ),
        (
            "another count",
            |s| s[1] = shard_report(&inventory(), 1, 4, &clean),
            "the shard count is 4, but shard-0.json has 3",
        ),
        (
            "another inventory",
            |s| {
                let mut more = inventory();
                more.push("new-rtr".into());
                s[2] = shard_report(&more, 2, 3, &clean);
            },
            "the inventory digest is",
        ),
        (
            "not a shard report",
            |s| s[0].report.shard = None,
            "shard-0.json: not a shard report",
        ),
        (
            "a merged report",
            |s| {
                s[0].report = merge(all_shards(3)).unwrap();
            },
            "is a merged report already",
        ),
        (
            "another command",
            |s| s[0].report.command = "check".into(),
            "a report of `check`",
        ),
        (
            "another fail_on",
            |s| s[2].report.fail_on = Severity::High,
            "fail_on is high",
        ),
        (
            "another ledger head",
            |s| {
                s[1].report.ledger_head = Some(LedgerHead {
                    sequence: 4,
                    digest: "a".repeat(64),
                });
            },
            "the baseline ledger head is 4:aaaa",
        ),
        (
            "another schema",
            |s| s[0].report.schema_version = 99,
            "the schema version is 99",
        ),
        (
            "a device copied into another shard",
            |s| {
                let d = s[0].report.devices[0].clone();
                s[1].report.devices.push(d);
            },
            "not to this shard 1",
        ),
        (
            "a device dropped from a report",
            |s| {
                s[1].report.devices.pop();
                s[1].report.summary.devices -= 1;
                s[1].report.summary.complete -= 1;
            },
            "shard-1.json: the shard's device list digest is",
        ),
        (
            "a summary that does not count the devices",
            |s| s[2].report.summary.complete = 0,
            "shard-2.json: inconsistent report: its summary counts",
        ),
        (
            "findings hidden from the summary",
            |s| {
                let n = s[0].report.devices[0].device.clone();
                s[0].report.devices[0]
                    .findings
                    .push(Finding::new(Code::ImageDrift, &n, "x"));
            },
            "it lists 1",
        ),
        (
            "an index past the count",
            |s| s[0].report.shard.as_mut().unwrap().index = 7,
            "shard 7/3 is not a shard",
        ),
    ];
    for (what, edit, says) in cases {
        let mut shards = all_shards(3);
        edit(&mut shards);
        let e = merge(shards).expect_err(what);
        assert!(e.to_string().contains(says), "{what}: {e}");
    }
}

#[test]
fn fleet_findings_added_after_the_merge_are_listed_and_counted() {
    let mut merged = merge(all_shards(2)).unwrap();
    let d = merged.devices[4].device.clone();
    let mut f = Finding::new(Code::FleetOutlier, &d, "image.bin");
    f.severity = Severity::Medium;
    add_fleet_findings(&mut merged, vec![f.clone()]);
    assert_eq!(merged.devices[4].findings, vec![f]);
    assert_eq!((merged.summary.findings, merged.summary.medium), (1, 1));
    assert_eq!(merged.exit_code(), 1);
}
