//! The symbols the dashboard draws, in Unicode or in plain ASCII: chosen once at start from
//! the terminal type and the locale, carried in the theme, and used by every region.

use ratatui::buffer::Buffer;
use ratatui::symbols::border;

/// One symbol for each thing the dashboard marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyphs {
    /// Ends (or starts) text cut to fit.
    pub ellipsis: &'static str,
    pub running: &'static str,
    /// On its way up or down (PROVISIONING, PENDING, STOPPING …).
    pub transitional: &'static str,
    pub stopped: &'static str,
    pub failed: &'static str,
    pub degraded: &'static str,
    /// A service-backed instance scaled to zero.
    pub paused: &'static str,
    pub unknown: &'static str,
    /// An instance whose expiry wants attention.
    pub expiry: &'static str,
    /// Before the time of the last refresh on a narrow top bar.
    pub refreshed: &'static str,
    /// The selected row, field or item.
    pub pointer: &'static str,
    /// A row marked for a write on several.
    pub marked: &'static str,
    /// A note above the log lines.
    pub note: &'static str,
    /// A warning in a dialog.
    pub warning: &'static str,
    /// An error in a dialog or the message line.
    pub error: &'static str,
    /// The cursor at the end of a line being typed.
    pub cursor: &'static str,
    /// The chosen and the other entries of a one-of list.
    pub chosen: &'static str,
    pub not_chosen: &'static str,
    /// Desired state after the current one.
    pub arrow: &'static str,
    /// Bytes sent and received by a forward.
    pub sent: &'static str,
    pub received: &'static str,
    /// A minimum log level.
    pub at_least: &'static str,
    pub spinner: &'static [&'static str],
    pub border: border::Set<'static>,
}

impl Glyphs {
    pub const UNICODE: Glyphs = Glyphs {
        ellipsis: "…",
        running: "●",
        transitional: "◐",
        stopped: "○",
        failed: "✖",
        degraded: "▲",
        paused: "‖",
        unknown: "?",
        expiry: "⏰",
        refreshed: "↻ ",
        pointer: "›",
        marked: "■",
        note: "ⓘ",
        warning: "⚠",
        error: "✖",
        cursor: "█",
        chosen: "●",
        not_chosen: "○",
        arrow: "→",
        sent: "↑",
        received: "↓",
        at_least: "≥",
        spinner: &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        border: border::PLAIN,
    };

    /// For the Linux console and locales without UTF-8: what any terminal draws.
    pub const ASCII: Glyphs = Glyphs {
        ellipsis: "~",
        running: "*",
        transitional: "+",
        stopped: "o",
        failed: "x",
        degraded: "^",
        paused: "=",
        unknown: "?",
        expiry: "!",
        refreshed: "at ",
        pointer: ">",
        marked: "#",
        note: "i",
        warning: "!",
        error: "x",
        cursor: "_",
        chosen: "(*)",
        not_chosen: "( )",
        arrow: "->",
        sent: "out ",
        received: "in ",
        at_least: ">=",
        spinner: &["|", "/", "-", "\\"],
        border: border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        },
    };

    /// The set for a terminal of type `term` under the locale that the first set of `LC_ALL`,
    /// `LC_CTYPE` and `LANG` names (the POSIX order). The Linux console's font lacks most of
    /// the Unicode symbols; a locale that is not UTF-8 cannot carry them. With no locale set
    /// at all nothing says the terminal is not UTF-8, and nearly every terminal today is.
    pub fn for_terminal(
        term: Option<&str>,
        lc_all: Option<&str>,
        lc_ctype: Option<&str>,
        lang: Option<&str>,
    ) -> Glyphs {
        if term == Some("linux") {
            return Glyphs::ASCII;
        }
        let locale = [lc_all, lc_ctype, lang]
            .into_iter()
            .flatten()
            .find(|value| !value.is_empty());
        match locale {
            Some(locale) if !is_utf8(locale) => Glyphs::ASCII,
            _ => Glyphs::UNICODE,
        }
    }

    pub fn is_ascii(&self) -> bool {
        *self == Glyphs::ASCII
    }
}

/// `en_US.UTF-8`, `C.utf8`, `de_DE.UTF-8@euro`: the codeset between `.` and `@`.
fn is_utf8(locale: &str) -> bool {
    let codeset = locale
        .split_once('.')
        .map_or("", |(_, rest)| rest.split('@').next().unwrap_or(""));
    codeset.eq_ignore_ascii_case("utf-8") || codeset.eq_ignore_ascii_case("utf8")
}

/// Under the ASCII set, what is left that is not ASCII (text from AWS, messages, characters
/// drawn by widgets) becomes `?` or its plain look-alike, so no byte the terminal cannot
/// show reaches it. A wide character's second cell is already blank.
pub(crate) fn ascii_only(buffer: &mut Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let plain = match symbol {
            "…" => "~",
            "·" | "—" | "–" | "─" | "━" => "-",
            "│" | "┃" => "|",
            "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" => "+",
            "→" => ">",
            "←" => "<",
            "↑" => "^",
            "↓" => "v",
            "█" | "▒" | "░" => "#",
            "‘" | "’" => "'",
            "“" | "”" => "\"",
            _ => "?",
        };
        cell.set_symbol(plain);
    }
}

#[cfg(test)]
mod tests;
