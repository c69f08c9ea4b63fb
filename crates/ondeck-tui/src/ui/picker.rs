//! The container picker of `s`: each container of the instance with whether its exec agent
//! can take a shell now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::dialogs::modal;
use super::{RenderContext, untrusted};
use crate::state::shell::ShellPicker;
use ondeck_core::logs::sanitize::printable;

pub(crate) fn shell(frame: &mut Frame, area: Rect, picker: &ShellPicker, ctx: &RenderContext) {
    let theme = ctx.theme;
    let height = picker.choices.len() as u16 + 4;
    let title = format!("Shell in {}", printable(&picker.label));
    let inner = modal(frame, area, 56, height, &title, ctx);
    let name_width = picker
        .choices
        .iter()
        .map(|choice| choice.container.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut lines: Vec<Line> = picker
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
            let mut spans = vec![Span::raw(if chosen { "› " } else { "  " })];
            let name: String = choice.container.chars().take(name_width).collect();
            let pad = name_width - name.chars().count();
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
    lines.push(Line::raw(""));
    lines.push(Line::styled("enter open · esc cancel", theme.dim()));
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests;
