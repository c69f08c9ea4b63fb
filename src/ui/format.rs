//! Short human forms of times and durations.

use chrono::{DateTime, FixedOffset, Utc};

/// "<1m", "3m", "2h", "4d": the coarsest unit that fits, so ages change at most once a minute.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    compact((now - since).num_seconds().max(0))
}

/// "in 3h", "in 20m", or "expired".
pub fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    if secs <= 0 {
        "expired".to_string()
    } else {
        format!("in {}", compact(secs))
    }
}

fn compact(secs: i64) -> String {
    match secs {
        s if s < 60 => "<1m".to_string(),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s => format!("{}d", s / 86_400),
    }
}

/// Wall-clock time in the user's offset.
pub fn clock(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%H:%M:%S").to_string()
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
        assert_eq!(until(now + Duration::hours(3), now), "in 3h");
        assert_eq!(until(now - Duration::hours(3), now), "expired");
    }
}
