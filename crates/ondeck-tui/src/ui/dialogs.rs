//! Modal boxes: launch, the confirmation of a write, profile switcher (and the frame of the
//! others).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::input::with_cursor;
use super::{RenderContext, untrusted};
use crate::state::AppState;
use crate::state::confirm::{Confirm, Guarded};
use crate::state::extend::ExtendDialog;
use crate::state::input::LineInput;
use crate::state::launch::{LaunchDialog, LaunchField, TemplateChoice};
use ondeck_core::format;
use ondeck_core::format::count;
use ondeck_core::instances::expiry::format_ttl;
use ondeck_core::logs::sanitize::printable;

/// A cleared, bordered box of at most `width`×`height` in the middle of `area`.
pub(super) fn modal(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    ctx: &RenderContext,
) -> Rect {
    let boxed = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    frame.render_widget(Clear, boxed);
    let title = ctx.theme.fit_line(
        Line::styled(format!(" {title} "), ctx.theme.bold()),
        usize::from(boxed.width.saturating_sub(2)),
    );
    let block = Block::bordered()
        .border_set(ctx.theme.glyphs.border)
        .title(title);
    let inner = block.inner(boxed);
    frame.render_widget(block, boxed);
    inner
}

/// How a dialog's body meets its width: cut with the ellipsis (lists, fields) or wrapped
/// (sentences). Its controls always wrap: an error or a key must be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Cut,
    Wrap,
}

/// A dialog: its `body` above its `controls` in a box of at most `width` columns in the middle
/// of `area`. The controls (the buttons, the keys that answer it, an error) are always on
/// screen; a body too tall for the screen scrolls so that its row `focus` stays in view.
pub(super) struct Dialog<'a> {
    pub(super) title: &'a str,
    pub(super) width: u16,
    pub(super) body: Vec<Line<'static>>,
    pub(super) focus: usize,
    pub(super) controls: Vec<Line<'static>>,
    pub(super) flow: Flow,
}

impl Dialog<'_> {
    pub(super) fn draw(self, frame: &mut Frame, area: Rect, ctx: &RenderContext) {
        let inner_width = usize::from(self.width.min(area.width).saturating_sub(2)).max(1);
        let wrapped = |lines: &[Line]| -> usize {
            lines
                .iter()
                .map(|line| line.width().div_ceil(inner_width).max(1))
                .sum()
        };
        let body_rows = |lines: &[Line]| match self.flow {
            Flow::Cut => lines.len(),
            Flow::Wrap => wrapped(lines),
        };
        let (all_body, control_rows) = (body_rows(&self.body), wrapped(&self.controls));
        let height = (all_body + control_rows + 2).min(usize::from(u16::MAX)) as u16;
        let inner = modal(frame, area, self.width, height, self.title, ctx);
        let controls_height = (control_rows as u16).min(inner.height);
        let [body_area, controls_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(controls_height)])
                .areas(inner);
        // Rows down to the end of the focused line, once wrapped (a wrapped line is shown
        // whole); scrolled just enough to show it.
        let focus_end = body_rows(&self.body[..(self.focus + 1).min(self.body.len())]);
        let visible = usize::from(body_area.height);
        let scroll = focus_end
            .saturating_sub(visible)
            .min(all_body.saturating_sub(visible));
        let body = match self.flow {
            Flow::Cut => Paragraph::new(
                self.body
                    .into_iter()
                    .map(|line| ctx.theme.fit_line(line, inner_width))
                    .collect::<Vec<_>>(),
            ),
            Flow::Wrap => Paragraph::new(self.body).wrap(Wrap { trim: false }),
        };
        frame.render_widget(body.scroll((scroll as u16, 0)), body_area);
        frame.render_widget(
            Paragraph::new(self.controls).wrap(Wrap { trim: false }),
            controls_area,
        );
    }
}

