//! The help overlay, generated from the keymap so it always tells the truth.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::RenderContext;
use crate::state::keymap::{Command, Context};
use crate::state::{AppState, Focus, Pane};

const FOOTER: &str = "ctrl-c quits from anywhere · any key closes this help";

pub fn overlay(frame: &mut Frame, area: Rect, state: &AppState, ctx: &RenderContext) {
    let theme = ctx.theme;
    // Help opened from the log pane tells its keys; the instance keys have their own page.
    let context = if state.pane == Some(Pane::Logs) && state.focus == Focus::Pane {
        Context::LogPane
    } else {
        Context::Instances
    };
    let first_key = |command: Command| {
        state
            .keymap
            .keys_for(command)
            .first()
            .map(ToString::to_string)
    };
    let mut entries: Vec<(String, &'static str)> = Vec::new();
    if context == Context::LogPane {
        entries.push(("1-9".into(), "focus that container"));
        let pair = |a: Command, b: Command| {
            [a, b]
                .into_iter()
                .filter_map(first_key)
                .collect::<Vec<_>>()
                .join(" ")
        };
        entries.push((pair(Command::Up, Command::Down), "scroll (pauses)"));
        entries.push((pair(Command::PageUp, Command::PageDown), "scroll a page"));
        if let Some(key) = first_key(Command::Top) {
            entries.push((key, "oldest line"));
        }
        if let Some(key) = first_key(Command::NextPane) {
            entries.push((key, "focus the instances"));
        }
    }
    entries.extend(
        Command::ALL
            .into_iter()
            .filter(|command| command.context() == context)
            .filter(|command| !(state.read_only && command.is_write()))
            .filter_map(|command| {
                let keys = state.keymap.keys_for(command);
                if keys.is_empty() {
                    return None;
                }
                let mut shown: Vec<String> = keys.iter().take(2).map(ToString::to_string).collect();
                // In the log pane the instance view's `bottom` key follows too.
                if command == Command::LogFollow {
                    shown.extend(first_key(Command::Bottom));
                }
                Some((shown.join(" "), command.description()))
            }),
    );
    let key_width = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let entry_width = entries
        .iter()
        .map(|(_, d)| key_width + 2 + d.chars().count())
        .max()
        .unwrap_or(0) as u16;

    // One column if it fits in height, else two side by side.
    let rows_available = area.height.saturating_sub(4);
    let columns: u16 = if entries.len() as u16 <= rows_available {
        1
    } else {
        2
    };
    let per_column = entries.len().div_ceil(usize::from(columns));
    let width = (entry_width * columns + 3 * (columns - 1))
        .max(FOOTER.chars().count() as u16)
        .saturating_add(4)
        .min(area.width);
    let height = (per_column as u16 + 4).min(area.height);
    let boxed = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, boxed);
    let mut title = " keys ".to_string();
    if state.read_only {
        title = " keys (read-only: changes are disabled) ".to_string();
    }
    let block = Block::bordered()
        .border_set(theme.glyphs.border)
        .title(Line::styled(title, theme.bold()));
    let inner = block.inner(boxed).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, boxed);

    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); usize::from(columns)])
        .spacing(3)
        .split(body);
    for (column, chunk) in entries.chunks(per_column.max(1)).enumerate() {
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(keys, description)| {
                Line::from(vec![
                    Span::styled(format!("{keys:<key_width$}  "), theme.key()),
                    Span::raw(*description),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), areas[column]);
    }
    frame.render_widget(Paragraph::new(Line::styled(FOOTER, theme.dim())), footer);
}
