//! The container picker of `s`: each container of the instance with whether its exec agent
//! can take a shell now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dialogs::{Dialog, Flow};
use super::{RenderContext, untrusted};
use crate::state::shell::ShellPicker;
use ondeck_core::logs::sanitize::printable;

pub(crate) fn shell(frame: &mut Frame, area: Rect, picker: &ShellPicker, ctx: &RenderContext) {
    let theme = ctx.theme;
    let title = format!("Shell in {}", printable(&picker.label));
    let name_width = picker
        .choices
        .iter()
        .map(|choice| choice.container.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let lines: Vec<Line> = picker
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            let chosen = index == picker.cursor;
            let style = if chosen {
                theme.selected()
            } else {
                Style::new()
            };
            let ready = choice.ready();
            let mut spans = vec![Span::raw(if chosen {
                format!("{} ", theme.glyphs.pointer)
            } else {
                "  ".to_string()
            })];
            // A long container name is cut with the ellipsis, the statuses stay in a column.
            let name = theme.fit(&choice.container, name_width).into_owned();
            let pad = name_width.saturating_sub(Span::raw(name.as_str()).width());
            spans.extend(untrusted(&name, style));
            spans.push(Span::raw(" ".repeat(pad + 2)));
            spans.extend(untrusted(&choice.status, theme.dim()));
            spans.push(Span::raw(" · "));
            let readiness = choice.readiness();
            spans.push(if ready {
                Span::raw(readiness)
            } else {
                Span::styled(readiness, theme.error())
            });
            Line::from(spans)
        })
        .collect();
    Dialog {
        title: &title,
        width: 56,
        body: lines,
        focus: picker.cursor,
        controls: vec![
            Line::raw(""),
            Line::styled("enter open · esc cancel", theme.dim()),
        ],
        flow: Flow::Cut,
    }
    .draw(frame, area, ctx);
}

#[cfg(test)]
mod tests;
