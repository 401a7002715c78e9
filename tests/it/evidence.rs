//! Run bundles through the real binary: every run is sealed and chained, `evidence verify` re-checks one
//! offline and says exactly what differs, and an exported archive verifies on a machine with only the
//! public key.

use std::path::{Path, PathBuf};

use netattest::lab::Scenario;
use netattest::trust::bundle::{self, MANIFEST};

use crate::support::{LabEnv, Run, netattest};

/// The run folders, oldest first.
fn runs(env: &LabEnv) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(env.state().join("runs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    dirs.sort();
    dirs
}

fn verify(env: &LabEnv, run: &Path) -> Run {
    env.run(&["evidence", "verify", run.to_str().unwrap()])
}

/// An audit with findings on two devices of different platforms, and its run folder.
fn audited() -> (LabEnv, PathBuf) {
    use netattest::lab::Persona;
    let env = LabEnv::start_personas(
        3,
        &[Persona::CiscoIosXe, Persona::Linux, Persona::AristaEos],
        None,
        "",
    );
    env.enroll_all();
    env.apply("lab-01", Scenario::StartupConfigChanged);
    env.apply("lab-02", Scenario::ToolCopied);
    let audit = env.run(&["audit", "--format", "json"]);
    assert_eq!(audit.code, 1, "{audit:?}");
    let run = runs(&env).pop().unwrap();
    assert!(run.to_string_lossy().contains("-audit-"), "{run:?}");
    (env, run)
}

/// Rewrites the run's manifest after an edit, signed with the installation's own key: what a bug in
/// netattest, or the key's holder, could produce. Verification must still see what differs.
fn reseal(env: &LabEnv, run: &Path) {
    let state = netattest::trust::state::StateDir::new(env.state());
    let signer = state.signer().unwrap();
    let bytes = std::fs::read(run.join(MANIFEST)).unwrap();
    let mut m = bundle::open_manifest(&signer, &bytes).unwrap();
    for f in &mut m.file {
        let b = std::fs::read(run.join(&f.path)).unwrap();
        f.sha256 = netattest::digest::sha256_hex(&b);
        f.bytes = b.len() as u64;
    }
    std::fs::write(
        run.join(MANIFEST),
        bundle::seal_manifest(&signer, &m).unwrap(),
    )
    .unwrap();
}

#[test]
fn an_audit_bundle_verifies_offline_and_gives_the_same_findings_again() {
    let (env, run) = audited();
    for part in [
        "report.json",
        "manifest.toml",
        "transcripts/lab-01.json",
        "evidence/lab-01.json",
        "inputs/settings.json",
        "inputs/catalog.toml",
        "inputs/profiles/cisco-iosxe.toml",
        "inputs/profiles/linux.toml",
    ] {
        assert!(run.join(part).is_file(), "{part} missing in {run:?}");
    }
    let baselines = run.join("inputs/baselines/lab-01");
    assert!(baselines.join("000001.toml").is_file());

    let ok = env.run(&[
        "evidence",
        "verify",
        run.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let v = ok.json();
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["devices_rejudged"], 3, "{v}");
    assert_eq!(v["devices_reparsed"], 3, "{v}");
}

#[test]
fn one_edited_byte_a_planted_file_or_a_removed_finding_fails_verification_with_the_reason() {
    let (env, run) = audited();
    let original = run.with_file_name("original");
    copy(&run, &original);

    // One byte of a transcript.
    let t = run.join("transcripts/lab-01.txt");
    let mut bytes = std::fs::read(&t).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&t, bytes).unwrap();
    let r = verify(&env, &run);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("FAIL transcripts/lab-01.txt: SHA-256"),
        "{}",
        r.stdout
    );

    // A file added after sealing.
    copy(&original, &run);
    std::fs::write(run.join("evidence/extra.json"), "{}").unwrap();
    let r = verify(&env, &run);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("evidence/extra.json: not in the manifest"),
        "{}",
        r.stdout
    );

    // A finding removed from the report: the digest says so.
    copy(&original, &run);
    let report_path = run.join("report.json");
    let mut report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    let lab01 = report["devices"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|d| d["device"] == "lab-01")
        .unwrap();
    let findings = lab01["findings"].as_array_mut().unwrap();
    let removed = findings.remove(0);
    std::fs::write(&report_path, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    let r = verify(&env, &run);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("FAIL report.json: SHA-256"),
        "{}",
        r.stdout
    );

    // Even re-signed with the installation's key, judging the evidence again finds the missing finding.
    reseal(&env, &run);
    let r = verify(&env, &run);
    assert_eq!(r.code, 1, "{r:?}");
    let code = removed["code"].as_str().unwrap();
    assert!(
        r.stdout
            .contains("lab-01: judging the recorded evidence again")
            && r.stdout.contains(&format!("the report lacks: [{code}")),
        "{}",
        r.stdout
    );

    // A recorded fact the transcript does not carry.
    copy(&original, &run);
    let ev_path = run.join("evidence/lab-01.json");
    let mut ev: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&ev_path).unwrap()).unwrap();
    ev["identity"]["serial"] = "FAKE0000".into();
    std::fs::write(&ev_path, serde_json::to_vec_pretty(&ev).unwrap()).unwrap();
    reseal(&env, &run);
    let r = verify(&env, &run);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("lab-01: the recorded serial `FAKE0000` is not what the transcript says"),
        "{}",
        r.stdout
    );

    // Untouched, it verifies.
    copy(&original, &run);
    assert_eq!(verify(&env, &run).code, 0);
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn runs_form_a_chain_and_a_removed_run_breaks_it() {
    let env = LabEnv::start(1);
    env.enroll_all();
    for _ in 0..3 {
        assert_eq!(env.run(&["check", "lab-01"]).code, 0);
    }
    let all = runs(&env);
    assert_eq!(all.len(), 4, "enroll and three checks: {all:?}");
    for run in &all {
        let r = verify(&env, run);
        assert_eq!(r.code, 0, "{run:?}: {r:?}");
    }
    let sequences: Vec<u64> = all
        .iter()
        .map(|r| {
            let state = netattest::trust::state::StateDir::new(env.state());
            bundle::open_manifest(
                &state.signer().unwrap(),
                &std::fs::read(r.join(MANIFEST)).unwrap(),
            )
            .unwrap()
            .sequence
        })
        .collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    let last = verify(&env, &all[3]);
    let prev_name = all[2].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        last.stdout.contains(&format!("links to run {prev_name}")),
        "{}",
        last.stdout
    );

    // Removing a run from the middle: the next one's link names a run that is gone while older ones stay.
    std::fs::remove_dir_all(&all[2]).unwrap();
    let r = verify(&env, &all[3]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("is gone while older runs are kept"),
        "{}",
        r.stdout
    );

    // Retention prunes the oldest only: that is a note, not a failure.
    std::fs::remove_dir_all(&all[0]).unwrap();
    std::fs::remove_dir_all(&all[1]).unwrap();
    let r = verify(&env, &all[3]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("was pruned by retention"), "{}", r.stdout);
}

