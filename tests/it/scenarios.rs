//! The adversary-emulation matrix: every lab scenario on every persona that supports it, through the real
//! binary over real SSH. Enroll clean, apply the scenario, check, and assert the exact finding codes and
//! severities: each malicious scenario yields its code at its severity, each benign one nothing above info.

use netattest::lab::{Persona, Scenario};

use crate::support::{LabEnv, device_entry};

/// One device per persona: lab-01 is IOS-XE, lab-02 Linux (with docker: every fourth device from the second
/// has it), then every other platform the lab imitates.
const PERSONAS: [Persona; 12] = [
    Persona::CiscoIosXe,
    Persona::Linux,
    Persona::CiscoIos,
    Persona::CiscoNxos,
    Persona::CiscoNxosKickstart,
    Persona::AristaEos,
    Persona::JuniperJunos,
    Persona::CiscoAsa,
    Persona::CiscoIosXr,
    Persona::FortinetFortios,
    Persona::PaloaltoPanos,
    Persona::HuaweiVrp,
];

/// IOS and the ASA log in unprivileged and need `enable`.
const ENABLE: &str = "lab-enable-S3cret";

/// `(device name, persona)` for the lab [`start`] makes.
fn devices() -> Vec<(String, Persona)> {
    PERSONAS
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("lab-{:02}", i + 1), *p))
        .collect()
}

/// Applies each scenario on every device whose persona supports it and runs `f` on it; on the others the
/// lab must refuse the scenario.
fn on_every_supported_persona(
    env: &LabEnv,
    scenarios: &[Scenario],
    mut f: impl FnMut(&str, Persona, Scenario),
) {
    for &scenario in scenarios {
        for (dev, persona) in devices() {
            let dev = dev.as_str();
            if !scenario.supported_on(persona) {
                assert!(
                    env.lab().apply(dev, scenario).is_err(),
                    "{scenario} on {dev}"
                );
                continue;
            }
            env.apply(dev, scenario);
            f(dev, persona, scenario);
        }
    }
}

/// A lab with one device of every persona, enrolled.
fn start() -> LabEnv {
    let env = LabEnv::start_personas(PERSONAS.len(), &PERSONAS, Some(ENABLE), "");
    env.enroll_all();
    env
}

/// What a malicious scenario must yield on a persona: (code, severity), sorted by code.
fn expected(scenario: Scenario, persona: Persona) -> Vec<(&'static str, &'static str)> {
    match (scenario, persona) {
        // The ASA's tool is ArcaneDoor's Line Runner bundle (disk0:client_bundle_install.zip): a known-bad
        // name, reported as a standing indicator rather than as a new file, at the same code and severity.
        (Scenario::ToolCopied, _) => vec![("suspicious-file", "high")],
        (Scenario::DdImage, Persona::Linux) => vec![("snapshot-added", "medium")],
        // Junos keeps snapshot slices: a new backup slice is a new snapshot, not an alternate image file.
        (Scenario::SnapshotCreated, Persona::JuniperJunos) => vec![("snapshot-added", "medium")],
        // IOS-XR's alternate image is an install ISO, which the manifest classes with whole-system copies.
        (Scenario::SnapshotCreated, Persona::CiscoIosXr) => vec![("snapshot-added", "medium")],
        // FortiOS writes another image onto the alternate partition: the same slice (partition 2) now
        // carries a release the active partition does not run.
        (Scenario::SnapshotCreated, Persona::FortinetFortios) => {
            vec![("snapshot-mismatch", "high")]
        }
        // PAN-OS downloads a newer version: a slice that was not there at baseline.
        (Scenario::SnapshotCreated, Persona::PaloaltoPanos) => vec![("snapshot-added", "medium")],
        (Scenario::SnapshotCreated, _) => vec![("backup-image-mismatch", "high")],
        (Scenario::ContainerImplanted, _) => vec![("container-image-added", "high")],
        (Scenario::ContainerReplaced, _) => vec![("container-image-changed", "critical")],
        (Scenario::SerialChanged, _) => vec![("serial-changed", "critical")],
        (Scenario::HostKeySwapped, _) => vec![("host-key-changed", "critical")],
        // One per listing probe that broke: the Linux profile lists the root and the deep places apart.
        (Scenario::ListingHidden, Persona::Linux) => {
            vec![("evidence-missing", "high"), ("evidence-missing", "high")]
        }
        // Junos lists /var/tmp, /var/sw/pkg and /var/log with three `file list` probes.
        (Scenario::ListingHidden, Persona::JuniperJunos) => vec![
            ("evidence-missing", "high"),
            ("evidence-missing", "high"),
            ("evidence-missing", "high"),
        ],
        (Scenario::ListingHidden, _) => vec![("evidence-missing", "high")],
        // Jaguar Tooth: the code in memory changed, the image on flash did not.
        (Scenario::MemoryPatched, _) => vec![("text-segment-drift", "critical")],
        other => panic!("no expectation for {other:?}"),
    }
}

