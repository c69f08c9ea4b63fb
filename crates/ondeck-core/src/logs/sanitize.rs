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

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use super::style::{Attrs, TextColor, TextStyle};

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

/// How loud a line is, loudest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    /// Higher is louder; lets a minimum level be compared without relying on variant order.
    pub fn severity(self) -> u8 {
        match self {
            Level::Error => 4,
            Level::Warn => 3,
            Level::Info => 2,
            Level::Debug => 1,
            Level::Trace => 0,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
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

fn clean(raw: &str, keep_colours: bool) -> SanitizedText {
    let raw = raw.trim_end_matches(['\n', '\r']);
    let (body, dropped) = if raw.len() > MAX_LINE_BYTES {
        let cut = raw.floor_char_boundary(MAX_LINE_BYTES);
        (&raw[..cut], raw.len() - cut)
    } else {
        (raw, 0)
    };
    let mut out = Sanitizer {
        text: String::with_capacity(body.len()),
        styles: Vec::new(),
        pen: Pen::default(),
        style: TextStyle::new(),
        column: 0,
        keep_colours,
    };
    out.run(body);
    if dropped > 0 {
        let start = out.text.len();
        out.text.push_str(&format!("… [truncated {dropped} bytes]"));
        out.styles.push(StyleRun {
            start,
            end: out.text.len(),
            style: TextStyle::new().with(Attrs::DIM),
        });
    }
    SanitizedText {
        text: out.text,
        styles: out.styles,
        truncated: dropped > 0,
    }
}

/// The SGR state; turned into a normalised [`TextStyle`] so equal states compare equal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pen {
    fg: Option<TextColor>,
    bg: Option<TextColor>,
    attrs: Attrs,
}

impl Pen {
    fn style(self) -> TextStyle {
        TextStyle {
            fg: self.fg,
            bg: self.bg,
            attrs: self.attrs,
        }
    }
}

struct Sanitizer {
    text: String,
    styles: Vec<StyleRun>,
    pen: Pen,
    style: TextStyle,
    /// Display column of the end of `text`, for tab stops.
    column: usize,
    /// False for labels: SGR sequences are removed without effect.
    keep_colours: bool,
}

const ESC: u8 = 0x1b;

impl Sanitizer {
    fn run(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let plain_start = i;
            while i < bytes.len() && matches!(bytes[i], 0x20..=0x7e) {
                i += 1;
            }
            if i > plain_start {
                self.push_str(&s[plain_start..i], i - plain_start);
            }
            let Some(&byte) = bytes.get(i) else { break };
            i = match byte {
                ESC => self.escape(s, i + 1),
                b'\t' => {
                    let spaces = TAB_WIDTH - self.column % TAB_WIDTH;
                    self.push_str(&"        "[..spaces], spaces);
                    i + 1
                }
                b'\n' => {
                    self.push_char(NEWLINE_MARK);
                    i + 1
                }
                0x00..=0x7f => i + 1,
                _ => {
                    let c = s[i..].chars().next().unwrap_or_default();
                    let next = i + c.len_utf8();
                    match c {
                        '\u{9b}' => self.csi(s, next),
                        '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => {
                            skip_string(bytes, next)
                        }
                        '\u{80}'..='\u{9f}' => next,
                        c if is_hidden(c) => {
                            self.push_marker(c);
                            next
                        }
                        _ => {
                            self.push_char(c);
                            next
                        }
                    }
                }
            };
        }
    }

    fn push_str(&mut self, s: &str, width: usize) {
        let start = self.text.len();
        self.text.push_str(s);
        self.column += width;
        self.extend_style(start);
    }

    fn push_char(&mut self, c: char) {
        let start = self.text.len();
        self.text.push(c);
        self.column += c.width().unwrap_or(0);
        self.extend_style(start);
    }

    /// `<U+202E>`, dimmed on top of the current colours.
    fn push_marker(&mut self, c: char) {
        let start = self.text.len();
        let _ = write!(self.text, "<U+{:04X}>", u32::from(c));
        self.column += self.text.len() - start;
        self.style_from(start, self.style.with(Attrs::DIM));
    }

    fn extend_style(&mut self, start: usize) {
        if self.pen != Pen::default() {
            self.style_from(start, self.style);
        }
    }

    /// Gives `text[start..]` `style`, joining the previous run when it ends at `start` in the
    /// same style.
    fn style_from(&mut self, start: usize, style: TextStyle) {
        let end = self.text.len();
        match self.styles.last_mut() {
            Some(last) if last.end == start && last.style == style => last.end = end,
            _ => self.styles.push(StyleRun { start, end, style }),
        }
    }

    /// `i` is just past an ESC; returns where normal text resumes.
    fn escape(&mut self, s: &str, i: usize) -> usize {
        let bytes = s.as_bytes();
        match bytes.get(i) {
            None => i,
            Some(b'[') => self.csi(s, i + 1),
            Some(b']' | b'P' | b'X' | b'^' | b'_') => skip_string(bytes, i + 1),
            Some(0x20..=0x2f) => {
                // nF escape (charset selection and the like): intermediates, then a final byte.
                let mut j = i;
                while j < bytes.len() && matches!(bytes[j], 0x20..=0x2f) {
                    j += 1;
                }
                if j < bytes.len() && matches!(bytes[j], 0x30..=0x7e) {
                    j + 1
                } else {
                    j
                }
            }
            Some(0x30..=0x7e) => i + 1,
            // A bare ESC: drop it and read what follows as text.
            Some(_) => i,
        }
    }

    /// `i` is just past the CSI introducer. Only SGR has an effect; everything else is dropped.
    /// A byte that cannot be part of a CSI ends it and is read again as text.
    fn csi(&mut self, s: &str, i: usize) -> usize {
        let bytes = s.as_bytes();
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], 0x30..=0x3f) {
            j += 1;
        }
        let params_end = j;
        while j < bytes.len() && matches!(bytes[j], 0x20..=0x2f) {
            j += 1;
        }
        match bytes.get(j) {
            Some(0x40..=0x7e) => {
                let params = &s[i..params_end];
                let private = params.starts_with(['<', '=', '>', '?']);
                if bytes[j] == b'm' && j == params_end && !private && self.keep_colours {
                    self.apply_sgr(params);
                }
                j + 1
            }
            _ => j,
        }
    }

    fn apply_sgr(&mut self, params: &str) {
        let mut pen = self.pen;
        let mut fields = params.split(';');
        while let Some(field) = fields.next() {
            if field.contains(':') {
                apply_colon_field(&mut pen, field);
                continue;
            }
            let Some(code) = parse_number(field) else {
                continue;
            };
            match code {
                38 | 48 => {
                    let color = match fields.next().and_then(parse_number) {
                        Some(5) => fields.next().and_then(parse_number).and_then(indexed_color),
                        Some(2) => {
                            let mut channel = || fields.next().and_then(parse_number);
                            match (channel(), channel(), channel()) {
                                (Some(r), Some(g), Some(b)) => rgb_color(r, g, b),
                                _ => None,
                            }
                        }
                        _ => None,
                    };
                    if let Some(color) = color {
                        set_color(&mut pen, code == 38, color);
                    }
                }
                _ => apply_code(&mut pen, code),
            }
        }
        self.pen = pen;
        self.style = pen.style();
    }
}

