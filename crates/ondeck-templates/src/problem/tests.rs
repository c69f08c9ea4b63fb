use super::*;

#[test]
fn offsets_become_lines_and_character_columns() {
    let text = "a: 1\nbé: 2\n";
    assert_eq!(
        Location::of_offset(text, 0),
        Location { line: 1, column: 1 }
    );
    assert_eq!(
        Location::of_offset(text, 5),
        Location { line: 2, column: 1 }
    );
    // "é" is two bytes; the column counts characters.
    assert_eq!(
        Location::of_offset(text, 9),
        Location { line: 2, column: 4 }
    );
}

#[test]
fn display_names_file_line_container_and_key() {
    let mut origins = Origins::new(Path::new("compose.yml"), "service");
    origins.record(
        "web",
        "privileged",
        "services.web.privileged",
        Location { line: 7, column: 5 },
    );
    let problem = origins.problem(Severity::Error, Some("web"), "privileged", "no".into());
    assert_eq!(
        problem.to_string(),
        "compose.yml:7:5: service `web`: key `services.web.privileged`: no"
    );
}
