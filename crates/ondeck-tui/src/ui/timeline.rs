//! The timeline pane: the journal's entries for the selected instance, newest at the bottom:
//! what its tasks went through and, for a service-backed one, what ECS said of its services.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{RenderContext, centered_note, pane_block, untrusted};
use crate::state::AppState;
use crate::state::timeline::{TimelineEntry, TimelineEvent};
use ondeck_core::logs::sanitize::printable;

pub(crate) fn pane(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
    focused: bool,
) {
    let Some(instance) = state.selected_instance() else {
        let block = pane_block(" timeline ".into(), area.width, focused, ctx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        centered_note(frame, inner, ctx, vec![Line::from("No instance selected.")]);
        return;
    };
    let entries = state.journal.for_instance(instance);
    // The name gives way to the border; the count of events stays.
    let count = format!(" ({} events) ", entries.len());
    let used = Line::raw(format!(" timeline · {count}")).width();
    let room = usize::from(area.width).saturating_sub(2 + used);
    let block = pane_block(
        format!(
            " timeline · {}{count}",
            ctx.theme.fit(&printable(&instance.name), room)
        ),
        area.width,
        focused,
        ctx,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if entries.is_empty() {
        centered_note(frame, inner, ctx, vec![Line::from("Nothing recorded yet.")]);
        return;
    }
    // Show the newest lines; scrolling moves up from there.
    let height = usize::from(inner.height);
    let end = entries
        .len()
        .saturating_sub(usize::from(state.pane_scroll))
        .max(height.min(entries.len()));
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = entries[start..end]
        .iter()
        .map(|entry| {
            ctx.theme
                .fit_line(line(entry, ctx, wide), usize::from(inner.width))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn line(entry: &TimelineEntry, ctx: &RenderContext, wide: bool) -> Line<'static> {
    let theme = ctx.theme;
    let local = entry.at.with_timezone(&ctx.offset);
    let when = local
        .format(if wide { "%m-%d %H:%M:%S" } else { "%H:%M:%S" })
        .to_string();
    // A service's event names the service in its text; the task column says whose it is.
    let subject = match &entry.event {
        TimelineEvent::Service { .. } => Span::styled(format!("{:<8}", "service"), theme.dim()),
        _ => {
            let task: String = printable(entry.task_id()).chars().take(8).collect();
            Span::raw(format!("{task:<8}"))
        }
    };
    let mut spans = vec![
        Span::styled(when, theme.dim()),
        Span::raw("  "),
        subject,
        Span::raw("  "),
    ];
    if wide {
        spans.push(Span::styled(
            format!("{:<16}  ", printable(&entry.task_definition)),
            theme.dim(),
        ));
    }
    let style = match &entry.event {
        TimelineEvent::Observed(state) => theme.task_state(state),
        TimelineEvent::StopRequested => theme.bold(),
        TimelineEvent::Ecs(_) => theme.dim(),
        TimelineEvent::Service { .. } => Style::new(),
    };
    spans.extend(untrusted(&entry.event.describe(), style));
    Line::from(spans)
}

#[cfg(test)]
mod tests;