/// `i` is just past a string introducer (OSC, DCS, SOS, PM, APC); returns just past its end.
fn skip_string(bytes: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < bytes.len() {
        match bytes[j] {
            0x07 => return j + 1,
            ESC if bytes.get(j + 1) == Some(&b'\\') => return j + 2,
            // Any other ESC ends the string and starts a new escape.
            ESC => return j,
            // U+009C (ST) in UTF-8.
            0xc2 if bytes.get(j + 1) == Some(&0x9c) => return j + 2,
            _ => j += 1,
        }
    }
    j
}

fn parse_number(field: &str) -> Option<u32> {
    if field.is_empty() {
        Some(0)
    } else {
        field.parse().ok()
    }
}

/// `38:5:n`, `38:2:[colour space]:r:g:b` (ITU T.416 form) and `4:n` underline styles.
fn apply_colon_field(pen: &mut Pen, field: &str) {
    let parts: Vec<Option<u32>> = field.split(':').map(parse_number).collect();
    match parts.as_slice() {
        [Some(code @ (38 | 48)), Some(5), Some(n), ..] => {
            if let Some(color) = indexed_color(*n) {
                set_color(pen, *code == 38, color);
            }
        }
        [Some(code @ (38 | 48)), Some(2), rest @ ..] if rest.len() >= 3 => {
            if let [Some(r), Some(g), Some(b)] = rest[rest.len() - 3..]
                && let Some(color) = rgb_color(r, g, b)
            {
                set_color(pen, *code == 38, color);
            }
        }
        [Some(4), Some(0), ..] => pen.attrs.remove(Attrs::UNDERLINED),
        [Some(4), Some(_), ..] => pen.attrs.insert(Attrs::UNDERLINED),
        _ => {}
    }
}