pub(crate) fn launch(frame: &mut Frame, area: Rect, dialog: &LaunchDialog, ctx: &RenderContext) {
    let theme = ctx.theme;
    let width = if area.width >= 100 { 84 } else { 72 };

    let heading = |field: LaunchField, text: &str| {
        let focused = dialog.focus == field;
        let marker = if focused { theme.glyphs.pointer } else { " " };
        let style = if focused { theme.bold() } else { theme.dim() };
        Line::styled(format!("{marker} {text}"), style)
    };
    let text_field = |field: LaunchField, value: &LineInput, placeholder: &str| {
        let mut spans = vec![Span::raw("    [ ")];
        if dialog.focus == field {
            spans.extend(with_cursor(value, theme));
        } else if value.is_empty() {
            spans.push(Span::styled(placeholder.to_string(), theme.dim()));
        } else {
            spans.push(Span::raw(value.text().to_string()));
        }
        spans.push(Span::raw(" ]"));
        Line::from(spans)
    };
    // A field's problem right under it, as it is typed.
    let problem = |lines: &mut Vec<Line<'static>>, field: LaunchField| {
        if let Some(why) = dialog.problem(field) {
            lines.push(Line::styled(
                format!("    {} {why}", theme.glyphs.error),
                theme.error(),
            ));
        }
    };

    let mut lines = vec![heading(LaunchField::Template, "Template")];
    let name_width = dialog
        .templates
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for (index, template) in dialog.templates.iter().enumerate() {
        let chosen = index == dialog.cursor;
        let style = if chosen && dialog.focus == LaunchField::Template {
            theme.selected()
        } else if chosen {
            theme.bold()
        } else {
            ratatui::style::Style::new()
        };
        let marker = if chosen {
            theme.glyphs.chosen
        } else {
            theme.glyphs.not_chosen
        };
        lines.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(format!("{marker} {:<name_width$}", template.name), style),
            Span::styled(
                format!("  {}", template.description.as_deref().unwrap_or("")),
                theme.dim(),
            ),
        ]));
    }
    problem(&mut lines, LaunchField::Template);
    let template_row = 1 + dialog.cursor;
    if let Some(template) = dialog.template() {
        lines.push(Line::styled(
            format!("    {}", template_facts(template, dialog.spot())),
            theme.dim(),
        ));
    }
    lines.push(heading(LaunchField::Name, "Name (optional)"));
    lines.push(text_field(
        LaunchField::Name,
        &dialog.name,
        "generated from the template",
    ));
    problem(&mut lines, LaunchField::Name);
    let env_row = lines.len();
    lines.push(heading(LaunchField::Env, "Env overrides (optional)"));
    lines.push(text_field(
        LaunchField::Env,
        &dialog.env,
        "api:LOG_LEVEL=debug worker:THREADS=4",
    ));
    problem(&mut lines, LaunchField::Env);
    let ttl_row = lines.len();
    lines.push(heading(LaunchField::Ttl, "Time to live"));
    let template_ttl = match dialog.template().and_then(|template| template.ttl) {
        Some(ttl) => format!("{} (the template's)", format_ttl(ttl)),
        None => "none (the template has none)".to_string(),
    };
    lines.push(text_field(LaunchField::Ttl, &dialog.ttl, &template_ttl));
    problem(&mut lines, LaunchField::Ttl);
    let spot_row = lines.len();
    let mut spot = heading(LaunchField::Spot, "Spot ");
    spot.spans
        .push(Span::raw(if dialog.spot() { "[x] on" } else { "[ ] off" }));
    lines.push(spot);
    lines.push(Line::from(vec![
        Span::raw("    "),
        Span::styled(
            "FARGATE_SPOT: cheaper, may be stopped · space toggles",
            theme.dim(),
        ),
    ]));
    // The focused field's last row, so that it and its problem stay in view.
    let focus = match dialog.focus {
        LaunchField::Template => template_row,
        LaunchField::Name => env_row - 1,
        LaunchField::Env => ttl_row - 1,
        LaunchField::Ttl => spot_row - 1,
        LaunchField::Spot | LaunchField::Confirm => spot_row + 1,
    };
    let mut controls = vec![Line::raw("")];
    let confirm_style = if dialog.focus == LaunchField::Confirm {
        theme.selected()
    } else {
        theme.bold()
    };
    let mut button = Line::from(vec![
        Span::raw(if dialog.focus == LaunchField::Confirm {
            format!("{} ", theme.glyphs.pointer)
        } else {
            "  ".to_string()
        }),
        Span::styled("[ Launch ]", confirm_style),
    ]);
    let keys = Span::styled("tab next · enter confirm · esc cancel", theme.dim());
    // The keys beside the button when they fit, else on a line of their own.
    if button.width() + 3 + keys.width() <= usize::from(width.min(area.width).saturating_sub(2)) {
        button.spans.extend([Span::raw("   "), keys]);
        controls.push(button);
    } else {
        controls.push(button);
        controls.push(Line::from(vec![Span::raw("  "), keys]));
    }
    // Wrapped: a long description is read whole; the body scrolls to keep the focused field
    // in view.
    Dialog {
        title: "Launch an instance",
        width,
        body: lines,
        focus,
        controls,
        flow: Flow::Wrap,
    }
    .draw(frame, area, ctx);
}

