//! Shards: one audit split over N machines, each device in exactly one shard.
//!
//! This module does no I/O. Assignment is rendezvous (highest-random-weight) hashing: device `name` goes to
//! the shard `i` in `0..N` whose weight, the first eight bytes of SHA-256(`i` as 4 big-endian bytes ‖
//! `name`), is highest (the lower index on a tie). SHA-256, not Rust's per-process randomised hasher, so
//! every machine and every run agrees; and a device's shard depends on its own name and N alone, so adding
//! or removing a device moves no other device, and going from N to N+1 shards moves only the devices the
//! new shard wins (about 1/(N+1) of them).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The most shards one audit may be split into.
pub const MAX_SHARDS: u32 = 4096;

/// One shard of an audit: `index` in `0..count` (0-based, as Kubernetes' `JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// A `--shard` value that is not `K/N` with `0 <= K < N <= MAX_SHARDS`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` is not a shard: {reason} (expected K/N, 0-based: 0/2 and 1/2 are the two halves)"
)]
pub struct ShardParseError {
    pub value: String,
    pub reason: &'static str,
}

impl Shard {
    /// A shard, checked: `count` in `1..=MAX_SHARDS`, `index < count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, &'static str> {
        if count == 0 {
            return Err("N must be at least 1");
        }
        if count > MAX_SHARDS {
            return Err("N is at most 4096");
        }
        if index >= count {
            return Err("K counts from 0 and must be below N");
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard holds the device of this name.
    pub fn owns(&self, name: &str) -> bool {
        assign(name, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardParseError;
    fn from_str(s: &str) -> Result<Shard, ShardParseError> {
        let err = |reason| ShardParseError {
            value: crate::sanitize::display_line(s, 40),
            reason,
        };
        let (k, n) = s.split_once('/').ok_or_else(|| err("no `/`"))?;
        let number = |t: &str| {
            // Digits only: no sign, no spaces, no `0x`; u32::from_str alone would take `+1`.
            if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                t.parse::<u32>().ok()
            }
        };
        let k = number(k).ok_or_else(|| err("K is not a number"))?;
        let n = number(n).ok_or_else(|| err("N is not a number"))?;
        Shard::new(k, n).map_err(err)
    }
}

fn weight(index: u32, name: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(index.to_be_bytes());
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first)
}

/// The shard in `0..count` that holds `name` (0 when `count` is 0 or 1).
pub fn assign(name: &str, count: u32) -> u32 {
    let mut best = (0u32, 0u64);
    for i in 0..count {
        let w = weight(i, name);
        if i == 0 || w > best.1 {
            best = (i, w);
        }
    }
    best.0
}

/// `sha256:` and the SHA-256 of the device names sorted and each followed by a newline: names one set of
/// devices (a shard's, or the whole inventory's) independently of the order they were listed in.
pub fn devices_digest<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let mut h = Sha256::new();
    for n in names {
        h.update(n.as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", crate::digest::hex_encode(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("rtr-{i:04}")).collect()
    }

    #[test]
    fn every_device_lands_in_exactly_one_shard_for_one_to_eight_shards() {
        let names = fleet(500);
        for count in 1..=8 {
            for name in &names {
                let owners: Vec<u32> = (0..count)
                    .filter(|&i| Shard::new(i, count).unwrap().owns(name))
                    .collect();
                assert_eq!(owners.len(), 1, "{name} with N={count}: {owners:?}");
                assert_eq!(owners[0], assign(name, count));
            }
            // And the shards are used: 500 devices leave no shard of up to 8 empty.
            let mut sizes = vec![0usize; count as usize];
            names
                .iter()
                .for_each(|n| sizes[assign(n, count) as usize] += 1);
            assert!(sizes.iter().all(|&s| s > 0), "N={count}: {sizes:?}");
            let expected = 500 / count as usize;
            assert!(
                sizes.iter().all(|&s| s > expected / 2 && s < expected * 2),
                "N={count}: far from even: {sizes:?}"
            );
        }
    }

    #[test]
    fn adding_a_device_changes_only_its_own_assignment() {
        let names = fleet(200);
        for count in 1..=8 {
            let before: Vec<u32> = names.iter().map(|n| assign(n, count)).collect();
            let mut grown = names.clone();
            grown.insert(57, "new-switch-1".to_string());
            let after: Vec<u32> = names.iter().map(|n| assign(n, count)).collect();
            assert_eq!(before, after, "N={count}");
            assert!(assign("new-switch-1", count) < count);
        }
    }

    #[test]
    fn one_more_shard_moves_only_devices_to_the_new_shard() {
        let names = fleet(800);
        for count in 1..8 {
            let mut moved = 0;
            for n in &names {
                let (old, new) = (assign(n, count), assign(n, count + 1));
                if old != new {
                    assert_eq!(new, count, "{n} moved between old shards");
                    moved += 1;
                }
            }
            let share = names.len() / (count as usize + 1);
            assert!(
                moved > share / 2 && moved < share * 2,
                "{count}->{}: {moved}",
                count + 1
            );
        }
    }

    #[test]
    fn assignment_is_stable_across_runs_and_machines() {
        // Fixed values (checked with Python's hashlib on the encoding the module docs give): a change to
        // the hash or its input encoding would scatter a fleet between shards mid-rollout.
        let cases = [
            ("core-rtr-1", 2, 1),
            ("core-rtr-2", 2, 1),
            ("lab-01", 4, 1),
            ("lab-02", 4, 2),
            ("edge-fw-9", 8, 7),
        ];
        let actual: Vec<(&str, u32, u32)> = cases
            .iter()
            .map(|&(n, c, _)| (n, c, assign(n, c)))
            .collect();
        assert_eq!(actual, cases);
        assert_eq!(assign("anything", 1), 0);
    }

    #[test]
    fn shard_values_parse_zero_based_and_bad_ones_say_why() {
        assert_eq!("0/2".parse(), Ok(Shard { index: 0, count: 2 }));
        assert_eq!("1/2".parse(), Ok(Shard { index: 1, count: 2 }));
        assert_eq!("0/1".parse(), Ok(Shard { index: 0, count: 1 }));
        for (bad, why) in [
            ("2/2", "below N"),
            ("0/0", "at least 1"),
            ("1", "no `/`"),
            ("-1/2", "K is not a number"),
            ("+1/2", "K is not a number"),
            (" 1/2", "K is not a number"),
            ("1/x", "N is not a number"),
            ("0/4097", "at most 4096"),
            ("0/99999999999", "N is not a number"),
        ] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_devices_digest_ignores_order_and_names_the_set() {
        let a = devices_digest(["b", "a", "c"]);
        assert_eq!(a, devices_digest(["a", "b", "c"]));
        assert_ne!(a, devices_digest(["a", "b"]));
        // Newline-terminated names: ["ab"] and ["a", "b"] are different sets.
        assert_ne!(devices_digest(["ab"]), devices_digest(["a", "b"]));
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64);
    }
}
