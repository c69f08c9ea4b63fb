//! The forward dialog: the instance's container ports to pick from and the local port.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dialogs::{Dialog, Flow};
use super::input::with_cursor;
use super::{RenderContext, untrusted};
use crate::state::forward_dialog::ForwardDialog;
use ondeck_core::logs::sanitize::printable;
use ondeck_core::ops::connect::{NotReady, READY_BRIEF};

const WIDTH: u16 = 64;

pub(crate) fn dialog(frame: &mut Frame, area: Rect, dialog: &ForwardDialog, ctx: &RenderContext) {
    let theme = ctx.theme;
    let mut lines = vec![Line::styled("Container port", theme.bold())];
    let name_width = dialog
        .choices
        .iter()
        .map(|choice| printable(&choice.container).chars().count())
        .max()
        .unwrap_or(0);
    for (index, choice) in dialog.choices.iter().enumerate() {
        let chosen = index == dialog.cursor;
        let style = if chosen {
            theme.selected()
        } else {
            Style::new()
        };
        let marker = if chosen {
            theme.glyphs.chosen
        } else {
            theme.glyphs.not_chosen
        };
        let mut spans = vec![Span::raw(format!("  {marker} "))];
        let shown = printable(&choice.container).chars().count();
        spans.extend(untrusted(&choice.container, style));
        spans.push(Span::styled(format!(":{:<6}", choice.port), style));
        spans.push(Span::raw(" ".repeat(name_width - shown)));
        let readiness = choice
            .not_ready
            .as_ref()
            .map_or(READY_BRIEF.to_string(), NotReady::brief);
        spans.push(Span::styled(format!("  {readiness}"), theme.dim()));
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    let mut local = vec![Span::raw("Local port  [ ")];
    if dialog.local.is_empty() {
        local.extend(with_cursor(&dialog.local, theme));
        local.push(Span::styled("a free one", theme.dim()));
    } else {
        local.extend(with_cursor(&dialog.local, theme));
    }
    local.push(Span::raw(" ]  on 127.0.0.1"));
    lines.push(Line::from(local));
    let mut controls = vec![Line::raw("")];
    controls.push(Line::styled(
        "↑↓ port · type a local port · enter forward · esc cancel",
        theme.dim(),
    ));
    if let Some(error) = &dialog.error {
        controls.push(Line::styled(
            format!("{} {error}", theme.glyphs.error),
            theme.error(),
        ));
    }
    Dialog {
        title: "Forward a port",
        width: WIDTH,
        body: lines,
        focus: 1 + dialog.cursor,
        controls,
        flow: Flow::Cut,
    }
    .draw(frame, area, ctx);
}
