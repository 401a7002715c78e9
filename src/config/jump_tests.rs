//! Jump hosts in the config: `[[jump]]` entries, `jump` lists on devices, groups and defaults, and
//! ssh_config's ProxyJump, resolved into each device's route.

use super::inventory::{Hop, Route, SshConfigFile, resolve};
use super::*;

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("netattest.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    match Config::load(&write(dir.path(), text)) {
        Err(ConfigError::Invalid(p)) => p
            .into_iter()
            .map(|p| format!("{}: {}", p.key, p.reason))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

const JUMPS: &str = r#"
[[jump]]
name = "bastion-1"
host = "192.0.2.10"
port = 2222
user = "jumper"
auth = { key_file = "/keys/bastion" }
[[jump]]
name = "bastion-2"
"#;

fn routes(text: &str, ssh_config: Option<&str>) -> BTreeMap<String, Route> {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("ssh_config");
    let mut text = text.to_owned();
    if let Some(s) = ssh_config {
        std::fs::write(&ssh, s).unwrap();
        text = format!("ssh_config = {:?}\n{text}", ssh.display().to_string());
    } else {
        text = format!("ssh_config = false\n{text}");
    }
    let cfg = Config::load(&write(dir.path(), &text)).unwrap();
    let file = SshConfigFile::load(cfg.ssh_config.as_deref());
    cfg.devices
        .iter()
        .map(|d| (d.name.clone(), resolve(&cfg, &file, d).route))
        .collect()
}

fn names(route: &Route) -> Vec<String> {
    match route {
        Route::Jump(hops) => hops.iter().map(|h| h.name.clone()).collect(),
        other => panic!("expected a jump route, got {other:?}"),
    }
}

#[test]
fn jump_comes_from_the_device_else_its_groups_else_the_defaults() {
    let r = routes(
        &format!(
            r#"
[defaults]
user = "netops"
auth = {{ agent = true }}
jump = ["bastion-2"]
[groups.dmz]
jump = ["bastion-1", "bastion-2"]
[[device]]
name = "own"
platform = "linux"
jump = ["bastion-1"]
[[device]]
name = "direct"
platform = "linux"
jump = []
[[device]]
name = "grouped"
platform = "linux"
groups = ["dmz"]
[[device]]
name = "defaulted"
platform = "linux"
{JUMPS}"#
        ),
        None,
    );
    assert_eq!(names(&r["own"]), ["bastion-1"]);
    assert_eq!(r["direct"], Route::Direct, "the device's own `[]` wins");
    assert_eq!(names(&r["grouped"]), ["bastion-1", "bastion-2"]);
    assert_eq!(names(&r["defaulted"]), ["bastion-2"]);
    let Route::Jump(hops) = &r["grouped"] else {
        unreachable!()
    };
    assert_eq!(
        hops[0],
        Hop {
            name: "bastion-1".into(),
            address: "192.0.2.10".into(),
            port: 2222,
            user: "jumper".into(),
            auth: AuthSpec {
                key_file: Some("/keys/bastion".into()),
                ..AuthSpec::default()
            },
        }
    );
    // A hop that says nothing takes its name as address, port 22, [defaults] user and auth.
    assert_eq!(
        (
            hops[1].address.as_str(),
            hops[1].port,
            hops[1].user.as_str(),
            hops[1].auth.agent
        ),
        ("bastion-2", 22, "netops", true)
    );
}

#[test]
fn a_device_without_jump_or_proxy_jump_is_direct() {
    let r = routes(
        &format!(
            "[defaults]\nauth = {{ agent = true }}\n[[device]]\nname = \"r1\"\nplatform = \"linux\"\n{JUMPS}"
        ),
        Some("Host other\n  ProxyJump bastion-9\n"),
    );
    assert_eq!(r["r1"], Route::Direct);
}

#[test]
fn a_jump_naming_an_unknown_hop_is_a_config_error_wherever_it_is() {
    let p = problems(&format!(
        r#"
[defaults]
auth = {{ agent = true }}
jump = ["nowhere"]
[groups.g]
jump = ["bastion-1", "bastion-1"]
[[device]]
name = "r1"
platform = "linux"
jump = ["bastion-3"]
{JUMPS}"#
    ));
    let joined = p.join("\n");
    assert!(
        joined.contains("defaults.jump[0]: no [[jump]] is named `nowhere`"),
        "{joined}"
    );
    assert!(
        joined.contains("groups.g.jump[1]: `bastion-1` appears twice"),
        "{joined}"
    );
    assert!(
        joined.contains(
            "device[0] (r1).jump[0]: no [[jump]] is named `bastion-3` (known: bastion-1, bastion-2)"
        ),
        "{joined}"
    );
}

#[test]
fn jump_entries_refuse_unknown_keys_duplicates_and_missing_credentials() {
    let p = problems("[[jump]]\nname = \"b\"\nhostname = \"x\"\n");
    assert!(p[0].contains("unknown field `hostname`"), "{p:?}");
    let p = problems("[[jump]]\nname = \"b\"\n[[jump]]\nname = \"b\"\nauth = { agent = true }\n");
    let joined = p.join("\n");
    assert!(
        joined.contains("jump[0] (b).auth: no credential source"),
        "{joined}"
    );
    assert!(
        joined.contains("jump `b` is defined more than once"),
        "{joined}"
    );
}

#[test]
fn groups_naming_different_chains_must_be_settled_on_the_device() {
    let p = problems(&format!(
        r#"
[defaults]
auth = {{ agent = true }}
[groups.a]
jump = ["bastion-1"]
[groups.b]
jump = ["bastion-2"]
[[device]]
name = "r1"
platform = "linux"
groups = ["a", "b"]
{JUMPS}"#
    ));
    assert!(
        p.iter()
            .any(|p| p.contains("(r1).jump: its groups name different jump chains (a, b)")),
        "{p:?}"
    );
}

#[test]
fn proxy_jump_from_ssh_config_is_honoured_with_each_hops_own_host_block() {
    let ssh = "Host core-*\n  HostName 10.1.1.1\n  ProxyJump ops@b1:2200,b2\n  IdentityFile /keys/device\n\
               Host b2\n  HostName 10.9.9.9\n  Port 2022\n  User hopper\n  IdentityFile /keys/b2\n\
               Host edge-*\n  ProxyJump none\n\
               Host bad-*\n  ProxyJump b1:notaport\n";
    let text = "[defaults]\nauth = { agent = true }\n\
                [[device]]\nname = \"core-1\"\nplatform = \"linux\"\n\
                [[device]]\nname = \"edge-1\"\nplatform = \"linux\"\n\
                [[device]]\nname = \"bad-1\"\nplatform = \"linux\"\n\
                [[device]]\nname = \"mine-1\"\nhost = \"core-2\"\nplatform = \"linux\"\njump = []\n";
    let r = routes(text, Some(ssh));
    let Route::Jump(hops) = &r["core-1"] else {
        panic!("{:?}", r["core-1"])
    };
    assert_eq!(hops.len(), 2);
    assert_eq!(
        (
            hops[0].address.as_str(),
            hops[0].port,
            hops[0].user.as_str()
        ),
        ("b1", 2200, "ops")
    );
    assert_eq!(
        hops[0].auth.key_file.as_deref(),
        Some(Path::new("/keys/device")),
        "without its own IdentityFile a hop uses the device's key"
    );
    assert_eq!(hops[0].auth.password_env, None);
    assert_eq!(
        (
            hops[1].address.as_str(),
            hops[1].port,
            hops[1].user.as_str()
        ),
        ("10.9.9.9", 2022, "hopper")
    );
    assert_eq!(
        hops[1].auth.key_file.as_deref(),
        Some(Path::new("/keys/b2"))
    );
    assert_eq!(r["edge-1"], Route::Direct, "ProxyJump none");
    let Route::Invalid(why) = &r["bad-1"] else {
        panic!(
            "an unreadable ProxyJump must not be direct: {:?}",
            r["bad-1"]
        )
    };
    assert!(
        why.contains("ProxyJump") && why.contains("b1:notaport"),
        "{why}"
    );
    assert_eq!(
        r["mine-1"],
        Route::Direct,
        "netattest's own `jump` wins over ssh_config"
    );
}

#[test]
fn a_password_meant_for_the_device_is_never_a_proxy_jump_hops_credential() {
    let ssh = "Host r1\n  ProxyJump bastion\n";
    let text = "[[device]]\nname = \"r1\"\nplatform = \"linux\"\nauth = { password_env = \"PW\", agent = true }\n";
    let r = routes(text, Some(ssh));
    let Route::Jump(hops) = &r["r1"] else {
        panic!("{:?}", r["r1"])
    };
    assert_eq!(
        hops[0].auth,
        AuthSpec {
            agent: true,
            ..AuthSpec::default()
        }
    );
}

#[test]
fn a_proxy_jump_hop_is_reached_through_its_own_proxy_jump_and_loops_are_refused() {
    let ssh = "Host r1\n  ProxyJump inner\n\
               Host inner\n  ProxyJump outer\n\
               Host r2\n  ProxyJump loop-a\n\
               Host loop-a\n  ProxyJump loop-b\n\
               Host loop-b\n  ProxyJump loop-a\n";
    let text = "[defaults]\nauth = { agent = true }\n\
                [[device]]\nname = \"r1\"\nplatform = \"linux\"\n\
                [[device]]\nname = \"r2\"\nplatform = \"linux\"\n";
    let r = routes(text, Some(ssh));
    assert_eq!(names(&r["r1"]), ["outer", "inner"], "first hop first");
    let Route::Invalid(why) = &r["r2"] else {
        panic!("a loop must not be honoured: {:?}", r["r2"])
    };
    assert!(why.contains("ProxyJump loop"), "{why}");
}
