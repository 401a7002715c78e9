//! Every file-listing parser (src/profile/listing.rs) on what a device lists. The first byte picks the
//! parser and the default filesystem; the rest is the raw output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::profile::listing::{
    MAX_ENTRIES, cisco_dir, eos_dir, iosxr_dir, junos_file_list, linux_find,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, raw)) = data.split_first() else {
        return;
    };
    let fs = match (sel >> 4) & 3 {
        0 => None,
        1 => Some("flash:"),
        2 => Some("bootflash:"),
        _ => Some("disk0:"),
    };
    let parsed = match sel % 5 {
        0 => linux_find(raw),
        1 => cisco_dir(raw, fs),
        2 => eos_dir(raw, fs),
        3 => junos_file_list(raw),
        _ => iosxr_dir(raw),
    };
    if let Ok(files) = parsed {
        assert!(files.len() <= MAX_ENTRIES, "{} entries", files.len());
    }
});
