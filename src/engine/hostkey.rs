//! Which host key a run may authenticate to: one small pure function of the mode and the state of the
//! device's signed baseline, so every case is in one table (and in its test).
//!
//! The rule: authenticate only to a key that signed, verified material pins. Enrollment learns a key (and
//! checks the operator's expectation first); approval with `--new-host-key` accepts exactly the key it
//! names; everything else needs a baseline that verified.

use std::path::PathBuf;

use crate::ssh::HostKeyPolicy;

/// What the device's baseline says about its host key, before any connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselinePin {
    /// Not loaded (enrollment does not read one).
    NotLoaded,
    /// The baseline verified; it pins this fingerprint.
    Verified(String),
    /// There is no baseline.
    Missing,
    /// The baseline exists but did not verify: its pin cannot be trusted.
    Untrusted(String),
}

/// The key rule for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRule {
    /// Enrollment: a pinned or unknown key, and the operator's expectation when given.
    Learn { expect: Option<String> },
    /// Only the signed pin (and known_hosts agreeing); `None` accepts nothing and only reports the key.
    Signed(Option<String>),
    /// Exactly this fingerprint, confirmed out of band (`baseline approve --new-host-key`).
    Replace(String),
    /// Do not connect at all: nothing is sent, not even a key exchange.
    Refuse(String),
}

/// What a run does, as far as host keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode<'a> {
    Enroll { expect: Option<&'a str> },
    Check,
    Approve { new_host_key: Option<&'a str> },
}

/// Chooses the key rule. Pure: the whole host-key trust decision is this table.
pub fn key_rule(mode: KeyMode<'_>, pin: &BaselinePin) -> KeyRule {
    match (mode, pin) {
        (KeyMode::Enroll { expect }, _) => KeyRule::Learn {
            expect: expect.map(str::to_owned),
        },
        (
            KeyMode::Approve {
                new_host_key: Some(fp),
            },
            _,
        ) => KeyRule::Replace(fp.to_owned()),
        (KeyMode::Check | KeyMode::Approve { .. }, BaselinePin::Verified(fp)) => {
            KeyRule::Signed(Some(fp.clone()))
        }
        (KeyMode::Check | KeyMode::Approve { .. }, BaselinePin::Untrusted(reason)) => {
            KeyRule::Refuse(format!(
                "the baseline did not verify ({reason}), so its host-key pin cannot be trusted; nothing was sent to the device. Restore the state directory, or confirm the key out of band and run `netattest baseline approve DEVICE --reason ... --new-host-key SHA256:...`"
            ))
        }
        // An unenrolled device: connect only far enough to say what key it presents.
        (
            KeyMode::Check | KeyMode::Approve { .. },
            BaselinePin::Missing | BaselinePin::NotLoaded,
        ) => KeyRule::Signed(None),
    }
}

/// The policy for every jump host on the way to a device. Hops have no baseline: their pins live in the
/// state's known_hosts only, learned when a device behind them is enrolled and required everywhere else.
/// `--expect-host-key` and `--new-host-key` are about the device, never a hop.
pub fn hop_policy(
    mode: KeyMode<'_>,
    known_hosts: PathBuf,
    signed: &std::collections::BTreeMap<String, String>,
) -> HostKeyPolicy {
    match mode {
        KeyMode::Enroll { .. } => HostKeyPolicy::LearnUnknown {
            known_hosts,
            expect: None,
        },
        KeyMode::Check | KeyMode::Approve { .. } => HostKeyPolicy::Pinned {
            known_hosts,
            signed: signed.clone(),
        },
    }
}

impl KeyRule {
    /// The SSH client's policy for this rule, or `None` for [`KeyRule::Refuse`].
    pub fn policy(&self, known_hosts: PathBuf) -> Option<HostKeyPolicy> {
        match self {
            KeyRule::Learn { expect } => Some(HostKeyPolicy::LearnUnknown {
                known_hosts,
                expect: expect.clone(),
            }),
            KeyRule::Signed(signed) => Some(HostKeyPolicy::Strict {
                known_hosts,
                signed: signed.clone(),
            }),
            KeyRule::Replace(fingerprint) => Some(HostKeyPolicy::Replace {
                fingerprint: fingerprint.clone(),
            }),
            KeyRule::Refuse(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jump_hosts_are_learned_only_when_enrolling() {
        let learn = |mode| {
            matches!(
                hop_policy(mode, "kh".into(), &Default::default()),
                HostKeyPolicy::LearnUnknown { expect: None, .. }
            )
        };
        assert!(learn(KeyMode::Enroll { expect: None }));
        assert!(
            learn(KeyMode::Enroll {
                expect: Some("SHA256:device")
            }),
            "the expectation is the device's, not the hop's"
        );
        for mode in [
            KeyMode::Check,
            KeyMode::Approve { new_host_key: None },
            KeyMode::Approve {
                new_host_key: Some("SHA256:new"),
            },
        ] {
            assert!(
                matches!(
                    hop_policy(mode, "kh".into(), &Default::default()),
                    HostKeyPolicy::Pinned { .. }
                ),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn the_key_rule_table_covers_every_mode_and_baseline_state() {
        let fp = "SHA256:signed".to_string();
        let verified = BaselinePin::Verified(fp.clone());
        let untrusted = BaselinePin::Untrusted("bad signature".into());
        let enroll = KeyMode::Enroll { expect: None };
        let enroll_expect = KeyMode::Enroll {
            expect: Some("SHA256:oob"),
        };
        let approve = KeyMode::Approve { new_host_key: None };
        let approve_new = KeyMode::Approve {
            new_host_key: Some("SHA256:new"),
        };
        let learn = |e: Option<&str>| KeyRule::Learn {
            expect: e.map(str::to_owned),
        };
        let table: Vec<(KeyMode<'_>, &BaselinePin, KeyRule)> = vec![
            (enroll, &BaselinePin::NotLoaded, learn(None)),
            (
                enroll_expect,
                &BaselinePin::NotLoaded,
                learn(Some("SHA256:oob")),
            ),
            (KeyMode::Check, &verified, KeyRule::Signed(Some(fp.clone()))),
            (KeyMode::Check, &BaselinePin::Missing, KeyRule::Signed(None)),
            (approve, &verified, KeyRule::Signed(Some(fp.clone()))),
            (approve, &BaselinePin::Missing, KeyRule::Signed(None)),
            (
                approve_new,
                &verified,
                KeyRule::Replace("SHA256:new".into()),
            ),
            (
                approve_new,
                &untrusted,
                KeyRule::Replace("SHA256:new".into()),
            ),
            (
                approve_new,
                &BaselinePin::Missing,
                KeyRule::Replace("SHA256:new".into()),
            ),
        ];
        for (mode, pin, want) in table {
            assert_eq!(key_rule(mode, pin), want, "{mode:?} with {pin:?}");
        }
        for mode in [KeyMode::Check, approve] {
            let KeyRule::Refuse(why) = key_rule(mode, &untrusted) else {
                panic!("{mode:?} with an untrusted baseline must not connect");
            };
            assert!(why.contains("nothing was sent"), "{why}");
            assert!(key_rule(mode, &untrusted).policy("kh".into()).is_none());
        }
    }
}
