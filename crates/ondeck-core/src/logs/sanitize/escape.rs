//! Escape stripping: the state machine that walks a line, drops every control sequence and
//! keeps the colours and attributes of SGR ones as style runs.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthChar;

use super::{NEWLINE_MARK, StyleRun, TAB_WIDTH, is_hidden};
use crate::logs::style::{Attrs, TextColor, TextStyle};

/// `body`'s printable text and its style runs; SGR sequences count only with `keep_colours`.
pub(super) fn strip(body: &str, keep_colours: bool) -> (String, Vec<StyleRun>) {
    let mut out = Sanitizer {
        text: String::with_capacity(body.len()),
        styles: Vec::new(),
        pen: Pen::default(),
        style: TextStyle::new(),
        column: 0,
        keep_colours,
    };
    out.run(body);
    (out.text, out.styles)
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
