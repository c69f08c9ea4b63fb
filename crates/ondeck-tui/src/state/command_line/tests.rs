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
    for line in ["launch a b c", "destroy a b", "frobnicate"] {
        let error = parse(line).unwrap_err();
        assert!(
            error.starts_with(&format!("unknown command `:{line}`")),
            "{error}"
        );
        assert!(error.contains(":launch [TEMPLATE [NAME]]"), "{error}");
    }
}

#[test]
fn bare_commands_open_their_dialogs_and_editor_habits_quit_or_are_answered() {
    assert_eq!(parse("launch"), Ok(LineCommand::LaunchDialog));
    assert_eq!(parse("destroy"), Ok(LineCommand::DestroySelected));
    assert_eq!(parse("profile"), Ok(LineCommand::ProfilePicker));
    for help in ["help", "h", "?"] {
        assert_eq!(parse(help), Ok(LineCommand::Help), "{help}");
    }
    for quit in ["q!", "wq", "x", "qa", "exit", "quit!"] {
        assert_eq!(parse(quit), Ok(LineCommand::Quit), "{quit}");
    }
    let write = parse("w").unwrap_err();
    assert!(write.contains(":q quits"), "{write}");
}

fn words() -> Completions {
    Completions {
        templates: vec!["web".into(), "worker".into()],
        instances: vec!["api-demo".into(), "api-two".into(), "bob/jobs".into()],
        profiles: vec!["dev".into(), "prod".into()],
    }
}

fn completed(text: &str) -> CommandLine {
    let mut line = typed(text);
    line.complete(&words());
    line
}

#[test]
fn tab_completes_commands_then_what_each_takes() {
    assert_eq!(completed("la").input.text(), "launch ");
    assert_eq!(completed("launch wo").input.text(), "launch worker ");
    assert_eq!(completed("destroy b").input.text(), "destroy bob/jobs ");
    assert_eq!(completed("profile p").input.text(), "profile prod ");
    // Several: as far as they agree, and listed.
    let line = completed("launch w");
    assert_eq!(line.input.text(), "launch w");
    assert_eq!(line.matches, vec!["web", "worker"]);
    let line = completed("destroy a");
    assert_eq!(line.input.text(), "destroy api-");
    assert_eq!(line.matches, vec!["api-demo", "api-two"]);
    let line = completed("");
    assert_eq!(line.matches.len(), 5, "every command");
    // Nothing matches, or nothing is taken there: the line stays.
    assert_eq!(completed("launch zz").input.text(), "launch zz");
    assert_eq!(completed("launch web na").input.text(), "launch web na");
}

#[test]
fn up_and_down_walk_earlier_lines_and_give_back_the_draft() {
    let mut history = Vec::new();
    for line in ["launch web", "launch web", " ", "destroy one"] {
        remember(&mut history, line);
    }
    assert_eq!(
        history,
        vec!["launch web", "destroy one"],
        "no repeats, no blanks"
    );
    let mut line = CommandLine::new(&history);
    line.input.paste("prof");
    line.key(Key::plain(KeyCode::Up));
    assert_eq!(line.input.text(), "destroy one");
    line.key(Key::plain(KeyCode::Up));
    line.key(Key::plain(KeyCode::Up));
    assert_eq!(line.input.text(), "launch web", "stops at the oldest");
    line.key(Key::plain(KeyCode::Down));
    assert_eq!(line.input.text(), "destroy one");
    line.key(Key::plain(KeyCode::Down));
    assert_eq!(line.input.text(), "prof");
}

#[test]
fn the_history_is_bounded() {
    let mut history = Vec::new();
    for n in 0..HISTORY_LINES + 10 {
        remember(&mut history, &format!("destroy n{n}"));
    }
    assert_eq!(history.len(), HISTORY_LINES);
    assert_eq!(history[0], "destroy n10");
}

// Through `update`: the line as `:` opens it.

fn run(state: &mut crate::state::AppState, line: &str) {
    press(state, Key::char(':'));
    type_text(state, line);
    press(state, Key::plain(KeyCode::Enter));
}

#[test]
fn bare_commands_open_the_matching_dialog() {
    let mut state = loaded(vec![running("a")]);
    run(&mut state, "launch");
    assert!(matches!(state.mode, Mode::Launch(_)), "{:?}", state.mode);
    press(&mut state, Key::plain(KeyCode::Esc));
    run(&mut state, "destroy");
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.targets[0].id.name == "a"));
    press(&mut state, Key::plain(KeyCode::Esc));
    run(&mut state, "profile");
    assert!(matches!(state.mode, Mode::Profiles(_)), "{:?}", state.mode);
    press(&mut state, Key::plain(KeyCode::Esc));
    run(&mut state, "help");
    assert!(matches!(state.mode, Mode::Help(_)), "{:?}", state.mode);
    press(&mut state, Key::plain(KeyCode::Esc));
    run(&mut state, "wq");
    assert!(state.quitting);
}

#[test]
fn destroying_an_unknown_name_says_so_before_asking() {
    let mut state = loaded(vec![running("a")]);
    run(&mut state, "destroy nope");
    assert_eq!(state.mode, Mode::Normal, "nothing to confirm");
    let message = state.message.clone().unwrap();
    assert!(
        message.text.contains("no instance named `nope`"),
        "{}",
        message.text
    );
}

#[test]
fn launching_an_unknown_template_says_so_before_asking_aws() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char(':'));
    type_text(&mut state, "launch wbe");
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert!(!state.waiting());
    let message = state.message.clone().unwrap();
    assert_eq!(
        message.text,
        "template `wbe` is not in profile dev; known templates: web, worker"
    );
}

#[test]
fn tab_and_history_through_update() {
    let mut state = loaded(vec![running("alpha")]);
    press(&mut state, Key::char(':'));
    type_text(&mut state, "destroy al");
    press(&mut state, Key::plain(KeyCode::Tab));
    let Mode::CommandLine(line) = &state.mode else {
        panic!("the line closed on tab");
    };
    assert_eq!(line.input.text(), "destroy alpha ");
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::plain(KeyCode::Esc)); // keeps alpha
    press(&mut state, Key::char(':'));
    press(&mut state, Key::plain(KeyCode::Up));
    assert!(matches!(&state.mode, Mode::CommandLine(line) if line.input.text() == "destroy alpha"));
}

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
