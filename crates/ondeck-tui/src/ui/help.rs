//! The help overlay, generated from the keymap so it always tells the truth.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::RenderContext;
use crate::state::help::Help;
use crate::state::keymap::{Command, Context};
use crate::state::{AppState, Focus, Pane};

const FOOTER: &str = "ctrl-c quits from anywhere · any key closes this help";

pub fn overlay(frame: &mut Frame, area: Rect, state: &AppState, help: Help, ctx: &RenderContext) {
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

    // One column if it fits in height, else two side by side if they fit in width; what
    // still does not fit scrolls.
    let rows_available = usize::from(area.height.saturating_sub(4)).max(1);
    let two_fit = usize::from(entry_width) * 2 + 3 + 4 <= usize::from(area.width);
    let columns: u16 = if entries.len() <= rows_available || !two_fit {
        1
    } else {
        2
    };
    let per_column = entries.len().div_ceil(usize::from(columns));
    let shown_rows = per_column.min(rows_available);
    let top = help.top.min(per_column - shown_rows);
    let width = (entry_width * columns + 3 * (columns - 1))
        .max(FOOTER.chars().count() as u16)
        .saturating_add(4)
        .min(area.width);
    let height = (shown_rows as u16 + 4).min(area.height);
    let boxed = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, boxed);
    let mut title = " keys ".to_string();
    if state.read_only {
        title = " keys (read-only: changes are disabled) ".to_string();
    }
    let title = theme.fit_line(
        Line::styled(title, theme.bold()),
        usize::from(width.saturating_sub(2)),
    );
    let block = Block::bordered()
        .border_set(theme.glyphs.border)
        .title(title);
    let inner = block.inner(boxed).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, boxed);

    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let areas = Layout::horizontal(vec![Constraint::Fill(1); usize::from(columns)])
        .spacing(3)
        .split(body);
    for (column, chunk) in entries.chunks(per_column.max(1)).enumerate() {
        let lines: Vec<Line> = chunk
            .iter()
            .skip(top)
            .take(shown_rows)
            .map(|(keys, description)| {
                let line = Line::from(vec![
                    Span::styled(format!("{keys:<key_width$}  "), theme.key()),
                    Span::raw(*description),
                ]);
                theme.fit_line(line, usize::from(areas[column].width))
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), areas[column]);
    }
    let below = per_column - shown_rows - top;
    let footer_text = if shown_rows < per_column {
        let more = if below > 0 {
            format!("{below} more below · ")
        } else {
            String::new()
        };
        format!("{more}↑↓ scroll · other keys close")
    } else {
        FOOTER.to_string()
    };
    frame.render_widget(
        Paragraph::new(theme.fit_line(
            Line::styled(footer_text, theme.dim()),
            usize::from(footer.width),
        )),
        footer,
    );
}
