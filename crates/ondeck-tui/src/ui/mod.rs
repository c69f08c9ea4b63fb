//! Drawing only: everything comes from `AppState` and the `RenderContext` (never the clock).
//! One file per screen region.

mod detail;
mod dialogs;
mod fit;
mod forward;
pub mod glyphs;
mod help;
mod input;
mod instances;
mod layout;
mod logs;
mod picker;
mod status;
pub mod theme;
mod timeline;

#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::state::{AppState, Focus, Mode, Pane};
pub use glyphs::Glyphs;
pub use layout::screen_layout;
pub use logs::LogPane;
use ondeck_core::logs::sanitize::sanitize_label;
pub use theme::Theme;

/// What a frame needs besides the state.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext {
    pub now: DateTime<Utc>,
    /// The user's UTC offset, for wall-clock times.
    pub offset: FixedOffset,
    pub theme: Theme,
}

/// From this width on, tables and panes show their extra columns.
const WIDE: u16 = 120;

/// The smallest screen the dashboard draws on; a smaller one gets a note saying so.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 15;

pub fn render(frame: &mut Frame, state: &AppState, ctx: &RenderContext) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, ctx);
    } else {
        render_dashboard(frame, state, ctx);
    }
    if ctx.theme.glyphs.is_ascii() {
        glyphs::ascii_only(frame.buffer_mut());
    }
}

/// What a screen below the smallest size shows instead of a dashboard it would garble.
fn too_small(frame: &mut Frame, area: Rect, ctx: &RenderContext) {
    let lines = vec![
        Line::styled("Terminal too small", ctx.theme.bold()),
        Line::raw(format!("{}×{} here", area.width, area.height)),
        Line::raw(format!("needs {MIN_WIDTH}×{MIN_HEIGHT}")),
        Line::styled("enlarge it · ctrl-c quits", ctx.theme.dim()),
    ];
    centered_note(frame, area, ctx, lines);
}

fn render_dashboard(frame: &mut Frame, state: &AppState, ctx: &RenderContext) {
    let regions = layout::regions(frame.area(), state);
    let wide = frame.area().width >= WIDE;

    status::top_bar(frame, regions.top, state, ctx, wide);
    status::bottom_line(frame, regions.bottom, state, ctx);
    if let Some(table) = regions.table {
        instances::table(frame, table, state, ctx, wide);
    }
    if let (Some(pane), Some(area)) = (state.pane, regions.pane) {
        let focused = state.focus == Focus::Pane;
        match pane {
            Pane::Detail => detail::pane(frame, area, state, ctx, wide, focused),
            Pane::Timeline => timeline::pane(frame, area, state, ctx, wide, focused),
            Pane::Logs => logs::pane(frame, area, state, ctx, wide, focused),
        }
    }

    let body = regions.body;
    match &state.mode {
        Mode::Help(help) => help::overlay(frame, body, state, *help, ctx),
        Mode::Launch(dialog) => dialogs::launch(frame, body, dialog, ctx),
        Mode::Confirm(confirm) => dialogs::confirm(frame, body, state, confirm, ctx),
        Mode::Extend(dialog) => dialogs::extend(frame, body, state, dialog, ctx),
        Mode::Profiles(picker) => dialogs::profiles(frame, body, state, picker.cursor, ctx),
        Mode::Forward(dialog) => forward::dialog(frame, body, dialog, ctx),
        Mode::Shell(picker) => picker::shell(frame, body, picker, ctx),
        Mode::Normal | Mode::Filter | Mode::CommandLine(_) => {}
    }
}

/// A bordered block `width` columns wide whose title is bold when it has the focus; a title
/// too long for the border is cut with the ellipsis.
fn pane_block(title: String, width: u16, focused: bool, ctx: &RenderContext) -> Block<'static> {
    let style = if focused {
        ctx.theme.bold()
    } else {
        ctx.theme.dim()
    };
    Block::bordered()
        .border_set(ctx.theme.glyphs.border)
        .border_style(style)
        .title(ctx.theme.fit_line(
            Line::styled(title, ctx.theme.bold()),
            usize::from(width.saturating_sub(2)),
        ))
}

/// A one-paragraph message in the middle of an area (loading, empty, nothing selected), each
/// line cut to the area's width.
fn centered_note(frame: &mut Frame, area: Rect, ctx: &RenderContext, lines: Vec<Line<'static>>) {
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|line| ctx.theme.fit_line(line, usize::from(area.width)))
        .collect();
    let height = lines.len() as u16;
    let inner = area.centered_vertically(Constraint::Length(height));
    frame.render_widget(
        Paragraph::new(lines).alignment(ratatui::layout::Alignment::Center),
        inner,
    );
}

/// Text that comes from AWS (names, tags, reasons, messages) in `style`, cleaned by the log
/// sanitizer's label rules: no escape sequence reaches the terminal, and characters that hide
/// or reorder text show as dim `<U+202E>` markers.
fn untrusted(raw: &str, style: Style) -> Vec<Span<'static>> {
    let clean = sanitize_label(raw);
    if clean.styles.is_empty() {
        return vec![Span::styled(clean.text, style)];
    }
    let mut spans = Vec::with_capacity(clean.styles.len() * 2 + 1);
    let mut at = 0;
    for run in &clean.styles {
        if run.start > at {
            spans.push(Span::styled(clean.text[at..run.start].to_string(), style));
        }
        spans.push(Span::styled(
            clean.text[run.start..run.end].to_string(),
            style.patch(theme::log_text_style(run.style)),
        ));
        at = run.end;
    }
    if at < clean.text.len() {
        spans.push(Span::styled(clean.text[at..].to_string(), style));
    }
    spans
}
