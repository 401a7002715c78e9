//! `netattest inventory import` and `include = [{ from = … }]`: an Ansible inventory of the lab's devices,
//! imported, then enrolled and checked through the result, over real SSH.

use netattest::lab::Persona;

use crate::support::{LabEnv, write};

const PERSONAS: &[Persona] = &[Persona::CiscoIosXe, Persona::Linux, Persona::CiscoNxos];

/// An Ansible INI inventory of the lab, as a team would keep it: groups with children and vars, the
/// address and port in `ansible_host`/`ansible_port`, a password in the group vars, and one host no
/// profile covers.
fn ansible_inventory(env: &LabEnv) -> String {
    let devs = env.lab().devices();
    let find = |p: Persona| devs.iter().find(|d| d.persona == p).unwrap();
    let (xe, linux, nxos) = (
        find(Persona::CiscoIosXe),
        find(Persona::Linux),
        find(Persona::CiscoNxos),
    );
    format!(
        "# lab inventory, Ansible INI\n\
         [routers]\n\
         {} ansible_host={} ansible_port={} ansible_network_os=cisco.ios.ios\n\
         \n\
         [switches]\n\
         {} ansible_host={} ansible_port={} ansible_network_os=dellemc.enterprise_sonic.sonic\n\
         {} ansible_host={} ansible_port={}\n\
         printer-1 ansible_host=192.0.2.99 ansible_network_os=community.network.edgeos\n\
         \n\
         [switches:vars]\n\
         ansible_network_os=cisco.nxos.nxos\n\
         \n\
         [lab:children]\n\
         routers\n\
         switches\n\
         \n\
         [lab:vars]\n\
         ansible_user=netops\n\
         ansible_password=Lab-Pa55-never-copied\n",
        xe.name,
        xe.addr.ip(),
        xe.addr.port(),
        linux.name,
        linux.addr.ip(),
        linux.addr.port(),
        nxos.name,
        nxos.addr.ip(),
        nxos.addr.port(),
    )
}

/// Points the lab's config at `include` (a TOML array's items) with the lab's user and key as defaults,
/// since an imported inventory carries no credentials.
fn use_include(env: &LabEnv, include: &str) {
    let key = env.dir.path().join("lab_client_ed25519");
    write(
        &env.config(),
        &format!(
            "state_dir = \"state\"\ninclude = [{include}]\nssh_config = false\n[defaults]\nuser = \"netops\"\nauth = {{ key_file = {:?} }}\npull = \"always\"\nconnect_timeout = \"5s\"\ncommand_timeout = \"4s\"\npull_timeout = \"4s\"\n",
            key.display().to_string()
        ),
    );
}

