//! A full disk loses nothing: enrollment fails cleanly and the state stays usable.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::LabEnv;

/// A tiny tmpfs mounted over a directory, unmounted on drop.
struct TinyFs(PathBuf);

impl TinyFs {
    fn mount(at: &Path) -> TinyFs {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(at)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "this test mounts a 256 KiB tmpfs to fill a disk, which needs root (CI runs as root)"
        );
        TinyFs(at.to_path_buf())
    }

    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        // dd stops with "No space left on device"; that is the point.
        let _ = Command::new("dd")
            .arg("if=/dev/zero")
            .arg(format!("of={}", filler.display()))
            .arg("bs=4k")
            .output();
        filler
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_enrollment_cleanly_and_loses_nothing() {
    let env = LabEnv::start(2);
    let fs = TinyFs::mount(&env.state());
    assert_eq!(env.run(&["init"]).code, 0);
    assert_eq!(env.run(&["enroll", "lab-01", "--format", "json"]).code, 0);
    let baseline = std::fs::read(env.current_baseline("lab-01").unwrap()).unwrap();
    let known_hosts = std::fs::read(env.state().join("known_hosts")).unwrap();

    let filler = fs.fill();
    let r = env.run(&["enroll", "lab-02", "--format", "json"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(r.outcome("lab-02"), "error");
    assert!(r.stdout.contains("No space left on device"), "{r:?}");
    assert_eq!(env.current_baseline("lab-02"), None);
    assert_eq!(
        std::fs::read(env.state().join("known_hosts")).unwrap(),
        known_hosts,
        "known_hosts untouched"
    );
    assert_eq!(
        std::fs::read(env.current_baseline("lab-01").unwrap()).unwrap(),
        baseline
    );

    // The check still runs and reports, even though its run archive cannot be written.
    let check = env.run(&["check", "lab-01", "--format", "json"]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stderr.contains("could not archive the run"),
        "{check:?}"
    );

    std::fs::remove_file(filler).unwrap();
    let again = env.run(&["enroll", "lab-02", "--format", "json"]);
    assert_eq!(
        again.code, 0,
        "with space again, enrollment works: {again:?}"
    );
    drop(fs);
}
