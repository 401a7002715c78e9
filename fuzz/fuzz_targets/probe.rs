//! A probe's output through its profile (`apply_probe` / `apply_probe_to`): error patterns, pager lines,
//! regex extracts, digests, captures with redaction, and the built-in parser a probe names.
//!
//! Input: a first line `PROFILE-ID PROBE-NAME` naming a built-in profile's probe (any other first line picks
//! a probe by its first byte), then the raw output as the device sent it.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netattest::profile::{Probe, Profile, Profiles, apply_probe, apply_probe_to};

fn probes() -> &'static [(Profile, Probe)] {
    static ALL: OnceLock<Vec<(Profile, Probe)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let profiles = Profiles::builtin().expect("built-in profiles load");
        profiles
            .iter()
            .flat_map(|p| p.probes.iter().map(move |q| (p.clone(), q.clone())))
            .collect()
    })
}

const IMAGES: [Option<&str>; 4] = [
    None,
    Some("bootflash:packages.conf"),
    Some("/mnt/flash/EOS-4.30.1F.swi"),
    Some("flash0:c3900-universalk9-mz.SPA.154-3.M9.bin"),
];

fuzz_target!(|data: &[u8]| {
    let all = probes();
    if data.is_empty() {
        return;
    }
    let nl = data.iter().position(|b| *b == b'\n');
    let named = nl.and_then(|i| {
        let line = std::str::from_utf8(&data[..i]).ok()?;
        let (profile, probe) = line.split_once(' ')?;
        all.iter()
            .position(|(p, q)| p.id == profile && q.name == probe)
            .map(|at| (at, &data[i + 1..]))
    });
    let (at, raw) = named.unwrap_or((usize::from(data[0]) % all.len(), &data[1..]));
    let (profile, probe) = &all[at];
    let image = IMAGES[raw.len() % IMAGES.len()];
    let _ = apply_probe(profile, probe, raw, image);
    if probe.parser.is_some() {
        // A listing without a header takes its filesystem from the command as rendered.
        let _ = apply_probe_to(profile, probe, raw, image, "dir bootflash: /recursive");
    }
});
