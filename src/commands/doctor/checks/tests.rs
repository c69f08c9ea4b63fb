use super::*;

#[test]
fn region_names() {
    for good in [
        "us-east-1",
        "eu-central-2",
        "us-gov-west-1",
        "ap-southeast-5",
    ] {
        assert!(region_shaped(good), "{good}");
    }
    for bad in ["", "us-east", "useast1", "US-EAST-1", "us-east-1a", "us--1"] {
        assert!(!region_shaped(bad), "{bad}");
    }
}

#[test]
fn a_line_is_printable_and_carries_the_fix() {
    let check = Check::fail("cluster", "gone\x1b[2J".into(), "create it".into());
    let line = check.line();
    assert!(!line.contains('\x1b'), "{line:?}");
    assert!(
        line.starts_with("✗ cluster: gone") && line.ends_with(" → create it"),
        "{line}"
    );
    assert_eq!(
        Check::pass("region", "us-east-1".into()).line(),
        "✓ region: us-east-1"
    );
}
