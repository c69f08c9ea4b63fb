use super::*;

fn vars(pairs: &[(&str, &str)]) -> Variables {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn text(input: &str, variables: &Variables) -> String {
    interpolate(input, variables).unwrap().text
}

#[test]
fn plain_and_braced_references() {
    let v = vars(&[("TAG", "1.4"), ("EMPTY", "")]);
    assert_eq!(text("app:$TAG", &v), "app:1.4");
    assert_eq!(text("app:${TAG}-slim", &v), "app:1.4-slim");
    assert_eq!(text("cost $$5 and $${TAG}", &v), "cost $5 and ${TAG}");
    assert_eq!(text("${EMPTY}", &v), "");
}

#[test]
fn defaults_alternatives_and_nesting() {
    let v = vars(&[("SET", "x"), ("EMPTY", ""), ("FALLBACK", "fb")]);
    assert_eq!(text("${MISSING:-d}", &v), "d");
    assert_eq!(text("${EMPTY:-d}", &v), "d");
    assert_eq!(text("${EMPTY-d}", &v), "");
    assert_eq!(text("${MISSING-d}", &v), "d");
    assert_eq!(text("${SET:-d}", &v), "x");
    assert_eq!(text("${SET:+alt}", &v), "alt");
    assert_eq!(text("${EMPTY:+alt}", &v), "");
    assert_eq!(text("${EMPTY+alt}", &v), "alt");
    assert_eq!(text("${MISSING:-${FALLBACK}}", &v), "fb");
}

#[test]
fn unset_variables_become_empty_and_are_named() {
    let result = interpolate("${A}/$B/${A}", &Variables::new()).unwrap();
    assert_eq!(result.text, "//");
    assert_eq!(result.unset, vec!["A".to_string(), "B".to_string()]);
}

#[test]
fn required_variables_and_bad_syntax_are_errors() {
    let v = Variables::new();
    assert_eq!(
        interpolate("${DB:?give a database}", &v).unwrap_err(),
        "the variable DB must be set: give a database"
    );
    assert_eq!(
        interpolate("${DB?}", &v).unwrap_err(),
        "the variable DB must be set"
    );
    assert!(
        interpolate("${DB", &v)
            .unwrap_err()
            .contains("is not closed")
    );
    assert!(
        interpolate("echo $1", &v)
            .unwrap_err()
            .contains("write `$$`")
    );
    assert!(
        interpolate("${1A}", &v)
            .unwrap_err()
            .contains("does not name a variable")
    );
    assert!(
        interpolate("${A#x}", &v)
            .unwrap_err()
            .contains("is not a variable reference")
    );
}
