//! Every platform's profile against its lab persona, over real SSH: enroll, a clean check, a patched image.

use netattest::lab::{Persona, Scenario};

use crate::support::LabEnv;

/// Enrolls one device of `persona`, checks it clean (exit 0), patches its image and checks again
/// (image-drift, exit 1).
fn enroll_check_and_catch_a_patch(persona: Persona, enable_secret: Option<&str>) {
    let env = LabEnv::start_personas(1, &[persona], enable_secret, "");
    env.enroll_all();
    let clean = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(clean.code, 0, "{persona:?} clean: {clean:?}");
    assert_eq!(clean.outcome("lab-01"), "verified");
    let lab_dev = env.lab().devices().remove(0);
    let report = clean.json();
    let facts = &crate::support::device_entry(&report, "lab-01")["facts"];
    assert_eq!(facts["image_sha512"], lab_dev.image_sha512.as_str());
    assert_eq!(facts["serial"], lab_dev.serial.as_str());
    env.apply("lab-01", Scenario::PatchedImage);
    let patched = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(patched.code, 1, "{persona:?} patched: {patched:?}");
    assert!(
        patched.codes("lab-01").contains(&"image-drift".to_string()),
        "{persona:?}: {patched:?}"
    );
}

#[test]
fn platform_cisco_ios_through_a_paging_shell_with_enable() {
    enroll_check_and_catch_a_patch(Persona::CiscoIos, Some("lab-enable-S3cret"));
}

#[test]
fn platform_cisco_ios_without_enable_secret_is_an_auth_failure_not_a_pass() {
    let env = LabEnv::start_personas(1, &[Persona::CiscoIos], Some("lab-enable-S3cret"), "");
    std::fs::write(env.dir.path().join("lab_enable_secret"), "wrong").unwrap();
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "auth-failed", "{r:?}");
    assert!(
        !env.lab()
            .commands("lab-01")
            .iter()
            .any(|c| c.contains("wrong")),
        "the lab never records the secret"
    );
}

#[test]
fn platform_shell_garbage_is_a_protocol_error_naming_the_probe() {
    let env = LabEnv::start_personas(1, &[Persona::CiscoIos], None, "");
    env.enroll_all();
    env.apply("lab-01", Scenario::GarbageOutput);
    let r = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "protocol-error", "{r:?}");
    let detail = crate::support::device_entry(&r.json(), "lab-01")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("show-version"), "{detail}");
    assert!(!detail.chars().any(|c| c.is_control()), "{detail:?}");
}