fn findings(r: &crate::support::Run, dev: &str) -> Vec<(String, String)> {
    let report = r.json();
    let mut f: Vec<(String, String)> = device_entry(&report, dev)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    f.sort();
    f
}

fn owned(v: Vec<(&str, &str)>) -> Vec<(String, String)> {
    v.into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

#[test]
fn every_malicious_scenario_yields_its_code_at_its_severity_on_every_persona() {
    let env = start();
    let malicious = [
        Scenario::ToolCopied,
        Scenario::DdImage,
        Scenario::SnapshotCreated,
        Scenario::ContainerImplanted,
        Scenario::ContainerReplaced,
        Scenario::SerialChanged,
        Scenario::HostKeySwapped,
        Scenario::ListingHidden,
        Scenario::MemoryPatched,
    ];
    let mut ran = 0;
    on_every_supported_persona(&env, &malicious, |dev, persona, scenario| {
        let r = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(r.code, 1, "{scenario} on {dev}: {r:?}");
        assert_eq!(
            findings(&r, dev),
            owned(expected(scenario, persona)),
            "{scenario} on {dev}"
        );
        env.apply(dev, Scenario::Clean);
        let clean = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(
            clean.code, 0,
            "back to clean after {scenario} on {dev}: {clean:?}"
        );
        ran += 1;
    });
    // 10 personas list files (all but FortiOS and PAN-OS), 12 keep an alternate image or slice (those 10,
    // FortiOS's alternate partition, PAN-OS's downloaded versions), 5 host containers (IOS-XE, Linux with
    // docker, the 9.3 Nexus, IOS-XR with docker under `run`, EOS with container-manager), 1 can dd, 2 have
    // a comparable text segment (IOS-XE, ASA), 12 in all.
    assert_eq!(
        ran,
        10 * 2 + 12 + 5 * 2 + 1 + 2 + 12 * 2,
        "every supported pair ran"
    );
}

#[test]
fn memory_patched_is_text_segment_drift_on_every_persona_that_supports_it() {
    let env = LabEnv::start_personas(Persona::ALL.len(), Persona::ALL, Some("mem-S3cret"), "");
    env.enroll_all();
    let mut ran = Vec::new();
    for dev in env.lab().devices() {
        let name = dev.name.as_str();
        if !Scenario::MemoryPatched.supported_on(dev.persona) {
            assert!(
                env.lab().apply(name, Scenario::MemoryPatched).is_err(),
                "{name} ({:?})",
                dev.persona
            );
            continue;
        }
        env.apply(name, Scenario::MemoryPatched);
        let r = env.run(&["check", name, "--format", "json"]);
        assert_eq!(r.code, 1, "{name} ({:?}): {r:?}", dev.persona);
        assert_eq!(
            findings(&r, name),
            owned(vec![("text-segment-drift", "critical")]),
            "{name} ({:?}): {r:?}",
            dev.persona
        );
        let report = r.json();
        let f = &device_entry(&report, name)["findings"][0];
        assert_eq!(f["subject"], "text segment", "{f}");
        assert_eq!(f["technique"], "T1601.001", "{f}");
        // The image on flash is untouched: the pulled hash is still the true, enrolled one.
        assert_eq!(
            device_entry(&report, name)["facts"]["image_sha512"],
            dev.image_sha512.as_str()
        );
        env.apply(name, Scenario::Clean);
        let clean = env.run(&["check", name, "--format", "json"]);
        assert_eq!(clean.code, 0, "back to clean on {name}: {clean:?}");
        assert!(findings(&clean, name).is_empty(), "{name}: {clean:?}");
        ran.push(dev.persona);
    }
    assert_eq!(ran, [Persona::CiscoIosXe, Persona::CiscoAsa]);
}

#[test]
fn a_new_log_file_where_the_platform_keeps_logs_pages_nobody() {
    let env = start();
    let mut ran = 0;
    for (dev, persona) in devices() {
        let dev = dev.as_str();
        if !Scenario::NewLogFile.supported_on(persona) {
            assert!(env.lab().apply(dev, Scenario::NewLogFile).is_err(), "{dev}");
            continue;
        }
        ran += 1;
        env.apply(dev, Scenario::NewLogFile);
        let r = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(r.code, 0, "{dev}: {r:?}");
        assert!(
            findings(&r, dev).iter().all(|(_, s)| s == "info"),
            "{dev}: {r:?}"
        );
    }
    assert_eq!(ran, 10, "every persona that lists files");
}

#[test]
fn an_approved_maintenance_change_is_reported_until_approved_then_clean() {
    let env = start();
    let mut ran = 0;
    for (dev, persona) in devices() {
        let dev = dev.as_str();
        if !Scenario::ApprovedMaintenance.supported_on(persona) {
            assert!(
                env.lab().apply(dev, Scenario::ApprovedMaintenance).is_err(),
                "{dev}"
            );
            continue;
        }
        ran += 1;
        env.apply(dev, Scenario::ApprovedMaintenance);
        let before = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(
            findings(&before, dev),
            owned(vec![("file-added", "medium")]),
            "{dev}: {before:?}"
        );
        let approve = env.run(&["baseline", "approve", dev, "--reason", "CHG1234"]);
        assert_eq!(approve.code, 0, "{dev}: {approve:?}");
        let after = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(after.code, 0, "{dev}: {after:?}");
        assert!(findings(&after, dev).is_empty(), "{dev}: {after:?}");
    }
    assert_eq!(ran, 10, "every persona that lists files");
}

#[test]
fn a_device_without_docker_has_no_container_platform_and_still_verifies() {
    let env = LabEnv::start(4);
    env.enroll_all();
    // lab-04 is a Linux device without docker: `docker` is "command not found".
    let r = env.run(&["check", "lab-04", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.outcome("lab-04"), "verified");
    let report = r.json();
    let not_collected = device_entry(&report, "lab-04")["facts"]["not_collected"].to_string();
    assert!(
        not_collected.contains("containers: no containers listing")
            && not_collected.contains("command not found"),
        "{not_collected}"
    );
    assert!(
        env.lab()
            .apply("lab-04", Scenario::ContainerImplanted)
            .is_err()
    );
    // lab-02 has docker: its containers were collected, so nothing about them is "not collected".
    let r = env.run(&["check", "lab-02", "--format", "json"]);
    let report = r.json();
    let not_collected = device_entry(&report, "lab-02")["facts"]["not_collected"].to_string();
    assert!(!not_collected.contains("containers"), "{not_collected}");
}

/// Imports a sha512sum catalog with one image of lab-01's platform under `name`.
fn import_image(env: &LabEnv, path: &str, sha512: &str, version: &str, name: &str) {
    let file = path.rsplit(':').next().unwrap().to_owned();
    let sums = env.dir.path().join(format!("{name}.sha512sum"));
    std::fs::write(&sums, format!("{sha512}  {file}\n")).unwrap();
    let r = env.run(&[
        "catalog",
        "import",
        sums.to_str().unwrap(),
        "--vendor",
        "cisco",
        "--platform",
        "cisco-iosxe",
        "--version",
        version,
        "--name",
        name,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn an_upgrade_to_a_catalog_known_image_is_info_only_and_approval_makes_it_clean() {
    let env = LabEnv::start(1);
    let lab01 = |env: &LabEnv| {
        env.lab()
            .devices()
            .into_iter()
            .find(|d| d.name == "lab-01")
            .unwrap()
    };
    let before = lab01(&env);
    import_image(
        &env,
        &before.running_image,
        &before.image_sha512,
        "17.09.04a",
        "xe-17-09",
    );
    env.enroll_all();
    env.apply("lab-01", Scenario::Upgrade);
    let after = lab01(&env);
    assert_ne!(after.running_image, before.running_image);

    // Without the vendor's word for the new image, an upgrade looks like any other image change.
    let unknown = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(
        unknown
            .codes("lab-01")
            .contains(&"image-not-in-catalog".to_string()),
        "{unknown:?}"
    );

    import_image(
        &env,
        &after.running_image,
        &after.image_sha512,
        "17.12.03",
        "xe-17-12",
    );
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        findings(&r, "lab-01"),
        owned(vec![("image-upgraded", "info")]),
        "{r:?}"
    );
    let approve = env.run(&[
        "baseline",
        "approve",
        "lab-01",
        "--reason",
        "CHG-1234 upgrade",
    ]);
    assert_eq!(approve.code, 0, "{approve:?}");
    let clean = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(clean.code, 0, "{clean:?}");
    assert!(findings(&clean, "lab-01").is_empty(), "{clean:?}");
}

#[test]
fn list_scenarios_names_every_emulation_and_marks_the_benign_ones() {
    let out = crate::support::netattest()
        .args(["lab", "--list-scenarios"])
        .output()
        .unwrap();
    let r = crate::support::Run::from(out);
    assert_eq!(r.code, 0, "{r:?}");
    for s in Scenario::ALL {
        let line = r
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(s.name()))
            .unwrap_or_else(|| panic!("{} missing: {r:?}", s.name()));
        assert_eq!(line.ends_with("(benign)"), s.is_benign(), "{line}");
    }
    for name in [
        "tool-copied",
        "container-implanted",
        "container-replaced",
        "snapshot-created",
        "dd-image",
        "host-key-swapped",
        "serial-changed",
        "upgrade",
        "new-log-file",
        "approved-maintenance",
        "memory-patched",
    ] {
        assert!(name.parse::<Scenario>().is_ok(), "{name}");
    }
}

/// `file-flood`: an implant among 150 benign new files. Every persona that lists files keeps the implant
/// in the listing, at its own severity, folds the rest into one finding that says what it holds, and fails
/// the run (fail_on = high) because of what it folded around.
#[test]
fn a_flood_of_benign_files_never_hides_the_implant_among_them() {
    let env = start();
    let mut ran = 0;
    for (dev, persona) in devices() {
        let dev = dev.as_str();
        if !Scenario::FileFlood.supported_on(persona) {
            continue;
        }
        env.apply(dev, Scenario::FileFlood);
        let r = env.run(&["check", dev, "--format", "json"]);
        assert_eq!(r.code, 1, "file-flood on {dev}: {r:?}");
        let report = r.json();
        let entry = crate::support::device_entry(&report, dev);
        let listed = entry["findings"].as_array().unwrap();
        assert_eq!(listed.len(), 100, "{dev}: the listing is capped");
        assert_eq!(
            listed[0]["code"], "suspicious-file",
            "{dev}: most severe first"
        );
        assert_eq!(listed[0]["severity"], "high", "{dev}");
        let folded = listed.last().unwrap();
        assert_eq!(folded["code"], "findings-folded", "{dev}");
        assert_eq!(folded["severity"], "medium", "{dev}");
        assert!(
            folded["actual"]
                .as_str()
                .unwrap()
                .contains("52 more findings not listed: 52 file-added (medium)"),
            "{dev}: {folded}"
        );
        assert_eq!(
            report["summary"]["findings"], 151,
            "{dev}: every finding is counted"
        );
        assert_eq!(report["summary"]["high"], 1, "{dev}");
        env.apply(dev, Scenario::Clean);
        ran += 1;
    }
    assert_eq!(ran, 10, "every persona that lists files ran");
}

/// The integrity scenarios outside the matrix above: on every persona the lab accepts them for, the check
/// reports something (exit 1); on the others the lab refuses them, so no audit reads clean over a scenario
/// that had no effect.
#[test]
fn every_accepted_integrity_scenario_is_seen_and_the_rest_are_refused() {
    let env = start();
    let scenarios = [
        Scenario::PatchedImage,
        Scenario::LyingDevice,
        Scenario::BootVariableChanged,
        Scenario::StartupConfigChanged,
    ];
    let mut silent = Vec::new();
    on_every_supported_persona(&env, &scenarios, |dev, persona, scenario| {
        let r = env.run(&["check", dev, "--pull", "always", "--format", "json"]);
        if r.code != 1 {
            silent.push(format!("{scenario} on {persona:?}: exit {}", r.code));
        }
        env.apply(dev, Scenario::Clean);
    });
    assert!(silent.is_empty(), "accepted but not seen: {silent:#?}");
}
