//! The instances table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Row, Table, TableState};

use super::theme::{EXPIRY_SYMBOL, instance_symbol};
use super::{RenderContext, centered_note, pane_block, untrusted};
use crate::state::keymap::Command;
use crate::state::{AppState, Focus, MessageKind};
use ondeck_core::format::{age, local_midnight, money, rate, remaining};
use ondeck_core::instances::expiry::urgency;
use ondeck_core::instances::{Instance, cost};
use ondeck_core::ops::endpoints;

/// From this width on, the table shows what each instance costs per hour.
const PER_HOUR_FROM: u16 = 80;
/// From this width on, also when it expires and what it has cost so far.
const EXPIRY_AND_SPENT_FROM: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Owner,
    Template,
    State,
    Tasks,
    Ready,
    Age,
    Expires,
    PerHour,
    Spent,
    Endpoint,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::Owner => "OWNER",
            Column::Template => "TEMPLATE",
            Column::State => "STATE",
            Column::Tasks => "TASKS",
            Column::Ready => "READY",
            Column::Age => "AGE",
            Column::Expires => "EXPIRES",
            Column::PerHour => "$/H",
            Column::Spent => "SPENT",
            Column::Endpoint => "ENDPOINT",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Column::PerHour | Column::Spent)
    }
}

/// The columns that fit `width`. The name gives way first; the cost columns come in by
/// narrowing TEMPLATE, STATE (its longest word is cut only in rare states) and ENDPOINT.
fn columns(width: u16, wide: bool) -> Vec<(Column, Constraint)> {
    use Column::*;
    use Constraint::{Fill, Length};
    if wide {
        vec![
            (Name, Fill(2)),
            (Owner, Length(10)),
            (Template, Length(12)),
            (State, Length(16)),
            (Tasks, Length(5)),
            (Ready, Length(5)),
            (Age, Length(4)),
            (Expires, Length(15)),
            (PerHour, Length(5)),
            (Spent, Length(6)),
            (Endpoint, Fill(3)),
        ]
    } else if width >= EXPIRY_AND_SPENT_FROM {
        vec![
            (Name, Fill(1)),
            (Template, Length(8)),
            (State, Length(14)),
            (Tasks, Length(5)),
            (Ready, Length(5)),
            (Age, Length(4)),
            (Expires, Length(15)),
            (PerHour, Length(5)),
            (Spent, Length(5)),
            (Endpoint, Length(16)),
        ]
    } else if width >= PER_HOUR_FROM {
        vec![
            (Name, Fill(1)),
            (Template, Length(8)),
            (State, Length(14)),
            (Tasks, Length(5)),
            (Ready, Length(5)),
            (Age, Length(4)),
            (PerHour, Length(5)),
            (Endpoint, Length(17)),
        ]
    } else {
        vec![
            (Name, Fill(1)),
            (Template, Length(10)),
            (State, Length(16)),
            (Tasks, Length(5)),
            (Ready, Length(5)),
            (Age, Length(4)),
            // Room for a whole "10.123.234.56:8080"; the name gives way first.
            (Endpoint, Length(18)),
        ]
    }
}

