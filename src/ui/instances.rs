//! The instances table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Row, Table, TableState};

use super::format::{age, until};
use super::theme::instance_symbol;
use super::{RenderContext, centered_note, pane_block};
use crate::instances::Instance;
use crate::instances::ops::endpoints;
use crate::state::keymap::Command;
use crate::state::{AppState, Focus, MessageKind};

pub fn table(frame: &mut Frame, area: Rect, state: &AppState, ctx: &RenderContext, wide: bool) {
    let rows = state.rows();
    let mut title = format!(
        " instances ({}) · sort: {} ",
        rows.len(),
        state.sort.label()
    );
    if !state.filter.is_empty() {
        title.push_str(&format!("· filter: {} ", state.filter));
    }
    let block = pane_block(title, state.focus == Focus::Table, ctx);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if rows.is_empty() {
        centered_note(frame, inner, empty_note(state, ctx));
        return;
    }

    let header: Vec<&str> = if wide {
        vec![
            "NAME", "OWNER", "TEMPLATE", "STATE", "TASKS", "READY", "AGE", "EXPIRES", "ENDPOINT",
        ]
    } else {
        vec![
            "NAME", "TEMPLATE", "STATE", "TASKS", "READY", "AGE", "ENDPOINT",
        ]
    };
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Fill(2),
            Constraint::Length(10),
            Constraint::Length(14),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(4),
            Constraint::Length(8),
            Constraint::Fill(3),
        ]
    } else {
        vec![
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(16),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(4),
            // Room for a whole "10.123.234.56:8080"; the name gives way first.
            Constraint::Length(18),
        ]
    };
    let body: Vec<Row> = rows
        .iter()
        .map(|instance| instance_row(instance, state, ctx, wide))
        .collect();
    let selected = state
        .selected
        .as_deref()
        .and_then(|name| rows.iter().position(|instance| instance.name == name));
    let table = Table::new(body, widths)
        .header(Row::new(header).style(ctx.theme.bold()))
        .row_highlight_style(ctx.theme.selected())
        .highlight_symbol("›")
        .highlight_spacing(HighlightSpacing::Always);
    frame.render_stateful_widget(
        table,
        inner,
        &mut TableState::default().with_selected(selected),
    );
}

fn instance_row<'a>(
    instance: &'a Instance,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) -> Row<'a> {
    let style = ctx.theme.instance_state(&instance.state);
    let state_cell = Cell::from(Line::from(vec![
        Span::styled(instance_symbol(&instance.state), style),
        Span::raw(" "),
        Span::styled(instance.state.as_str().to_string(), style),
    ]));
    let tasks = format!("{}/{}", instance.tasks_running(), instance.tasks.len());
    let (ready, total) = instance.containers_ready();
    let created = instance
        .created_at
        .map(|at| age(at, ctx.now))
        .unwrap_or_else(|| "—".into());
    let found = endpoints(instance, &state.definitions);
    let endpoint = match found.first() {
        None => "—".to_string(),
        Some(first) if wide && found.len() > 1 => format!("{first} +{}", found.len() - 1),
        Some(first) if wide => first.to_string(),
        Some(first) => format!("{}:{}", first.ip, first.port),
    };
    let mut cells = vec![Cell::from(instance.name.as_str())];
    if wide {
        cells.push(Cell::from(instance.owner.as_str()));
    }
    cells.extend([
        Cell::from(instance.template.as_str()),
        state_cell,
        Cell::from(tasks),
        Cell::from(format!("{ready}/{total}")),
        Cell::from(created),
    ]);
    if wide {
        let expires = instance
            .expires_at
            .map(|at| until(at, ctx.now))
            .unwrap_or_else(|| "—".into());
        cells.push(Cell::from(expires));
    }
    cells.push(Cell::from(endpoint));
    Row::new(cells)
}

fn empty_note(state: &AppState, ctx: &RenderContext) -> Vec<Line<'static>> {
    let failed = state
        .message
        .as_ref()
        .is_some_and(|message| message.kind == MessageKind::Error);
    if !state.loaded && failed {
        return vec![Line::styled(
            "Could not list instances — see the message below.",
            ctx.theme.error(),
        )];
    }
    if !state.loaded {
        return vec![Line::from("Loading instances from AWS…")];
    }
    if !state.filter.is_empty() {
        return vec![Line::from(format!(
            "No instance matches `{}` — esc clears the filter.",
            state.filter
        ))];
    }
    let mut lines = vec![Line::from("No instances.")];
    if let (false, Some(key)) = (
        state.read_only,
        state.keymap.keys_for(Command::Launch).first(),
    ) {
        lines.push(Line::from(vec![
            Span::raw("Press "),
            Span::styled(key.to_string(), ctx.theme.key()),
            Span::raw(" to launch one from a template."),
        ]));
    }
    lines
}
