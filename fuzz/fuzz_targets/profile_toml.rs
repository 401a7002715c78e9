//! The profile loader (`Profile::from_toml`) on a profile file from a user's profile directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::profile::Profile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(profile) = Profile::from_toml("fuzz.toml", text) {
        // A loaded profile renders its commands without panicking.
        for probe in &profile.probes {
            let _ = profile.render(probe, Some("bootflash:/a b/c.bin"));
            let _ = profile.render(probe, None);
        }
    }
});
