use super::*;
use crate::instances::expiry::parse_ttl;

#[test]
fn since_takes_seconds_and_every_other_unit() {
    assert_eq!(parse_since("30s"), Ok(Duration::seconds(30)));
    assert_eq!(parse_since("15m"), Ok(Duration::minutes(15)));
    assert_eq!(parse_since("2h"), Ok(Duration::hours(2)));
    assert_eq!(parse_since("1d"), Ok(Duration::days(1)));
    assert_eq!(parse_since("1m 30s"), Ok(Duration::seconds(90)));
    assert_eq!(
        parse_since("400d"),
        Ok(Duration::days(400)),
        "no TTL ceiling"
    );
}

#[test]
fn since_errors_speak_of_since_and_never_of_a_time_to_live() {
    for bad in ["", "0s", "8", "8x", "s8", "1s1s", "99999999999999999999s"] {
        let error = parse_since(bad).unwrap_err();
        assert!(!error.contains("time to live"), "{bad}: {error}");
        assert!(!error.contains("too fine"), "{bad}: {error}");
    }
    assert!(parse_since("0s").unwrap_err().contains("at least 1s"));
    assert!(parse_since("8").unwrap_err().contains("s (seconds)"));
}

#[test]
fn ttl_keeps_refusing_seconds_in_its_own_words() {
    let error = parse_ttl("45s").unwrap_err();
    assert!(
        error.contains("seconds are too fine for a time to live"),
        "{error}"
    );
    assert!(!error.contains("s (seconds)"), "{error}");
}