/// What the chosen template runs and costs: "api, worker · 0.5 vCPU 1 GB · $0.025/h · ttl 8h".
fn template_facts(template: &TemplateChoice, spot: bool) -> String {
    let runs = match &template.containers {
        Some(containers) => format!("containers {}", containers.join(", ")),
        None => format!("task definitions {}", template.task_definitions.join(", ")),
    };
    let mut facts = vec![printable(&runs).into_owned()];
    if let Some((vcpu, gb)) = template.size {
        facts.push(format!("{vcpu} vCPU {gb} GB"));
    }
    let per_hour = if spot {
        template.per_hour_spot
    } else {
        template.per_hour
    };
    facts.push(match per_hour {
        Some(rate) if spot => format!("~${}/h on Spot", format::rate(rate)),
        Some(rate) => format!("${}/h", format::rate(rate)),
        None => "$/h known once one has run".to_string(),
    });
    facts.push(match template.ttl {
        Some(ttl) => format!("ttl {}", format_ttl(ttl)),
        None => "no ttl".to_string(),
    });
    facts.join(" · ")
}

/// The question before a write (destroy, extend, relaunch; pause or resume of someone else's),
/// of one instance or of the marked ones (listed, one a line). Someone else's instance says
/// whose it is and takes its name typed out; when all are mine, a `y` does.
pub(crate) fn confirm(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    confirm: &Confirm,
    ctx: &RenderContext,
) {
    let theme = ctx.theme;
    let me = &state.profile.owner;
    let verb = confirm.action.verb();
    // The title's word, and what enter does once the name is typed.
    let (title, does) = match &confirm.action {
        Guarded::Destroy => ("Destroy", "destroys"),
        Guarded::Extend { .. } => ("Extend", "extends"),
        Guarded::Pause => ("Pause", "pauses"),
        Guarded::Resume => ("Resume", "resumes"),
        Guarded::Relaunch { .. } => ("Relaunch", "relaunches"),
    };
    let tasks: usize = confirm.targets.iter().map(|target| target.tasks).sum();
    let question = match &confirm.action {
        Guarded::Destroy => format!(" ({})? Every task is stopped.", count(tasks, "task")),
        Guarded::Extend { by } => format!(" by {}?", format_ttl(*by)),
        Guarded::Pause => "? Its services scale to 0: nothing runs or is billed until it is \
                           resumed."
            .to_string(),
        Guarded::Resume => "? Its services scale back to one task each.".to_string(),
        Guarded::Relaunch { template } => format!(
            " (template {}, same name, env overrides and ttl)? What is left of it is \
             destroyed first.",
            printable(template)
        ),
    };
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    if let [target] = confirm.targets.as_slice() {
        let mut first = vec![Span::raw(format!("{title} "))];
        first.extend(untrusted(&target.id.label(me), theme.bold()));
        first.push(Span::raw(question));
        lines.push(Line::from(first));
        notes.extend(target.foreign.as_deref());
    } else {
        lines.push(Line::raw(format!(
            "{title} these {}{question}",
            count(confirm.targets.len(), "instance")
        )));
        for target in &confirm.targets {
            let mut line = vec![Span::raw(format!("  {} ", theme.glyphs.marked))];
            line.extend(untrusted(&target.id.label(me), theme.bold()));
            line.push(Span::styled(
                format!("  {}", count(target.tasks, "task")),
                theme.dim(),
            ));
            lines.push(Line::from(line));
            notes.extend(target.foreign.as_deref());
        }
    }
    for note in notes {
        let mut note = printable(note).into_owned();
        if let Some(first) = note.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        lines.push(Line::styled(
            format!("{} {note}.", theme.glyphs.warning),
            theme.error(),
        ));
    }
    let mut controls = vec![Line::raw("")];
    let title = match confirm.names_to_type() {
        None => {
            controls.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled("y", theme.key()),
                Span::raw(format!(" to {verb}; any other key keeps it. [y/N]")),
            ]));
            match confirm.targets.len() {
                1 => format!("{title} instance"),
                several => format!("{title} {several} instances"),
            }
        }
        Some(names) => {
            let prompt = if confirm.targets.len() == 1 {
                format!("Type its name to {verb} it: [ ")
            } else {
                format!("Type `{}` to {verb} them: [ ", printable(&names))
            };
            let mut field = vec![Span::raw(prompt)];
            field.extend(with_cursor(&confirm.typed, theme));
            field.push(Span::raw(" ]"));
            controls.push(Line::from(field));
            let keeps = if confirm.targets.len() == 1 {
                "it"
            } else {
                "them"
            };
            controls.push(Line::styled(
                format!("enter {does} · esc keeps {keeps}"),
                theme.dim(),
            ));
            match confirm.targets.as_slice() {
                [target] => format!("{title} {}'s instance", target.id.owner),
                several => format!("{title} {} instances", several.len()),
            }
        }
    };
    Dialog {
        title: &title,
        width: 64,
        body: lines,
        focus: 0,
        controls,
        flow: Flow::Wrap,
    }
    .draw(frame, area, ctx);
}

