use super::output::age;
use super::*;
use chrono::{Duration, Utc};

#[test]
fn env_overrides_parse_and_bad_ones_explain_the_form() {
    let env = parse_env(&["api:A=1".into(), "api:B=x=y".into(), "web:C=".into()]).unwrap();
    assert_eq!(env["api"]["A"], "1");
    assert_eq!(env["api"]["B"], "x=y");
    assert_eq!(env["web"]["C"], "");
    let err = parse_env(&["api=1".into()]).unwrap_err();
    assert!(err.message().contains("CONTAINER:KEY=VALUE"));
}

#[test]
fn ages_use_the_largest_whole_unit() {
    let now = Utc::now();
    assert_eq!(age(Some(now - Duration::minutes(3)), now), "3m");
    assert_eq!(age(Some(now - Duration::hours(5)), now), "5h");
    assert_eq!(age(Some(now - Duration::days(4)), now), "4d");
    assert_eq!(age(None, now), "-");
}
