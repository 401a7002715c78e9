//! Boot checks (T1601.001, T1542): what the device will boot next and how: boot variables, configuration
//! register, bootloader, startup configuration. Pure, no I/O.

use crate::evidence::Evidence;
use crate::profile::same_image_path;
use crate::report::diff::line_diff;
use crate::report::finding::{Code, Finding};

/// The running image not among the images the boot variables name: the device booted something else.
pub fn running_not_boot(ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let dev = ev.device.as_str();
    if let Some(img) = ev.running_image()
        && !ev.boot.boot_images.is_empty()
        && !ev
            .boot
            .boot_images
            .iter()
            .any(|b| same_image_path(b, &img.path))
    {
        out.push(
            Finding::new(Code::RunningImageNotBootImage, dev, "boot variable")
                .expected(img.path.clone())
                .actual(ev.boot.boot_images.join(";"))
                .evidence(format!("running image: {}", img.path))
                .evidence(format!(
                    "boot variable: {}",
                    ev.boot.boot_variable.as_deref().unwrap_or("")
                )),
        );
    }
    out
}

/// Boot evidence now against the baseline's.
pub fn changes(dev: &str, base: &Evidence, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    // How the device boots next.
    if base.boot.boot_variable != ev.boot.boot_variable && ev.boot.boot_variable.is_some() {
        out.push(
            Finding::new(Code::BootVariableChanged, dev, "boot variable")
                .expected(
                    base.boot
                        .boot_variable
                        .clone()
                        .unwrap_or_else(|| "(unset)".into()),
                )
                .actual(ev.boot.boot_variable.clone().unwrap_or_default()),
        );
    }
    if let (Some(was), Some(now)) = (&base.boot.config_register, &ev.boot.config_register)
        && !was.eq_ignore_ascii_case(now)
    {
        out.push(
            Finding::new(Code::ConfigRegisterChanged, dev, "configuration register")
                .expected(was)
                .actual(now),
        );
    }
    if let (Some(was), Some(now)) = (&base.boot.bootloader, &ev.boot.bootloader)
        && was != now
    {
        out.push(
            Finding::new(Code::BootloaderChanged, dev, "bootloader")
                .expected(was)
                .actual(now),
        );
    }
    if let (Some(was), Some(now)) = (&base.boot_config, &ev.boot_config)
        && was.sha256 != now.sha256
    {
        let mut f = Finding::new(Code::BootConfigChanged, dev, "startup configuration")
            .expected(format!("sha256:{}", was.sha256))
            .actual(format!("sha256:{}", now.sha256));
        f.evidence = line_diff(&was.redacted, &now.redacted, 40);
        if f.evidence.is_empty() {
            f.evidence
                .push("only redacted lines (secrets) changed".into());
        }
        out.push(f);
    }
    out
}
