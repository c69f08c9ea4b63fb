//! The detail pane: the selected instance's expiry, cost and size, its services (and why one
//! is paused, restarting or failed), its endpoints, its tasks and their containers.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use std::collections::BTreeMap;

use chrono::Duration;

use super::{RenderContext, centered_note, pane_block, untrusted};
use crate::state::AppState;
use crate::state::forwards::DetailItem;
use crate::state::keymap::Command;
use ondeck_core::format::{age, bytes, money, rate, remaining, stamp};
use ondeck_core::instances::cost::{self, Arch};
use ondeck_core::instances::expiry::{format_remaining, urgency};
use ondeck_core::instances::{Instance, InstanceState};
use ondeck_core::logs::sanitize::printable;
use ondeck_core::logs::sources::short_task_id;
use ondeck_core::model::{Task, TaskDefinition, TaskState};
use ondeck_core::ops::connect::{READY_BRIEF, readiness};
use ondeck_core::ops::endpoints;

pub(crate) fn pane(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    ctx: &RenderContext,
    wide: bool,
    focused: bool,
) {
    let Some(instance) = state.selected_instance() else {
        let block = pane_block(" detail ".into(), area.width, focused, ctx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        centered_note(frame, inner, ctx, vec![Line::from("No instance selected.")]);
        return;
    };
    // The name gives way to the border: " detail · " and the spaces stay.
    let room = usize::from(area.width).saturating_sub(2 + Line::raw(" detail ·  ").width());
    let block = pane_block(
        format!(
            " detail · {} ",
            ctx.theme.fit(&printable(&instance.name), room)
        ),
        area.width,
        focused,
        ctx,
    );
    let lines = lines(instance, state, ctx, wide);
    // `G` asks for the end: the scroll stops where the last line is at the bottom.
    let inner = block.inner(area);
    let width = usize::from(inner.width.max(1));
    let rows: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(width).max(1))
        .sum();
    let last = rows.saturating_sub(usize::from(inner.height));
    let scroll = state
        .pane_scroll
        .min(u16::try_from(last).unwrap_or(u16::MAX));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
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
            format!(
                "{} {}",
                theme.instance_symbol(&instance.state),
                instance.state
            ),
            style,
        ),
        Span::raw("  "),
        label("template"),
    ];
    summary.extend(untrusted(&instance.template, Style::new()));
    summary.extend([Span::raw("  "), label("owner")]);
    summary.extend(untrusted(&instance.owner, Style::new()));
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
    let mut lines = vec![Line::from(summary)];
    lines.extend(service_state_line(instance, state, ctx));

    let mut money_line = Vec::new();
    // Stopped for good: no expiry to come, and no endpoint to wait for.
    let ended = instance.state.is_final();
    match instance.expires_at {
        _ if ended => {}
        Some(expires) => {
            money_line.push(label("expires"));
            let left = remaining(expires, ctx.now);
            let left = if expires > ctx.now {
                format!("in {left}")
            } else {
                left
            };
            let text = format!("{} ({left})", stamp(expires, ctx.offset));
            money_line.push(match urgency(instance, ctx.now) {
                Some(urgency) => Span::styled(
                    format!("{} {text}", theme.glyphs.expiry),
                    theme.urgency(urgency),
                ),
                None => Span::raw(text),
            });
        }
        None => {
            money_line.push(label("expires"));
            money_line.push(Span::styled("never (no ttl)", theme.dim()));
        }
    }
    if !money_line.is_empty() {
        money_line.push(Span::raw("  "));
    }
    money_line.push(label("cost"));
    let profile = &state.profile;
    let cost = cost::instance_cost(
        instance,
        &state.definitions,
        &profile.region,
        profile.prices,
        ctx.now,
    );
    match cost {
        // Nothing runs: whatever the sizes of tasks ECS still lists, nothing is billed.
        _ if instance.state == InstanceState::Paused => {
            money_line.push(Span::raw(format!("${}/h while paused", rate(0.0))))
        }
        Some(cost) if cost.per_hour <= 0.0 => money_line.push(Span::raw(format!(
            "${} in all; no longer billed",
            money(cost.so_far)
        ))),
        Some(cost) => money_line.push(Span::raw(format!(
            "${}/h · ${} so far",
            rate(cost.per_hour),
            money(cost.so_far)
        ))),
        None => money_line.push(Span::styled(unknown_cost_reason(state), theme.dim())),
    }
    lines.push(Line::from(money_line));
    if let Some(size) = size_line(instance, state) {
        lines.push(Line::from(vec![label("size"), Span::raw(size)]));
    }
    lines.extend(service_lines(instance, ctx));

    let found = endpoints(instance, &state.definitions);
    // Nothing of it runs, nor will until asked: no endpoint to wait for.
    let idle = ended || instance.state == InstanceState::Paused;
    if !(idle && found.is_empty()) {
        let mut endpoint_line = vec![label("endpoints")];
        if found.is_empty() {
            endpoint_line.push(Span::styled("none yet", theme.dim()));
        } else {
            let joined: Vec<String> = found.iter().map(ToString::to_string).collect();
            endpoint_line.extend(untrusted(&joined.join("  "), Style::new()));
        }
        lines.push(Line::from(endpoint_line));
    }
    lines.extend(item_lines(instance, state, ctx));

    let chosen = state
        .chosen_container(instance)
        .map(|(task, container)| (task.task_arn.as_str(), container.name.as_str()));
    for task in &instance.tasks {
        lines.push(Line::raw(""));
        lines.extend(task_lines(task, &state.definitions, chosen, ctx, wide));
    }
    lines
}

