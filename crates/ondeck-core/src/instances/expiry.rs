//! Time to live: reading "8h" / "1h30m", and saying how long an instance has left.

use chrono::{DateTime, Duration, Utc};

use crate::duration::{DurationRule, parse_duration};
use crate::instances::Instance;

/// The longest time to live a template or an extension may ask for.
pub const MAX_TTL_DAYS: i64 = 30;

/// Minutes are as fine as a time to live goes: seconds would only invite typos ("30s" for 30m).
const TTL: DurationRule = DurationRule {
    what: "a time to live",
    hint: "write a number and a unit: m (minutes), h (hours) or d (days), alone or combined, \
           e.g. 90m, 8h, 2d, 1h30m",
    takes_seconds: false,
};

/// Parses a time to live such as "90m", "8h", "2d" or "1h30m" (spaces between parts are
/// allowed, so "1h 30m" reads back what [`format_remaining`] writes). Zero and anything
/// over 30 days are refused: an instance that never expires is what the TTL exists to stop.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let ttl = parse_duration(text, &TTL)?;
    if ttl.is_zero() {
        return Err(format!(
            "`{trimmed}` is zero; give at least 1m, or leave the time to live out"
        ));
    }
    if ttl > Duration::days(MAX_TTL_DAYS) {
        return Err(format!(
            "`{trimmed}` is longer than {MAX_TTL_DAYS} days; ask for {MAX_TTL_DAYS}d or less"
        ));
    }
    Ok(ttl)
}

/// A time to live written the way [`parse_ttl`] reads it, every unit kept: "8h", "1h 30m",
/// "1d 2h 3m".
pub fn format_ttl(ttl: Duration) -> String {
    let minutes = ttl.num_minutes();
    let parts = [
        (minutes / (24 * 60), 'd'),
        (minutes % (24 * 60) / 60, 'h'),
        (minutes % 60, 'm'),
    ];
    let written: Vec<String> = parts
        .iter()
        .filter(|(amount, _)| *amount > 0)
        .map(|(amount, unit)| format!("{amount}{unit}"))
        .collect();
    if written.is_empty() {
        "0m".to_string()
    } else {
        written.join(" ")
    }
}

/// How long is left, in the two largest units: "2d 3h", "1h 20m", "20m", "45s";
/// or, once past, "expired 5m ago".
pub fn format_remaining(remaining: Duration) -> String {
    let seconds = remaining.num_seconds();
    if seconds > 0 {
        format_span(seconds)
    } else if seconds == 0 {
        "expired just now".to_string()
    } else {
        format!("expired {} ago", format_span(seconds.saturating_neg()))
    }
}

/// Seconds (> 0) in the two largest units, truncated: a countdown never promises time
/// that is not there.
fn format_span(seconds: i64) -> String {
    let days = seconds / 86_400;
    let hours = seconds % 86_400 / 3_600;
    let minutes = seconds % 3_600 / 60;
    if days > 0 {
        if hours > 0 {
            format!("{days}d {hours}h")
        } else {
            format!("{days}d")
        }
    } else if hours > 0 {
        if minutes > 0 {
            format!("{hours}h {minutes}m")
        } else {
            format!("{hours}h")
        }
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{seconds}s")
    }
}

pub fn is_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= expires_at
}

/// Not yet expired, but will be within `within`.
pub fn is_expiring_soon(expires_at: DateTime<Utc>, now: DateTime<Utc>, within: Duration) -> bool {
    !is_expired(expires_at, now) && expires_at - now <= within
}

/// How long before its expiry an instance is called out.
pub const WARN_BEFORE_MINUTES: i64 = 30;

/// Why an instance's expiry wants attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Expires within [`WARN_BEFORE_MINUTES`].
    Soon,
    /// Expired, yet some task still runs (the next `reap` stops it).
    Overdue,
}

