//! Short human forms of times and durations.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};

use ondeck_core::instances::expiry::format_remaining;

/// "<1m", "3m", "2h", "4d": the coarsest unit that fits, so ages change at most once a minute.
pub(crate) fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
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

/// A rate per hour: three decimals while cents matter.
pub(crate) fn rate(value: f64) -> String {
    match value {
        v if v < 10.0 => format!("{v:.3}"),
        v if v < 100.0 => format!("{v:.2}"),
        v => format!("{v:.0}"),
    }
}

/// An amount spent: cents, then whole units from 100 on.
pub(crate) fn money(value: f64) -> String {
    if value < 100.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.0}")
    }
}

/// The last midnight in the user's offset: where "today" starts.
pub(crate) fn local_midnight(now: DateTime<Utc>, offset: FixedOffset) -> DateTime<Utc> {
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
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ages_use_one_coarse_unit() {
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        let ago = |secs| age(now - Duration::seconds(secs), now);
        assert_eq!(ago(5), "<1m");
        assert_eq!(ago(3 * 60 + 59), "3m");
        assert_eq!(ago(2 * 3_600 + 100), "2h");
        assert_eq!(ago(4 * 86_400 + 1), "4d");
    }

    #[test]
    fn remaining_counts_minutes_down_and_then_up() {
        let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
        let left = |secs| remaining(now + Duration::seconds(secs), now);
        assert_eq!(left(4 * 3_600 + 47 * 60 + 59), "4h 47m");
        assert_eq!(left(12 * 60), "12m");
        assert_eq!(left(59), "<1m");
        assert_eq!(left(0), "expired <1m ago");
        assert_eq!(left(-5 * 60 - 30), "expired 5m ago");
        assert_eq!(left(-2 * 3_600 - 600), "expired 2h ago");
    }

    #[test]
    fn money_keeps_cents_and_rates_keep_tenths_of_cents() {
        assert_eq!(rate(0.04937), "0.049");
        assert_eq!(rate(12.345), "12.35");
        assert_eq!(rate(150.2), "150");
        assert_eq!(money(0.5924), "0.59");
        assert_eq!(money(123.456), "123");
    }

    #[test]
    fn midnight_is_local() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T01:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let utc = FixedOffset::east_opt(0).unwrap();
        let new_york = FixedOffset::west_opt(5 * 3_600).unwrap();
        assert_eq!(
            local_midnight(now, utc).to_rfc3339(),
            "2026-11-23T00:00:00+00:00"
        );
        // 20:30 the evening before in New York: today began at 05:00 UTC the day before.
        assert_eq!(
            local_midnight(now, new_york).to_rfc3339(),
            "2026-11-22T05:00:00+00:00"
        );
    }
}
