//! Making what a device sends safe to show and to parse.
//!
//! Nothing a device sends is trusted: before any of it reaches a terminal or a report it loses ANSI escape
//! sequences and control characters, so a hostile device cannot repaint the operator's screen or forge
//! lines in a report. This module does no I/O.

/// Removes ANSI escape sequences (CSI, OSC and two-byte escapes) and normalises line endings to `\n`.
/// Other control characters except tab and newline are dropped. Invalid UTF-8 becomes U+FFFD.
pub fn clean_output(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\r' => {
                // `\r\n`, `\r\r\n` and a lone `\r` all end one line.
                while chars.peek() == Some(&'\r') {
                    chars.next();
                }
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            '\u{8}' => {
                // Backspace as pagers use it to erase a prompt: take back the last character.
                out.pop();
            }
            c if c.is_control() => {}
            c if is_invisible(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Characters that change how the text around them is displayed, or are not displayed at all, without
/// being control characters: bidirectional overrides, embeddings and isolates (`invoice\u{202e}gpj.sh`
/// displays as `invoicehs.jpg`), zero-width characters, the soft hyphen, the byte-order mark and the tag
/// characters. A device's text keeps them as a visible `\u{..}` escape, so what an operator reads is what
/// the device sent.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// True for every character that must be escaped before a device's text is shown or stored as a name:
/// control characters and the invisible or reordering ones of [`is_invisible`].
pub fn must_escape(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Appends `c` as `\u{hex}`.
pub fn push_escaped(out: &mut String, c: char) {
    out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => {
            // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            // OSC: ends at BEL or ST (ESC \).
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    chars.next();
                    break;
                }
            }
        }
        _ => {}
    }
}

/// One line, safe to print: control characters (including newlines) become spaces, and it is cut to `max`
/// characters with an ellipsis.
pub fn display_line(text: &str, max: usize) -> String {
    let cleaned = clean_output(text.as_bytes());
    let mut out: String = cleaned
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if cleaned.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_and_controls_are_removed() {
        let raw = b"\x1b[2J\x1b[1;31mred\x1b[0m text\x07\r\n\x1b]0;title\x07next\r\r\nlast\x00";
        assert_eq!(clean_output(raw), "red text\nnext\nlast");
    }

    #[test]
    fn pager_backspaces_erase_the_prompt() {
        let raw = b"line one\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08line two";
        assert_eq!(clean_output(raw), "line one\nline two");
    }

    #[test]
    fn bidi_overrides_and_invisible_characters_are_escaped_visibly() {
        let raw = "invoice\u{202e}gpj.sh a\u{200b}b \u{2066}x\u{2069} \u{feff}bom \u{e0041}tag";
        assert_eq!(
            clean_output(raw.as_bytes()),
            "invoice\\u{202e}gpj.sh a\\u{200b}b \\u{2066}x\\u{2069} \\u{feff}bom \\u{e0041}tag"
        );
        assert_eq!(display_line("a\u{202d}b", 20), "a\\u{202d}b");
        // Ordinary non-ASCII text stays as it is.
        assert_eq!(clean_output("Zürich 東京 ñ".as_bytes()), "Zürich 東京 ñ");
        assert!(must_escape('\u{7}') && must_escape('\u{202e}') && !must_escape('é'));
    }

    #[test]
    fn display_line_flattens_and_truncates() {
        assert_eq!(display_line("a\nb\x1b[31mc", 10), "a bc");
        assert_eq!(display_line("abcdef", 3), "abc…");
    }
}
