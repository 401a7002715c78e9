//! Each source format on a fixture written as that tool writes it (tests/fixtures/inventory/).

use super::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/inventory/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (name, host, port, platform, groups) of one device.
type Row = (String, Option<String>, Option<u16>, String, Vec<String>);

/// Every imported device as a [`Row`], sorted by name.
fn rows(imported: &Imported) -> Vec<Row> {
    let mut out: Vec<_> = imported
        .devices
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.host.clone(),
                d.port,
                d.platform.clone(),
                d.groups.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(name: &str, host: Option<&str>, port: Option<u16>, platform: &str, groups: &[&str]) -> Row {
    (
        name.into(),
        host.map(str::to_owned),
        port,
        platform.into(),
        groups.iter().map(|g| g.to_string()).collect(),
    )
}

fn skipped(imported: &Imported) -> Vec<(String, Option<String>)> {
    imported
        .skipped
        .iter()
        .map(|s| (s.name.clone(), s.platform.clone()))
        .collect()
}

fn notes(imported: &Imported) -> String {
    imported
        .notes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ansible(file: &str) -> Imported {
    let opts = Options {
        file_name: Some(file.into()),
        ..Options::default()
    };
    import(Format::Ansible, &fixture(file), &opts).unwrap()
}

#[test]
fn an_ansible_ini_inventory_resolves_groups_children_and_variables_as_ansible_does() {
    let imported = ansible("hosts.ini");
    assert_eq!(
        rows(&imported),
        vec![
            row(
                "core-rtr-1",
                Some("10.0.0.1"),
                None,
                "cisco-iosxr",
                &["core", "dc"]
            ),
            row(
                "core-rtr-2",
                Some("10.0.0.2"),
                Some(2222),
                "cisco-iosxr",
                &["core", "dc"]
            ),
            row(
                "core-sw-01.example.net",
                None,
                None,
                "cisco-nxos",
                &["core", "dc"]
            ),
            row(
                "core-sw-02.example.net",
                None,
                None,
                "cisco-nxos",
                &["core", "dc"]
            ),
            // The host's own variable wins over [edge:vars].
            row("edge-fw-1", Some("10.1.0.1"), None, "cisco-asa", &["edge"]),
            // `host:port` in the pattern, and [edge:vars] over [all:vars].
            row(
                "edge-rtr-1",
                Some("10.1.0.2"),
                Some(2200),
                "juniper-junos",
                &["edge"]
            ),
            row(
                "leaf-a",
                Some("10.2.0.5"),
                None,
                "arista-eos",
                &["dc", "leaf"]
            ),
            row(
                "leaf-b",
                Some("10.2.0.5"),
                None,
                "arista-eos",
                &["dc", "leaf"]
            ),
            row(
                "oob-console.example.net",
                Some("192.0.2.250"),
                None,
                "linux",
                &[]
            ),
        ]
    );
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
    let notes = notes(&imported);
    assert!(notes.contains("`ansible_become_pass` ignored"), "{notes}");
    assert!(notes.contains("`ansible_password` ignored"), "{notes}");
    assert!(notes.contains("group edge"), "{notes}");
    assert!(
        !notes.contains("S3cret") && !notes.contains("En@ble"),
        "{notes}"
    );
}

#[test]
fn an_ansible_yaml_inventory_reads_all_children_hosts_and_vars() {
    let imported = ansible("hosts.yml");
    assert_eq!(
        rows(&imported),
        vec![
            row(
                "core-rtr-1",
                Some("10.0.0.1"),
                None,
                "cisco-iosxr",
                &["core", "routers"]
            ),
            row(
                "core-rtr-2",
                Some("10.0.0.2"),
                Some(2222),
                "cisco-iosxr",
                &["core", "routers"]
            ),
            // In two groups: both are its groups, and edge's vars apply.
            row(
                "edge-rtr-1",
                None,
                None,
                "juniper-junos",
                &["edge", "firewalls", "routers"]
            ),
            row(
                "edge-rtr-2",
                None,
                None,
                "juniper-junos",
                &["edge", "routers"]
            ),
            row(
                "fw-1",
                Some("10.9.0.1"),
                None,
                "fortinet-fortios",
                &["firewalls"]
            ),
            row(
                "fw-2",
                Some("10.9.0.2"),
                None,
                "paloalto-panos",
                &["firewalls"]
            ),
        ]
    );
    assert_eq!(
        skipped(&imported),
        vec![
            ("jump-host".into(), None),
            ("sw-1".into(), Some("community.network.edgeos".into())),
        ]
    );
    let sw = imported.skipped.iter().find(|s| s.name == "sw-1").unwrap();
    assert!(sw.origin.starts_with("line 41"), "{}", sw.origin);
    let notes = notes(&imported);
    assert!(notes.contains("`ansible_password` ignored"), "{notes}");
    assert!(!notes.contains("ANSIBLE_VAULT"), "{notes}");
}

#[test]
fn an_ansible_file_with_no_extension_is_told_apart_by_its_first_line() {
    let opts = Options::default();
    let ini = import(Format::Ansible, &fixture("hosts.ini"), &opts).unwrap();
    let yaml = import(Format::Ansible, &fixture("hosts.yml"), &opts).unwrap();
    assert_eq!(ini.devices.len(), 9);
    assert_eq!(yaml.devices.len(), 6);
}

#[test]
fn netattest_platform_wins_over_ansible_network_os() {
    let text = "[r]\nr1 ansible_network_os=cisco.ios.ios netattest_platform=cisco-iosxe\nr2 ansible_network_os=cisco.ios.ios\n";
    let imported = import(Format::Ansible, text, &Options::default()).unwrap();
    assert_eq!(
        rows(&imported),
        vec![
            row("r1", None, None, "cisco-iosxe", &["r"]),
            row("r2", None, None, "auto", &["r"]),
        ]
    );
}

#[test]
fn ansible_ini_mistakes_are_reported_with_their_lines() {
    let text = "[core:vars]\nx=1\n[dc:children]\nnowhere\n[edge]\nrtr1 ansible_port=notaport\nrtr2 lonely\n[bad group]\n";
    let err = import(Format::Ansible, text, &Options::default()).unwrap_err();
    let all: Vec<String> = err.problems.iter().map(|p| p.to_string()).collect();
    let want = [
        "line 7: expected key=value after the host, got `lonely`",
        "line 8: invalid section",
        "line 1: section [core:vars] is for a group declared nowhere",
        "line 4: […:children] includes the undeclared group `nowhere`",
    ];
    for w in want {
        assert!(all.iter().any(|p| p.starts_with(w)), "{w} not in {all:#?}");
    }
}

#[test]
fn a_netbox_device_list_uses_primary_ip_slugs_and_falls_back_to_the_name() {
    let imported = import(
        Format::Netbox,
        &fixture("netbox-devices.json"),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        rows(&imported),
        vec![
            // primary_ip is NetBox's choice (v6 here), prefix length stripped; the name is sanitised.
            row(
                "Access-Switch-Floor-2",
                Some("2001:db8::12"),
                None,
                "cisco-iosxe",
                &["access", "ams1"]
            ),
            row(
                "core-rtr-1",
                Some("10.0.0.1"),
                None,
                "cisco-iosxr",
                &["ams1", "attest", "core-router"]
            ),
            // No address: reached by its name; device_role as NetBox before 3.6 writes it.
            row(
                "dc-leaf-1",
                None,
                None,
                "arista-eos",
                &["fra1", "leaf", "production"]
            ),
        ]
    );
    assert_eq!(
        skipped(&imported),
        vec![
            ("mgmt-ups-1".into(), None),
            ("mt-edge-1".into(), Some("routeros".into())),
        ]
    );
    assert_eq!(imported.skipped[1].origin, "results[4] (id 105)");
    assert!(
        notes(&imported)
            .contains("device `Access Switch (Floor 2)` is named `Access-Switch-Floor-2`"),
        "{}",
        notes(&imported)
    );
}

#[test]
fn a_netbox_page_with_more_pages_says_so_and_a_bare_array_is_read() {
    let text = r#"{"count": 3, "next": "https://nb/api/dcim/devices/?limit=1&offset=1", "previous": null,
        "results": [{"id": 1, "name": "a", "platform": {"slug": "junos", "name": "Juniper Junos"}}]}"#;
    let imported = import(Format::Netbox, text, &Options::default()).unwrap();
    assert_eq!(imported.devices.len(), 1);
    assert!(
        notes(&imported).contains("one page of 3 devices"),
        "{}",
        notes(&imported)
    );
    let bare = r#"[{"name": "b", "platform": {"slug": "custom", "name": "Arista EOS"}}]"#;
    let imported = import(Format::Netbox, bare, &Options::default()).unwrap();
    assert_eq!(
        imported.devices[0].platform, "arista-eos",
        "the name after an unknown slug"
    );
    let err = import(
        Format::Netbox,
        r#"{"detail": "Invalid token."}"#,
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.problems[0].reason.contains("/api/dcim/devices/"),
        "{err}"
    );
}

#[test]
fn an_oxidized_router_db_in_the_default_layout_is_name_colon_model() {
    let imported = import(Format::Oxidized, &fixture("router.db"), &Options::default()).unwrap();
    let got: Vec<(String, String)> = rows(&imported).into_iter().map(|r| (r.0, r.3)).collect();
    let want = [
        ("branch-1.example.net", "auto"),
        ("core-rtr-1.example.net", "cisco-iosxr"),
        ("core-rtr-2.example.net", "cisco-iosxr"),
        ("dc-sw-1.example.net", "cisco-nxos"),
        ("edge-fw-1.example.net", "cisco-asa"),
        ("fw-1.example.net", "fortinet-fortios"),
        ("leaf-1.example.net", "arista-eos"),
        ("pa-1.example.net", "paloalto-panos"),
        ("srv-1.example.net", "linux"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(imported.skipped.len(), 1);
    assert_eq!(imported.skipped[0].origin, "line 13");
    assert_eq!(imported.skipped[0].platform.as_deref(), Some("procurve"));
}

#[test]
fn an_oxidized_router_db_with_a_configured_map_and_delimiter_never_copies_its_credentials() {
    let map =
        OxidizedLayout::parse_map("name=0,ip=1,model=2,username=3,password=4,enable=5").unwrap();
    let opts = Options {
        oxidized: OxidizedLayout::new(Some(","), Some(&map)).unwrap(),
        ..Options::default()
    };
    let imported = import(Format::Oxidized, &fixture("router-full.db"), &opts).unwrap();
    assert_eq!(
        rows(&imported),
        vec![
            row("rtr01.local", Some("192.168.1.1"), None, "auto", &[]),
            row(
                "rtr02.local",
                Some("192.168.1.2"),
                None,
                "juniper-junos",
                &[]
            ),
            row("sw01.local", Some("192.168.1.3"), None, "cisco-iosxe", &[]),
        ]
    );
    let notes = notes(&imported);
    assert!(
        notes.contains("line 2, line 4: `password` ignored"),
        "{notes}"
    );
    assert!(notes.contains("line 2: `enable` ignored"), "{notes}");
    assert!(
        !notes.contains("5uP3R") && !notes.contains("T0p53"),
        "{notes}"
    );
    let toml = to_toml(&imported.devices, "h");
    assert!(
        !toml.contains("5uP3R") && !toml.contains("oxidized,"),
        "{toml}"
    );
}

#[test]
fn a_csv_inventory_finds_its_columns_by_header() {
    let imported = import(Format::Csv, &fixture("devices.csv"), &Options::default()).unwrap();
    assert_eq!(
        rows(&imported),
        vec![
            row(
                "core-rtr-1",
                Some("10.0.0.1"),
                None,
                "cisco-iosxr",
                &["core", "dc"]
            ),
            row(
                "core-rtr-2",
                Some("10.0.0.2"),
                Some(2222),
                "cisco-iosxr",
                &["core"]
            ),
            row(
                "fw-1",
                Some("fw-1.example.net"),
                None,
                "fortinet-fortios",
                &[]
            ),
            row(
                "leaf-1",
                Some("10.2.0.1"),
                None,
                "arista-eos",
                &["dc", "leaf"]
            ),
        ]
    );
    let notes = notes(&imported);
    assert!(notes.contains("line 4: `enable_secret` ignored"), "{notes}");
    assert!(!notes.contains("hunter2"), "{notes}");
    let err = import(Format::Csv, "host,port\n10.0.0.1,22\n", &Options::default()).unwrap_err();
    assert!(
        err.problems[0].reason.contains("`name` and a `platform`"),
        "{err}"
    );
}

#[test]
fn duplicate_names_after_sanitising_are_an_error_naming_both_places() {
    let text = "name,host,platform\nrtr 1,10.0.0.1,junos\nrtr-1,10.0.0.2,junos\n";
    let err = import(Format::Csv, text, &Options::default()).unwrap_err();
    assert_eq!(
        err.problems,
        vec![Problem {
            origin: "line 3".into(),
            reason: "device `rtr-1` is defined twice (first at line 2)".into(),
        }]
    );
    let text = r#"[{"id": 1, "name": null, "platform": {"slug": "eos"}}]"#;
    let err = import(Format::Netbox, text, &Options::default()).unwrap_err();
    assert_eq!(
        err.problems[0].to_string(),
        "results[0] (id 1): device has no name"
    );
}

#[test]
fn overrides_and_user_profile_ids_map_names_the_table_does_not() {
    let text = "name,platform\na,ios\nb,my-vendor-os\nc,routeros\n";
    let opts = Options {
        platforms: [("ios".to_owned(), "cisco-iosxe".to_owned())]
            .into_iter()
            .collect(),
        profile_ids: vec!["my-vendor-os".into()],
        ..Options::default()
    };
    let imported = import(Format::Csv, text, &opts).unwrap();
    assert_eq!(
        rows(&imported)
            .into_iter()
            .map(|r| (r.0, r.3))
            .collect::<Vec<_>>(),
        vec![
            ("a".to_string(), "cisco-iosxe".to_string()),
            ("b".to_string(), "my-vendor-os".to_string())
        ]
    );
    assert_eq!(
        skipped(&imported),
        vec![("c".into(), Some("routeros".into()))]
    );
}

#[test]
fn names_are_sanitised_to_what_netattest_accepts() {
    let cases = [
        ("core-rtr-1.example.net", Some("core-rtr-1.example.net")),
        ("Access Switch (Floor 2)", Some("Access-Switch-Floor-2")),
        ("2001:db8::1", Some("2001-db8-1")),
        ("_hidden", Some("hidden")),
        ("été", Some("t")),
        ("---", None),
        ("", None),
    ];
    for (raw, want) in cases {
        assert_eq!(sanitize_name(raw).as_deref(), want, "{raw}");
    }
    assert_eq!(sanitize_name(&"x".repeat(200)).unwrap().len(), 128);
}

#[test]
fn the_written_toml_reads_back_as_an_inventory_with_the_same_devices() {
    let imported = ansible("hosts.ini");
    let text = to_toml(
        &imported.devices,
        "imported from hosts.ini\n\nregenerate, do not edit",
    );
    assert!(
        text.starts_with("# imported from hosts.ini\n#\n# regenerate"),
        "{text}"
    );
    let v: toml::Value = toml::from_str(&text).unwrap();
    let devices = v["device"].as_array().unwrap();
    assert_eq!(devices.len(), imported.devices.len());
    let rtr2 = devices
        .iter()
        .find(|d| d["name"].as_str() == Some("core-rtr-2"))
        .unwrap();
    assert_eq!(rtr2["port"].as_integer(), Some(2222));
    assert_eq!(rtr2["platform"].as_str(), Some("cisco-iosxr"));
    let sw = devices
        .iter()
        .find(|d| d["name"].as_str() == Some("core-sw-01.example.net"))
        .unwrap();
    assert!(sw.get("host").is_none() && sw.get("port").is_none(), "{sw}");
}

#[test]
fn control_characters_in_what_the_source_said_never_break_the_written_toml() {
    // Found by the inventory_sources fuzz target: a group name with a carriage return ended up raw in a
    // comment, and TOML admits no control character there.
    let device = Device {
        name: "r1".into(),
        host: None,
        port: None,
        platform: "cisco-ios".into(),
        groups: Vec::new(),
        origin: "group a\rb\u{7f}".into(),
        source_platform: "ios\u{1}\u{202e}".into(),
    };
    let text = to_toml(&[device], "from a\rb\u{0}");
    let v: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(v["device"].as_array().map(Vec::len), Some(1));
    assert!(text.contains(r"group a\u{d}b\u{7f}"), "{text}");
    assert!(text.contains(r"platform ios\u{1}\u{202e}"), "{text}");
}
