//! The deployment files in `deploy/`: the systemd units pass `systemd-analyze verify` and its offline
//! security check, the cron line runs the audit, and the Kubernetes manifest wires the shards as the README
//! says (an Indexed Job whose index is the shard, one state volume everywhere, the merge reading what the
//! shards wrote).

use std::path::{Path, PathBuf};
use std::process::Command;

// yaml-rust2 reads the manifest: the library's own YAML reader (Ansible inventories), no second one.
use yaml_rust2::{Yaml as Value, YamlLoader};

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The units with ExecStart's binary replaced by the one cargo built (verify checks that it is executable),
/// in a temporary folder; nothing else is changed.
fn units_for_verify() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for unit in ["netattest-audit.service", "netattest-audit.timer"] {
        let text = read(&format!("systemd/{unit}"))
            .replace("/usr/local/bin/netattest", env!("CARGO_BIN_EXE_netattest"));
        let path = dir.path().join(unit);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    (dir, paths)
}

fn systemd_analyze() -> Command {
    // scripts/test.sh installs systemd where systemd-analyze is missing; without it this test fails rather
    // than passing unchecked.
    let found = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("systemd-analyze is not installed (scripts/test.sh installs the systemd package)");
    Command::new(found)
}

#[test]
fn the_systemd_units_verify_without_a_warning() {
    let (_dir, units) = units_for_verify();
    let out = systemd_analyze()
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Strict: verify exits 0 on warnings, so any line about our units fails the test too.
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.lines().any(|l| l.contains("netattest-audit")),
        "{stderr}"
    );
}

#[test]
fn the_audit_service_is_hardened_and_runs_the_json_audit() {
    let unit = read("systemd/netattest-audit.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    assert!(
        exec.starts_with("/usr/local/bin/netattest --config /etc/netattest/config.toml")
            && exec.contains(" audit --format json --output /var/lib/netattest/reports/"),
        "{exec}"
    );
    for line in [
        "User=netattest",
        "StateDirectory=netattest netattest/reports",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "CapabilityBoundingSet=",
        "Type=oneshot",
    ] {
        assert!(unit.lines().any(|l| l == line), "missing {line}");
    }
    let (_dir, units) = units_for_verify();
    // The threshold is in tenths of the printed exposure level: 20 is "2.0", well inside "OK".
    let out = systemd_analyze()
        .args(["security", "--offline=true", "--threshold=20"])
        .arg(&units[0])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exposure above 2.0:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let timer = read("systemd/netattest-audit.timer");
    assert!(timer.contains("Unit=netattest-audit.service") && timer.contains("Persistent=true"));
}

#[test]
fn the_cron_line_runs_the_audit_as_the_netattest_user() {
    let text = read("cron/netattest");
    let jobs: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.contains('='))
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let fields: Vec<&str> = jobs[0].split_whitespace().collect();
    assert_eq!(
        fields[5], "netattest",
        "cron.d lines name the user: {fields:?}"
    );
    let command = fields[6..].join(" ");
    assert!(
        command.starts_with("netattest --config /etc/netattest/config.toml")
            && command.contains("audit --format json --output"),
        "{command}"
    );
    // cron turns `%` into a newline.
    assert!(!jobs[0].contains('%'));
}

fn documents() -> Vec<Value> {
    let text = read("kubernetes/netattest.yaml");
    YamlLoader::load_from_str(&text)
        .expect("valid YAML")
        .into_iter()
        .filter(|v| !v.is_null())
        .collect()
}

