//! The configuration file through the same parsing and validation `Config::load` uses
//! (`Config::from_text`), then the device checks that run once profiles are loaded.
//!
//! The file is named in a directory that does not exist, so relative includes fail without reading
//! anything; inputs whose includes hold an absolute path or `..` are skipped, so no other file is read.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use netattest::config::Config;

/// Whether the text's `include` list names a file outside the (nonexistent) config directory.
fn reads_files(text: &str) -> bool {
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    let Some(toml::Value::Array(includes)) = table.get("include") else {
        return false;
    };
    includes.iter().any(|i| {
        i.as_str()
            .is_none_or(|p| p.starts_with('/') || p.starts_with('~') || p.contains(".."))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if reads_files(text) {
        return;
    }
    let path = Path::new("/nonexistent/netattest-fuzz/netattest.toml");
    if let Ok(cfg) = Config::from_text(path, text) {
        let _ = cfg.check_devices(
            |p| p.starts_with("cisco"),
            |_| false,
            |p| p == "show-version",
        );
        for d in &cfg.devices {
            assert!(cfg.device(&d.name).is_ok());
        }
    }
});
