//! Jump hosts end to end: real OpenSSH sshd bastions (forwarding on, their own host keys, DEBUG logs read
//! back) in front of lab devices, with the real binary enrolling, checking and auditing through them.

use std::net::{Ipv4Addr, TcpListener};

use crate::support::sshd::Sshd;
use crate::support::{LabEnv, Run, device_entry};

/// A bastion: forwarding allowed, logging each login and each `direct-tcpip` it opens.
fn bastion() -> Sshd {
    Sshd::start_with(&["LogLevel DEBUG1", "AllowTcpForwarding yes"])
}

/// A `[[jump]]` table for `sshd`, logging in with its client key.
fn jump_entry(name: &str, sshd: &Sshd) -> String {
    format!(
        "[[jump]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {}\nuser = {:?}\nauth = {{ key_file = {:?} }}\n",
        sshd.port,
        sshd.user,
        sshd.client_key.display().to_string()
    )
}

/// A lab of `devices` whose `[defaults]` send every device through `chain`, with `entries` defining the hops.
fn lab_behind(devices: usize, chain: &[&str], entries: &str) -> LabEnv {
    let list: Vec<String> = chain.iter().map(|h| format!("{h:?}")).collect();
    LabEnv::start_with(devices, &format!("jump = [{}]\n{entries}", list.join(", ")))
}

/// Logins the sshd accepted so far.
fn logins(sshd: &Sshd) -> usize {
    sshd.log_text().matches("Accepted publickey").count()
}

/// Whether the sshd opened a `direct-tcpip` connection to this loopback port.
fn forwarded_to(sshd: &Sshd, port: u16) -> bool {
    let target = format!("target 127.0.0.1 port {port}");
    sshd.log_text()
        .lines()
        .any(|l| l.contains("direct_tcpip") && l.trim_end().ends_with(&target))
}

fn port_of(env: &LabEnv, device: &str) -> u16 {
    env.lab()
        .devices()
        .into_iter()
        .find(|d| d.name == device)
        .unwrap()
        .addr
        .port()
}

