use super::*;

fn at(line: usize, column: usize) -> Location {
    Location { line, column }
}

#[test]
fn keys_and_values_carry_their_lines() {
    let root = parse("services:\n  web:\n    image: nginx\n    privileged: true\n").unwrap();
    let services = root.get("services").unwrap();
    let (key, web) = &services.entries().unwrap()[0];
    assert_eq!(key.as_str(), Some("web"));
    assert_eq!(key.at, at(2, 3));
    let (privileged_key, privileged) = &web.entries().unwrap()[1];
    assert_eq!(privileged_key.at, at(4, 5));
    assert_eq!(privileged.value, Value::Bool(true));
}

#[test]
fn numbers_keep_the_text_they_were_written_as() {
    let root = parse("a: 1.10\nb: 8080\nc: '007'\n").unwrap();
    assert_eq!(
        root.get("a").unwrap().scalar_text().as_deref(),
        Some("1.10")
    );
    assert_eq!(
        root.get("b").unwrap().scalar_text().as_deref(),
        Some("8080")
    );
    assert_eq!(root.get("c").unwrap().value, Value::String("007".into()));
}

#[test]
fn merge_keys_and_aliases_are_resolved() {
    let text = "x-base: &base\n  image: app:1\n  init: true\nservices:\n  web:\n    <<: *base\n    image: app:2\n";
    let root = parse(text).unwrap();
    let web = root.get("services").unwrap().get("web").unwrap();
    assert_eq!(web.get("image").unwrap().as_str(), Some("app:2"));
    let init = web.get("init").unwrap();
    assert_eq!(init.value, Value::Bool(true));
    // Reported where it is written: in the anchored mapping.
    assert_eq!(init.at.line, 3);
}

#[test]
fn duplicate_keys_are_a_located_error() {
    let error = parse("services:\n  web:\n    image: a\n    image: b\n").unwrap_err();
    assert_eq!(error.at.map(|at| at.line), Some(4), "{error:?}");
    assert_eq!(
        error.message,
        "`image` is given twice in the same mapping; keep one"
    );
}

#[test]
fn syntax_errors_are_located() {
    let error = parse("services:\n  web: [unclosed\n").unwrap_err();
    assert!(error.at.is_some(), "{error:?}");
    assert!(
        !error.message.starts_with("error:") && !error.message.starts_with("line "),
        "{error:?}"
    );
}

#[test]
fn yaml_1_1_booleans_are_words() {
    let root = parse("a: no\nb: yes\nc: true\nd: False\n").unwrap();
    assert_eq!(root.get("a").unwrap().value, Value::String("no".into()));
    assert_eq!(root.get("b").unwrap().value, Value::String("yes".into()));
    assert_eq!(root.get("c").unwrap().value, Value::Bool(true));
    assert_eq!(root.get("d").unwrap().value, Value::Bool(false));
}

#[test]
fn comments_only_is_an_empty_document() {
    assert_eq!(parse("# nothing yet\n").unwrap().value, Value::Null);
}
