//! Pulls one file over SSH with netattest's own client and prints `METHOD SECONDS SHA512HEX`.
//!
//! A benchmark, not a tool: it trusts the host key it is shown (unless `--expect SHA256:...` names one).
//! `bench/pull.sh` runs it against a throwaway sshd next to OpenSSH's `ssh HOST cat FILE | sha512sum`.
//!
//! ```text
//! cargo run --release --example pull_bench -- HOST PORT USER KEY_FILE REMOTE_PATH sftp|cat [--expect FP]
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use netattest::config::{AuthSpec, Timeouts};
use netattest::digest::Algorithm;
use netattest::profile::PullMethod;
use netattest::ssh::{Credentials, HostKeyPolicy, Session, Target};

const USAGE: &str =
    "usage: pull_bench HOST PORT USER KEY_FILE REMOTE_PATH sftp|cat [--expect SHA256:FINGERPRINT]";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pull_bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (positional, expect) = match args.iter().position(|a| a == "--expect") {
        Some(i) => {
            let fp = args.get(i + 1).ok_or(USAGE)?.clone();
            ([&args[..i], &args[i + 2..]].concat(), Some(fp))
        }
        None => (args.clone(), None),
    };
    let [host, port, user, key, path, method] =
        <[String; 6]>::try_from(positional).map_err(|_| USAGE)?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("bad port {port}\n{USAGE}"))?;
    let method = match method.as_str() {
        "sftp" => PullMethod::Sftp,
        "cat" => PullMethod::Cat,
        other => return Err(format!("unknown method {other}\n{USAGE}")),
    };

    let spec = AuthSpec {
        key_file: Some(PathBuf::from(key)),
        ..AuthSpec::default()
    };
    let target = Target {
        host,
        port,
        user,
        credentials: Credentials::resolve(&spec, std::time::Duration::from_secs(30))
            .map_err(|e| e.to_string())?,
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(30),
            pull_idle: Duration::from_secs(30),
            device: Duration::from_secs(3600),
            secret_command: Duration::from_secs(30),
        },
        max_output: 1 << 20,
        max_image: u64::MAX,
        algorithms: Default::default(),
    };
    // Nothing is pinned: a known_hosts path that does not exist makes every key "unknown", which
    // LearnUnknown accepts (only the one named by --expect, when given). Nothing is written.
    let policy = HostKeyPolicy::LearnUnknown {
        known_hosts: std::env::temp_dir().join(format!(
            "pull_bench-{}-no-such-known-hosts",
            std::process::id()
        )),
        expect,
    };
    // The quoted form is what the device's shell gets for `cat -- QUOTED`.
    let quoted = format!("'{}'", path.replace('\'', r"'\''"));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let start = Instant::now();
        let mut session = Session::connect(&target, policy)
            .await
            .map_err(|e| e.to_string())?;
        let outcome = session
            .pull(&path, &quoted, &[method], &[Algorithm::Sha512], &mut |_| {})
            .await
            .map_err(|e| e.to_string())?;
        let seconds = start.elapsed().as_secs_f64();
        session.close().await;
        let digest = outcome
            .digests
            .iter()
            .find(|d| d.algorithm() == Algorithm::Sha512)
            .ok_or("no SHA-512 digest")?;
        println!("{} {seconds:.3} {}", outcome.method.name(), digest.to_hex());
        Ok(())
    })
}
