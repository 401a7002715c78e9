//! `netattest catalog`: import a vendor-signed sha512sum file, list it, tamper with it, verify.

use std::path::Path;

use crate::support::{Run, netattest};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/catalog");

fn run(state: &Path, args: &[&str]) -> Run {
    Run::from(
        netattest()
            .arg("--state-dir")
            .arg(state)
            .args(args)
            .output()
            .unwrap(),
    )
}

fn copy_fixture(dir: &Path, name: &str) -> String {
    let to = dir.join(name);
    std::fs::copy(Path::new(FIXTURES).join(name), &to).unwrap();
    to.display().to_string()
}

#[test]
fn a_signed_sha512sum_imports_lists_and_a_tampered_copy_fails_verify_with_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_eq!(run(&state, &["init"]).code, 0);
    let sums = copy_fixture(dir.path(), "EOS-4.30.1F.swi.sha512sum");
    copy_fixture(dir.path(), "EOS-4.30.1F.swi.sha512sum.minisig");
    let key = copy_fixture(dir.path(), "minisign.pub");

    let import = run(
        &state,
        &[
            "catalog",
            "import",
            &sums,
            "--vendor",
            "arista",
            "--platform",
            "arista-eos",
            "--version",
            "4.30.1F",
            "--name",
            "eos",
            "--signature",
            "minisign",
            "--public-key",
            &key,
        ],
    );
    assert_eq!(import.code, 0, "{import:?}");
    assert!(
        import
            .stderr
            .contains("trusted comment: netattest test vector prehashed"),
        "{import:?}"
    );
    assert!(
        state
            .join("catalogs/eos.source/EOS-4.30.1F.swi.sha512sum.minisig")
            .exists()
    );

    let list = run(&state, &["catalog", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    for needle in [
        "catalog eos (1 entries)",
        "arista arista-eos 4.30.1F EOS-4.30.1F.swi",
        "sha512:dcab93e5",
        "EOS-4.30.1F.swi.sha512sum:1 (coreutils, imported",
    ] {
        assert!(list.stdout.contains(needle), "missing {needle}: {list:?}");
    }
    let ok = run(&state, &["catalog", "verify"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("pass eos"), "{ok:?}");

    let stored = state.join("catalogs/eos.toml");
    let text = std::fs::read_to_string(&stored).unwrap();
    std::fs::write(&stored, text.replace("dcab93e5", "dcab93e6")).unwrap();
    let bad = run(&state, &["catalog", "verify"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stdout.contains("FAIL eos"), "{bad:?}");
    assert!(
        bad.stdout.contains("catalog-signature-invalid [critical]"),
        "{bad:?}"
    );
}

#[test]
fn a_bad_vendor_signature_imports_nothing_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_eq!(run(&state, &["init"]).code, 0);
    let sums = copy_fixture(dir.path(), "EOS-4.30.1F.swi.sha512sum");
    copy_fixture(dir.path(), "EOS-4.30.1F.swi.sha512sum.minisig");
    let key = copy_fixture(dir.path(), "minisign.pub");
    let text = std::fs::read_to_string(&sums).unwrap();
    std::fs::write(&sums, text.replacen('d', "e", 1)).unwrap();
    let r = run(
        &state,
        &[
            "catalog",
            "import",
            &sums,
            "--platform",
            "arista-eos",
            "--vendor",
            "arista",
            "--signature",
            "minisign",
            "--public-key",
            &key,
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("signature check failed"), "{r:?}");
    assert!(
        !state.join("catalogs").exists()
            || std::fs::read_dir(state.join("catalogs"))
                .unwrap()
                .next()
                .is_none()
    );
}

#[test]
fn a_malformed_import_names_every_bad_line_and_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_eq!(run(&state, &["init"]).code, 0);
    let file = dir.path().join("SHA256SUMS");
    std::fs::write(&file, "nothex  a.bin\r\n\r\nabc\r\n").unwrap();
    let r = run(
        &state,
        &[
            "catalog",
            "import",
            file.to_str().unwrap(),
            "--platform",
            "p",
            "--vendor",
            "v",
        ],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("SHA256SUMS:1:") && r.stderr.contains("SHA256SUMS:3:"),
        "{r:?}"
    );
}

#[test]
fn catalog_sign_writes_a_signature_the_configured_catalog_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let cat = dir.path().join("cat");
    std::fs::create_dir(&cat).unwrap();
    let sums = copy_fixture(&cat, "legacy.sha512sum");
    let key = copy_fixture(dir.path(), "ed.key");
    let pem = dir.path().join("team.pem");
    let s = run(
        &state,
        &[
            "catalog",
            "sign",
            "--key",
            &key,
            &sums,
            "--public-out",
            pem.to_str().unwrap(),
        ],
    );
    assert_eq!(s.code, 0, "{s:?}");
    let cfg = dir.path().join("netattest.toml");
    std::fs::write(
        &cfg,
        "[[catalog]]\nname = \"team\"\npath = \"cat\"\npublic_key = \"team.pem\"\nsignature = \"ed25519\"\nvendor = \"arista\"\nplatform = \"arista-eos\"\n",
    )
    .unwrap();
    let verify = |state: &Path| {
        Run::from(
            netattest()
                .arg("--config")
                .arg(&cfg)
                .arg("--state-dir")
                .arg(state)
                .args(["catalog", "verify"])
                .output()
                .unwrap(),
        )
    };
    let ok = verify(&state);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(
        ok.stdout.contains("pass team") && ok.stdout.contains("ed25519 key"),
        "{ok:?}"
    );
    std::fs::write(&sums, "tampered").unwrap();
    let bad = verify(&state);
    assert_eq!(bad.code, 1, "{bad:?}");
}

/// A Cisco-style CSV whose Platform column is a product name, imported with `--platform`: the flag wins;
/// `catalog remove` takes the catalog out again, and removing it twice is a usage error.
#[test]
fn the_platform_flag_wins_over_a_csv_product_column_and_catalog_remove_removes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_eq!(run(&state, &["init"]).code, 0);
    let csv = dir.path().join("cisco-bulk.csv");
    std::fs::write(
        &csv,
        format!(
            "Image Name,Platform,Release,SHA512\r\nc8000v-universalk9.17.09.04a.SPA.bin,Catalyst 8000V Edge Software,17.9.4a,{}\r\n",
            "ab".repeat(64)
        ),
    )
    .unwrap();
    let import = run(
        &state,
        &[
            "catalog",
            "import",
            csv.to_str().unwrap(),
            "--vendor",
            "cisco",
            "--platform",
            "cisco-iosxe",
            "--name",
            "c8kv",
        ],
    );
    assert_eq!(import.code, 0, "{import:?}");
    let list = run(&state, &["catalog", "list"]);
    assert!(
        list.stdout.contains("cisco-iosxe") && !list.stdout.contains("Catalyst 8000V"),
        "{list:?}"
    );
    let removed = run(&state, &["catalog", "remove", "c8kv"]);
    assert_eq!(removed.code, 0, "{removed:?}");
    let list = run(&state, &["catalog", "list"]);
    assert!(!list.stdout.contains("c8000v"), "{list:?}");
    assert_eq!(run(&state, &["catalog", "remove", "c8kv"]).code, 2);
}

