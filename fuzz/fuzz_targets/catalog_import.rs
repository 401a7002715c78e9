//! Vendor catalog importers (src/trust/catalog/import.rs): `detect_format` then `import`, and the native
//! export of what was imported read back.
//!
//! Input: a first line with the file name (its extension steers `detect_format`), then the file's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::trust::catalog::Format;
use netattest::trust::catalog::import::{ImportContext, detect_format, import, to_native};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (name, body) = text.split_once('\n').unwrap_or(("catalog", text));
    let flagged = data.len() % 2 == 0;
    let ctx = ImportContext {
        vendor: flagged.then(|| "arista".to_string()),
        platform: flagged.then(|| "arista-eos".to_string()),
        version: flagged.then(|| "4.30.1F".to_string()),
        source: name.to_string(),
        imported_at: "2026-01-01T00:00:00Z".to_string(),
        products: Default::default(),
    };
    let format = detect_format(name, body);
    let Ok(catalog) = import(format, body, &ctx) else {
        return;
    };
    // What was imported exports to the native format, and that reads back to the same entries.
    let native = to_native(&catalog);
    let again = import(Format::Native, &native, &ctx)
        .unwrap_or_else(|e| panic!("native export does not import: {e}\n{native}"));
    assert_eq!(again.len(), catalog.len(), "{native}");
});