/// What the state word of a service-backed instance does not say: how long it has been
/// paused, why it is restarting, why ECS gave up deploying it.
fn service_state_line(
    instance: &Instance,
    state: &AppState,
    ctx: &RenderContext,
) -> Option<Line<'static>> {
    let theme = ctx.theme;
    let label = |text: &str| Span::styled(format!("{text} "), theme.dim());
    let mut spans = match instance.state {
        InstanceState::Paused => {
            let mut spans = vec![label("paused")];
            if let Some(since) = instance.paused_since() {
                // Never under a second: a clock behind AWS's must not read as "expired".
                let paused_for = (ctx.now - since).max(Duration::seconds(1));
                spans.push(Span::raw(format!(
                    "for {} (since {})",
                    format_remaining(paused_for),
                    stamp(since, ctx.offset)
                )));
            } else {
                spans.push(Span::styled(
                    "since when is not recorded (not paused by ondeck)",
                    theme.dim(),
                ));
            }
            spans
        }
        InstanceState::Restarting => {
            let (task, why) = instance.last_crash()?;
            let mut spans = vec![
                label("restarting"),
                Span::raw(format!("task {} ", short_task_id(task))),
            ];
            spans.extend(untrusted(&why, theme.error()));
            spans.push(Span::styled(
                " · ECS is starting its replacement",
                theme.dim(),
            ));
            spans
        }
        InstanceState::Failed => {
            let service = instance
                .services
                .iter()
                .find(|service| service.rollout_failed.is_some())?;
            let mut spans = vec![label("failed"), Span::raw("ECS gave up deploying ")];
            spans.extend(untrusted(&service.name, theme.bold()));
            spans.push(Span::raw(": "));
            spans.extend(untrusted(
                service.rollout_failed.as_deref().unwrap_or_default(),
                theme.error(),
            ));
            spans
        }
        _ => return None,
    };
    let (command, does) = match instance.state {
        InstanceState::Paused => (Command::Resume, "resumes it"),
        InstanceState::Failed => (Command::Relaunch, "relaunches it"),
        _ => return Some(Line::from(spans)),
    };
    if let (false, Some(key)) = (state.read_only, state.keymap.keys_for(command).first()) {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::styled(format!(" {does}"), theme.dim()));
    }
    Some(Line::from(spans))
}

/// A service-backed instance's services, one a line: name, tasks running of those wanted
/// (and pending), and ECS's status word.
fn service_lines(instance: &Instance, ctx: &RenderContext) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    instance
        .services
        .iter()
        .enumerate()
        .map(|(index, service)| {
            let heading = if index == 0 { "services " } else { "         " };
            let mut spans = vec![Span::styled(heading, theme.dim())];
            spans.extend(untrusted(&service.name, Style::new()));
            let mut counts = format!(
                "  {}/{} running",
                service.running_count, service.desired_count
            );
            if service.pending_count > 0 {
                counts.push_str(&format!(" · {} pending", service.pending_count));
            }
            spans.push(Span::raw(counts));
            spans.push(Span::raw("  "));
            let style = if service.is_active() {
                Style::new()
            } else {
                theme.dim()
            };
            spans.extend(untrusted(&service.status, style));
            Line::from(spans)
        })
        .collect()
}

