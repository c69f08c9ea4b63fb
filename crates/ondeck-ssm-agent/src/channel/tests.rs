use super::*;

#[test]
fn iso8601_formats_known_instants() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
    assert_eq!(iso8601(1_767_225_599_999), "2025-12-31T23:59:59.999Z");
}
