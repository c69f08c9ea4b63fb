//! One log line as text, the same in `ondeck logs` and in a file saved from the log pane, so a
//! saved file reads like the command's output: `2026-11-23T10:00:00.000Z web | message`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Whether lines name their container: only when there is more than one to tell apart.
pub fn labels_lines(containers: usize) -> bool {
    containers > 1
}

/// `time container | text`, or `time text` without a label. `text` is already sanitized.
pub fn format_line(timestamp: i64, label: Option<&str>, text: &str) -> String {
    let mut line = line_time(timestamp);
    line.push(' ');
    if let Some(label) = label {
        line.push_str(label);
        line.push_str(" | ");
    }
    line.push_str(text);
    line
}

/// UTC to the millisecond (RFC 3339), as CloudWatch keeps it; the raw number if out of range.
pub fn line_time(timestamp: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(timestamp)
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| timestamp.to_string())
}

#[cfg(test)]
mod tests;
