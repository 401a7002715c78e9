//! Every snapshot parser (src/profile/snapshots.rs) on what a device lists. The first byte picks the
//! parser; the rest is the raw output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::profile::snapshots::{
    MAX_SLICES, fortios_flash_list, junos_snapshot, panos_software_info,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, raw)) = data.split_first() else {
        return;
    };
    let parsed = match sel % 3 {
        0 => junos_snapshot(raw),
        1 => fortios_flash_list(raw),
        _ => panos_software_info(raw),
    };
    if let Ok(slices) = parsed {
        assert!(slices.len() <= MAX_SLICES, "{} slices", slices.len());
    }
});