fn detail(r: &Run, device: &str) -> String {
    device_entry(&r.json(), device)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn known_hosts(env: &LabEnv) -> String {
    std::fs::read_to_string(env.state().join("known_hosts")).unwrap_or_default()
}

fn check(env: &LabEnv, device: &str) -> Run {
    env.run(&["check", device, "--format", "json"])
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn jump_enroll_and_check_go_through_one_bastion_and_pin_its_key() {
    let b1 = bastion();
    let env = lab_behind(2, &["bastion-1"], &jump_entry("bastion-1", &b1));
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_eq!(r.outcome("lab-01"), "enrolled", "{r:?}");
    assert!(
        detail(&r, "lab-01").contains(&format!(
            "jump host bastion-1 pinned: {}",
            b1.host_key_fingerprint()
        )),
        "{r:?}"
    );
    let r = env.run(&["enroll", "lab-02", "--format", "json"]);
    assert_eq!(r.outcome("lab-02"), "enrolled", "{r:?}");
    assert!(
        !detail(&r, "lab-02").contains("jump host"),
        "pinned once: {r:?}"
    );
    assert!(
        known_hosts(&env).contains(&format!("[127.0.0.1]:{}", b1.port)),
        "enrollment pins the bastion's key: {}",
        known_hosts(&env)
    );
    for dev in ["lab-01", "lab-02"] {
        let r = check(&env, dev);
        assert_eq!(r.outcome(dev), "verified", "{r:?}");
        assert!(
            forwarded_to(&b1, port_of(&env, dev)),
            "{dev} reached through the bastion: {}",
            b1.log_text()
        );
    }
}

#[test]
fn jump_enroll_and_check_go_through_two_bastions() {
    let (b1, b2) = (bastion(), bastion());
    let entries = format!(
        "{}{}",
        jump_entry("bastion-1", &b1),
        jump_entry("bastion-2", &b2)
    );
    let env = lab_behind(1, &["bastion-1", "bastion-2"], &entries);
    env.enroll_all();
    let r = check(&env, "lab-01");
    assert_eq!(r.outcome("lab-01"), "verified", "{r:?}");
    let device = port_of(&env, "lab-01");
    assert!(
        forwarded_to(&b1, b2.port),
        "the first hop forwards to the second: {}",
        b1.log_text()
    );
    assert!(
        !forwarded_to(&b1, device),
        "the first hop never connects to the device itself"
    );
    assert!(
        forwarded_to(&b2, device),
        "the second hop forwards to the device: {}",
        b2.log_text()
    );
    let kh = known_hosts(&env);
    for b in [&b1, &b2] {
        assert!(kh.contains(&format!("[127.0.0.1]:{}", b.port)), "{kh}");
    }
}

#[test]
fn jump_a_changed_bastion_key_stops_the_devices_behind_it() {
    let mut b1 = bastion();
    let env = lab_behind(2, &["bastion-1"], &jump_entry("bastion-1", &b1));
    env.enroll_all();
    b1.restart_with_new_host_key();
    let connections: Vec<usize> = ["lab-01", "lab-02"]
        .iter()
        .map(|d| env.lab().connections(d))
        .collect();
    let r = env.run(&["audit", "--format", "json"]);
    assert_ne!(r.code, 0, "{r:?}");
    for dev in ["lab-01", "lab-02"] {
        assert_eq!(r.outcome(dev), "host-key-mismatch", "{r:?}");
        let why = detail(&r, dev);
        assert!(
            why.contains("jump host bastion-1") && why.contains("changed"),
            "the detail names the hop: {why}"
        );
    }
    assert_eq!(
        logins(&b1),
        0,
        "no login to the impostor: {}",
        b1.log_text()
    );
    let after: Vec<usize> = ["lab-01", "lab-02"]
        .iter()
        .map(|d| env.lab().connections(d))
        .collect();
    assert_eq!(after, connections, "nothing reached the devices");
}

#[test]
fn jump_check_refuses_a_bastion_it_never_pinned() {
    let (b1, b2) = (bastion(), bastion());
    let env = lab_behind(1, &["bastion-1"], &jump_entry("bastion-1", &b1));
    env.enroll_all();
    // Now the same device is sent through another bastion, never enrolled through.
    let config = std::fs::read_to_string(env.config())
        .unwrap()
        .replace("jump = [\"bastion-1\"]", "jump = [\"bastion-2\"]");
    std::fs::write(
        env.config(),
        format!("{config}{}", jump_entry("bastion-2", &b2)),
    )
    .unwrap();
    let before = env.lab().connections("lab-01");
    let r = check(&env, "lab-01");
    assert_eq!(r.outcome("lab-01"), "host-key-unknown", "{r:?}");
    assert!(
        detail(&r, "lab-01").contains("jump host bastion-2"),
        "{r:?}"
    );
    assert_eq!(logins(&b2), 0, "no credentials to an unpinned bastion");
    assert_eq!(env.lab().connections("lab-01"), before);
    assert!(
        !known_hosts(&env).contains(&format!("[127.0.0.1]:{}", b2.port)),
        "a check never learns a hop"
    );
}

#[test]
fn jump_to_a_dead_bastion_fails_instead_of_connecting_directly() {
    let dead = dead_port();
    let entry = format!(
        "[[jump]]\nname = \"gone\"\nhost = \"127.0.0.1\"\nport = {dead}\nauth = {{ agent = true }}\n"
    );
    let env = lab_behind(1, &["gone"], &entry);
    let r = env.run(&["enroll", "lab-01", "--format", "json"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(r.outcome("lab-01"), "unreachable", "{r:?}");
    assert!(
        detail(&r, "lab-01").contains("jump host gone"),
        "{}",
        detail(&r, "lab-01")
    );
    assert_eq!(
        env.lab().connections("lab-01"),
        0,
        "the device saw no connection at all"
    );
}

#[test]
fn jump_an_audit_logs_in_to_the_bastion_once_for_many_devices() {
    let b1 = bastion();
    let env = lab_behind(6, &["bastion-1"], &jump_entry("bastion-1", &b1));
    // One device says `jump = []`: it is reached directly, never through the bastion.
    let inventory = env.dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&inventory)
        .unwrap()
        .replace("name = \"lab-06\"\n", "name = \"lab-06\"\njump = []\n");
    std::fs::write(&inventory, text).unwrap();
    env.enroll_all();
    let before = logins(&b1);
    let r = env.run(&["audit", "--format", "json", "--concurrency", "6"]);
    assert_eq!(r.code, 0, "{r:?}");
    for i in 1..=6 {
        let dev = format!("lab-{i:02}");
        assert_eq!(r.outcome(&dev), "verified", "{r:?}");
    }
    assert_eq!(
        logins(&b1) - before,
        1,
        "one bastion login for five devices: {}",
        b1.log_text()
    );
    assert!(!forwarded_to(&b1, port_of(&env, "lab-06")));
    for i in 1..=5 {
        assert!(forwarded_to(&b1, port_of(&env, &format!("lab-{i:02}"))));
    }
}

#[test]
fn jump_proxy_jump_from_an_ssh_config_file_works_end_to_end() {
    let b1 = bastion();
    let env = LabEnv::start(2);
    let ssh_config = env.dir.path().join("ssh_config");
    std::fs::write(
        &ssh_config,
        format!(
            "Host bastion\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n\
             Host 127.0.0.1\n  ProxyJump bastion\n",
            b1.port,
            b1.user,
            b1.client_key.display()
        ),
    )
    .unwrap();
    let config = std::fs::read_to_string(env.config()).unwrap().replace(
        "ssh_config = false",
        &format!("ssh_config = {:?}", ssh_config.display().to_string()),
    );
    std::fs::write(env.config(), config).unwrap();
    env.enroll_all();
    let r = env.run(&["audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    for dev in ["lab-01", "lab-02"] {
        assert_eq!(r.outcome(dev), "verified", "{r:?}");
        assert!(forwarded_to(&b1, port_of(&env, dev)), "{}", b1.log_text());
    }
    // A ProxyJump that cannot be read fails the device; it never connects directly.
    std::fs::write(
        &ssh_config,
        "Host 127.0.0.1\n  ProxyJump bastion:notaport\n",
    )
    .unwrap();
    let before = env.lab().connections("lab-01");
    let r = check(&env, "lab-01");
    assert_eq!(r.outcome("lab-01"), "error", "{r:?}");
    assert!(
        detail(&r, "lab-01").contains("not connecting directly"),
        "{r:?}"
    );
    assert_eq!(env.lab().connections("lab-01"), before);
}

#[test]
fn jump_enroll_all_pins_the_bastion_once_over_one_login() {
    let b1 = bastion();
    let env = lab_behind(4, &["bastion-1"], &jump_entry("bastion-1", &b1));
    let r = env.run(&["enroll", "--all", "--format", "json"]);
    for i in 1..=4 {
        let dev = format!("lab-{i:02}");
        assert_eq!(r.outcome(&dev), "enrolled", "{r:?}");
    }
    assert_eq!(
        logins(&b1),
        1,
        "one login for four enrollments: {}",
        b1.log_text()
    );
    let pinned = (1..=4)
        .filter(|i| detail(&r, &format!("lab-{i:02}")).contains("jump host bastion-1 pinned"))
        .count();
    assert_eq!(pinned, 1, "the bastion's key is pinned once: {r:?}");
    let line = format!("[127.0.0.1]:{}", b1.port);
    assert_eq!(
        known_hosts(&env).matches(&line).count(),
        1,
        "{}",
        known_hosts(&env)
    );
}

#[test]
fn jump_a_device_whose_own_key_changed_behind_a_bastion_is_a_finding_and_gets_no_credentials() {
    let b1 = bastion();
    let env = lab_behind(1, &["bastion-1"], &jump_entry("bastion-1", &b1));
    env.enroll_all();
    env.apply("lab-01", netattest::lab::Scenario::HostKeySwapped);
    let before = env.lab().auth_attempts("lab-01");
    let r = check(&env, "lab-01");
    assert_eq!(r.outcome("lab-01"), "host-key-mismatch", "{r:?}");
    assert_eq!(r.codes("lab-01"), vec!["host-key-changed"]);
    assert!(
        !detail(&r, "lab-01").contains("jump host"),
        "the device's key, not the hop's: {r:?}"
    );
    assert_eq!(
        env.lab().auth_attempts("lab-01"),
        before,
        "no authentication reached the impostor"
    );
}

/// A bastion answering with a new key that someone also wrote into known_hosts (write access to the state
/// directory and a man in the middle at the bastion): the hop pin is the signed ledger's, so nothing logs in.
#[test]
fn jump_a_bastion_key_only_known_hosts_trusts_is_refused() {
    let mut b1 = bastion();
    let env = lab_behind(1, &["bastion-1"], &jump_entry("bastion-1", &b1));
    env.enroll_all();
    b1.restart_with_new_host_key();
    let new_key = std::fs::read_to_string(b1.host_key.with_extension("pub")).unwrap();
    let line = format!(
        "[127.0.0.1]:{} {}\n",
        b1.port,
        new_key
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let kh = env.state().join("known_hosts");
    let kept: String = std::fs::read_to_string(&kh)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(&format!("[127.0.0.1]:{} ", b1.port)))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&kh, format!("{kept}{line}")).unwrap();
    let before = env.lab().connections("lab-01");
    let r = check(&env, "lab-01");
    assert_ne!(r.outcome("lab-01"), "verified", "{r:?}");
    assert!(
        detail(&r, "lab-01").contains("jump host bastion-1"),
        "{r:?}"
    );
    assert_eq!(
        logins(&b1),
        0,
        "no login to the bastion known_hosts alone trusts"
    );
    assert_eq!(env.lab().connections("lab-01"), before);
}
