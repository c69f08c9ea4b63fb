use super::*;

#[test]
fn env_overrides_parse_and_bad_ones_explain_the_form() {
    let env = parse_env(&["api:A=1".into(), "api:B=x=y".into(), "web:C=".into()]).unwrap();
    assert_eq!(env["api"]["A"], "1");
    assert_eq!(env["api"]["B"], "x=y");
    assert_eq!(env["web"]["C"], "");
    let err = parse_env(&["api=1".into()]).unwrap_err();
    assert!(err.message().contains("CONTAINER:KEY=VALUE"));
}