#[test]
fn an_exported_archive_verifies_with_only_the_public_key_and_not_with_another() {
    let (env, run) = audited();
    let archive = env.state().with_file_name("incident.tar");
    let out = env.run(&[
        "evidence",
        "export",
        run.file_name().unwrap().to_str().unwrap(),
        "-o",
        archive.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{out:?}");

    // Another machine: no config, no state directory, only the archive.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("incident.tar");
    std::fs::copy(&archive, &copy).unwrap();
    let r = Run::from(
        netattest()
            .current_dir(elsewhere.path())
            .env("HOME", elsewhere.path())
            .env("XDG_STATE_HOME", elsewhere.path())
            .args(["evidence", "verify", copy.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("the key the archive carries"),
        "{}",
        r.stdout
    );

    // With the installation's key given, the same; with another key, refused.
    let state = netattest::trust::state::StateDir::new(env.state());
    let ours = elsewhere.path().join("ours.pub");
    std::fs::write(&ours, state.signer().unwrap().public_openssh()).unwrap();
    let theirs = elsewhere.path().join("theirs");
    crate::support::sshd::keygen(&theirs, "someone else");
    for (key, code) in [(ours.clone(), 0), (theirs.with_extension("pub"), 1)] {
        let r = Run::from(
            netattest()
                .args(["evidence", "verify", copy.to_str().unwrap(), "--public-key"])
                .arg(&key)
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, code, "{key:?}: {r:?}");
    }
}
