use super::*;

#[test]
fn overrides_group_per_container_and_values_may_hold_equals_or_be_empty() {
    let env = parse_env(["api:A=1", "api:B=x=y", "worker:C="]).unwrap();
    assert_eq!(env["api"]["A"], "1");
    assert_eq!(env["api"]["B"], "x=y");
    assert_eq!(env["worker"]["C"], "");
    assert_eq!(env.len(), 2);
}

#[test]
fn a_later_item_for_the_same_variable_wins() {
    let env = parse_env(["api:A=1", "api:A=2"]).unwrap();
    assert_eq!(env["api"]["A"], "2");
}

#[test]
fn a_bad_item_is_named_with_the_form_to_write() {
    for bad in ["api=1", ":A=1", "api:=1", "api:A", "garbage"] {
        let err = parse_env(["api:A=1", bad]).unwrap_err();
        assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        assert!(err.contains("CONTAINER:KEY=VALUE"), "{bad}: {err}");
    }
}

#[test]
fn no_items_is_no_overrides() {
    assert!(parse_env([]).unwrap().is_empty());
}