fn is(v: &Value, s: &str) -> bool {
    v.as_str() == Some(s)
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| is(&d["kind"], kind)).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_vec()
        .map(|s| {
            s.iter()
                .map(|x| x.as_str().expect("a string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Where a path inside a container lands on a claim: (claim, path within the volume), through the mount
/// with the longest matching mountPath.
fn on_claim(pod: &Value, container: &Value, path: &str) -> Option<(String, String)> {
    let mut best: Option<(usize, String, String)> = None;
    for m in container["volumeMounts"].as_vec()? {
        let mount = m["mountPath"].as_str()?;
        let Some(rest) = path.strip_prefix(mount) else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with('/')) {
            continue;
        }
        let volume = pod["volumes"]
            .as_vec()?
            .iter()
            .find(|v| v["name"] == m["name"])?;
        let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() else {
            continue;
        };
        let sub = m["subPath"].as_str().unwrap_or("");
        let inside = format!("{sub}{rest}").trim_start_matches('/').to_owned();
        if best.as_ref().is_none_or(|b| mount.len() > b.0) {
            best = Some((mount.len(), claim.to_owned(), inside));
        }
    }
    best.map(|(_, c, p)| (c, p))
}

fn arg_after<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[i + 1]
}

#[test]
fn the_kubernetes_shards_are_an_indexed_job_on_one_state_volume_and_the_merge_reads_their_reports()
{
    let docs = documents();
    let claim = of_kind(&docs, "PersistentVolumeClaim")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    // The config the pods get: valid for netattest, and its state_dir is where the claim is mounted.
    let config_map = of_kind(&docs, "ConfigMap")[0];
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in config_map["data"].as_hash().unwrap() {
        std::fs::write(
            dir.path().join(name.as_str().unwrap()),
            text.as_str().unwrap(),
        )
        .unwrap();
    }
    let config = netattest::config::Config::load(&dir.path().join("config.toml"))
        .unwrap_or_else(|e| panic!("the ConfigMap's config.toml: {e:?}"));
    let state_dir = config.state_dir.clone().expect("state_dir is set");
    let state_dir = state_dir.to_str().unwrap();

    let cron_jobs = of_kind(&docs, "CronJob");
    let job = |name: &str| {
        cron_jobs
            .iter()
            .find(|c| is(&c["metadata"]["name"], name))
            .map(|c| &c["spec"]["jobTemplate"]["spec"])
            .unwrap_or_else(|| panic!("no CronJob {name}"))
    };
    let audit = job("netattest-audit");
    assert!(is(&audit["completionMode"], "Indexed"));
    let completions = audit["completions"].as_i64().unwrap();
    assert_eq!(audit["parallelism"].as_i64(), Some(completions));
    let pod = &audit["template"]["spec"];
    let containers = pod["containers"].as_vec().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let args = strings(&c["args"]);
    assert!(args.contains(&"audit".to_string()), "{args:?}");
    // --shard $(VAR)/N: N is the Job's completions and VAR is the completion index.
    let shard = arg_after(&args, "--shard");
    let (var, n) = shard
        .strip_prefix("$(")
        .and_then(|s| s.split_once(")/"))
        .unwrap_or_else(|| panic!("--shard {shard} is not $(VAR)/N"));
    assert_eq!(n.parse::<i64>().ok(), Some(completions), "--shard {shard}");
    let env = c["env"].as_vec().unwrap();
    let index = env
        .iter()
        .find(|e| is(&e["name"], var))
        .unwrap_or_else(|| panic!("{var} is not in the container's env"));
    assert_eq!(var, "JOB_COMPLETION_INDEX");
    assert_eq!(
        index["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    );
    assert_eq!(arg_after(&args, "--config"), "/etc/netattest/config.toml");
    assert_eq!(arg_after(&args, "--format"), "json");
    // Each shard's report: on the state claim, named by its index.
    let output = arg_after(&args, "--output");
    assert!(output.contains(&format!("$({var})")), "{output}");
    let (out_claim, out_path) = on_claim(pod, c, output).expect("--output is on a claim");
    assert_eq!(out_claim, claim);
    let shards_dir = Path::new(&out_path).parent().unwrap().to_owned();

    let merge = job("netattest-merge");
    let merge_pod = &merge["template"]["spec"];
    let merge_containers = merge_pod["containers"].as_vec().unwrap();
    let m = &merge_containers[0];
    let margs = strings(&m["args"]);
    let at = margs
        .iter()
        .position(|a| a == "merge")
        .expect("report merge");
    assert_eq!(margs[at - 1], "report");
    let inputs: Vec<&String> = margs[at + 1..]
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .collect();
    assert_eq!(inputs.len(), 1, "{margs:?}");
    let (in_claim, in_path) =
        on_claim(merge_pod, m, inputs[0]).expect("the merge input is on a claim");
    assert_eq!(in_claim, claim, "the merge reads the shards' volume");
    assert_eq!(
        Path::new(&in_path),
        shards_dir,
        "the merge reads the folder the shards write to"
    );
    assert!(margs.contains(&"--max-age".to_string()), "{margs:?}");

    // The state claim at state_dir in every container of both jobs.
    for (pod, containers) in [(pod, containers), (merge_pod, merge_containers)] {
        for c in containers {
            assert_eq!(
                on_claim(pod, c, state_dir),
                Some((claim.clone(), String::new())),
                "container {:?}: the state volume is not at {state_dir}",
                c["name"]
            );
        }
    }
}