/// How long to extend an instance, or the marked ones (listed, one a line), by: the field,
/// prefilled, and why the last answer was refused.
pub(crate) fn extend(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    dialog: &ExtendDialog,
    ctx: &RenderContext,
) {
    let theme = ctx.theme;
    let me = &state.profile.owner;
    let mut body = Vec::new();
    if let [target] = dialog.targets.as_slice() {
        let mut first = vec![Span::raw("Extend ")];
        first.extend(untrusted(&target.label(me), theme.bold()));
        first.push(Span::raw(" by how long?"));
        body.push(Line::from(first));
        body.push(Line::styled(
            "From now or from its expiry, whichever is later.",
            theme.dim(),
        ));
    } else {
        body.push(Line::raw(format!(
            "Extend these {} by how long?",
            count(dialog.targets.len(), "instance")
        )));
        for target in &dialog.targets {
            let mut line = vec![Span::raw(format!("  {} ", theme.glyphs.marked))];
            line.extend(untrusted(&target.label(me), theme.bold()));
            body.push(Line::from(line));
        }
        body.push(Line::styled(
            "Each from now or from its expiry, whichever is later.",
            theme.dim(),
        ));
    }
    let mut field = vec![Span::raw("By: [ ")];
    field.extend(with_cursor(&dialog.by, theme));
    field.push(Span::raw(" ]"));
    let mut controls = vec![Line::raw(""), Line::from(field)];
    if let Some(error) = &dialog.error {
        controls.push(Line::styled(
            format!("{} {error}", theme.glyphs.error),
            theme.error(),
        ));
    }
    let keeps = if dialog.targets.len() == 1 {
        "enter extends · esc keeps it"
    } else {
        "enter extends them · esc keeps them"
    };
    controls.push(Line::styled(keeps, theme.dim()));
    Dialog {
        title: "Extend instance",
        width: 64,
        body,
        focus: 0,
        controls,
        flow: Flow::Wrap,
    }
    .draw(frame, area, ctx);
}

pub(crate) fn profiles(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    cursor: usize,
    ctx: &RenderContext,
) {
    let theme = ctx.theme;
    let lines: Vec<Line> = state
        .profiles
        .values()
        .enumerate()
        .map(|(index, profile)| {
            let current = profile.name == state.profile.name;
            let style = if index == cursor {
                theme.selected()
            } else {
                ratatui::style::Style::new()
            };
            Line::from(vec![
                Span::raw(format!(
                    "{} ",
                    if current {
                        theme.glyphs.chosen
                    } else {
                        theme.glyphs.not_chosen
                    }
                )),
                Span::styled(profile.name.clone(), style),
                Span::styled(
                    format!("  {} · {}", profile.region, profile.cluster),
                    theme.dim(),
                ),
            ])
        })
        .collect();
    Dialog {
        title: "Switch profile",
        width: 56,
        body: lines,
        focus: cursor,
        controls: vec![
            Line::raw(""),
            Line::styled("enter switch · esc cancel", theme.dim()),
        ],
        flow: Flow::Cut,
    }
    .draw(frame, area, ctx);
}