/// Whether the instance's expiry wants attention now. Instances on their way down never do.
pub fn urgency(instance: &Instance, now: DateTime<Utc>) -> Option<Urgency> {
    let expires_at = instance.expires_at?;
    let still_wanted = !instance.state.is_final()
        && instance
            .tasks
            .iter()
            .any(|task| task.desired_status != "STOPPED");
    if !still_wanted {
        None
    } else if is_expired(expires_at, now) {
        Some(Urgency::Overdue)
    } else if is_expiring_soon(expires_at, now, Duration::minutes(WARN_BEFORE_MINUTES)) {
        Some(Urgency::Soon)
    } else {
        None
    }
}

/// The owner's instances whose expiry wants attention, the soonest (or longest overdue) first.
pub fn needing_attention<'a>(
    instances: &'a [Instance],
    owner: &str,
    now: DateTime<Utc>,
) -> Vec<&'a Instance> {
    let mut found: Vec<&Instance> = instances
        .iter()
        .filter(|instance| instance.is_owned_by(owner) && urgency(instance, now).is_some())
        .collect();
    found.sort_by(|a, b| a.expires_at.cmp(&b.expires_at).then(a.name.cmp(&b.name)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn single_units_and_combinations_parse() {
        assert_eq!(parse_ttl("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_ttl("8h"), Ok(Duration::hours(8)));
        assert_eq!(parse_ttl("2d"), Ok(Duration::days(2)));
        assert_eq!(parse_ttl("1h30m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_ttl("1d 2h 3m"), Ok(Duration::minutes(1563)));
        assert_eq!(parse_ttl(" 30d "), Ok(Duration::days(30)));
        assert_eq!(parse_ttl("8H"), Ok(Duration::hours(8)));
    }

    #[test]
    fn zero_too_long_and_malformed_are_refused_with_the_reason() {
        assert!(parse_ttl("0m").unwrap_err().contains("zero"));
        assert!(parse_ttl("0h0m").unwrap_err().contains("zero"));
        assert!(
            parse_ttl("31d")
                .unwrap_err()
                .contains("longer than 30 days")
        );
        assert!(
            parse_ttl("30d1m")
                .unwrap_err()
                .contains("longer than 30 days")
        );
        assert!(
            parse_ttl("99999999999999999999d")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse_ttl("9223372036854775807d")
                .unwrap_err()
                .contains("too long")
        );
        assert!(parse_ttl("45s").unwrap_err().contains("seconds"));
        assert!(parse_ttl("8").unwrap_err().contains("lacks a unit"));
        assert!(parse_ttl("8x").unwrap_err().contains("unknown unit `x`"));
        assert!(parse_ttl("h8").unwrap_err().contains("not a time to live"));
        assert!(parse_ttl("1h1h").unwrap_err().contains("twice"));
        assert!(parse_ttl("").unwrap_err().contains("empty"));
        assert!(parse_ttl("-1h").is_err());
        assert!(parse_ttl("1.5h").is_err());
    }

    #[test]
    fn remaining_time_reads_in_two_units() {
        assert_eq!(format_remaining(Duration::minutes(80)), "1h 20m");
        assert_eq!(format_remaining(Duration::seconds(80 * 60 + 59)), "1h 20m");
        assert_eq!(format_remaining(Duration::hours(2)), "2h");
        assert_eq!(format_remaining(Duration::hours(51)), "2d 3h");
        assert_eq!(format_remaining(Duration::days(3)), "3d");
        assert_eq!(format_remaining(Duration::minutes(20)), "20m");
        assert_eq!(format_remaining(Duration::seconds(45)), "45s");
        assert_eq!(format_remaining(Duration::zero()), "expired just now");
        assert_eq!(format_remaining(Duration::minutes(-5)), "expired 5m ago");
        assert_eq!(format_remaining(Duration::hours(-26)), "expired 1d 2h ago");
    }

    #[test]
    fn formatted_remaining_parses_back() {
        for minutes in [1, 59, 61, 90, 24 * 60, 24 * 60 + 60, 29 * 24 * 60 + 23 * 60] {
            let text = format_remaining(Duration::minutes(minutes));
            assert_eq!(parse_ttl(&text), Ok(Duration::minutes(minutes)), "{text}");
        }
    }

    #[test]
    fn a_ttl_is_written_with_every_unit_and_parses_back() {
        assert_eq!(format_ttl(Duration::hours(8)), "8h");
        assert_eq!(format_ttl(Duration::minutes(90)), "1h 30m");
        assert_eq!(format_ttl(Duration::minutes(1563)), "1d 2h 3m");
        assert_eq!(format_ttl(Duration::days(30)), "30d");
        for minutes in [1, 59, 60, 61, 24 * 60 + 1, 30 * 24 * 60] {
            let text = format_ttl(Duration::minutes(minutes));
            assert_eq!(parse_ttl(&text), Ok(Duration::minutes(minutes)), "{text}");
        }
    }

    #[test]
    fn expiry_is_inclusive_and_soon_means_not_yet() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert!(!is_expired(at, at - Duration::seconds(1)));
        assert!(is_expired(at, at));
        assert!(is_expiring_soon(
            at,
            at - Duration::minutes(10),
            Duration::minutes(15)
        ));
        assert!(!is_expiring_soon(
            at,
            at - Duration::minutes(20),
            Duration::minutes(15)
        ));
        assert!(!is_expiring_soon(
            at,
            at + Duration::minutes(1),
            Duration::minutes(15)
        ));
    }

    fn instance(name: &str, owner: &str, expires_at: Option<DateTime<Utc>>) -> Instance {
        use crate::model::{Task, TaskState, TaskTimes};
        let task = Task {
            exec_enabled: false,
            group: None,
            env_overrides: Default::default(),
            task_arn: format!("arn:aws:ecs:us-east-1:1:task/c/{name}"),
            task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/web:1".into(),
            last_status: TaskState::Running,
            desired_status: "RUNNING".into(),
            stop_code: None,
            stopped_reason: None,
            started_by: Some(crate::instances::owner_key(owner)),
            containers: vec![],
            tags: Default::default(),
            cpu: None,
            memory: None,
            private_ip: None,
            capacity_provider: None,
            times: TaskTimes::default(),
        };
        Instance {
            name: name.into(),
            owner: owner.into(),
            launch: String::new(),
            template: "web".into(),
            state: crate::instances::InstanceState::Lifecycle(TaskState::Running),
            created_at: None,
            expires_at,
            private_ips: vec![],
            tasks: vec![task],
            services: vec![],
        }
    }

    #[test]
    fn urgency_is_soon_within_thirty_minutes_and_overdue_while_it_still_runs() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let at = |minutes| Some(now + Duration::minutes(minutes));
        assert_eq!(urgency(&instance("a", "ana", None), now), None);
        assert_eq!(urgency(&instance("a", "ana", at(31)), now), None);
        assert_eq!(
            urgency(&instance("a", "ana", at(30)), now),
            Some(Urgency::Soon)
        );
        assert_eq!(
            urgency(&instance("a", "ana", at(0)), now),
            Some(Urgency::Overdue)
        );
        let mut stopping = instance("a", "ana", at(-5));
        stopping.tasks[0].desired_status = "STOPPED".into();
        assert_eq!(urgency(&stopping, now), None);
    }

    #[test]
    fn attention_goes_to_my_instances_soonest_first() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let at = |minutes| Some(now + Duration::minutes(minutes));
        let instances = [
            instance("later", "ana", at(20)),
            instance("overdue", "ana", at(-5)),
            instance("theirs", "bob", at(1)),
            instance("fine", "ana", at(90)),
            instance("sooner", "ana", at(2)),
        ];
        let names: Vec<&str> = needing_attention(&instances, "ana", now)
            .iter()
            .map(|instance| instance.name.as_str())
            .collect();
        assert_eq!(names, ["overdue", "sooner", "later"]);
    }
}
