use super::*;

fn values(text: &str) -> Vec<(String, Option<String>)> {
    parse(text, &Variables::new())
        .unwrap()
        .into_iter()
        .map(|line| (line.name, line.value))
        .collect()
}

#[test]
fn forms_compose_accepts() {
    let text = "# comment\n\nA=1\nexport B = two words \nC='lit ${A} $x'\nD=\"x\\ny ${A}\" # note\nE=\nF\nG=v # trailing\n";
    assert_eq!(
        values(text),
        vec![
            ("A".into(), Some("1".into())),
            ("B".into(), Some("two words".into())),
            ("C".into(), Some("lit ${A} $x".into())),
            ("D".into(), Some("x\ny 1".into())),
            ("E".into(), Some(String::new())),
            ("F".into(), None),
            ("G".into(), Some("v".into())),
        ]
    );
}

#[test]
fn errors_name_the_line() {
    let error = parse("A=1\nB=\"open\n", &Variables::new()).unwrap_err();
    assert_eq!(
        error,
        EnvFileError {
            line: 2,
            message: "the double quote is not closed on this line".into()
        }
    );
    assert_eq!(
        parse("two words=1\n", &Variables::new()).unwrap_err().line,
        1
    );
    assert!(
        parse("A='x' y\n", &Variables::new())
            .unwrap_err()
            .message
            .contains("follows the closing quote")
    );
}
