use std::time::Duration;

use super::Backoff;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn each_attempt_doubles_the_delay_from_the_base() {
    let backoff = Backoff::new(secs(2), secs(300));
    let delays: Vec<Duration> = (0..5).map(|attempt| backoff.delay(attempt)).collect();
    assert_eq!(delays, [secs(2), secs(4), secs(8), secs(16), secs(32)]);
}

#[test]
fn the_delay_stops_growing_at_the_ceiling() {
    let backoff = Backoff::new(secs(1), secs(60));
    assert_eq!(backoff.delay(5), secs(32));
    assert_eq!(backoff.delay(6), secs(60));
    assert_eq!(backoff.delay(7), secs(60));
}

#[test]
fn attempts_far_beyond_the_ceiling_neither_overflow_nor_shrink() {
    let backoff = Backoff::new(Duration::from_millis(500), secs(300));
    for attempt in [31, 32, 64, u32::MAX] {
        assert_eq!(backoff.delay(attempt), secs(300), "attempt {attempt}");
    }
    let huge = Backoff::new(Duration::MAX, Duration::MAX);
    assert_eq!(huge.delay(3), Duration::MAX);
}

#[test]
fn a_ceiling_below_the_base_wins() {
    let backoff = Backoff::new(secs(10), secs(3));
    assert_eq!(backoff.delay(0), secs(3));
}