fn apply_code(pen: &mut Pen, code: u32) {
    match code {
        0 => *pen = Pen::default(),
        1 => pen.attrs.insert(Attrs::BOLD),
        2 => pen.attrs.insert(Attrs::DIM),
        3 => pen.attrs.insert(Attrs::ITALIC),
        4 | 21 => pen.attrs.insert(Attrs::UNDERLINED),
        7 => pen.attrs.insert(Attrs::REVERSED),
        22 => pen.attrs.remove(Attrs::BOLD | Attrs::DIM),
        23 => pen.attrs.remove(Attrs::ITALIC),
        24 => pen.attrs.remove(Attrs::UNDERLINED),
        27 => pen.attrs.remove(Attrs::REVERSED),
        30..=37 => pen.fg = Some(TextColor::Indexed((code - 30) as u8)),
        39 => pen.fg = None,
        40..=47 => pen.bg = Some(TextColor::Indexed((code - 40) as u8)),
        49 => pen.bg = None,
        90..=97 => pen.fg = Some(TextColor::Indexed((code - 90 + 8) as u8)),
        100..=107 => pen.bg = Some(TextColor::Indexed((code - 100 + 8) as u8)),
        // Blink, conceal and the rest are deliberately ignored: hidden or blinking log text
        // helps nobody.
        _ => {}
    }
}

fn set_color(pen: &mut Pen, foreground: bool, color: TextColor) {
    if foreground {
        pen.fg = Some(color);
    } else {
        pen.bg = Some(color);
    }
}

fn indexed_color(n: u32) -> Option<TextColor> {
    Some(TextColor::Indexed(u8::try_from(n).ok()?))
}

fn rgb_color(r: u32, g: u32, b: u32) -> Option<TextColor> {
    Some(TextColor::Rgb(
        u8::try_from(r).ok()?,
        u8::try_from(g).ok()?,
        u8::try_from(b).ok()?,
    ))
}

