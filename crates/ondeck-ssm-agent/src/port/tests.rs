use super::*;

#[test]
fn versions_compare_numerically_and_ignore_trailing_zeros() {
    assert!(parse_version("1.2.707.0") >= parse_version("1.1.70"));
    assert!(parse_version("1.1.9") < parse_version("1.1.70"));
    assert_eq!(parse_version("1.2.331.0"), parse_version("1.2.331"));
    assert_eq!(parse_version("ondeck"), None);
}
