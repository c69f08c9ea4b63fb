use super::*;

#[test]
fn a_line_has_its_time_and_container_when_there_are_several() {
    let at = 1_795_428_000_123; // 2026-11-23T10:00:00.123Z
    assert_eq!(
        format_line(at, Some("web"), "GET / 200"),
        "2026-11-23T10:00:00.123Z web | GET / 200"
    );
    assert_eq!(
        format_line(at, None, "GET / 200"),
        "2026-11-23T10:00:00.123Z GET / 200"
    );
    assert_eq!(line_time(i64::MAX), i64::MAX.to_string());
    assert!(!labels_lines(1));
    assert!(labels_lines(2));
}