/// Finds how loud a line is. An explicit field wins (`level=warn`, `"level":"info"`,
/// `"severity":"ERROR"`, pino's numeric `"level":50`); otherwise the first level word
/// (`ERROR`, `warn`, `ERR`, `[E]`, glog's `E1123` prefix) decides.
pub fn detect_level(text: &str) -> Option<Level> {
    let bytes = text.as_bytes();
    let mut first_word_level = None;
    let mut i = 0;
    while i < bytes.len() {
        if !is_word_byte(bytes[i]) {
            if bytes[i] == b'[' && bytes.get(i + 2) == Some(&b']') && first_word_level.is_none() {
                first_word_level = letter_level(bytes[i + 1]);
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        let word = &bytes[start..i];
        if is_level_key(word)
            && let Some(level) = field_value_level(bytes, i)
        {
            return Some(level);
        }
        if first_word_level.is_none() {
            first_word_level = word_level(word, LEVEL_WORDS).or_else(|| {
                if start == 0 {
                    glog_prefix_level(word)
                } else {
                    None
                }
            });
        }
    }
    first_word_level
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_level_key(word: &[u8]) -> bool {
    ["level", "severity", "lvl", "loglevel", "levelname"]
        .iter()
        .any(|key| word.eq_ignore_ascii_case(key.as_bytes()))
}

/// `i` is just past a key word: reads `="warn"`, `=warn` or `": "warn"` / `": 40`.
fn field_value_level(bytes: &[u8], i: usize) -> Option<Level> {
    let mut j = i;
    match bytes.get(j)? {
        b'=' => j += 1,
        b'"' => {
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if bytes.get(j) != Some(&b':') {
                return None;
            }
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
        }
        _ => return None,
    }
    if bytes.get(j) == Some(&b'"') {
        j += 1;
    }
    let start = j;
    while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
        j += 1;
    }
    let value = &bytes[start..j];
    if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
        return pino_level(value);
    }
    word_level(value, FIELD_VALUE_WORDS)
}

/// Words that mark a level anywhere in free text: kept short, to avoid matching prose.
const LEVEL_WORDS: &[(&str, Level)] = &[
    ("error", Level::Error),
    ("err", Level::Error),
    ("fatal", Level::Error),
    ("crit", Level::Error),
    ("critical", Level::Error),
    ("panic", Level::Error),
    ("warn", Level::Warn),
    ("warning", Level::Warn),
    ("info", Level::Info),
    ("debug", Level::Debug),
    ("dbg", Level::Debug),
    ("trace", Level::Trace),
];

/// Values accepted in an explicit level field, where more vocabularies are safe.
const FIELD_VALUE_WORDS: &[(&str, Level)] = &[
    ("error", Level::Error),
    ("err", Level::Error),
    ("fatal", Level::Error),
    ("crit", Level::Error),
    ("critical", Level::Error),
    ("panic", Level::Error),
    ("alert", Level::Error),
    ("emerg", Level::Error),
    ("emergency", Level::Error),
    ("severe", Level::Error),
    ("warn", Level::Warn),
    ("warning", Level::Warn),
    ("info", Level::Info),
    ("information", Level::Info),
    ("notice", Level::Info),
    ("debug", Level::Debug),
    ("dbg", Level::Debug),
    ("fine", Level::Debug),
    ("trace", Level::Trace),
    ("verbose", Level::Trace),
    ("finest", Level::Trace),
];

fn word_level(word: &[u8], table: &[(&str, Level)]) -> Option<Level> {
    if word.len() < 3 || word.len() > 11 {
        return None;
    }
    table
        .iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name.as_bytes()))
        .map(|&(_, level)| level)
}

fn letter_level(letter: u8) -> Option<Level> {
    match letter.to_ascii_uppercase() {
        b'E' | b'F' => Some(Level::Error),
        b'W' => Some(Level::Warn),
        b'I' => Some(Level::Info),
        b'D' => Some(Level::Debug),
        b'T' => Some(Level::Trace),
        _ => None,
    }
}

/// glog and klog start a line with the level letter and the date: `E1123 16:17:01.000`.
fn glog_prefix_level(word: &[u8]) -> Option<Level> {
    match word {
        [letter @ (b'E' | b'W' | b'I' | b'F'), digits @ ..]
            if digits.len() == 4 && digits.iter().all(u8::is_ascii_digit) =>
        {
            letter_level(*letter)
        }
        _ => None,
    }
}

