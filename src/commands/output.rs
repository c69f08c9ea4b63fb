//! How the subcommands print: plain aligned tables and JSON kept safe for a terminal, on a
//! stdout that may close early.

use std::fmt::Write as _;
use std::io::Write;

use ondeck_core::logs::sanitize::escape_json_for_terminal;

/// Print to stdout; a closed pipe (`ondeck list | head`) ends the output quietly.
pub(super) fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// JSON on a line of its own, with what a terminal would obey (escapes, bidi overrides)
/// written as JSON escapes: the same value for a script, harmless on a screen.
pub(super) fn emit_json(json: String) {
    emit(&format!("{}\n", escape_json_for_terminal(json)));
}

pub(super) fn render_table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|col| {
            rows.iter()
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}
