//! Identity checks (T1001.003): whether the thing answering is the device enrolled: serial, host key,
//! SSH identification string and algorithm offer. Pure, no I/O.

use crate::evidence::Evidence;
use crate::report::finding::{Code, Finding};

/// A weak algorithm the session negotiated: the legacy opt-in made visible, one finding per algorithm.
pub fn weak_algorithms(ev: &Evidence) -> Vec<Finding> {
    let Some(n) = &ev.identity.ssh_negotiated else {
        return Vec::new();
    };
    n.weak()
        .into_iter()
        .map(|(what, name, why)| {
            Finding::new(Code::WeakSshAlgorithm, &ev.device, format!("SSH {what}"))
                .expected("no SHA-1 or CBC algorithms")
                .actual(format!("{name} ({why})"))
        })
        .collect()
}

/// Identity evidence now against the baseline's.
pub fn changes(dev: &str, base: &Evidence, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    // Identity: who answers (T1001.003).
    if let (Some(was), Some(now)) = (&base.identity.serial, &ev.identity.serial)
        && was != now
    {
        out.push(
            Finding::new(Code::SerialChanged, dev, "serial number")
                .expected(was)
                .actual(now),
        );
    }
    // Normally refused before authentication (the signed baseline pins the key); here for evidence collected
    // under `--new-host-key`, so an approval records that it accepted a new key.
    if base.identity.host_key_fingerprint != ev.identity.host_key_fingerprint {
        out.push(
            Finding::new(Code::HostKeyChanged, dev, "SSH host key")
                .expected(base.identity.host_key_fingerprint.clone())
                .actual(ev.identity.host_key_fingerprint.clone()),
        );
    }
    if let (Some(was), Some(now)) = (&base.identity.ssh_ident, &ev.identity.ssh_ident)
        && was != now
    {
        out.push(
            Finding::new(Code::SshIdentChanged, dev, "SSH identification string")
                .expected(was)
                .actual(now),
        );
    }

    if let (Some(was), Some(now)) = (&base.identity.ssh_offer, &ev.identity.ssh_offer)
        && was != now
    {
        let list = |o: &crate::evidence::ServerOffer| {
            [&o.kex, &o.host_key, &o.ciphers, &o.macs, &o.compression]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<std::collections::BTreeSet<String>>()
        };
        let (a, b) = (list(was), list(now));
        let removed: Vec<&String> = a.difference(&b).collect();
        let added: Vec<&String> = b.difference(&a).collect();
        out.push(
            Finding::new(Code::SshIdentChanged, dev, "SSH algorithms offered")
                .expected(format!("kex {}", was.kex.join(",")))
                .actual(format!("kex {}", now.kex.join(",")))
                .evidence(format!(
                    "removed: {}; added: {}",
                    if removed.is_empty() {
                        "none".into()
                    } else {
                        removed
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    },
                    if added.is_empty() && removed.is_empty() {
                        "none (order changed)".into()
                    } else if added.is_empty() {
                        "none".into()
                    } else {
                        added
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    }
                )),
        );
    }
    out
}
