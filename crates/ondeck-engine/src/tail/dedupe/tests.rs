use super::*;

fn raw(timestamp: i64, message: &str) -> RawLogEvent {
    RawLogEvent {
        timestamp,
        ingestion_time: timestamp + 5,
        message: message.to_string(),
    }
}

#[test]
fn dedupe_forgets_events_long_before_the_newest() {
    let mut dedupe = Dedupe::new(1_000, 60_000);
    // Ten minutes of a line a second.
    for ts in (0..600_000).step_by(1_000) {
        assert!(dedupe.admit(1, 0, &raw(ts, "tick")));
    }
    assert_eq!(dedupe.seen.len(), 61, "a minute's worth is kept, not ten");
    assert!(
        !dedupe.admit(2, 0, &raw(590_000, "tick")),
        "in the window: a copy"
    );
    assert!(
        dedupe.admit(2, 0, &raw(500_000, "tick")),
        "out of it: forgotten"
    );
}

#[test]
fn dedupe_forgets_the_oldest_events_beyond_its_capacity() {
    let mut dedupe = Dedupe::new(3, DEDUPE_WINDOW_MS);
    for ts in 0..5 {
        assert!(dedupe.admit(1, 0, &raw(ts, "x")));
    }
    assert_eq!(dedupe.seen.len(), 3);
    assert!(!dedupe.admit(2, 0, &raw(4, "x")), "recent: remembered");
    assert!(dedupe.admit(2, 0, &raw(0, "x")), "oldest: forgotten");
    assert!(dedupe.admit(2, 1, &raw(4, "x")), "another source");
    assert!(dedupe.admit(2, 0, &raw(4, "y")), "another message");
}
