//! `include`: netattest inventory files, and other tools' inventories read through the platform table.

use super::*;

/// Writes `files` beside a config with `text`, and loads it.
fn load_with(text: &str, files: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let path = dir.path().join("netattest.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path)
}

/// `file-name: key: reason` of every problem.
fn problems(text: &str, files: &[(&str, &str)]) -> Vec<String> {
    match load_with(text, files) {
        Err(ConfigError::Invalid(p)) => p
            .into_iter()
            .map(|p| {
                let file = p.file.file_name().unwrap().to_string_lossy().into_owned();
                format!("{file}: {}: {}", p.key, p.reason)
            })
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

const INI: &str = "[core]\nrtr1 ansible_host=10.0.0.1 ansible_network_os=cisco.iosxr.iosxr ansible_password=x\n[core:vars]\nansible_port=2222\n";

#[test]
fn a_toml_include_and_another_tools_inventory_load_side_by_side() {
    let cfg = load_with(
        r#"include = [
  "inventory.toml",
  { file = "hosts.ini", from = "ansible" },
  { file = "router.db", from = "oxidized", delimiter = ",", map = { name = 0, ip = 1, model = 2 } },
  { file = "devices.json", from = "netbox", platforms = { "MikroTik RouterOS" = "linux" } },
]
"#,
        &[
            ("inventory.toml", "[[device]]\nname = \"local-1\"\nplatform = \"linux\"\n"),
            ("hosts.ini", INI),
            ("router.db", "# name,ip,model\nsw1,10.5.0.1,nxos\n"),
            (
                "devices.json",
                r#"{"results": [{"id": 1, "name": "mt1", "platform": {"slug": "routeros", "name": "MikroTik RouterOS"}, "primary_ip": {"address": "10.6.0.1/24"}}]}"#,
            ),
        ],
    )
    .unwrap();
    let got: Vec<_> = cfg
        .devices
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.host.as_str(),
                d.port,
                d.platform.as_str(),
                d.groups.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("local-1", "local-1", None, "linux", vec![]),
            ("mt1", "10.6.0.1", None, "linux", vec![]),
            ("rtr1", "10.0.0.1", Some(2222), "cisco-iosxr", vec!["core"]),
            ("sw1", "10.5.0.1", None, "cisco-nxos", vec![]),
        ]
    );
    assert!(cfg.devices[2].source.ends_with("hosts.ini"));
}

#[test]
fn unknown_keys_in_a_toml_include_and_in_an_include_table_are_still_reported() {
    let p = problems(
        "include = [\n  \"inventory.toml\",\n  { file = \"hosts.ini\", from = \"ansible\", skip_unkown = true },\n]\n",
        &[
            (
                "inventory.toml",
                "[[device]]\nname = \"a\"\nplatform = \"linux\"\nplatfrom = \"x\"\n",
            ),
            ("hosts.ini", INI),
        ],
    );
    for want in [
        "inventory.toml: line 4: unknown key `device[0].platfrom`",
        "netattest.toml: line 3: unknown key `include[1].skip_unkown`",
    ] {
        assert!(p.iter().any(|x| x == want), "{want}: {p:?}");
    }
}

#[test]
fn a_device_with_no_profile_in_an_include_is_a_problem_with_its_line_unless_skip_unknown() {
    let ini =
        "[edge]\nrtr1 ansible_network_os=junos\nsw9 ansible_network_os=community.network.edgeos\n";
    let p = problems(
        "include = [{ file = \"hosts.ini\", from = \"ansible\" }]\n",
        &[("hosts.ini", ini)],
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(
            "hosts.ini: line 3: device `sw9`: platform `community.network.edgeos` maps to no netattest profile"
        ),
        "{p:?}"
    );
    let cfg = load_with(
        "include = [{ file = \"hosts.ini\", from = \"ansible\", skip_unknown = true }]\n",
        &[("hosts.ini", ini)],
    )
    .unwrap();
    assert_eq!(cfg.devices.len(), 1);
    assert_eq!(cfg.devices[0].platform, "juniper-junos");
}

#[test]
fn a_bad_include_table_is_a_problem_keyed_by_its_entry() {
    let p = problems(
        "include = [{ file = \"hosts.ini\", from = \"excel\" }, { file = \"x.ini\", from = \"ansible\", map = { name = 0 } }, { file = \"missing.ini\", from = \"ansible\" }]\n",
        &[("hosts.ini", INI), ("x.ini", INI)],
    );
    let want = [
        "netattest.toml: include[0].from: unknown inventory format `excel`",
        "netattest.toml: include[1].map: `delimiter` and `map` are for `from = \"oxidized\"`",
        "netattest.toml: include[2]: cannot read",
    ];
    for w in want {
        assert!(p.iter().any(|x| x.starts_with(w)), "{w}: {p:?}");
    }
    let p = problems(
        "include = [{ file = \"hosts.ini\", from = \"ansible\" }]\n",
        &[(
            "hosts.ini",
            "[core]\nrtr1 ansible_network_os=eos\nrtr1:22x\n",
        )],
    );
    assert!(p[0].starts_with("hosts.ini: line 3:"), "{p:?}");
}
