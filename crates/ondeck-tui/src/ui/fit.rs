//! Cutting text to a width. The one place the dashboard shortens what it shows, and it always
//! shows that it did: a cut ends (or, for addresses, starts) with the ellipsis.

use std::borrow::Cow;

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// The byte length of the longest start of `text` at most `room` columns wide.
fn head_within(text: &str, room: usize) -> usize {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += char_width(c);
        if used > room {
            return at;
        }
    }
    text.len()
}

/// `text` in at most `width` columns: whole if it fits, else its start and `ellipsis`.
pub(crate) fn fit<'a>(text: &'a str, width: usize, ellipsis: &str) -> Cow<'a, str> {
    if UnicodeWidthStr::width(text) <= width {
        return Cow::Borrowed(text);
    }
    let room = width.saturating_sub(UnicodeWidthStr::width(ellipsis));
    if room == 0 {
        return Cow::Owned(ellipsis.chars().take(width).collect());
    }
    Cow::Owned(format!("{}{ellipsis}", &text[..head_within(text, room)]))
}

/// `text` in at most `width` columns, keeping its end: `…0.1.24:18080` keeps the port whole
/// where a cut at the end would show a wrong one.
pub(crate) fn fit_start(text: &str, width: usize, ellipsis: &str) -> String {
    if UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    let room = width.saturating_sub(UnicodeWidthStr::width(ellipsis));
    let mut used = 0;
    let mut start = text.len();
    for (at, c) in text.char_indices().rev() {
        used += char_width(c);
        if used > room {
            break;
        }
        start = at;
    }
    format!("{ellipsis}{}", &text[start..])
}

/// `line` in at most `width` columns: the spans that fit, the one at the edge cut, and the
/// ellipsis in that span's style.
pub(crate) fn fit_line<'a>(line: Line<'a>, width: usize, ellipsis: &str) -> Line<'a> {
    if line.width() <= width {
        return line;
    }
    let room = width.saturating_sub(UnicodeWidthStr::width(ellipsis));
    let (style, alignment) = (line.style, line.alignment);
    let mut kept: Vec<Span<'a>> = Vec::with_capacity(line.spans.len());
    let mut used = 0;
    let mut last_style = line
        .spans
        .first()
        .map(|span| span.style)
        .unwrap_or_default();
    for span in line.spans {
        let span_width = span.width();
        last_style = span.style;
        if used + span_width <= room {
            used += span_width;
            kept.push(span);
            continue;
        }
        let cut = head_within(&span.content, room - used);
        if cut > 0 {
            kept.push(Span::styled(span.content[..cut].to_string(), span.style));
        }
        break;
    }
    kept.push(Span::styled(ellipsis.to_string(), last_style));
    Line {
        spans: kept,
        style,
        alignment,
    }
}

#[cfg(test)]
mod tests;
