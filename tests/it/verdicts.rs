//! Vendor catalogs in verdicts, through the real binary: a patched image is caught on day one, and a
//! change is judged against what the vendor published.

use netattest::lab::Scenario;

use crate::support::LabEnv;

/// Imports a sha512sum catalog that lists lab-01's clean IOS-XE image.
fn import_clean_image(env: &LabEnv) {
    let dev = env
        .lab()
        .devices()
        .into_iter()
        .find(|d| d.name == "lab-01")
        .unwrap();
    let file = dev.running_image.rsplit(':').next().unwrap().to_owned();
    let sums = env.dir.path().join(format!("{file}.sha512sum"));
    std::fs::write(&sums, format!("{}  {file}\n", dev.image_sha512)).unwrap();
    let r = env.run(&[
        "catalog",
        "import",
        sums.to_str().unwrap(),
        "--vendor",
        "cisco",
        "--platform",
        "cisco-iosxe",
        "--version",
        "17.09.04a",
        "--name",
        "cisco-iosxe",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_device_already_patched_at_enrollment_is_caught_on_day_one_and_not_enrolled() {
    let env = LabEnv::start(2);
    import_clean_image(&env);
    env.apply("lab-01", Scenario::PatchedImage);
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["image-vendor-mismatch"]);
    assert_eq!(r.outcome("lab-01"), "unverified");
    assert!(!env.state().join("baselines/lab-01/current.toml").exists());
}

#[test]
fn a_patch_after_enrollment_is_drift_and_a_vendor_mismatch() {
    let env = LabEnv::start(2);
    import_clean_image(&env);
    env.enroll_all();
    let clean = env.run(&["audit", "--format", "json"]);
    assert_eq!(
        clean.code, 0,
        "known-good images and an uncovered platform say nothing: {clean:?}"
    );
    env.apply("lab-01", Scenario::PatchedImage);
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.codes("lab-01"),
        vec!["image-drift", "image-vendor-mismatch"]
    );
    let report = r.json();
    let mismatch = crate::support::device_entry(&report, "lab-01")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "image-vendor-mismatch")
        .unwrap()
        .clone();
    assert_eq!(mismatch["severity"], "critical");
    assert!(
        mismatch["expected"].as_str().unwrap().contains("17.09.04a"),
        "{mismatch}"
    );
}