/// pino and bunyan log levels as numbers: 10 trace … 60 fatal.
fn pino_level(digits: &[u8]) -> Option<Level> {
    let n: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    match n {
        50.. => Some(Level::Error),
        40..=49 => Some(Level::Warn),
        30..=39 => Some(Level::Info),
        20..=29 => Some(Level::Debug),
        10..=19 => Some(Level::Trace),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn styled(text: &SanitizedText, needle: &str) -> Option<TextStyle> {
        let start = text.text.find(needle)?;
        text.styles
            .iter()
            .find(|run| run.start <= start && start < run.end)
            .map(|run| run.style)
    }

    #[test]
    fn plain_text_passes_unchanged() {
        let out = sanitize("GET /health 200 3ms");
        assert_eq!(out.text, "GET /health 200 3ms");
        assert!(out.styles.is_empty());
        assert!(!out.truncated);
    }

    #[test]
    fn cursor_movement_and_private_modes_are_removed() {
        let out = sanitize("a\x1b[2J\x1b[10;20Hb\x1b[?1049h\x1b[?25lc\x1b[Kd");
        assert_eq!(out.text, "abcd");
        assert!(out.styles.is_empty());
    }

    #[test]
    fn osc_sequences_are_removed_with_either_terminator() {
        let clipboard = "x\x1b]52;c;ZXZpbA==\x07y";
        assert_eq!(sanitize(clipboard).text, "xy");
        let link = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ here";
        assert_eq!(sanitize(link).text, "click here");
        let title = "\x1b]0;pwned\u{9c}after";
        assert_eq!(sanitize(title).text, "after");
        let eight_bit = "\u{9d}2;title\x07ok";
        assert_eq!(sanitize(eight_bit).text, "ok");
    }

    #[test]
    fn unterminated_osc_swallows_the_rest_of_the_line() {
        assert_eq!(sanitize("before\x1b]0;never ends").text, "before");
    }

    #[test]
    fn dcs_sos_pm_apc_strings_are_removed() {
        let out = sanitize("1\x1bPq#0;2;0;0;0\x1b\\2\x1bXsos\x1b\\3\x1b^pm\x1b\\4\x1b_apc\x1b\\5");
        assert_eq!(out.text, "12345");
    }

    #[test]
    fn c1_controls_and_eight_bit_csi_are_removed() {
        assert_eq!(sanitize("a\u{9b}31mb\u{85}c\u{8d}d").text, "abcd");
    }

    #[test]
    fn eight_bit_csi_applies_sgr_like_the_seven_bit_form() {
        let out = sanitize("\u{9b}31mred");
        assert_eq!(out.text, "red");
        assert_eq!(
            styled(&out, "red"),
            Some(TextStyle::new().fg(TextColor::Indexed(1)))
        );
    }

    #[test]
    fn other_escapes_and_bare_esc_are_removed() {
        assert_eq!(sanitize("a\x1b7b\x1b(Bc\x1bcd\x1b").text, "abcd");
        assert_eq!(sanitize("x\x1b\u{e9}").text, "x\u{e9}");
    }

    #[test]
    fn controls_are_removed_and_line_endings_handled() {
        assert_eq!(sanitize("a\x00b\x07c\x08d\x7fe").text, "abcde");
        assert_eq!(sanitize("done\r\n").text, "done");
        assert_eq!(sanitize("done\r").text, "done");
        assert_eq!(sanitize("50%\r100%").text, "50%100%");
        assert_eq!(sanitize("first\nsecond").text, "first↵second");
    }

    #[test]
    fn tabs_expand_to_the_next_multiple_of_eight_columns() {
        assert_eq!(sanitize("\tx").text, "        x");
        assert_eq!(sanitize("abc\tx").text, "abc     x");
        assert_eq!(sanitize("abcdefgh\tx").text, "abcdefgh        x");
        // Wide characters count as two columns.
        assert_eq!(sanitize("日本\tx").text, "日本    x");
    }

    #[test]
    fn sgr_colours_map_to_named_indexed_and_rgb() {
        let out = sanitize(
            "\x1b[31mred\x1b[0m \x1b[92mlime\x1b[m \x1b[38;5;4mblue\x1b[0m \x1b[38;5;200mpink\x1b[0m \x1b[48;2;1;2;3mbg\x1b[0m \x1b[38:2::10:20:30mcolon\x1b[0m plain",
        );
        assert_eq!(out.text, "red lime blue pink bg colon plain");
        assert_eq!(
            styled(&out, "red"),
            Some(TextStyle::new().fg(TextColor::Indexed(1)))
        );
        assert_eq!(
            styled(&out, "lime"),
            Some(TextStyle::new().fg(TextColor::Indexed(10)))
        );
        assert_eq!(
            styled(&out, "blue"),
            Some(TextStyle::new().fg(TextColor::Indexed(4)))
        );
        assert_eq!(
            styled(&out, "pink"),
            Some(TextStyle::new().fg(TextColor::Indexed(200)))
        );
        assert_eq!(
            styled(&out, "bg"),
            Some(TextStyle::new().bg(TextColor::Rgb(1, 2, 3)))
        );
        assert_eq!(
            styled(&out, "colon"),
            Some(TextStyle::new().fg(TextColor::Rgb(10, 20, 30)))
        );
        assert_eq!(styled(&out, "plain"), None);
    }

    #[test]
    fn sgr_attributes_combine_and_reset_individually() {
        let out = sanitize("\x1b[1;3;4;7mall\x1b[22;23mur\x1b[24;27mnone\x1b[2mdim");
        assert_eq!(
            styled(&out, "all"),
            Some(
                TextStyle::new()
                    .with(Attrs::BOLD | Attrs::ITALIC | Attrs::UNDERLINED | Attrs::REVERSED)
            )
        );
        assert_eq!(
            styled(&out, "ur"),
            Some(TextStyle::new().with(Attrs::UNDERLINED | Attrs::REVERSED))
        );
        assert_eq!(styled(&out, "none"), None);
        assert_eq!(styled(&out, "dim"), Some(TextStyle::new().with(Attrs::DIM)));
    }

    #[test]
    fn adjacent_text_in_one_style_is_one_run() {
        let out = sanitize("\x1b[33mab\x1b[33mcd\x1b[0m");
        assert_eq!(
            out.styles,
            vec![StyleRun {
                start: 0,
                end: 4,
                style: TextStyle::new().fg(TextColor::Indexed(3))
            }]
        );
    }

    #[test]
    fn malformed_sgr_is_ignored_without_losing_text() {
        let out = sanitize("\x1b[38;5mx\x1b[38;2;999;0;0my\x1b[99999999999mz");
        assert_eq!(out.text, "xyz");
        assert!(out.styles.is_empty());
    }

    #[test]
    fn long_lines_are_capped_on_a_char_boundary_with_a_marker() {
        let raw = "é".repeat(MAX_LINE_BYTES); // 2 bytes each
        let out = sanitize(&raw);
        assert!(out.truncated);
        let dropped = raw.len() - MAX_LINE_BYTES;
        assert!(
            out.text
                .ends_with(&format!("… [truncated {dropped} bytes]"))
        );
        assert!(out.text.len() < MAX_LINE_BYTES + 40);
        assert!(!sanitize(&"a".repeat(MAX_LINE_BYTES)).truncated);
    }

    #[test]
    fn odd_cut_point_stays_on_a_char_boundary() {
        let raw = format!("a{}", "é".repeat(MAX_LINE_BYTES));
        let out = sanitize(&raw);
        assert!(out.truncated);
        assert!(out.text.ends_with(&format!(
            "… [truncated {} bytes]",
            raw.len() - MAX_LINE_BYTES + 1
        )));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let out = sanitize_bytes(b"ok \xff\xfe \x9b31m end");
        assert_eq!(out.text, "ok \u{fffd}\u{fffd} \u{fffd}31m end");
    }

    #[test]
    fn bidi_overrides_and_invisible_characters_show_as_dim_markers() {
        // "Trojan source": the override makes the comment read as if `admin` came first.
        let out = sanitize("user=guest \u{202e}nimda=resu\u{202c} ok\u{200b}!");
        assert_eq!(
            out.text,
            "user=guest <U+202E>nimda=resu<U+202C> ok<U+200B>!"
        );
        let dim = Some(TextStyle::new().with(Attrs::DIM));
        assert_eq!(styled(&out, "<U+202E>"), dim);
        assert_eq!(styled(&out, "<U+202C>"), dim);
        assert_eq!(styled(&out, "<U+200B>"), dim);
        assert_eq!(
            styled(&out, "nimda"),
            None,
            "the text between keeps its own style"
        );
        assert_eq!(sanitize("\u{feff}bom").text, "<U+FEFF>bom");
        assert_eq!(sanitize("tag\u{e0041}").text, "tag<U+E0041>");
    }

    #[test]
    fn markers_keep_the_colours_around_them() {
        let out = sanitize("\x1b[31mred\u{2066}red\x1b[0m");
        assert_eq!(out.text, "red<U+2066>red");
        assert_eq!(
            styled(&out, "<U+2066>"),
            Some(TextStyle::new().fg(TextColor::Indexed(1)).with(Attrs::DIM))
        );
        assert_eq!(
            styled(&out, "red"),
            Some(TextStyle::new().fg(TextColor::Indexed(1)))
        );
    }

    #[test]
    fn every_listed_range_is_hidden_and_its_neighbours_are_not() {
        let ranges = [
            ('\u{202a}', '\u{202e}'),
            ('\u{2066}', '\u{2069}'),
            ('\u{200b}', '\u{200f}'),
            ('\u{2060}', '\u{2064}'),
            ('\u{feff}', '\u{feff}'),
            ('\u{ad}', '\u{ad}'),
            ('\u{61c}', '\u{61c}'),
            ('\u{2028}', '\u{2029}'),
            ('\u{e0001}', '\u{e0001}'),
            ('\u{e0020}', '\u{e007f}'),
        ];
        for (first, last) in ranges {
            for c in first..=last {
                assert!(is_hidden(c), "U+{:04X}", u32::from(c));
                assert_eq!(
                    sanitize(&format!("a{c}b")).text,
                    format!("a<U+{:04X}>b", u32::from(c))
                );
            }
        }
        // Visible spaces, emoji presentation and ordinary letters stay as they are.
        for c in [
            '\u{202f}', '\u{a0}', '\u{3000}', '\u{fe0f}', 'é', '日', '→', '\u{fffd}',
        ] {
            assert!(!is_hidden(c), "U+{:04X}", u32::from(c));
            assert_eq!(sanitize(&format!("a{c}b")).text, format!("a{c}b"));
        }
    }

    #[test]
    fn labels_drop_colours_and_escapes_but_keep_dim_markers() {
        let tag = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\x1b[30;40mteam\u{202e}x\x1b[0m";
        let out = sanitize_label(tag);
        assert_eq!(out.text, "team<U+202E>x");
        assert_eq!(
            out.styles,
            vec![StyleRun {
                start: 4,
                end: 12,
                style: TextStyle::new().with(Attrs::DIM)
            }]
        );
    }

    #[test]
    fn printable_borrows_plain_ascii_and_cleans_the_rest() {
        assert!(matches!(printable("rev-1 ok"), Cow::Borrowed("rev-1 ok")));
        assert_eq!(printable("a\x1b]52;c;ZXZpbA==\x07b"), "ab");
        assert_eq!(printable("caf\u{e9}\u{200f}"), "caf\u{e9}<U+200F>");
        assert_eq!(printable("two\nlines\t."), "two↵lines       .");
    }

    #[test]
    fn json_escaping_keeps_the_value_and_hides_nothing_raw() {
        let hostile =
            "\x1b]52;c;ZXZpbA==\x07 \u{9b}2J \u{7f} \u{202e}txt.exe \u{e0041}\u{200b} é 日 ✓";
        let value = serde_json::json!({ "name": hostile, "plain": "ok" });
        let escaped = escape_json_for_terminal(serde_json::to_string_pretty(&value).unwrap());
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value, "the JSON says the same");
        assert!(
            escaped.chars().all(|c| !is_control(c) || c == '\n'),
            "{escaped:?}"
        );
        assert!(!escaped.chars().any(is_hidden), "{escaped:?}");
        assert!(escaped.contains("\\u202e") && escaped.contains("\\udb40\\udc41"));
        assert!(escaped.contains("é 日 ✓"), "other text stays readable");
        let plain = serde_json::to_string(&value["plain"]).unwrap();
        assert_eq!(escape_json_for_terminal(plain.clone()), plain);
    }

    #[test]
    fn level_words_are_detected() {
        let cases = [
            ("ERROR failed to connect", Some(Level::Error)),
            ("2024-01-01 error: boom", Some(Level::Error)),
            ("[ERR] disk full", Some(Level::Error)),
            ("[E] something", Some(Level::Error)),
            ("E1123 16:17:01.000 main.go:10] oops", Some(Level::Error)),
            ("WARNING: low memory", Some(Level::Warn)),
            ("[W] careful", Some(Level::Warn)),
            ("INFO started", Some(Level::Info)),
            ("DEBUG cache miss", Some(Level::Debug)),
            ("trace: enter fn", Some(Level::Trace)),
            ("GET /health 200", None),
            ("errors_total=3 interrupted", None),
        ];
        for (line, expected) in cases {
            assert_eq!(detect_level(line), expected, "{line}");
        }
    }

    #[test]
    fn explicit_level_fields_win_over_words() {
        let cases = [
            ("level=info msg=\"retrying after error\"", Some(Level::Info)),
            ("ts=1 level=warn", Some(Level::Warn)),
            ("lvl=\"debug\" error=none", Some(Level::Debug)),
            (
                r#"{"msg":"error budget ok","level":"info"}"#,
                Some(Level::Info),
            ),
            (
                r#"{"severity": "ERROR", "message": "x"}"#,
                Some(Level::Error),
            ),
            (r#"{"level":50,"msg":"pino"}"#, Some(Level::Error)),
            (r#"{"level":30,"msg":"pino"}"#, Some(Level::Info)),
            (r#"{"levelname": "WARNING"}"#, Some(Level::Warn)),
        ];
        for (line, expected) in cases {
            assert_eq!(detect_level(line), expected, "{line}");
        }
    }

    #[test]
    fn pretty_json_indents_objects_and_arrays_keeping_key_order() {
        let pretty = pretty_json(r#" {"z":1,"a":[true,null,{}],"s":"x,{y}:\"q\""} "#).unwrap();
        assert_eq!(
            pretty,
            "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    {}\n  ],\n  \"s\": \"x,{y}:\\\"q\\\"\"\n}"
        );
        assert_eq!(pretty_json("[1, 2.50e3]").unwrap(), "[\n  1,\n  2.50e3\n]");
    }

    #[test]
    fn pretty_json_rejects_non_json_and_scalars() {
        assert_eq!(pretty_json("hello"), None);
        assert_eq!(pretty_json("42"), None);
        assert_eq!(pretty_json("\"str\""), None);
        assert_eq!(pretty_json("{\"a\":1} trailing"), None);
        assert_eq!(pretty_json("{broken"), None);
    }

    fn is_control(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
    }

    proptest! {
        #[test]
        fn no_control_character_survives(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
            let out = sanitize_bytes(&raw);
            for c in out.text.chars() {
                prop_assert!(!is_control(c), "{:?} in {:?}", c, out.text);
            }
            for run in &out.styles {
                prop_assert!(run.start < run.end && run.end <= out.text.len());
                prop_assert!(out.text.is_char_boundary(run.start) && out.text.is_char_boundary(run.end));
            }
            for pair in out.styles.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start);
            }
        }

        #[test]
        fn no_hidden_character_survives_and_labels_have_only_dim_runs(
            parts in proptest::collection::vec(
                prop_oneof![
                    (0x202au32..=0x202e).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                    (0x2060u32..=0x206f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                    (0xe0000u32..=0xe007f).prop_map(|c| char::from_u32(c).unwrap().to_string()),
                    Just("\u{200d}".to_string()), Just("\u{feff}".to_string()),
                    Just("\x1b[31m".to_string()), Just("\x1b]0;t\x07".to_string()),
                    "\\PC{0,3}", any::<char>().prop_map(String::from),
                ],
                0..40,
            )
        ) {
            let raw = parts.concat();
            for out in [sanitize(&raw), sanitize_label(&raw)] {
                let leaked = out.text.chars().find(|&c| is_hidden(c) || is_control(c));
                prop_assert!(leaked.is_none(), "{:?} in {:?}", leaked, out.text);
            }
            let label = sanitize_label(&raw);
            prop_assert!(label.styles.iter().all(|run| run.style == TextStyle::new().with(Attrs::DIM)));
            prop_assert_eq!(printable(&raw), label.text);
        }

        #[test]
        fn escaped_json_reads_back_the_same(text in any::<String>()) {
            let json = escape_json_for_terminal(serde_json::to_string(&text).unwrap());
            prop_assert!(!json.chars().any(|c| is_hidden(c) || is_control(c)), "{:?}", json);
            prop_assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
        }

        #[test]
        fn escape_heavy_input_never_leaks_controls(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("\x1b".to_string()), Just("\x1b[".to_string()), Just("\x1b]".to_string()),
                    Just("\u{9b}".to_string()), Just("\u{9c}".to_string()), Just("\x07".to_string()),
                    Just("\t".to_string()), Just("\r".to_string()), Just("\n".to_string()),
                    Just(";".to_string()), Just("38".to_string()), Just("m".to_string()),
                    "[ -~]{0,4}", "\\PC{0,2}",
                ],
                0..60,
            )
        ) {
            let out = sanitize(&parts.concat());
            let leaked = out.text.chars().find(|&c| is_control(c));
            prop_assert!(leaked.is_none(), "{:?} in {:?}", leaked, out.text);
        }
    }
}
