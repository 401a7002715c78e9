//! Spot checks (`pull = "spot"`) through the real binary: a device that patches its image and answers every
//! whole-file hash command with the enrolled digest passes an on-drift check, and is caught by chunks read
//! at random offsets, within the documented number of runs.

use netattest::lab::{LabOptions, Persona, Scenario};

use crate::support::LabEnv;

/// A Linux lab device with a 4 MiB image (4 chunks; the lab's patch touches one of them), enrolled (a
/// full pull records the chunk map), then patched and lying.
fn lying(extra_defaults: &str) -> LabEnv {
    let env = LabEnv::start_options(
        LabOptions {
            devices: 1,
            personas: vec![Persona::Linux],
            image_size: 4 << 20,
            ..LabOptions::default()
        },
        extra_defaults,
    );
    env.enroll_all();
    env.apply("lab-01", Scenario::LyingDevice);
    env
}

fn finding<'a>(report: &'a serde_json::Value, code: &str) -> Option<&'a serde_json::Value> {
    crate::support::device_entry(report, "lab-01")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
}

#[test]
fn a_device_that_lies_about_its_hash_passes_on_drift_and_is_caught_by_a_spot_check() {
    let env = lying("");
    // The device's own answer is the enrolled digest, so on-drift does not pull: the lie holds.
    let trusted = env.run(&["check", "lab-01", "--pull", "on-drift", "--format", "json"]);
    assert_eq!(trusted.code, 0, "{trusted:?}");

    // spot_chunks defaults to 8, more than the image's 4 chunks: every chunk is read.
    let spot = env.run(&["check", "lab-01", "--pull", "spot", "--format", "json"]);
    assert_eq!(spot.code, 1, "{spot:?}");
    let report = spot.json();
    let f = finding(&report, "spot-check-mismatch").unwrap_or_else(|| panic!("{report}"));
    assert_eq!(f["severity"], "critical");
    assert!(
        f["actual"]
            .as_str()
            .unwrap()
            .starts_with("1 of 4 chunks read differ: chunk 1 (0x00100000-0x001fffff)"),
        "{f}"
    );
    let facts = &crate::support::device_entry(&report, "lab-01")["facts"];
    assert_eq!(
        facts["spot_check"],
        "4 of 4 chunks read at random offsets by sftp: 4194304 of 4194304 bytes (100.0 % of a full pull)",
        "{facts}"
    );
    assert!(
        facts.get("pulled_by").is_none(),
        "nothing was pulled whole: {facts}"
    );
}

#[test]
fn one_chunk_per_run_finds_the_patch_within_the_documented_runs_and_reads_a_quarter_of_the_image() {
    // K = 1 of n = 4 chunks, the patch in c = 1: caught with probability 1/4 per run, so within r runs with
    // probability 1 - (3/4)^r; 60 runs leave a miss at 3e-8.
    let env = lying("spot_chunks = 1\n");
    let mut clean_runs = 0;
    let caught = (1..=60).find(|_| {
        let r = env.run(&["check", "lab-01", "--pull", "spot", "--format", "json"]);
        let report = r.json();
        let facts = &crate::support::device_entry(&report, "lab-01")["facts"];
        assert!(
            facts["spot_check"].as_str().unwrap().starts_with(
                "1 of 4 chunks read at random offsets by sftp: 1048576 of 4194304 bytes (25.0 %"
            ),
            "{facts}"
        );
        if r.code == 1 {
            assert!(
                finding(&report, "spot-check-mismatch").is_some(),
                "{report}"
            );
            true
        } else {
            assert_eq!(r.code, 0, "{r:?}");
            clean_runs += 1;
            false
        }
    });
    assert!(
        caught.is_some(),
        "60 runs of one random chunk never read the patched one"
    );
    assert!(clean_runs < 60);
}
