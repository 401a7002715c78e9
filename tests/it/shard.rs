//! Sharded audits against the lab: `audit --shard K/N` on one state directory, and `report merge`.
//!
//! With two shards the lab's names split as shard 0 = lab-03, lab-04 and shard 1 = lab-01, lab-02, lab-05
//! (fixed by the hash; `src/shard.rs` tests the assignment itself).

use std::path::{Path, PathBuf};

use netattest::lab::Scenario;

use crate::support::{LabEnv, Run, netattest};

fn names(report: &serde_json::Value) -> Vec<String> {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap().to_owned())
        .collect()
}

fn outcomes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device"].as_str().unwrap().to_owned(),
                d["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs both shards of two, each writing its JSON report to `<dir>/shard-K.json`; returns their runs.
fn audit_shards(env: &LabEnv, extra: &[&str]) -> (Vec<Run>, Vec<PathBuf>) {
    let mut runs = Vec::new();
    let mut files = Vec::new();
    for k in 0..2 {
        let out = env.dir.path().join(format!("shard-{k}.json"));
        let shard = format!("{k}/2");
        let mut args = vec!["audit", "--shard", &shard, "--format", "json", "--output"];
        let out_s = out.to_str().unwrap().to_owned();
        args.push(&out_s);
        args.extend_from_slice(extra);
        runs.push(env.run(&args));
        files.push(out);
    }
    (runs, files)
}

fn merge(env: &LabEnv, inputs: &[&Path], format: &str) -> Run {
    let mut args: Vec<String> = vec!["report".into(), "merge".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--format".into(), format.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
}

#[test]
fn two_shards_merge_into_the_unsharded_audits_devices_and_exit_code() {
    let env = LabEnv::start(5);
    env.enroll_all();
    for scenario in [None, Some(Scenario::PatchedImage)] {
        if let Some(s) = scenario {
            env.apply("lab-03", s);
        }
        let whole = env.run(&["audit", "--format", "json"]);
        let (shards, files) = audit_shards(&env, &[]);
        let shard_names: Vec<Vec<String>> = files.iter().map(|f| names(&read_json(f))).collect();
        assert_eq!(shard_names[0], ["lab-03", "lab-04"], "{shards:?}");
        assert_eq!(shard_names[1], ["lab-01", "lab-02", "lab-05"], "{shards:?}");
        let s0 = read_json(&files[0]);
        assert_eq!(s0["shard"]["index"], 0);
        assert_eq!(s0["shard"]["count"], 2);
        assert!(
            s0["shard"]["devices_digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        let merged = merge(&env, &[&files[0], &files[1]], "json");
        assert_eq!(
            merged.code, whole.code,
            "{scenario:?}: {merged:?} vs {whole:?}"
        );
        let (m, w) = (merged.json(), whole.json());
        assert_eq!(outcomes(&m), outcomes(&w), "{scenario:?}");
        assert_eq!(m["ledger_head"], w["ledger_head"]);
        assert_eq!(m["merged"]["count"], 2);
        assert_eq!(m["summary"], w["summary"], "{scenario:?}");
        for d in names(&w) {
            assert_eq!(merged.codes(&d), whole.codes(&d), "{scenario:?} {d}");
        }
        match scenario {
            None => assert_eq!(whole.code, 0, "{whole:?}"),
            Some(_) => {
                assert_eq!(whole.code, 1, "{whole:?}");
                // Shard 0 holds one of the three IOS-XE devices: the outlier among them is judged at the
                // merge, over every shard's peers, and not by the shard.
                assert_eq!(merged.codes("lab-03"), ["fleet-outlier", "image-drift"]);
                let s0 = read_json(&files[0]);
                assert!(
                    !s0.to_string().contains("fleet-outlier"),
                    "a shard judges no consensus"
                );
                assert_eq!(shards[0].code, 1, "the shard holding lab-03 fails");
                assert_eq!(shards[1].code, 0, "the other one is clean");
            }
        }
    }
    // The run archive keeps each shard's report under its own name; a run folder merges like its file.
    let runs = env.state().join("runs");
    let folder = |k: u32| -> PathBuf {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.to_string_lossy()
                    .contains(&format!("-audit-shard{k}of2-"))
            })
            .collect();
        found.sort();
        found.pop().unwrap_or_else(|| panic!("no run of shard {k}"))
    };
    let text = merge(&env, &[&folder(1), &folder(0)], "text");
    assert_eq!(text.code, 1, "{text:?}");
    assert!(text.stdout.contains("merged 2 of 2 shard(s)"), "{text:?}");
    assert!(text.stdout.contains("audit: 5 device(s)"), "{text:?}");
}

#[test]
fn a_merge_with_a_missing_shard_is_incomplete_and_names_it() {
    let env = LabEnv::start(5);
    env.enroll_all();
    let (runs, files) = audit_shards(&env, &[]);
    assert!(runs.iter().all(|r| r.code == 0), "{runs:?}");
    let merged = merge(&env, &[&files[1]], "json");
    assert_eq!(merged.code, 3, "{merged:?}");
    assert!(
        merged
            .stderr
            .contains("shard 0/2 is missing: its devices were not checked"),
        "{merged:?}"
    );
    let m = merged.json();
    assert_eq!(m["merged"]["missing"], serde_json::json!([0]));
    assert_eq!(names(&m), ["lab-01", "lab-02", "lab-05"]);
    // Every format says so: the Prometheus exit-code gauge and SARIF's failed invocation.
    let prom = merge(&env, &[&files[1]], "prometheus");
    assert!(
        prom.stdout
            .contains("netattest_run_exit_code{command=\"audit\"} 3"),
        "{prom:?}"
    );
    let sarif = merge(&env, &[&files[1]], "sarif").json();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false, "{invocation}");
    assert!(
        invocation.to_string().contains("shard 0/2 missing"),
        "{invocation}"
    );
    // A folder of shard reports, as the scheduled jobs leave them: one shard's report is from an earlier
    // run (its shard failed this time), and --max-age leaves it out as missing instead of merging it.
    let folder = env.dir.path().join("shards");
    std::fs::create_dir(&folder).unwrap();
    let mut old = read_json(&files[0]);
    old["finished_at"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(folder.join("shard-0.json"), old.to_string()).unwrap();
    std::fs::copy(&files[1], folder.join("shard-1.json")).unwrap();
    let all = merge(&env, &[&folder], "json");
    assert_eq!(all.code, 0, "without --max-age the old one counts: {all:?}");
    let fresh = env.run(&[
        "report",
        "merge",
        folder.to_str().unwrap(),
        "--max-age",
        "1h",
        "--format",
        "json",
    ]);
    assert_eq!(fresh.code, 3, "{fresh:?}");
    assert!(
        fresh
            .stderr
            .contains("shard-0.json finished at 2020-01-01T00:00:00Z"),
        "{fresh:?}"
    );
    assert!(fresh.stderr.contains("shard 0/2 is missing"), "{fresh:?}");
    // The same shard twice is refused, not counted as two.
    let twice = merge(&env, &[&files[1], &files[1]], "json");
    assert_eq!(twice.code, 2, "{twice:?}");
    assert!(twice.stderr.contains("shard 1 given twice"), "{twice:?}");
}

#[test]
fn a_device_gone_from_the_inventory_is_reported_missing_by_exactly_one_shard() {
    let env = LabEnv::start(5);
    env.enroll_all();
    // lab-05 leaves the inventory without being retired.
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    let kept: Vec<&str> = text
        .split("[[device]]")
        .filter(|block| !block.contains("name = \"lab-05\""))
        .collect();
    std::fs::write(&inventory, kept.join("[[device]]")).unwrap();
    let whole = env.run(&["audit", "--format", "json"]);
    assert_eq!(whole.code, 3, "{whole:?}");
    assert_eq!(whole.outcome("lab-05"), "missing");
    let (_, files) = audit_shards(&env, &[]);
    let shard0 = read_json(&files[0]);
    let shard1 = read_json(&files[1]);
    assert!(!names(&shard0).contains(&"lab-05".to_string()), "{shard0}");
    assert!(names(&shard1).contains(&"lab-05".to_string()), "{shard1}");
    let merged = merge(&env, &[&files[0], &files[1]], "json");
    assert_eq!(merged.code, 3, "{merged:?}");
    assert_eq!(outcomes(&merged.json()), outcomes(&whole.json()));
    assert_eq!(merged.json()["summary"], whole.json()["summary"]);
}

#[test]
fn shards_run_concurrently_on_one_state_directory_while_another_process_holds_the_writers_lock() {
    let env = LabEnv::start(5);
    env.enroll_all();
    // An enrollment or approval elsewhere holds the lock: audits only read baselines and the ledger, so
    // neither shard waits for it (a writer would wait up to two minutes).
    let state = netattest::trust::state::StateDir::new(env.state());
    let lock = state.lock().expect("the lock is free");
    let started = std::time::Instant::now();
    let children: Vec<_> = (0..2)
        .map(|k| {
            netattest()
                .arg("--config")
                .arg(env.config())
                .args([
                    "-q",
                    "audit",
                    "--shard",
                    &format!("{k}/2"),
                    "--format",
                    "json",
                ])
                .arg("--output")
                .arg(env.dir.path().join(format!("c-{k}.json")))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    let took = started.elapsed();
    drop(lock);
    assert!(runs.iter().all(|r| r.code == 0), "{runs:?}");
    assert!(
        took < std::time::Duration::from_secs(60),
        "the shards waited for the lock: {took:?}"
    );
    let files: Vec<PathBuf> = (0..2)
        .map(|k| env.dir.path().join(format!("c-{k}.json")))
        .collect();
    let merged = merge(&env, &[&files[0], &files[1]], "json");
    assert_eq!(merged.code, 0, "{merged:?}");
    assert_eq!(merged.json()["summary"]["complete"], 5);
    // Both archived their run, under their own names, and left nothing half-written.
    let archived: Vec<String> = std::fs::read_dir(env.state().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for k in 0..2 {
        assert!(
            archived
                .iter()
                .any(|n| n.contains(&format!("-audit-shard{k}of2-"))),
            "{archived:?}"
        );
    }
    assert!(
        !archived.iter().any(|n| n.starts_with(".partial-")),
        "{archived:?}"
    );
    let verify = env.run(&["state", "verify"]);
    assert_eq!(verify.code, 0, "{verify:?}");
    // Both runs were sealed into the one chain, and each re-checks offline: a shard's bundle records that
    // it judged no fleet consensus.
    for name in archived.iter().filter(|n| n.contains("-audit-shard")) {
        let run = env.state().join("runs").join(name);
        let check = env.run(&["evidence", "verify", run.to_str().unwrap()]);
        assert_eq!(check.code, 0, "{name}: {check:?}");
    }
}

#[test]
fn garbage_oversized_and_unsharded_reports_are_refused_with_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let run = |paths: &[&Path]| {
        Run::from(
            netattest()
                .args(["report", "merge"])
                .args(paths)
                .output()
                .unwrap(),
        )
    };
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, b"\x1b[2J{\"schema_version\": \"x\x07\"").unwrap();
    let r = run(&[&garbage]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a netattest JSON report"), "{r:?}");
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'),
        "{r:?}"
    );
    // A sparse file one byte past the bound: refused by size, read only up to it.
    let huge = dir.path().join("huge.json");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(netattest::trust::runs::MAX_REPORT_BYTES + 1)
        .unwrap();
    let r = run(&[&huge]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("larger than"), "{r:?}");
    let folder = dir.path().join("runs/empty");
    std::fs::create_dir_all(&folder).unwrap();
    let r = run(&[&folder]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("report.json"), "{r:?}");
    // A whole (unsharded) audit's report is not a shard.
    let env = LabEnv::start(2);
    env.enroll_all();
    let out = env.dir.path().join("whole.json");
    let whole = env.run(&[
        "audit",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(whole.code, 0, "{whole:?}");
    let r = run(&[&out]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a shard report"), "{r:?}");
}

#[test]
fn a_shard_value_out_of_range_is_a_usage_error() {
    let env = LabEnv::start(1);
    for bad in ["2/2", "1/0", "x/2", "1"] {
        let r = env.run(&["audit", "--shard", bad]);
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        assert!(r.stderr.contains("K/N"), "{bad}: {r:?}");
    }
    // More shards than devices: the empty shard still reports (and exits 0), so a merge sees it.
    env.enroll_all();
    let r = env.run(&["audit", "--shard", "0/8", "--format", "json"]);
    let r2 = env.run(&["audit", "--shard", "7/8", "--format", "json"]);
    let sizes = [
        r.json()["summary"]["devices"].clone(),
        r2.json()["summary"]["devices"].clone(),
    ];
    assert!(r.code == 0 && r2.code == 0, "{r:?} {r2:?}");
    assert!(sizes.iter().all(|s| s.as_u64().unwrap() <= 1), "{sizes:?}");
}
