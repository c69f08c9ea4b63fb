//! Colours (the 16 ANSI names only) and the state symbols that carry meaning without them.

use ondeck_core::logs::style::{Attrs, TextColor, TextStyle};
use ratatui::style::{Color, Modifier, Style};

use ondeck_core::instances::InstanceState;
use ondeck_core::instances::expiry::Urgency;
use ondeck_core::model::TaskState;

use super::glyphs::Glyphs;

/// The 16 ANSI colours as ratatui's named colours, in SGR order (30–37, then 90–97), so they
/// follow the user's terminal palette.
pub const ANSI_COLORS: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// The style a log line asked for, in the terminal's palette: SGR colours 0–15 are the 16
/// ANSI names, so they follow the user's theme.
pub(crate) fn log_text_style(style: TextStyle) -> Style {
    let color = |color: TextColor| match color {
        TextColor::Indexed(n) => ANSI_COLORS
            .get(usize::from(n))
            .copied()
            .unwrap_or(Color::Indexed(n)),
        TextColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    };
    let mut out = Style::new();
    if let Some(fg) = style.fg {
        out = out.fg(color(fg));
    }
    if let Some(bg) = style.bg {
        out = out.bg(color(bg));
    }
    for (attr, modifier) in [
        (Attrs::BOLD, Modifier::BOLD),
        (Attrs::DIM, Modifier::DIM),
        (Attrs::ITALIC, Modifier::ITALIC),
        (Attrs::UNDERLINED, Modifier::UNDERLINED),
        (Attrs::REVERSED, Modifier::REVERSED),
    ] {
        if style.attrs.contains(attr) {
            out = out.add_modifier(modifier);
        }
    }
    out
}

/// Container prefix colours in the log pane, cycled by container index. Named colours only, so
/// they follow the user's palette; black, white and the greys are left out because each
/// disappears on either a dark or a light background.
const LOG_SOURCE_COLORS: [Color; 12] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::Blue,
    Color::LightRed,
    Color::LightCyan,
    Color::LightMagenta,
    Color::LightYellow,
    Color::LightGreen,
    Color::LightBlue,
    Color::Red,
];

/// How to paint. With `color: false` (NO_COLOR) only bold and reverse remain; `glyphs` are
/// the symbols the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub glyphs: Glyphs,
}

impl Theme {
    /// Colour or not, with the Unicode symbols.
    pub fn unicode(color: bool) -> Theme {
        Theme {
            color,
            glyphs: Glyphs::UNICODE,
        }
    }

    pub(crate) fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub(crate) fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub(crate) fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub(crate) fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub(crate) fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub(crate) fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub(crate) fn badge(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A log line's own style (its SGR codes); without colour only its emphasis stays.
    pub(crate) fn log_text(self, style: TextStyle) -> Style {
        let style = log_text_style(style);
        if self.color {
            style
        } else {
            Style {
                fg: None,
                bg: None,
                ..style
            }
        }
    }

    /// The prefix of a log line from container number `source`.
    pub(crate) fn log_source(self, source: u16) -> Style {
        self.fg(LOG_SOURCE_COLORS[usize::from(source) % LOG_SOURCE_COLORS.len()])
    }

    /// A log pane that follows the newest line.
    pub(crate) fn following(self) -> Style {
        self.fg(Color::Green)
    }

    /// A log pane held still while lines arrive.
    pub(crate) fn paused(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// What a search or filter looks for.
    pub(crate) fn search_term(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// A minimum log level.
    pub(crate) fn log_level(self) -> Style {
        self.fg(Color::Magenta)
    }

    /// A one-line note above a pane's content (a container whose logs cannot be read).
    pub(crate) fn note(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub(crate) fn instance_state(self, state: &InstanceState) -> Style {
        match state {
            InstanceState::Failed => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            InstanceState::Degraded | InstanceState::Restarting => self.fg(Color::Magenta),
            InstanceState::Paused => self.fg(Color::Cyan),
            InstanceState::Lifecycle(lifecycle) => self.task_state(lifecycle),
        }
    }

    pub(crate) fn urgency(self, urgency: Urgency) -> Style {
        match urgency {
            Urgency::Soon => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Urgency::Overdue => self.error(),
        }
    }

    pub(crate) fn task_state(self, state: &TaskState) -> Style {
        match state {
            TaskState::Running => self.fg(Color::Green),
            TaskState::Stopped => self.dim(),
            TaskState::Unknown(_) => Style::new(),
            _ => self.fg(Color::Yellow),
        }
    }

    /// The symbol of an instance's state, readable without colour.
    pub(crate) fn instance_symbol(self, state: &InstanceState) -> &'static str {
        match state {
            InstanceState::Failed => self.glyphs.failed,
            InstanceState::Degraded => self.glyphs.degraded,
            InstanceState::Restarting => self.glyphs.transitional,
            InstanceState::Paused => self.glyphs.paused,
            InstanceState::Lifecycle(lifecycle) => self.task_symbol(lifecycle),
        }
    }

    pub(crate) fn task_symbol(self, state: &TaskState) -> &'static str {
        match state {
            TaskState::Running => self.glyphs.running,
            TaskState::Stopped => self.glyphs.stopped,
            TaskState::Unknown(_) => self.glyphs.unknown,
            _ => self.glyphs.transitional,
        }
    }

    /// `text` cut to `width` columns, the cut shown by the ellipsis.
    pub(crate) fn fit<'a>(self, text: &'a str, width: usize) -> std::borrow::Cow<'a, str> {
        super::fit::fit(text, width, self.glyphs.ellipsis)
    }

    pub(crate) fn fit_line<'a>(
        self,
        line: ratatui::text::Line<'a>,
        width: usize,
    ) -> ratatui::text::Line<'a> {
        super::fit::fit_line(line, width, self.glyphs.ellipsis)
    }
}
