use super::*;
use chrono::Duration;

#[test]
fn ages_use_one_coarse_unit() {
    let now = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap();
    let ago = |secs| age(now - Duration::seconds(secs), now);
    assert_eq!(ago(5), "<1m");
    assert_eq!(ago(3 * 60 + 59), "3m");
    assert_eq!(ago(2 * 3_600 + 100), "2h");
    assert_eq!(ago(30 * 3_600), "1d");
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

#[test]
fn bytes_read_in_the_largest_unit_that_fits() {
    assert_eq!(bytes(0), "0 B");
    assert_eq!(bytes(1023), "1023 B");
    assert_eq!(bytes(1536), "1.5 KiB");
    assert_eq!(bytes(12 * 1024 * 1024), "12.0 MiB");
    assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
}

#[test]
fn a_count_of_one_takes_the_singular() {
    assert_eq!(count(1, "task"), "1 task");
    assert_eq!(count(0, "task"), "0 tasks");
    assert_eq!(count(3, "unreadable line"), "3 unreadable lines");
}
