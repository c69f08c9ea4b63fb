//! The instances table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Row, Table, TableState};

use super::{RenderContext, centered_note, fit, pane_block, untrusted};
use crate::state::keymap::Command;
use crate::state::{AppState, Focus, MessageKind};
use ondeck_core::format::{age, local_midnight, money, rate, remaining};
use ondeck_core::instances::expiry::urgency;
use ondeck_core::instances::{Instance, InstanceState, cost};
use ondeck_core::logs::sanitize::printable;
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

/// The columns a screen `width` wide offers, before fitting them to their text.
fn candidates(width: u16, wide: bool) -> &'static [Column] {
    use Column::*;
    if wide {
        &[
            Name, Owner, Template, State, Tasks, Ready, Age, Expires, PerHour, Spent, Endpoint,
        ]
    } else if width >= EXPIRY_AND_SPENT_FROM {
        &[
            Name, Template, State, Tasks, Ready, Age, Expires, PerHour, Spent, Endpoint,
        ]
    } else if width >= PER_HOUR_FROM {
        &[Name, Template, State, Tasks, Ready, Age, PerHour, Endpoint]
    } else {
        &[Name, Template, State, Tasks, Ready, Age, Endpoint]
    }
}

/// What gives way when the columns' text is wider than the table, in this order, each column
/// down to the width given: the endpoint's host (its port stays whole), the owner, the
/// template, the name to a readable length, the state. Then whole columns go (`DROP`), and
/// only then does the name get shorter still.
const SHRINK: [(Column, usize); 6] = [
    (Column::Endpoint, 12),
    (Column::Owner, 6),
    (Column::Template, 8),
    (Column::Name, 16),
    (Column::State, 10),
    (Column::Template, 5),
];

/// When shrinking is not enough, whole columns go, in this order. NAME and STATE stay.
const DROP: [Column; 9] = [
    Column::Endpoint,
    Column::Spent,
    Column::Expires,
    Column::Owner,
    Column::Ready,
    Column::Tasks,
    Column::PerHour,
    Column::Age,
    Column::Template,
];