/// The template's links with real addresses, then the instance's forwards; the item the
/// cursor is on is marked.
fn item_lines(instance: &Instance, state: &AppState, ctx: &RenderContext) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let items = state.detail_items(instance);
    let cursor = state.item_cursor(&items);
    let mut lines = Vec::new();
    let mut heading = None;
    for (index, item) in items.iter().enumerate() {
        // What `o`, `x` and `y` act on; marked in text too, for terminals without color.
        let selected = cursor == Some(index);
        let style = if selected {
            theme.selected()
        } else {
            Style::new()
        };
        let (section, mut spans) = match item {
            // Marked on their own lines, under their task.
            DetailItem::Container { .. } => continue,
            DetailItem::Link { name, url } => {
                let mut spans = untrusted(name, style);
                spans.push(Span::raw("  "));
                match url {
                    Some(url) => spans.extend(untrusted(url, style)),
                    None => spans.push(Span::styled("no address yet", theme.dim())),
                }
                ("links", spans)
            }
            DetailItem::Forward(forward) => {
                let mut spans = untrusted(&forward.route(), style);
                let stats = forward.stats;
                let text = match forward.listening {
                    Some(_) => format!(
                        "  {}{} {}{} · {} open",
                        theme.glyphs.sent,
                        bytes(stats.sent),
                        theme.glyphs.received,
                        bytes(stats.received),
                        stats.connections
                    ),
                    None => "  opening…".to_string(),
                };
                spans.push(Span::styled(text, theme.dim()));
                if stats.refused > 0 {
                    spans.push(Span::styled(
                        format!(
                            "  {} refused: nothing listens on {} in the container",
                            stats.refused, forward.target.remote_port
                        ),
                        theme.error(),
                    ));
                }
                ("forwards", spans)
            }
        };
        let label = if heading == Some(section) {
            " ".repeat(section.len() + 1)
        } else {
            heading = Some(section);
            format!("{section} ")
        };
        spans.insert(0, Span::styled(label, theme.dim()));
        spans.insert(
            1,
            Span::raw(if selected { theme.glyphs.pointer } else { " " }),
        );
        lines.push(Line::from(spans));
    }
    lines
}

/// Whether a shell or a forward can open in the container, in the words of the shell and
/// forward pickers (one readiness rule decides for them, the CLI and this pane).
fn exec_readiness(
    task: &Task,
    container: &ondeck_core::model::Container,
    definition: Option<&TaskDefinition>,
    ctx: &RenderContext,
) -> Span<'static> {
    let theme = ctx.theme;
    match readiness(task, container, definition) {
        Ok(()) => Span::styled(
            format!("  {READY_BRIEF}"),
            theme.fg(ratatui::style::Color::Green),
        ),
        Err(why) => Span::styled(format!("  {}", why.brief()), theme.dim()),
    }
}

/// "1 vCPU / 2 GB in 2 tasks · Spot · ARM", over the tasks still alive (or all, once none is);
/// nothing while there is no task (a paused instance).
fn size_line(instance: &Instance, state: &AppState) -> Option<String> {
    if instance.tasks.is_empty() {
        return None;
    }
    let alive: Vec<&Task> = instance
        .tasks
        .iter()
        .filter(|task| task.last_status != TaskState::Stopped)
        .collect();
    let tasks = if alive.is_empty() {
        instance.tasks.iter().collect()
    } else {
        alive
    };
    let (mut vcpu, mut gb) = (0.0, 0.0);
    for task in &tasks {
        let (task_vcpu, task_gb) =
            cost::task_size(task, state.definitions.get(&task.task_definition_arn))?;
        vcpu += task_vcpu;
        gb += task_gb;
    }
    let mut text = format!("{} vCPU / {} GB", amount(vcpu), amount(gb));
    if tasks.len() > 1 {
        text.push_str(&format!(" in {} tasks", tasks.len()));
    }
    let spot = tasks.iter().filter(|task| cost::is_spot(task)).count();
    let arm = tasks
        .iter()
        .filter(|task| Arch::of(state.definitions.get(&task.task_definition_arn)) == Arch::Arm64)
        .count();
    for (count, word) in [(spot, "Spot"), (arm, "ARM")] {
        if count == tasks.len() {
            text.push_str(&format!(" · {word}"));
        } else if count > 0 {
            text.push_str(&format!(" · {count} of {} {word}", tasks.len()));
        }
    }
    Some(text)
}

