//! JSON: output made safe for a terminal, and a log line's JSON shown indented.

use std::fmt::Write as _;

use super::is_hidden;

/// JSON text made safe to print on a terminal without changing what it says: DEL, the C1
/// controls and [`is_hidden`] characters (which JSON allows raw inside strings) are written as
/// `\uXXXX` escapes, so a parser reads the same strings. `json` must be serde_json's output,
/// where such characters can only appear inside strings and controls below U+0020 are escaped
/// already.
pub fn escape_json_for_terminal(json: String) -> String {
    let unsafe_char = |c: char| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || is_hidden(c);
    if json.bytes().all(|byte| byte < 0x7f) || !json.chars().any(unsafe_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An indented copy of a line that is exactly one JSON object or array. Keys keep their order
/// and numbers their spelling, because the text is re-indented rather than re-serialised.
pub fn pretty_json(text: &str) -> Option<String> {
    let json = text.trim();
    if !json.starts_with(['{', '[']) {
        return None;
    }
    serde_json::from_str::<serde::de::IgnoredAny>(json).ok()?;
    Some(reindent(json))
}

/// `json` must be valid JSON: only structural characters outside strings are looked at.
fn reindent(json: &str) -> String {
    const INDENT: &str = "  ";
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(INDENT);
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str(&json[start..i.min(bytes.len())]);
                continue;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                let mut next = i + 1;
                while bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
                    next += 1;
                }
                out.push(char::from(open));
                if bytes.get(next) == Some(&close) {
                    out.push(char::from(close));
                    i = next;
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(char::from(close));
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            b':' => out.push_str(": "),
            b if b.is_ascii_whitespace() => {}
            _ => {
                // Numbers and literals: copy up to the next structural character.
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b':')
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                out.push_str(&json[start..i]);
                continue;
            }
        }
        i += 1;
    }
    out
}