/// The columns kept and their widths in `room` columns (separators included), from each
/// column's `natural` width (its header's or its widest text's). Room left over goes to the
/// endpoint, the last column, whose text is the longest; without it, to the name.
fn fit_columns(
    mut columns: Vec<Column>,
    natural: impl Fn(Column) -> usize,
    room: usize,
) -> Vec<(Column, usize)> {
    let mut dropping = DROP.iter();
    loop {
        let mut widths: Vec<(Column, usize)> = columns.iter().map(|&c| (c, natural(c))).collect();
        let room = room.saturating_sub(columns.len().saturating_sub(1));
        let total = |widths: &[(Column, usize)]| widths.iter().map(|(_, w)| w).sum::<usize>();
        for (column, least) in SHRINK {
            let excess = total(&widths).saturating_sub(room);
            if let Some((_, width)) = widths.iter_mut().find(|(c, _)| *c == column) {
                *width = (*width).saturating_sub(excess).max(least.min(*width));
            }
        }
        let used = total(&widths);
        if used <= room {
            let grows = widths
                .iter()
                .position(|(column, _)| *column == Column::Endpoint)
                .unwrap_or(0);
            widths[grows].1 += room - used;
            return widths;
        }
        match dropping.find(|column| columns.contains(column)) {
            Some(gone) => columns.retain(|column| column != gone),
            None => {
                // Only NAME and STATE are left: the name takes what the state leaves.
                let others: usize = widths.iter().skip(1).map(|(_, w)| w).sum();
                widths[0].1 = room.saturating_sub(others).max(1);
                return widths;
            }
        }
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
    // "(6, 2 marked, 1 hidden)": the rows, then what marks and hiding do to them.
    let mut counts = rows.len().to_string();
    let marked = state.table.marked().len();
    if marked > 0 {
        counts.push_str(&format!(", {marked} marked"));
    }
    let hidden = state.hidden_count();
    if hidden > 0 {
        counts.push_str(&format!(", {hidden} hidden"));
    }
    let mut title = format!(
        " instances ({counts}) · sort: {} ",
        state.table.sort.label()
    );
    let filter = state.table.filter.text();
    if !filter.is_empty() {
        // A long filter gives way to the border, its end marked.
        let used = Line::raw(format!("{title}· filter:  ")).width();
        let room = usize::from(area.width).saturating_sub(2 + used);
        title.push_str(&format!(
            "· filter: {} ",
            ctx.theme.fit(&printable(filter), room)
        ));
    }
    // The summary gives way to a long filter rather than cover it; a border stays between.
    let room = usize::from(area.width).saturating_sub(Line::raw(title.as_str()).width() + 3);
    let summary = state.loaded.then(|| {
        spend_summaries(state, ctx)
            .into_iter()
            .find(|summary| Line::raw(summary.as_str()).width() <= room)
    });
    let mut block = pane_block(title, area.width, state.focus == Focus::Table, ctx);
    if let Some(Some(summary)) = summary {
        block = block.title_top(Line::styled(summary, ctx.theme.bold()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if rows.is_empty() {
        centered_note(frame, inner, ctx, empty_note(state, ctx));
        return;
    }

    // Only the rows on screen are built: a thousand instances would cost a frame budget. The
    // first of them is the state's, kept by `update` from the same layout. The columns are
    // sized to the text of these rows.
    let visible = usize::from(inner.height.saturating_sub(1)).max(1);
    let first = state.table.top().min(rows.len() - 1);
    let shown = &rows[first..(first + visible).min(rows.len())];
    let offered = candidates(area.width, wide);
    let index_of = |column: Column| {
        offered
            .iter()
            .position(|c| *c == column)
            .expect("a column on offer")
    };
    let texts: Vec<Vec<Line<'static>>> = shown
        .iter()
        .map(|instance| {
            offered
                .iter()
                .map(|column| cell(*column, instance, state, ctx, wide))
                .collect()
        })
        .collect();
    let natural = |column: Column| {
        texts
            .iter()
            .map(|row| row[index_of(column)].width())
            .chain([column.header().len()])
            .max()
            .unwrap_or(0)
    };
    let pointer = ctx.theme.glyphs.pointer;
    let room = usize::from(inner.width).saturating_sub(Span::raw(pointer).width());
    let columns = fit_columns(offered.to_vec(), natural, room);

    let header: Vec<Cell> = columns
        .iter()
        .map(|(column, width)| {
            let header = Line::styled(column.header(), ctx.theme.bold());
            aligned(*column, ctx.theme.fit_line(header, *width))
        })
        .collect();
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|(_, width)| Constraint::Length(*width as u16))
        .collect();
    let selected = state
        .table
        .selected()
        .and_then(|id| shown.iter().position(|instance| instance.is(id)));
    let body: Vec<Row> = shown
        .iter()
        .zip(texts)
        .map(|(instance, mut texts)| {
            let cells: Vec<Cell> = columns
                .iter()
                .map(|(column, width)| {
                    let whole = std::mem::take(&mut texts[index_of(*column)]);
                    let line = match column {
                        Column::Endpoint => endpoint_fitted(instance, state, ctx, wide, *width),
                        _ => ctx.theme.fit_line(whole, *width),
                    };
                    aligned(*column, line)
                })
                .collect();
            Row::new(cells)
        })
        .collect();
    let table = Table::new(body, widths)
        .header(Row::new(header))
        .row_highlight_style(ctx.theme.selected())
        .highlight_symbol(pointer)
        .highlight_spacing(HighlightSpacing::Always);
    frame.render_stateful_widget(
        table,
        inner,
        &mut TableState::default().with_selected(selected),
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
        // Nothing billed by the hour any more: only what today cost.
        (Some(per_hour), Some(today)) if per_hour <= 0.0 => format!("today ${}", money(today)),
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

fn aligned(column: Column, line: Line<'static>) -> Cell<'static> {
    Cell::from(if column.numeric() {
        line.right_aligned()
    } else {
        line
    })
}

/// The whole text of a cell; the table cuts it to its column.
fn cell(
    column: Column,
    instance: &Instance,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) -> Line<'static> {
    let theme = ctx.theme;
    let dash = || Line::raw("—");
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
        Column::Name => {
            // While rows are marked, each name starts with its mark or the room for one.
            let mut spans = Vec::new();
            if !state.table.marked().is_empty() {
                let mark = theme.glyphs.marked;
                spans.push(if state.table.is_marked(&instance.id()) {
                    Span::styled(format!("{mark} "), theme.bold())
                } else {
                    Span::raw(" ".repeat(Span::raw(mark).width() + 1))
                });
            }
            let style = urgent_style(instance, ctx);
            if let Some(style) = style {
                spans.push(Span::styled(format!("{} ", theme.glyphs.expiry), style));
            }
            spans.extend(untrusted(&instance.name, style.unwrap_or_default()));
            Line::from(spans)
        }
        Column::Owner => Line::from(untrusted(&instance.owner, Style::new())),
        Column::Template => Line::from(untrusted(&instance.template, Style::new())),
        Column::State => {
            let style = theme.instance_state(&instance.state);
            Line::from(vec![
                Span::styled(theme.instance_symbol(&instance.state), style),
                Span::raw(" "),
                Span::styled(instance.state.as_str().to_string(), style),
            ])
        }
        Column::Tasks => Line::raw(format!(
            "{}/{}",
            instance.tasks_running(),
            instance.tasks_expected()
        )),
        // Stopped for good: no containers to be ready, no expiry to come.
        Column::Ready if instance.state.is_final() => dash(),
        Column::Ready => {
            let (ready, total) = instance.containers_ready();
            Line::raw(format!("{ready}/{total}"))
        }
        Column::Age => instance
            .created_at
            .map_or_else(dash, |at| Line::raw(age(at, ctx.now))),
        Column::Expires => match instance.expires_at {
            Some(at) if !instance.state.is_final() => Line::styled(
                remaining(at, ctx.now),
                urgent_style(instance, ctx).unwrap_or_default(),
            ),
            _ => dash(),
        },
        // Nothing runs, so nothing is billed: zero even when a listed task's size is unknown.
        Column::PerHour if instance.state == InstanceState::Paused => Line::raw(rate(0.0)),
        Column::PerHour => cost().map_or_else(dash, |cost| Line::raw(rate(cost.per_hour))),
        Column::Spent => cost().map_or_else(dash, |cost| Line::raw(money(cost.so_far))),
        Column::Endpoint => endpoint_fitted(instance, state, ctx, wide, usize::MAX),
    }
}

fn urgent_style(instance: &Instance, ctx: &RenderContext) -> Option<Style> {
    urgency(instance, ctx.now).map(|urgency| ctx.theme.urgency(urgency))
}

/// The first endpoint in `width` columns: `10.0.1.24:18080 (api) +2` on a wide screen, the
/// address alone on a narrow one. A cut drops the container's name, then the start of the
/// host; the port and the count of others stay whole.
fn endpoint_fitted(
    instance: &Instance,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
    width: usize,
) -> Line<'static> {
    let found = endpoints(instance, &state.definitions);
    let Some(first) = found.first() else {
        return Line::raw("—");
    };
    let address = format!("{}:{}", printable(&first.ip), first.port);
    let more = match found.len() {
        1 => String::new(),
        count if wide => format!(" +{}", count - 1),
        _ => String::new(),
    };
    let whole = if wide {
        format!("{address} ({}){more}", printable(&first.container))
    } else {
        address.clone()
    };
    let text = if Span::raw(whole.as_str()).width() <= width {
        whole
    } else {
        let room = width.saturating_sub(more.len());
        format!(
            "{}{more}",
            fit::fit_start(&address, room, ctx.theme.glyphs.ellipsis)
        )
    };
    Line::from(untrusted(&text, Style::new()))
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
    let profile = &state.profile;
    let whose = if state.all_owners {
        "anyone"
    } else {
        profile.owner.as_str()
    };
    let mut lines = vec![Line::from(format!(
        "No instances of {whose} in cluster {}.",
        profile.cluster
    ))];
    let templates: Vec<&str> = profile.templates.keys().map(String::as_str).collect();
    let key = state.keymap.keys_for(Command::Launch).first().copied();
    match (state.read_only, key) {
        (true, _) => lines.push(Line::from(
            "Read-only: launching is disabled here; `ondeck launch TEMPLATE` starts one.",
        )),
        (false, Some(key)) if !templates.is_empty() => lines.push(Line::from(vec![
            Span::raw("Press "),
            Span::styled(key.to_string(), ctx.theme.key()),
            Span::raw(" to launch one from a template."),
        ])),
        (false, _) => lines.push(Line::from("`ondeck launch TEMPLATE` starts one.")),
    }
    lines.push(Line::from(if templates.is_empty() {
        format!(
            "Profile {} has no templates yet: add one under [profiles.{}.templates.NAME].",
            profile.name, profile.name
        )
    } else {
        format!("Templates: {}", templates.join(", "))
    }));
    lines
}
