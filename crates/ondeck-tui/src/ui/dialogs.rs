//! Modal boxes: launch, destroy confirmation, profile switcher (and the frame of the others).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::input::with_cursor;
use super::{RenderContext, untrusted};
use crate::state::AppState;
use crate::state::confirm::{Confirm, Guarded};
use crate::state::input::LineInput;
use crate::state::launch::{LaunchDialog, LaunchField};
use ondeck_core::logs::sanitize::printable;

/// A cleared, bordered box of at most `width`×`height` in the middle of `area`.
pub(super) fn modal(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    ctx: &RenderContext,
) -> Rect {
    let boxed = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    frame.render_widget(Clear, boxed);
    let block = Block::bordered()
        .border_set(ctx.theme.glyphs.border)
        .title(Line::styled(format!(" {title} "), ctx.theme.bold()));
    let inner = block.inner(boxed);
    frame.render_widget(block, boxed);
    inner
}

pub(crate) fn launch(frame: &mut Frame, area: Rect, dialog: &LaunchDialog, ctx: &RenderContext) {
    let theme = ctx.theme;
    let width = if area.width >= 100 { 84 } else { 72 };
    let height = dialog.templates.len() as u16 + 10;
    let inner = modal(frame, area, width, height, "Launch an instance", ctx);

    let heading = |field: LaunchField, text: &str| {
        let focused = dialog.focus == field;
        let marker = if focused { theme.glyphs.pointer } else { " " };
        let style = if focused { theme.bold() } else { theme.dim() };
        Line::styled(format!("{marker} {text}"), style)
    };
    let text_field = |field: LaunchField, value: &LineInput, placeholder: &str| {
        let mut spans = vec![Span::raw("    [ ")];
        if dialog.focus == field {
            spans.extend(with_cursor(value, theme));
        } else if value.is_empty() {
            spans.push(Span::styled(placeholder.to_string(), theme.dim()));
        } else {
            spans.push(Span::raw(value.text().to_string()));
        }
        spans.push(Span::raw(" ]"));
        Line::from(spans)
    };

    let mut lines = vec![heading(LaunchField::Template, "Template")];
    let name_width = dialog
        .templates
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for (index, template) in dialog.templates.iter().enumerate() {
        let chosen = index == dialog.cursor;
        let style = if chosen && dialog.focus == LaunchField::Template {
            theme.selected()
        } else if chosen {
            theme.bold()
        } else {
            ratatui::style::Style::new()
        };
        let marker = if chosen {
            theme.glyphs.chosen
        } else {
            theme.glyphs.not_chosen
        };
        lines.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(format!("{marker} {:<name_width$}", template.name), style),
            Span::styled(
                format!("  {}", template.description.as_deref().unwrap_or("")),
                theme.dim(),
            ),
        ]));
    }
    lines.push(heading(LaunchField::Name, "Name (optional)"));
    lines.push(text_field(
        LaunchField::Name,
        &dialog.name,
        "generated from the template",
    ));
    lines.push(heading(LaunchField::Env, "Env overrides (optional)"));
    lines.push(text_field(
        LaunchField::Env,
        &dialog.env,
        "api:LOG_LEVEL=debug worker:THREADS=4",
    ));
    lines.push(Line::raw(""));
    let confirm_style = if dialog.focus == LaunchField::Confirm {
        theme.selected()
    } else {
        theme.bold()
    };
    lines.push(Line::from(vec![
        Span::raw(if dialog.focus == LaunchField::Confirm {
            format!("{} ", theme.glyphs.pointer)
        } else {
            "  ".to_string()
        }),
        Span::styled("[ Launch ]", confirm_style),
        Span::styled("   tab next · enter confirm · esc cancel", theme.dim()),
    ]));
    if let Some(error) = &dialog.error {
        lines.push(Line::styled(
            format!("{} {error}", theme.glyphs.error),
            theme.error(),
        ));
    }
    // Not wrapped: a long description is cut at the edge rather than push fields out of the box.
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The question before a destroy or an extend. Someone else's instance says whose it is and
/// takes its name typed out; one of mine takes a `y`.
pub(crate) fn confirm(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    confirm: &Confirm,
    ctx: &RenderContext,
) {
    let theme = ctx.theme;
    let label = confirm.target.label(&state.profile.owner);
    let tasks = match confirm.tasks {
        1 => "1 task".to_string(),
        count => format!("{count} tasks"),
    };
    let (title, verb, question) = match &confirm.action {
        Guarded::Destroy => (
            "Destroy",
            "destroy",
            format!(" ({tasks})? Every task is stopped."),
        ),
        Guarded::Extend { by } => ("Extend", "extend", format!(" by {by}?")),
    };
    let mut first = vec![Span::raw(format!("{title} "))];
    first.extend(untrusted(&label, theme.bold()));
    first.push(Span::raw(question));
    let mut lines = vec![Line::from(first)];
    let title = match &confirm.foreign {
        None => {
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled("y", theme.key()),
                Span::raw(format!(" to {verb}; any other key keeps it. [y/N]")),
            ]));
            format!("{title} instance")
        }
        Some(note) => {
            let mut note = printable(note).into_owned();
            if let Some(first) = note.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            lines.push(Line::styled(
                format!("{} {note}.", theme.glyphs.warning),
                theme.error(),
            ));
            lines.push(Line::raw(""));
            let mut field = vec![Span::raw(format!("Type its name to {verb} it: [ "))];
            field.extend(with_cursor(&confirm.typed, theme));
            field.push(Span::raw(" ]"));
            lines.push(Line::from(field));
            lines.push(Line::styled(
                format!("enter {verb}s · esc keeps it"),
                theme.dim(),
            ));
            format!("{title} {}'s instance", confirm.target.owner)
        }
    };
    // As tall as the lines once wrapped in the box's inner width, borders included.
    let inner_width = usize::from(area.width.min(64).saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(inner_width).max(1))
        .sum();
    let inner = modal(frame, area, 64, rows as u16 + 2, &title, ctx);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub(crate) fn profiles(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    cursor: usize,
    ctx: &RenderContext,
) {
    let theme = ctx.theme;
    let height = state.profiles.len() as u16 + 4;
    let inner = modal(frame, area, 56, height, "Switch profile", ctx);
    let mut lines: Vec<Line> = state
        .profiles
        .values()
        .enumerate()
        .map(|(index, profile)| {
            let current = profile.name == state.profile.name;
            let style = if index == cursor {
                theme.selected()
            } else {
                ratatui::style::Style::new()
            };
            Line::from(vec![
                Span::raw(format!(
                    "{} ",
                    if current {
                        theme.glyphs.chosen
                    } else {
                        theme.glyphs.not_chosen
                    }
                )),
                Span::styled(profile.name.clone(), style),
                Span::styled(
                    format!("  {} · {}", profile.region, profile.cluster),
                    theme.dim(),
                ),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("enter switch · esc cancel", theme.dim()));
    frame.render_widget(Paragraph::new(lines), inner);
}
