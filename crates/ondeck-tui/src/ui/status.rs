//! The status bar on top and the message / prompt line at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::input::with_cursor;
use super::{RenderContext, untrusted};
use crate::state::keymap::Command;
use crate::state::{AppState, Focus, MessageKind, Mode, Pane};
use ondeck_core::format::remaining;
use ondeck_core::instances::Instance;
use ondeck_core::instances::expiry::{self, Urgency, format_ttl};
use ondeck_core::logs::sanitize::printable;

pub(crate) fn top_bar(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) {
    let theme = ctx.theme;
    let profile = &state.profile;
    let separator = || Span::styled(" │ ", theme.dim());
    let mut spans = Vec::new();
    if state.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.badge()));
        spans.push(Span::raw(" "));
    }
    let labelled = |label: &'static str, value: &str| -> Vec<Span<'static>> {
        let mut parts = Vec::new();
        if wide {
            parts.push(Span::styled(format!("{label} "), theme.dim()));
        }
        parts.push(Span::styled(value.to_string(), theme.bold()));
        parts
    };
    spans.extend(labelled("profile", &profile.name));
    spans.push(separator());
    spans.extend(labelled("region", &profile.region));
    spans.push(separator());
    spans.extend(labelled("cluster", &profile.cluster));
    spans.push(separator());
    let owner = if state.all_owners {
        "all owners".to_string()
    } else {
        profile.owner.clone()
    };
    spans.extend(labelled("owner", &owner));
    spans.push(separator());
    let refreshed = state
        .last_refresh
        // To the minute: a seconds field would redraw the bar at every steady refresh.
        .map(|at| at.with_timezone(&ctx.offset).format("%H:%M").to_string())
        .unwrap_or_else(|| "never".into());
    spans.push(Span::styled(
        if wide {
            "refreshed "
        } else {
            theme.glyphs.refreshed
        },
        theme.dim(),
    ));
    spans.push(Span::raw(refreshed));
    if state.waiting() {
        spans.push(separator());
        spans.push(Span::styled(
            format!(
                "{} waiting for AWS",
                theme.glyphs.spinner[state.spinner % theme.glyphs.spinner.len()]
            ),
            theme.fg(ratatui::style::Color::Yellow),
        ));
    }
    let bar = theme.fit_line(Line::from(spans), usize::from(area.width));
    frame.render_widget(Paragraph::new(bar), area);
}

/// A message wraps onto up to three lines rather than lose its fix at the right edge.
pub(crate) fn bottom_height(state: &AppState, width: u16) -> u16 {
    let text_width = match (&state.mode, &state.message) {
        (Mode::Filter | Mode::CommandLine(_), _) | (_, None) => return 1,
        (_, Some(message)) => printable(&message.text).chars().count() + 2,
    };
    text_width.div_ceil(usize::from(width.max(1))).clamp(1, 3) as u16
}

