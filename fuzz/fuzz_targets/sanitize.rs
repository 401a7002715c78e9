//! The sanitizer (src/sanitize.rs) on what a device sends, with the properties its documentation states:
//! no escape sequence, control character (but tab and newline) or invisible character survives
//! `clean_output`, cleaning twice changes nothing, and `display_line` is one line of at most `max`
//! characters plus an ellipsis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netattest::sanitize::{clean_output, display_line, is_invisible, must_escape};

fuzz_target!(|data: &[u8]| {
    let clean = clean_output(data);
    for c in clean.chars() {
        assert!(
            c == '\n' || c == '\t' || !must_escape(c),
            "clean_output kept {:?}",
            c
        );
    }
    assert_eq!(
        clean_output(clean.as_bytes()),
        clean,
        "cleaning is idempotent"
    );

    let max = data.first().map_or(0, |b| usize::from(*b));
    let line = display_line(&String::from_utf8_lossy(data), max);
    assert!(line.chars().count() <= max + 1);
    assert!(
        line.chars().all(|c| !c.is_control() && !is_invisible(c)),
        "display_line kept {line:?}"
    );
});
