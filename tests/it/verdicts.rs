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
    assert_eq!(env.current_baseline("lab-01"), None);
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

#[test]
fn a_signed_catalog_tells_a_planned_upgrade_from_a_patch_and_a_tampered_catalog_is_not_used() {
    let env = LabEnv::start(1);
    let info = |env: &LabEnv| env.lab().devices().into_iter().next().unwrap();
    let enrolled = info(&env);
    env.apply("lab-01", Scenario::Upgrade);
    let upgraded = info(&env);
    env.apply("lab-01", Scenario::Clean);
    assert_ne!(enrolled.image_sha512, upgraded.image_sha512);

    // The team's curated catalog, one sha512sum file per release, each signed with the team's key.
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");
    let key = env.dir.path().join("team.key");
    std::fs::copy(format!("{fixtures}/ed.key"), &key).unwrap();
    let pem = env.dir.path().join("team.pem");
    let mut config = std::fs::read_to_string(env.config()).unwrap();
    for (dir, version, dev) in [
        ("xe-17-09", "17.09.04a", &enrolled),
        ("xe-17-12", "17.12.03", &upgraded),
    ] {
        let cat = env.dir.path().join(dir);
        std::fs::create_dir(&cat).unwrap();
        let file = dev.running_image.rsplit(':').next().unwrap();
        let sums = cat.join(format!("{file}.sha512sum"));
        std::fs::write(&sums, format!("{}  {file}\n", dev.image_sha512)).unwrap();
        let signed = env.run(&[
            "catalog",
            "sign",
            "--key",
            key.to_str().unwrap(),
            sums.to_str().unwrap(),
            "--public-out",
            pem.to_str().unwrap(),
        ]);
        assert_eq!(signed.code, 0, "{signed:?}");
        config.push_str(&format!(
            "\n[[catalog]]\nname = \"{dir}\"\npath = \"{dir}\"\npublic_key = \"team.pem\"\nsignature = \"ed25519\"\n\
             vendor = \"cisco\"\nplatform = \"cisco-iosxe\"\nversion = \"{version}\"\n"
        ));
    }
    std::fs::write(env.config(), config).unwrap();
    let verified = env.run(&["catalog", "verify"]);
    assert_eq!(verified.code, 0, "{verified:?}");

    env.enroll_all();
    // The planned upgrade: info only, exit 0.
    env.apply("lab-01", Scenario::Upgrade);
    let upgrade = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(upgrade.code, 0, "{upgrade:?}");
    assert_eq!(
        upgrade.codes("lab-01"),
        vec!["image-upgraded"],
        "{upgrade:?}"
    );

    // A patch of the enrolled release: critical.
    env.apply("lab-01", Scenario::Clean);
    env.apply("lab-01", Scenario::PatchedImage);
    let patched = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(patched.code, 1, "{patched:?}");
    assert_eq!(
        patched.codes("lab-01"),
        vec!["image-drift", "image-vendor-mismatch"],
        "{patched:?}"
    );

    // Someone on the audit host "blesses" the patched image in the catalog: the signature fails, the
    // catalog is not used, and that is itself critical.
    let patched_sha = info(&env).image_sha512;
    let file = enrolled.running_image.rsplit(':').next().unwrap();
    let sums = env
        .dir
        .path()
        .join("xe-17-09")
        .join(format!("{file}.sha512sum"));
    std::fs::write(&sums, format!("{patched_sha}  {file}\n")).unwrap();
    let tampered = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(tampered.code, 1, "{tampered:?}");
    let report = tampered.json();
    let text = report.to_string();
    assert!(text.contains("catalog-signature-invalid"), "{text}");
    assert!(
        tampered
            .codes("lab-01")
            .contains(&"image-drift".to_string()),
        "{tampered:?}"
    );
}

/// A 16-byte patch in a 3 MiB image is located: image-drift names the one chunk of three that changed, and
/// `baseline diff` says the same.
#[test]
fn image_drift_with_a_pull_says_which_chunk_changed() {
    let env = crate::support::LabEnv::start_options(
        netattest::lab::LabOptions {
            devices: 1,
            image_size: 3 * 1024 * 1024,
            ..netattest::lab::LabOptions::default()
        },
        "",
    );
    env.enroll_all();
    env.apply("lab-01", Scenario::PatchedImage);
    let r = env.run(&["check", "lab-01", "--pull", "always", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = r.json();
    let drift = crate::support::device_entry(&report, "lab-01")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "image-drift")
        .unwrap_or_else(|| panic!("{report}"))
        .clone();
    let evidence = drift["evidence"].to_string();
    assert!(
        evidence.contains("1 of 3 chunks of 1024 KiB differ: 0x00"),
        "{evidence}"
    );
    let diff = env.run(&["baseline", "diff", "lab-01"]);
    assert!(
        diff.stdout.contains(".pulled.chunks") && diff.stdout.contains("1 of 3 chunks"),
        "{}",
        diff.stdout
    );
}

#[test]
fn a_clean_verdict_says_what_it_rests_on_and_the_summary_counts_partly_verified_devices() {
    use netattest::lab::Persona;
    let env = LabEnv::start_personas(2, &[Persona::Linux, Persona::FortinetFortios], None, "");
    env.enroll_all();
    let text = env.run(&["audit"]);
    assert_eq!(text.code, 0, "{text:?}");
    let forti = text
        .stdout
        .lines()
        .find(|l| l.starts_with("lab-02"))
        .unwrap();
    assert!(
        forti.ends_with("CLEAN (image not verifiable on fortinet-fortios)"),
        "{}",
        text.stdout
    );
    let linux = text
        .stdout
        .lines()
        .find(|l| l.starts_with("lab-01"))
        .unwrap();
    assert!(linux.ends_with("CLEAN"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("coverage: 1 fully verified, 1 partly verified"),
        "{}",
        text.stdout
    );

    let json = env.run(&["audit", "--format", "json"]).json();
    assert_eq!(json["summary"]["fully_verified"], 1, "{}", json["summary"]);
    assert_eq!(json["summary"]["partly_verified"], 1);
    let coverage = &crate::support::device_entry(&json, "lab-02")["facts"]["coverage"];
    assert!(
        coverage["not_possible"]["image"]
            .as_str()
            .unwrap()
            .contains("FortiOS"),
        "{coverage}"
    );
    assert!(
        coverage["checked"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| !k.as_str().unwrap().starts_with("image"))
    );
    let linux = &crate::support::device_entry(&json, "lab-01")["facts"]["coverage"];
    assert!(
        linux["checked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "image (device's hash)" || k == "image (pulled)"),
        "{linux}"
    );
}
