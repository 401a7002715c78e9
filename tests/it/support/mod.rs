//! Helpers shared by the end-to-end tests.

#![allow(dead_code)]

pub mod sshd;

use std::path::{Path, PathBuf};
use std::process::Command;

use netattest::lab::{Lab, LabOptions, Scenario};

/// The netattest binary cargo built for these tests, with a clean environment for colour and config.
pub fn netattest() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netattest"));
    cmd.env_remove("NETATTEST_CONFIG")
        .env("NO_COLOR", "1")
        .env_remove("XDG_CONFIG_HOME");
    cmd
}

/// One finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// stdout parsed as the JSON report.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// Finding codes of one device in the JSON report, sorted.
    pub fn codes(&self, device: &str) -> Vec<String> {
        let v = self.json();
        let dev = device_entry(&v, device);
        let mut codes: Vec<String> = dev["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect();
        codes.sort();
        codes
    }

    pub fn outcome(&self, device: &str) -> String {
        device_entry(&self.json(), device)["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub fn device_entry<'a>(report: &'a serde_json::Value, device: &str) -> &'a serde_json::Value {
    report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == device)
        .unwrap_or_else(|| panic!("no {device} in {report}"))
}

/// A lab running on its own runtime, a config and an initialised state directory pointing at it.
pub struct LabEnv {
    pub lab: Option<Lab>,
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
}

impl LabEnv {
    pub fn start(devices: usize) -> LabEnv {
        LabEnv::start_with(devices, "")
    }

    /// `extra_defaults` are lines appended to the `[defaults]` table.
    pub fn start_with(devices: usize, extra_defaults: &str) -> LabEnv {
        LabEnv::start_personas(devices, &[], None, extra_defaults)
    }

    /// A lab whose devices cycle through `personas` (empty: IOS-XE and Linux alternating); devices that
    /// log in unprivileged ask for `enable_secret`.
    pub fn start_personas(
        devices: usize,
        personas: &[netattest::lab::Persona],
        enable_secret: Option<&str>,
        extra_defaults: &str,
    ) -> LabEnv {
        LabEnv::start_options(
            LabOptions {
                devices,
                personas: personas.to_vec(),
                enable_secret: enable_secret.map(str::to_owned),
                image_size: 256 * 1024,
                ..LabOptions::default()
            },
            extra_defaults,
        )
    }

    /// A lab started with `opts` (a password the devices accept, say).
    pub fn start_options(opts: LabOptions, extra_defaults: &str) -> LabEnv {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let lab = runtime.block_on(Lab::start(opts)).expect("the lab starts");
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("lab_client_ed25519");
        lab.write_client_key(&key).unwrap();
        lab.write_inventory(&dir.path().join("inventory.toml"), &key)
            .unwrap();
        std::fs::write(
            dir.path().join("netattest.toml"),
            format!(
                "state_dir = \"state\"\ninclude = [\"inventory.toml\"]\nssh_config = false\n[defaults]\npull = \"always\"\nconnect_timeout = \"5s\"\ncommand_timeout = \"4s\"\npull_timeout = \"4s\"\n{extra_defaults}\n"
            ),
        )
        .unwrap();
        let env = LabEnv {
            lab: Some(lab),
            dir,
            runtime,
        };
        let init = env.run(&["init"]);
        assert_eq!(init.code, 0, "{init:?}");
        env
    }

    pub fn lab(&self) -> &Lab {
        self.lab.as_ref().unwrap()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("netattest.toml")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The file of a device's current baseline version, as the signed ledger names it (read here without
    /// checking the signature); `None` when the ledger does not name the device.
    pub fn current_baseline(&self, device: &str) -> Option<PathBuf> {
        let text = std::fs::read_to_string(self.state().join("ledger.toml")).ok()?;
        let payload = text.split_once('\n')?.1;
        let v: toml::Value = toml::from_str(payload).ok()?;
        let version = v
            .get("devices")?
            .get(device)?
            .get("version")?
            .as_integer()?;
        Some(
            self.state()
                .join(format!("baselines/{device}/{version:06}.toml")),
        )
    }

    /// Runs the binary with `--config` set to this lab's config.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = netattest()
            .arg("--config")
            .arg(self.config())
            .args(args)
            .output()
            .unwrap();
        Run::from(out)
    }

    /// Runs the binary with this lab's config and extra environment variables.
    pub fn run_with_env(&self, vars: &[(&str, &std::ffi::OsStr)], args: &[&str]) -> Run {
        let mut cmd = netattest();
        cmd.arg("--config").arg(self.config()).args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    }

    pub fn apply(&self, device: &str, scenario: Scenario) {
        self.lab().apply(device, scenario).unwrap();
    }

    /// Enrolls every device and asserts it worked.
    pub fn enroll_all(&self) {
        let names: Vec<String> = self.lab().devices().into_iter().map(|d| d.name).collect();
        for name in names {
            let r = self.run(&["enroll", &name, "--format", "json"]);
            assert_eq!(r.code, 0, "enroll {name}: {r:?}");
            assert_eq!(r.outcome(&name), "enrolled");
        }
    }
}

impl Drop for LabEnv {
    fn drop(&mut self) {
        if let Some(lab) = self.lab.take() {
            self.runtime.block_on(lab.shutdown());
        }
    }
}

/// Writes a file, creating parents.
pub fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
}
