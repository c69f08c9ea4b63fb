use super::*;
use crate::state::Mode;
use crate::state::fixtures::*;

fn typed(text: &str) -> CommandLine {
    let mut line = CommandLine::default();
    for c in text.chars() {
        assert_eq!(line.key(Key::char(c)), Outcome::Open);
    }
    line
}

#[test]
fn enter_submits_the_line_as_typed_and_edited() {
    let mut line = typed("launch wbe");
    line.key(Key::plain(KeyCode::Left));
    line.key(Key::plain(KeyCode::Left));
    line.key(Key::char('e'));
    line.key(Key::plain(KeyCode::End));
    line.key(Key::plain(KeyCode::Backspace));
    assert_eq!(
        line.key(Key::plain(KeyCode::Enter)),
        Outcome::Done("launch web".into())
    );
}

#[test]
fn esc_leaves_and_backspace_leaves_only_an_empty_line() {
    assert_eq!(
        typed("quit").key(Key::plain(KeyCode::Esc)),
        Outcome::Cancelled
    );
    let mut line = typed("q");
    assert_eq!(line.key(Key::plain(KeyCode::Backspace)), Outcome::Open);
    assert_eq!(line.key(Key::plain(KeyCode::Backspace)), Outcome::Cancelled);
}

#[test]
fn a_pasted_line_waits_for_enter() {
    let mut line = CommandLine::default();
    line.input.paste("destroy one\n");
    assert_eq!(line.input.text(), "destroy one ");
    assert_eq!(
        line.key(Key::plain(KeyCode::Enter)),
        Outcome::Done("destroy one ".into())
    );
}

#[test]
fn lines_name_their_commands() {
    assert_eq!(parse("  "), Ok(LineCommand::Nothing));
    assert_eq!(parse("q"), Ok(LineCommand::Quit));
    assert_eq!(parse("quit"), Ok(LineCommand::Quit));
    assert_eq!(
        parse("launch web"),
        Ok(LineCommand::Launch {
            template: "web".into(),
            name: None
        })
    );
    assert_eq!(
        parse(" launch  web demo "),
        Ok(LineCommand::Launch {
            template: "web".into(),
            name: Some("demo".into())
        })
    );
    assert_eq!(
        parse("destroy bob/one"),
        Ok(LineCommand::Destroy("bob/one".into()))
    );
    assert_eq!(
        parse("profile prod"),
        Ok(LineCommand::Profile("prod".into()))
    );
}

#[test]
fn an_unknown_line_says_what_would_work() {
    for line in ["launch", "launch a b c", "destroy", "frobnicate"] {
        let error = parse(line).unwrap_err();
        assert!(
            error.starts_with(&format!("unknown command `:{line}`")),
            "{error}"
        );
        assert!(error.contains(":launch TEMPLATE [NAME]"), "{error}");
    }
}

// Through `update`: the line as `:` opens it.

#[test]
fn the_command_line_names_instances_as_the_cli_does() {
    let mut state = everyone(None, vec![owned_by("alice", "one"), owned_by("ana", "one")]);
    let mut destroy = |line: &str| {
        press(&mut state, Key::char(':'));
        type_text(&mut state, line);
        press(&mut state, Key::plain(KeyCode::Enter));
        let asked = match &state.mode {
            Mode::Confirm(confirm) => Ok(confirm.targets[0].id.to_string()),
            _ => Err(state.message.clone().unwrap().text),
        };
        press(&mut state, Key::plain(KeyCode::Esc));
        asked
    };
    assert_eq!(destroy("destroy one"), Ok("ana/one".into()));
    assert_eq!(destroy("destroy alice/one"), Ok("alice/one".into()));
    let missing = destroy("destroy carol/one").unwrap_err();
    assert!(
        missing.contains("no instance named `carol/one`"),
        "{missing}"
    );
}