/// The same CSV without `--platform`: product names map to profile ids through the built-in table; a
/// product no rule knows is refused (nothing imported) until it is mapped or `--force` is given.
#[test]
fn product_names_map_to_profiles_and_an_import_that_could_match_no_device_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_eq!(run(&state, &["init"]).code, 0);
    let csv = dir.path().join("cisco-bulk.csv");
    std::fs::write(
        &csv,
        format!(
            "Image Name,Platform,Release,SHA512\r\nc8000v-universalk9.17.09.04a.SPA.bin,Catalyst 8000V Edge Software,17.9.4a,{}\r\nnxos64-cs.10.3.5.M.bin,Nexus 9000 Series Switches,10.3(5),{}\r\nmeraki-fw.bin,Meraki MX,18.2,{}\r\n",
            "ab".repeat(64),
            "cd".repeat(64),
            "ef".repeat(64)
        ),
    )
    .unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "catalog",
            "import",
            csv.to_str().unwrap(),
            "--vendor",
            "cisco",
        ];
        args.extend_from_slice(extra);
        run(&state, &args)
    };
    let refused = import(&[]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("`Meraki MX` (1 entries)")
            && refused.stderr.contains("nothing imported"),
        "{refused:?}"
    );
    assert!(!run(&state, &["catalog", "list"]).stdout.contains("c8000v"));

    let wrong = import(&["--map-platform", "Meraki MX=meraki"]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
    assert!(wrong.stderr.contains("`meraki` is no profile"), "{wrong:?}");

    let mapped = import(&["--map-platform", "Meraki MX=linux"]);
    assert_eq!(mapped.code, 0, "{mapped:?}");
    let list = run(&state, &["catalog", "list"]);
    for want in ["cisco-iosxe", "cisco-nxos", "linux"] {
        assert!(list.stdout.contains(want), "{want}: {list:?}");
    }
    assert!(!list.stdout.contains("Catalyst 8000V"), "{list:?}");

    let forced = import(&["--force", "--name", "forced"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(
        forced.stderr.contains("can match no device: `Meraki MX`"),
        "{forced:?}"
    );
}
