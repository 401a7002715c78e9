//! Every container parser (src/profile/containers.rs) on what a device lists. The first byte picks the
//! parser; the rest is the raw output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::profile::containers::{
    MAX_CONTAINERS, docker_images, docker_ps, iosxe_app_hosting, nxos_virtual_service,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, raw)) = data.split_first() else {
        return;
    };
    let n = match sel % 4 {
        0 => docker_images(raw).map(|v| v.len()),
        1 => docker_ps(raw).map(|v| v.len()),
        2 => iosxe_app_hosting(raw).map(|(i, c)| i.len().max(c.len())),
        _ => nxos_virtual_service(raw).map(|(i, c)| i.len().max(c.len())),
    };
    if let Ok(n) = n {
        assert!(n <= MAX_CONTAINERS, "{n} entries");
    }
});
