//! The detail pane: the selected instance's tasks, their containers, and its endpoints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::format::{age, stamp};
use super::theme::{instance_symbol, task_symbol};
use super::{RenderContext, centered_note, pane_block};
use crate::aws::model::Task;
use crate::instances::Instance;
use crate::instances::ops::endpoints;
use crate::state::AppState;

pub fn pane(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
    focused: bool,
) {
    let Some(instance) = state.selected_instance() else {
        let block = pane_block(" detail ".into(), focused, ctx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        centered_note(frame, inner, vec![Line::from("No instance selected.")]);
        return;
    };
    let block = pane_block(format!(" detail · {} ", instance.name), focused, ctx);
    let lines = lines(instance, state, ctx, wide);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((state.pane_scroll, 0)),
        area,
    );
}

fn lines(
    instance: &Instance,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let label = |text: &str| Span::styled(format!("{text} "), theme.dim());
    let style = theme.instance_state(&instance.state);
    let mut summary = vec![
        Span::styled(
            format!("{} {}", instance_symbol(&instance.state), instance.state),
            style,
        ),
        Span::raw("  "),
        label("template"),
        Span::raw(instance.template.clone()),
        Span::raw("  "),
        label("owner"),
        Span::raw(instance.owner.clone()),
    ];
    if let Some(created) = instance.created_at {
        summary.extend([
            Span::raw("  "),
            label("created"),
            Span::raw(format!(
                "{} ({} ago)",
                stamp(created, ctx.offset),
                age(created, ctx.now)
            )),
        ]);
    }
    if let Some(expires) = instance.expires_at {
        summary.extend([
            Span::raw("  "),
            label("expires"),
            Span::raw(stamp(expires, ctx.offset)),
        ]);
    }
    let mut lines = vec![Line::from(summary)];

    let found = endpoints(instance, &state.definitions);
    let mut endpoint_line = vec![label("endpoints")];
    if found.is_empty() {
        endpoint_line.push(Span::styled("none yet", theme.dim()));
    } else {
        let joined: Vec<String> = found.iter().map(ToString::to_string).collect();
        endpoint_line.push(Span::raw(joined.join("  ")));
    }
    lines.push(Line::from(endpoint_line));

    for task in &instance.tasks {
        lines.push(Line::raw(""));
        lines.extend(task_lines(task, ctx, wide));
    }
    lines
}

fn task_lines(task: &Task, ctx: &RenderContext, wide: bool) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let style = theme.task_state(&task.last_status);
    let mut head = vec![
        Span::styled("task ", theme.dim()),
        Span::styled(task.task_id().to_string(), theme.bold()),
        Span::raw("  "),
        Span::raw(task.task_definition().to_string()),
        Span::raw("  "),
        Span::styled(
            format!("{} {}", task_symbol(&task.last_status), task.last_status),
            style,
        ),
    ];
    if task.desired_status != task.last_status.as_str() {
        head.push(Span::styled(
            format!(" → {}", task.desired_status),
            theme.dim(),
        ));
    }
    if let Some(ip) = &task.private_ip {
        head.push(Span::raw(format!("  {ip}")));
    }
    if wide {
        if let Some(provider) = &task.capacity_provider {
            head.push(Span::styled(format!("  {provider}"), theme.dim()));
        }
        if let (Some(cpu), Some(memory)) = (&task.cpu, &task.memory) {
            head.push(Span::styled(
                format!("  {cpu} CPU / {memory} MiB"),
                theme.dim(),
            ));
        }
    }
    let mut lines = vec![Line::from(head)];

    let name_width = task
        .containers
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    for container in &task.containers {
        let mut spans = vec![
            Span::raw(format!("  {:<name_width$}  ", container.name)),
            Span::raw(format!("{:<8}", container.last_status)),
        ];
        if let Some(health) = &container.health {
            let style = match health.as_str() {
                "HEALTHY" => theme.fg(ratatui::style::Color::Green),
                "UNHEALTHY" => theme.error(),
                _ => theme.dim(),
            };
            spans.push(Span::styled(format!("  {health}"), style));
        }
        if let Some(code) = container.exit_code {
            let style = if code == 0 {
                theme.dim()
            } else {
                theme.error()
            };
            spans.push(Span::styled(format!("  exit {code}"), style));
        }
        if let Some(reason) = &container.reason {
            spans.push(Span::raw(format!("  {reason}")));
        }
        lines.push(Line::from(spans));
    }
    if task.stop_code.is_some() || task.stopped_reason.is_some() {
        let mut spans = vec![Span::styled("  stopped: ", theme.dim())];
        if let Some(code) = &task.stop_code {
            spans.push(Span::styled(code.clone(), theme.bold()));
        }
        if let Some(reason) = &task.stopped_reason {
            spans.push(Span::raw(format!(" — {reason}")));
        }
        lines.push(Line::from(spans));
    }
    lines
}