/// Why no cost is shown, with what would fix it.
fn unknown_cost_reason(state: &AppState) -> String {
    let profile = &state.profile;
    if profile.prices.is_none()
        && cost::fargate_rates(&profile.region, Arch::X86_64, false).is_none()
    {
        format!(
            "unknown: no built-in Fargate prices for {}; set vcpu_hour and gb_hour under [profiles.{}.prices]",
            profile.region, profile.name
        )
    } else {
        "unknown: a task's size is not known yet".to_string()
    }
}

/// vCPUs and GB without trailing zeros: "0.25", "0.5", "2".
fn amount(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `chosen`: the (task ARN, container) the item cursor is on, marked as the links are.
fn task_lines(
    task: &Task,
    definitions: &BTreeMap<String, TaskDefinition>,
    chosen: Option<(&str, &str)>,
    ctx: &RenderContext,
    wide: bool,
) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let style = theme.task_state(&task.last_status);
    let mut head = vec![Span::styled("task ", theme.dim())];
    head.extend(untrusted(task.task_id(), theme.bold()));
    head.push(Span::raw("  "));
    head.extend(untrusted(task.task_definition(), Style::new()));
    head.extend([
        Span::raw("  "),
        Span::styled(
            format!(
                "{} {}",
                theme.task_symbol(&task.last_status),
                task.last_status
            ),
            style,
        ),
    ]);
    if task.desired_status != task.last_status.as_str() {
        head.push(Span::styled(
            format!(" {} ", theme.glyphs.arrow),
            theme.dim(),
        ));
        head.extend(untrusted(&task.desired_status, theme.dim()));
    }
    if let Some(ip) = &task.private_ip {
        head.push(Span::raw("  "));
        head.extend(untrusted(ip, Style::new()));
    }
    if wide {
        if let Some(provider) = &task.capacity_provider {
            head.push(Span::raw("  "));
            head.extend(untrusted(provider, theme.dim()));
        }
        let def = definitions.get(&task.task_definition_arn);
        if let Some((vcpu, gb)) = cost::task_size(task, def) {
            head.push(Span::styled(
                format!("  {} vCPU / {} GB", amount(vcpu), amount(gb)),
                theme.dim(),
            ));
        }
        if Arch::of(def) == Arch::Arm64 {
            head.push(Span::styled("  ARM", theme.dim()));
        }
    }
    let mut lines = vec![Line::from(head)];

    let name_width = task
        .containers
        .iter()
        .map(|c| printable(&c.name).chars().count())
        .max()
        .unwrap_or(0);
    for container in &task.containers {
        // Padded by what is shown: a marker is wider than the character it stands for.
        let name_shown = printable(&container.name).chars().count();
        let status_shown = printable(&container.last_status).chars().count();
        let selected = chosen == Some((task.task_arn.as_str(), container.name.as_str()));
        let (marker, style) = if selected {
            (" ›", theme.selected())
        } else {
            ("  ", Style::new())
        };
        let mut spans = vec![Span::raw(marker)];
        spans.extend(untrusted(&container.name, style));
        spans.push(Span::raw(" ".repeat(name_width - name_shown + 2)));
        spans.extend(untrusted(&container.last_status, Style::new()));
        spans.push(Span::raw(" ".repeat(8usize.saturating_sub(status_shown))));
        if let Some(health) = &container.health {
            let style = match health.as_str() {
                "HEALTHY" => theme.fg(ratatui::style::Color::Green),
                "UNHEALTHY" => theme.error(),
                _ => theme.dim(),
            };
            spans.push(Span::styled("  ", style));
            spans.extend(untrusted(health, style));
        }
        // Whether a shell or a forward can open: moot once the task has stopped.
        if task.last_status != TaskState::Stopped {
            spans.push(exec_readiness(
                task,
                container,
                definitions.get(&task.task_definition_arn),
                ctx,
            ));
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
            spans.push(Span::raw("  "));
            spans.extend(untrusted(reason, Style::new()));
        }
        lines.push(Line::from(spans));
    }
    if task.stop_code.is_some() || task.stopped_reason.is_some() {
        let mut spans = vec![Span::styled("  stopped: ", theme.dim())];
        if let Some(code) = &task.stop_code {
            spans.extend(untrusted(code, theme.bold()));
        }
        if let Some(reason) = &task.stopped_reason {
            spans.push(Span::raw(" — "));
            spans.extend(untrusted(reason, Style::new()));
        }
        lines.push(Line::from(spans));
    }
    lines
}
