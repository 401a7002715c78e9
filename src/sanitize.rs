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
            c => out.push(c),
        }
    }
    out
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
    fn display_line_flattens_and_truncates() {
        assert_eq!(display_line("a\nb\x1b[31mc", 10), "a bc");
        assert_eq!(display_line("abcdef", 3), "abc…");
    }
}
