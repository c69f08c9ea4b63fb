//! The log pane: the selected instance's container logs, drawn by `LogPane` from the pane's
//! buffer and view, with the tail's health in the title and the search being typed at the
//! bottom edge.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::input::with_cursor;
use super::{RenderContext, centered_note, pane_block};
use crate::state::AppState;
use crate::state::keymap::Command;

mod pane;

pub use pane::LogPane;

pub(crate) fn pane(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
    focused: bool,
) {
    let Some(logs) = &state.logs else {
        let block = pane_block(" logs ".into(), area.width, focused, ctx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        centered_note(frame, inner, ctx, vec![Line::from("No instance selected.")]);
        return;
    };
    // A narrow table shows the selected instance; a wide screen has room to repeat it.
    let with_instance = wide || logs.full_screen;
    // A stopped or failed instance writes no more lines: the pane says so rather than
    // claim to follow a live stream.
    let ended = state
        .instances
        .iter()
        .find(|instance| instance.is(&logs.instance))
        .filter(|instance| instance.state.is_final());
    let status = match ended {
        Some(instance) if with_instance => {
            format!("{} · {} · no new lines", logs.instance.name, instance.state)
        }
        Some(instance) => format!("{} · no new lines", instance.state),
        None => logs.status_text(ctx.offset, with_instance),
    };
    frame.render_widget(
        LogPane::new(&logs.buffer, &logs.view, &logs.labels)
            .ended(ended.is_some())
            .title_extra(&status)
            .utc_offset(ctx.offset)
            .theme(ctx.theme)
            .notes(&logs.notes)
            .all_key(
                state
                    .keymap
                    .keys_for(Command::LogAll)
                    .first()
                    .map(ToString::to_string),
            )
            .border_style(if focused {
                ctx.theme.bold()
            } else {
                ctx.theme.dim()
            }),
        area,
    );
    if let Some(input) = &logs.search_input
        && area.height >= 2
        && area.width > 2
    {
        // On the bottom border, so typing does not move a single log line.
        let mut prompt = vec![Span::styled(" /", ctx.theme.key())];
        prompt.extend(with_cursor(input, ctx.theme));
        prompt.push(Span::styled(
            "  enter searches · esc cancels ",
            ctx.theme.dim(),
        ));
        let prompt = ctx
            .theme
            .fit_line(Line::from(prompt), usize::from(area.width - 2));
        let row = Rect {
            x: area.x + 1,
            y: area.bottom() - 1,
            width: area.width - 2,
            height: 1,
        };
        frame.render_widget(prompt, row);
    }
}

#[cfg(test)]
mod tests;
