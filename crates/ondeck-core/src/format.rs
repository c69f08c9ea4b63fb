//! Short human forms of times, durations and money, the same in the dashboard and the CLI.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};

use crate::instances::expiry::format_remaining;

/// "<1m", "3m", "2h", "4d": the coarsest unit that fits, so ages change at most once a minute.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    compact((now - since).num_seconds().max(0))
}

fn compact(secs: i64) -> String {
    match secs {
        s if s < 60 => "<1m".to_string(),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// Time left to an expiry, to the minute so it changes at most once a minute: "4h 47m",
/// "<1m"; once past, "expired 5m ago", "expired 2h ago".
pub fn remaining(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    match secs {
        1..60 => "<1m".to_string(),
        60.. => format_remaining(at - now),
        _ => format!("expired {} ago", compact(-secs)),
    }
}

/// A count and its noun, plural unless the count is one: "1 task", "3 tasks", "0 lines".
pub fn count(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A rate per hour: three decimals while cents matter.
pub fn rate(value: f64) -> String {
    match value {
        v if v < 10.0 => format!("{v:.3}"),
        v if v < 100.0 => format!("{v:.2}"),
        v => format!("{v:.0}"),
    }
}

/// An amount spent: cents, then whole units from 100 on.
pub fn money(value: f64) -> String {
    if value < 100.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.0}")
    }
}

/// A byte count in the largest unit that keeps it ≥ 1: "512 B", "1.5 KiB", "12.0 MiB".
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if count < 1024 {
        return format!("{count} B");
    }
    let mut value = count as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The last midnight in the user's offset: where "today" starts.
pub fn local_midnight(now: DateTime<Utc>, offset: FixedOffset) -> DateTime<Utc> {
    now.with_timezone(&offset)
        .with_time(NaiveTime::MIN)
        .single()
        .map_or(now, |midnight| midnight.with_timezone(&Utc))
}

/// Date and time, for anything that may be days away.
pub fn stamp(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests;
