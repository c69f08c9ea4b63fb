//! A line being typed, with its cursor: a block after the text, or the character under the
//! cursor shown reversed. The same drawing for the filter, the command line, the dialogs'
//! fields and the log search.

use ratatui::text::Span;

use super::theme::Theme;
use crate::state::input::LineInput;

pub(crate) fn with_cursor(input: &LineInput, theme: Theme) -> Vec<Span<'static>> {
    let (before, under, after) = input.split_at_cursor();
    let mut spans = vec![Span::raw(before.to_string())];
    match under {
        None => spans.push(Span::styled(theme.glyphs.cursor, theme.dim())),
        Some(under) => {
            spans.push(Span::styled(under.to_string(), theme.selected()));
            spans.push(Span::raw(after.to_string()));
        }
    }
    spans
}

#[cfg(test)]
mod tests;
