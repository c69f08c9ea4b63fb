//! Container output is untrusted: it is cleaned once, when it enters the buffer, so that
//! nothing a container prints can move the cursor, set the clipboard, retitle the window or
//! otherwise reach the terminal. What survives is printable text plus the colours and
//! attributes of SGR sequences, kept aside as [`StyleRun`]s.
//!
//! Rules:
//! - CSI (`ESC [` or U+009B), OSC, DCS, SOS, PM and APC sequences are removed whole; strings end
//!   at BEL, ST (`ESC \` or U+009C) or the next ESC; an unterminated one runs to the end of line.
//! - Other escapes (`ESC 7`, `ESC ( B`, …), a bare ESC and every C1 control are removed.
//! - A tab becomes spaces up to the next multiple of [`TAB_WIDTH`] columns: a literal tab would
//!   let the terminal, not the layout, decide where the following text lands.
//! - A trailing line ending is dropped; an embedded `\n` becomes [`NEWLINE_MARK`] so that one
//!   event stays one line; `\r` and all other C0 controls and DEL are removed.
//! - Characters that change how text reads without showing themselves (bidirectional
//!   overrides and isolates, zero-width characters, other invisible format characters; see
//!   [`is_hidden`]) are shown as a dimmed `<U+202E>`: a line must read the way it is stored.
//! - Input longer than [`MAX_LINE_BYTES`] is cut on a char boundary and ends with a visible
//!   `… [truncated N bytes]` marker.
//!
//! Short text from AWS (names, tags, reasons) goes through the same rules with
//! [`sanitize_label`], which drops colours as well; [`printable`] gives the plain text for the
//! CLI, and [`escape_json_for_terminal`] keeps JSON output exact while no hidden character
//! reaches the terminal raw.

mod escape;
mod json;
mod level;

use std::borrow::Cow;

use super::style::{Attrs, TextStyle};

pub use json::{escape_json_for_terminal, pretty_json};
pub use level::{Level, detect_level};

/// Longest line kept, in bytes of input; one runaway line must not eat the buffer's memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// Tab stops every 8 columns, as terminals and `less` place them by default.
pub const TAB_WIDTH: usize = 8;
/// Shown where a multi-line event had a line break.
pub const NEWLINE_MARK: char = '↵';

/// Printable text and the styles that apply to parts of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SanitizedText {
    pub text: String,
    /// Non-overlapping, in order; text outside every run has the default style.
    pub styles: Vec<StyleRun>,
    pub truncated: bool,
}

/// A style over `text[start..end]` (byte offsets, always on char boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StyleRun {
    pub start: usize,
    pub end: usize,
    pub style: TextStyle,
}

/// Cleans one log event that arrived as bytes; invalid UTF-8 becomes U+FFFD.
pub fn sanitize_bytes(raw: &[u8]) -> SanitizedText {
    sanitize(&String::from_utf8_lossy(raw))
}

/// Cleans one log event; see the module documentation for the rules.
pub fn sanitize(raw: &str) -> SanitizedText {
    clean(raw, true)
}

/// Cleans text from AWS shown as one field: a name, a tag value, a stop reason, a message.
/// The rules of [`sanitize`], except that colours in the text are dropped too (a tag has no
/// business styling the table); the only styles left are those of the visible markers.
pub fn sanitize_label(raw: &str) -> SanitizedText {
    clean(raw, false)
}

/// [`sanitize_label`]'s text, for plain-text output; borrowed when `raw` is printable ASCII.
pub fn printable(raw: &str) -> Cow<'_, str> {
    if raw.bytes().all(|byte| matches!(byte, 0x20..=0x7e)) {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(sanitize_label(raw).text)
    }
}

/// Characters that are invisible or reorder the text around them, shown as `<U+XXXX>`:
/// bidirectional embeddings, overrides, isolates and marks; zero-width spaces, joiners and
/// the byte-order mark; the soft hyphen, word joiner and invisible operators; line and
/// paragraph separators; fillers and other format characters that render as nothing (Hangul
/// fillers, Mongolian selectors, the combining grapheme joiner, shorthand and musical format
/// controls); tag characters and the ideographic variation selectors, which can carry a hidden
/// text. The emoji variation selectors (U+FE00–FE0F) are left alone: they only pick how the
/// character before them is drawn, and emoji use them everywhere.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

fn clean(raw: &str, keep_colours: bool) -> SanitizedText {
    let raw = raw.trim_end_matches(['\n', '\r']);
    let (body, dropped) = if raw.len() > MAX_LINE_BYTES {
        let cut = raw.floor_char_boundary(MAX_LINE_BYTES);
        (&raw[..cut], raw.len() - cut)
    } else {
        (raw, 0)
    };
    let (mut text, mut styles) = escape::strip(body, keep_colours);
    if dropped > 0 {
        let start = text.len();
        text.push_str(&format!("… [truncated {dropped} bytes]"));
        styles.push(StyleRun {
            start,
            end: text.len(),
            style: TextStyle::new().with(Attrs::DIM),
        });
    }
    SanitizedText {
        text,
        styles,
        truncated: dropped > 0,
    }
}

#[cfg(test)]
mod tests;