pub(crate) fn table(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) {
    let rows = state.rows();
    let mut title = format!(
        " instances ({}) · sort: {} ",
        rows.len(),
        state.table.sort.label()
    );
    let filter = state.table.filter.text();
    if !filter.is_empty() {
        title.push_str(&format!("· filter: {filter} "));
    }
    // The summary gives way to a long filter rather than cover it; a border stays between.
    let room = usize::from(area.width).saturating_sub(Line::raw(title.as_str()).width() + 3);
    let summary = state.loaded.then(|| {
        spend_summaries(state, ctx)
            .into_iter()
            .find(|summary| Line::raw(summary.as_str()).width() <= room)
    });
    let mut block = pane_block(title, state.focus == Focus::Table, ctx);
    if let Some(Some(summary)) = summary {
        block = block.title_top(Line::styled(summary, ctx.theme.bold()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if rows.is_empty() {
        centered_note(frame, inner, empty_note(state, ctx));
        return;
    }

    let columns = columns(area.width, wide);
    let header: Vec<Cell> = columns
        .iter()
        .map(|(column, _)| aligned(*column, column.header().to_string(), ctx.theme.bold()))
        .collect();
    let widths: Vec<Constraint> = columns.iter().map(|(_, width)| *width).collect();
    let selected = state
        .table
        .selected()
        .and_then(|id| rows.iter().position(|instance| instance.is(id)));
    // Only the rows on screen are built: a thousand instances would cost a frame budget. The
    // first of them is the state's, kept by `update` from the same layout.
    let visible = usize::from(inner.height.saturating_sub(1)).max(1);
    let first = state.table.top().min(rows.len() - 1);
    let body: Vec<Row> = rows
        .iter()
        .skip(first)
        .take(visible)
        .map(|instance| {
            let cells: Vec<Cell> = columns
                .iter()
                .map(|(column, _)| cell(*column, instance, state, ctx, wide))
                .collect();
            Row::new(cells)
        })
        .collect();
    let table = Table::new(body, widths)
        .header(Row::new(header))
        .row_highlight_style(ctx.theme.selected())
        .highlight_symbol("›")
        .highlight_spacing(HighlightSpacing::Always);
    frame.render_stateful_widget(
        table,
        inner,
        &mut TableState::default()
            .with_selected(selected.and_then(|selected| selected.checked_sub(first))),
    );
}

/// "2 running · $0.099/h · today $1.18" over my instances, whatever the filter shows; then
/// shorter forms for when the title leaves less room, the money last to go.
fn spend_summaries(state: &AppState, ctx: &RenderContext) -> [String; 2] {
    let owner = &state.profile.owner;
    let mine = state
        .instances
        .iter()
        .filter(|instance| instance.is_owned_by(owner));
    let spend = cost::spend(
        mine,
        &state.definitions,
        &state.profile.region,
        state.profile.prices,
        local_midnight(ctx.now, ctx.offset),
        ctx.now,
    );
    let whose = if state.all_owners {
        format!("{owner}: ")
    } else {
        String::new()
    };
    let running = match spend.running {
        0 => "none running".to_string(),
        count => format!("{count} running"),
    };
    let money_part = match (spend.per_hour, spend.since) {
        (Some(_), Some(today)) if spend.running == 0 => format!("today ${}", money(today)),
        (Some(per_hour), Some(today)) => {
            format!("${}/h · today ${}", rate(per_hour), money(today))
        }
        _ => "cost unknown".to_string(),
    };
    [
        format!(" {whose}{running} · {money_part} "),
        format!(" {money_part} "),
    ]
}

fn aligned(column: Column, text: String, style: Style) -> Cell<'static> {
    let line = Line::styled(text, style);
    Cell::from(if column.numeric() {
        line.right_aligned()
    } else {
        line
    })
}

fn cell<'a>(
    column: Column,
    instance: &'a Instance,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) -> Cell<'a> {
    let urgency = urgency(instance, ctx.now);
    let urgent_style = urgency.map(|urgency| ctx.theme.urgency(urgency));
    let cost = || {
        cost::instance_cost(
            instance,
            &state.definitions,
            &state.profile.region,
            state.profile.prices,
            ctx.now,
        )
    };
    match column {
        Column::Name => match urgent_style {
            Some(style) => {
                let mut spans = vec![Span::styled(format!("{EXPIRY_SYMBOL} "), style)];
                spans.extend(untrusted(&instance.name, style));
                Cell::from(Line::from(spans))
            }
            None => Cell::from(Line::from(untrusted(&instance.name, Style::new()))),
        },
        Column::Owner => Cell::from(Line::from(untrusted(&instance.owner, Style::new()))),
        Column::Template => Cell::from(Line::from(untrusted(&instance.template, Style::new()))),
        Column::State => {
            let style = ctx.theme.instance_state(&instance.state);
            Cell::from(Line::from(vec![
                Span::styled(instance_symbol(&instance.state), style),
                Span::raw(" "),
                Span::styled(instance.state.as_str().to_string(), style),
            ]))
        }
        Column::Tasks => Cell::from(format!(
            "{}/{}",
            instance.tasks_running(),
            instance.tasks.len()
        )),
        Column::Ready => {
            let (ready, total) = instance.containers_ready();
            Cell::from(format!("{ready}/{total}"))
        }
        Column::Age => Cell::from(
            instance
                .created_at
                .map(|at| age(at, ctx.now))
                .unwrap_or_else(|| "—".into()),
        ),
        Column::Expires => {
            let text = instance
                .expires_at
                .map(|at| remaining(at, ctx.now))
                .unwrap_or_else(|| "—".into());
            Cell::from(Line::styled(text, urgent_style.unwrap_or_default()))
        }
        Column::PerHour => aligned(
            column,
            cost().map_or_else(|| "—".into(), |cost| rate(cost.per_hour)),
            Style::default(),
        ),
        Column::Spent => aligned(
            column,
            cost().map_or_else(|| "—".into(), |cost| money(cost.so_far)),
            Style::default(),
        ),
        Column::Endpoint => {
            let found = endpoints(instance, &state.definitions);
            let text = match found.first() {
                None => "—".to_string(),
                Some(first) if wide && found.len() > 1 => {
                    format!("{first} +{}", found.len() - 1)
                }
                Some(first) if wide => first.to_string(),
                Some(first) => format!("{}:{}", first.ip, first.port),
            };
            Cell::from(Line::from(untrusted(&text, Style::new())))
        }
    }
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
    let filter = state.table.filter.text();
    if !filter.is_empty() {
        return vec![Line::from(format!(
            "No instance matches `{filter}` — esc clears the filter."
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