pub(crate) fn bottom_line(frame: &mut Frame, area: Rect, state: &AppState, ctx: &RenderContext) {
    let theme = ctx.theme;
    let line = match &state.mode {
        Mode::Filter => {
            let mut spans = vec![Span::styled("/", theme.key())];
            spans.extend(with_cursor(&state.table.filter, theme));
            spans.push(Span::styled("  enter keeps · esc clears", theme.dim()));
            Line::from(spans)
        }
        Mode::CommandLine(line) => {
            let mut spans = vec![Span::styled(":", theme.key())];
            spans.extend(with_cursor(&line.input, theme));
            if !line.matches.is_empty() {
                spans.extend(untrusted(
                    &format!("  {}", line.matches.join(" ")),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        }
        _ => match &state.message {
            Some(message) if message.kind == MessageKind::Error => {
                let mut spans = vec![Span::styled(
                    format!("{} ", theme.glyphs.error),
                    theme.error(),
                )];
                spans.extend(untrusted(&message.text, theme.error()));
                Line::from(spans)
            }
            Some(message) => Line::from(untrusted(&message.text, Style::new())),
            None => expiry_warning(state, ctx, usize::from(area.width))
                .unwrap_or_else(|| hints(state, ctx, usize::from(area.width))),
        },
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), area);
}

/// "⏰ checkout-fix expires in 12m — e extends by 8h": the most urgent of my expiries, in
/// place of the key hints while no message is up.
fn expiry_warning(state: &AppState, ctx: &RenderContext, width: usize) -> Option<Line<'static>> {
    let due = expiry::needing_attention(&state.instances, &state.profile.owner, ctx.now);
    let first = *due.first()?;
    let urgency = expiry::urgency(first, ctx.now)?;
    let left = remaining(first.expires_at?, ctx.now);
    let when = match urgency {
        Urgency::Soon => format!("expires in {left}"),
        Urgency::Overdue => format!("{left} and still runs"),
    };
    let style = ctx.theme.urgency(urgency);
    let mut spans = vec![Span::styled(format!("{} ", ctx.theme.glyphs.expiry), style)];
    spans.extend(untrusted(&first.name, style));
    spans.push(Span::styled(format!(" {when}"), style));
    let more = Span::raw(format!(" (+{} more)", due.len().saturating_sub(1)));
    let mut fix = Vec::new();
    if let Some(hint) = extend_hint(state, first) {
        fix.push(Span::styled(" — ", ctx.theme.dim()));
        fix.push(Span::raw(hint));
    }
    // The fix matters more than the count of others: on a narrow screen the count goes first,
    // then the line is cut with the ellipsis.
    let width_of = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    if due.len() > 1 && width_of(&spans) + more.width() + width_of(&fix) <= width {
        spans.push(more);
    }
    spans.extend(fix);
    Some(ctx.theme.fit_line(Line::from(spans), width))
}

/// How to push the expiry out from here; nothing in read-only mode.
fn extend_hint(state: &AppState, instance: &Instance) -> Option<String> {
    if state.read_only {
        return None;
    }
    let name = printable(&instance.name);
    let ttl = state
        .profile
        .templates
        .get(&instance.template)
        .and_then(|template| template.ttl);
    let key = state.keymap.keys_for(Command::Extend).first().copied();
    let select = if state.table.selected().is_some_and(|id| instance.is(id)) {
        ""
    } else {
        "select it, "
    };
    Some(match (ttl, key) {
        (Some(ttl), Some(key)) => format!("{select}{key} extends by {}", format_ttl(ttl)),
        // The extend dialog asks how long.
        (None, Some(key)) => format!("{select}{key} extends it"),
        (Some(_), None) => format!("`ondeck extend {name}` extends it"),
        (None, None) => format!("`ondeck extend {name} --by 2h` extends it"),
    })
}

/// The few keys worth knowing, from the keymap, as many whole as fit in `width`.
fn hints(state: &AppState, ctx: &RenderContext, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let logs_focused = state.pane == Some(Pane::Logs) && state.focus == Focus::Pane;
    let logs_shown = [
        (Command::Help, "help"),
        (Command::LogSearch, "search"),
        (Command::LogFollow, "follow"),
        (Command::LogLevel, "level"),
        (Command::LogSince, "since"),
        (Command::LogFullScreen, "full screen"),
        (Command::LogClose, "close"),
    ];
    let shown = [
        (Command::Help, "help"),
        (Command::Launch, "launch"),
        (Command::Destroy, "destroy"),
        (Command::Detail, "detail"),
        (Command::Timeline, "timeline"),
        (Command::Filter, "filter"),
        (Command::Quit, "quit"),
    ];
    for (command, label) in if logs_focused { logs_shown } else { shown } {
        if state.read_only && command.is_write() {
            continue;
        }
        let Some(key) = state.keymap.keys_for(command).first().copied() else {
            continue;
        };
        let gap = if spans.is_empty() { "" } else { "  " };
        let hint = [
            Span::raw(gap),
            Span::styled(key.to_string(), ctx.theme.key()),
            Span::styled(format!(" {label}"), ctx.theme.dim()),
        ];
        let used: usize = spans.iter().chain(&hint).map(Span::width).sum();
        if used > width {
            break;
        }
        spans.extend(hint);
    }
    Line::from(spans)
}