#[test]
fn an_imported_ansible_inventory_enrolls_and_checks_the_lab_devices() {
    let env = LabEnv::start_personas(PERSONAS.len(), PERSONAS, None, "");
    let hosts = env.dir.path().join("hosts.ini");
    write(&hosts, &ansible_inventory(&env));
    let out = env.dir.path().join("imported.toml");
    let import = |extra: &[&str]| {
        let mut args = vec!["inventory", "import", "--from", "ansible"];
        args.push(hosts.to_str().unwrap());
        args.extend(["--output", out.to_str().unwrap()]);
        args.extend(extra);
        env.run(&args)
    };

    // The host no profile covers stops the import, named with its line; nothing is written.
    let r = import(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(
            "line 8: device `printer-1`: platform `community.network.edgeos` maps to no netattest profile"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`ansible_password` ignored"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());

    let r = import(&["--skip-unknown"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("wrote 3 device(s)"), "{}", r.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("Lab-Pa55") && !text.contains("printer-1"),
        "{text}"
    );
    let v: toml::Value = toml::from_str(&text).unwrap();
    let platforms: Vec<(&str, &str)> = v["device"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["platform"].as_str().unwrap()))
        .collect();
    // cisco.ios.ios drives IOS and IOS-XE alike: netattest recognises which at connect time.
    assert_eq!(
        platforms,
        vec![
            ("lab-01", "auto"),
            ("lab-02", "linux"),
            ("lab-03", "cisco-nxos")
        ]
    );

    use_include(&env, "\"imported.toml\"");
    let r = env.run(&["enroll", "--all", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    for d in ["lab-01", "lab-02", "lab-03"] {
        assert_eq!(r.outcome(d), "enrolled", "{r:?}");
    }
    for d in ["lab-01", "lab-02", "lab-03"] {
        let r = env.run(&["check", d, "--format", "json"]);
        assert_eq!(r.code, 0, "{d}: {r:?}");
        assert_eq!(r.outcome(d), "verified");
    }
    let report = env
        .run(&["audit", "--group", "switches", "--format", "json"])
        .json();
    let audited: Vec<&str> = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(
        audited,
        vec!["lab-02", "lab-03"],
        "Ansible groups are netattest groups"
    );
    assert_eq!(
        crate::support::device_entry(&report, "lab-03")["platform"],
        "cisco-nxos"
    );

    // The same inventory read straight through `include` checks the same devices against their baselines.
    use_include(
        &env,
        "{ file = \"hosts.ini\", from = \"ansible\", skip_unknown = true }",
    );
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    for d in ["lab-01", "lab-02", "lab-03"] {
        assert_eq!(r.outcome(d), "verified", "{r:?}");
    }
    assert_eq!(
        crate::support::device_entry(&r.json(), "lab-01")["platform"],
        "cisco-iosxe",
        "auto recognised the IOS-XE device"
    );

    // Without skip_unknown the unknown host is a config error that names the file and line.
    use_include(&env, "{ file = \"hosts.ini\", from = \"ansible\" }");
    let r = env.run(&["check", "lab-01"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("hosts.ini: line 8: device `printer-1`"),
        "{}",
        r.stderr
    );
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/inventory/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn import(args: &[&str]) -> crate::support::Run {
    crate::support::Run::from(
        crate::support::netattest()
            .args(["inventory", "import"])
            .args(args)
            .output()
            .unwrap(),
    )
}

#[test]
fn import_prints_toml_to_stdout_and_exits_two_on_what_it_cannot_map_or_tell_apart() {
    let r = import(&[
        "--from",
        "netbox",
        &fixture("netbox-devices.json"),
        "--skip-unknown",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: toml::Value = toml::from_str(&r.stdout).unwrap();
    assert_eq!(v["device"].as_array().unwrap().len(), 3);
    assert!(
        r.stderr.contains("skipped: ")
            && r.stderr
                .contains("results[4] (id 105): device `mt-edge-1`: platform `routeros`"),
        "{}",
        r.stderr
    );

    let r = import(&["--from", "netbox", &fixture("netbox-devices.json")]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "nothing written: {}", r.stdout);

    // An override maps what the table does not know, and must name a real profile.
    let r = import(&[
        "--from",
        "oxidized",
        &fixture("router.db"),
        "--platform",
        "procurve=linux",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("name = \"ancient-1.example.net\""),
        "{}",
        r.stdout
    );
    let r = import(&[
        "--from",
        "oxidized",
        &fixture("router.db"),
        "--platform",
        "procurve=hp",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("no profile is named `hp`"),
        "{}",
        r.stderr
    );
    let r = import(&[
        "--from",
        "ansible",
        &fixture("hosts.ini"),
        "--map",
        "name=0",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("are for --from oxidized"), "{}", r.stderr);

    let dir = tempfile::tempdir().unwrap();
    let dup = dir.path().join("dup.csv");
    write(
        &dup,
        "name,host,platform\nrtr 1,10.0.0.1,eos\nrtr-1,10.0.0.2,eos\n",
    );
    let r = import(&["--from", "csv", dup.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("line 3: device `rtr-1` is defined twice (first at line 2)"),
        "{}",
        r.stderr
    );
}
