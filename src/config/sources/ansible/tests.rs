use super::*;

#[test]
fn host_patterns_expand_ranges_and_split_ports_as_ansible_does() {
    let cases: &[(&str, &[&str], Option<u16>)] = &[
        ("rtr1", &["rtr1"], None),
        ("rtr1:2222", &["rtr1"], Some(2222)),
        ("10.0.0.1:22", &["10.0.0.1"], Some(22)),
        ("[2001:db8::1]:2200", &["2001:db8::1"], Some(2200)),
        ("2001:db8::1", &["2001:db8::1"], None),
        (
            "sw-[01:03].lab",
            &["sw-01.lab", "sw-02.lab", "sw-03.lab"],
            None,
        ),
        ("sw[1:5:2]", &["sw1", "sw3", "sw5"], None),
        ("db-[a:c]", &["db-a", "db-b", "db-c"], None),
        (
            "r[1:2]-[a:b]:830",
            &["r1-a", "r1-b", "r2-a", "r2-b"],
            Some(830),
        ),
        ("x[:2]", &["x0", "x1", "x2"], None),
    ];
    for (pattern, hosts, port) in cases {
        let (got, got_port) = expand_pattern(pattern).unwrap();
        assert_eq!(got, *hosts, "{pattern}");
        assert_eq!(got_port, *port, "{pattern}");
    }
}

#[test]
fn bad_host_patterns_are_refused_with_a_reason() {
    for (pattern, why) in [
        ("rtr1:", "reserved for a port"),
        ("rtr1:ssh", "is not a port"),
        ("sw[01:100]", "equal width"),
        ("sw[5:1]", "backwards"),
        ("sw[1:3", "never closed"),
        ("sw[1:9999999]", "more than"),
        ("sw[0:4096]", "more than 4096"),
        ("r[0:63]x[0:63]y[0:1]", "more than 4096"),
        ("sw[aa:bb]", "one-letter"),
    ] {
        let err = expand_pattern(pattern).unwrap_err();
        assert!(err.contains(why), "{pattern}: {err}");
    }
}

#[test]
fn a_group_cycle_is_an_error_not_a_hang() {
    let text = "[a:children]\nb\n[b:children]\na\n[a]\nh1 ansible_network_os=eos\n[b]\n";
    let err = parse(text, None).unwrap_err();
    assert!(err[0].reason.contains("group cycle"), "{err:?}");
}

#[test]
fn deeper_groups_win_and_the_host_wins_over_every_group() {
    let text = "[all:vars]\nansible_network_os=ios\n[parent:children]\nchild\n[parent:vars]\nansible_network_os=junos\nansible_port=2000\n[child]\nh1\nh2 ansible_port=2002\n[child:vars]\nansible_network_os=eos\n";
    let parsed = parse(text, None).unwrap();
    let get = |n: &str| parsed.records.iter().find(|r| r.name == n).unwrap();
    assert_eq!(get("h1").platforms, vec!["eos".to_string()]);
    assert_eq!(get("h1").port, Some(2000));
    assert_eq!(get("h2").port, Some(2002));
    assert_eq!(
        get("h1").groups,
        vec!["child".to_string(), "parent".to_string()]
    );
}
