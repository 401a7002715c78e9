//! Other tools' inventories (src/config/sources/) on what a file holds: the first byte picks the format
//! (csv, ansible INI, ansible YAML, netbox, oxidized), the rest is the text. Properties the module states:
//! every imported device has a name netattest accepts, the written TOML reads back with the same devices,
//! and no import panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::config::sources::{Format, Options, import, to_toml};
use netattest::config::validate_device_name;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (format, file_name) = match pick % 5 {
        0 => (Format::Csv, "devices.csv"),
        1 => (Format::Ansible, "hosts.ini"),
        2 => (Format::Ansible, "hosts.yml"),
        3 => (Format::Netbox, "devices.json"),
        _ => (Format::Oxidized, "router.db"),
    };
    let opts = Options {
        file_name: Some(file_name.into()),
        ..Options::default()
    };
    let Ok(imported) = import(format, &text, &opts) else {
        return;
    };
    for d in &imported.devices {
        assert!(validate_device_name(&d.name).is_ok(), "{:?}", d.name);
        for g in &d.groups {
            assert!(validate_device_name(g).is_ok(), "group {g:?}");
        }
    }
    let toml_text = to_toml(&imported.devices, "fuzz");
    let v: toml::Value = toml::from_str(&toml_text).expect("the written TOML parses");
    let n = v
        .get("device")
        .and_then(|d| d.as_array())
        .map_or(0, |a| a.len());
    assert_eq!(n, imported.devices.len());
});
