//! The log pane's keys and notes: search, focus, save and copy, full screen, sideways scroll,
//! and the streams a running tail gains, drops or cannot read.

use super::*;

#[test]
fn typing_a_search_takes_q_as_a_letter() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        vec![event(0, 1, "select * from queue"), event(0, 2, "done")],
    );
    press(&mut state, Key::char('/'));
    for c in "queue".chars() {
        let effects = press(&mut state, Key::char(c));
        assert!(effects.is_empty(), "{c}: {effects:?}");
    }
    assert!(!state.quitting);
    assert!(state.logs.is_some(), "q did not close the pane");
    press(&mut state, Key::plain(KeyCode::Enter));
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.view.search().map(|s| s.query()), Some("queue"));
    let matched = logs
        .view
        .current_match()
        .and_then(|seq| logs.buffer.get(seq));
    assert_eq!(
        matched.map(|l| l.text.text.as_str()),
        Some("select * from queue")
    );
    assert!(logs.search_input.is_none());
}

#[test]
fn digits_focus_a_container_and_zero_shows_all() {
    let mut state = dashboard();
    open(&mut state);
    press(&mut state, Key::char('2'));
    assert_eq!(state.logs.as_ref().unwrap().view.focus(), Some(1));
    press(&mut state, Key::char('7'));
    assert_eq!(state.logs.as_ref().unwrap().view.focus(), Some(1));
    assert!(state.message.as_ref().unwrap().text.contains("has 2"));
    press(&mut state, Key::char('0'));
    assert_eq!(state.logs.as_ref().unwrap().view.focus(), None);
}

#[test]
fn a_new_task_adds_its_streams_to_the_running_tail_and_keeps_the_lines() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        vec![event(0, 500_000, "one"), event(1, 500_001, "two")],
    );
    let mut grown = web("a", &[T1, T2]);
    grown.created_at = Some(at(9, 30));
    let effects = refresh(
        &mut state,
        1,
        vec![grown.clone(), web("b", &[T2])],
        logging_definitions("awslogs"),
    );
    assert!(
        started(&effects).is_empty() && stopped(&effects).is_empty(),
        "the tail keeps running: {effects:?}"
    );
    let added: Vec<_> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::AddTailSources { tail_id, sources } => Some((*tail_id, sources)),
            _ => None,
        })
        .collect();
    assert_eq!(added.len(), 1, "{effects:?}");
    let (to, sources) = added[0];
    assert_eq!(to, tail);
    let streams: Vec<(u16, &str)> = sources
        .iter()
        .map(|s| (s.index, s.stream.stream.as_str()))
        .collect();
    assert_eq!(
        streams,
        [
            (2, &*format!("ecs/api/{T2}")),
            (3, &*format!("ecs/redis/{T2}"))
        ],
        "only the new streams, numbered after the known ones"
    );
    assert_eq!(state.logs.as_ref().unwrap().labels.len(), 4);

    // The tail sends the new streams' lines; what was shown stays.
    deliver(&mut state, tail, vec![event(2, 500_002, "three")]);
    assert_eq!(texts(&state), vec!["one", "two", "three"]);

    let again = refresh(
        &mut state,
        2,
        vec![grown, web("b", &[T2])],
        logging_definitions("awslogs"),
    );
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Effect::AddTailSources { .. } | Effect::StartTail { .. })),
        "known streams are not added again: {again:?}"
    );
}

#[test]
fn unreadable_containers_get_a_note_and_no_stream() {
    let mut state = app(false, at(10, 0));
    refresh(
        &mut state,
        0,
        vec![web("a", &[T1])],
        logging_definitions("awsfirelens"),
    );
    let tails = {
        let effects = press(&mut state, Key::plain(KeyCode::Enter));
        started(&effects).len()
    };
    assert_eq!(tails, 1);
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.sources.len(), 1);
    assert_eq!(logs.notes.len(), 1);
    assert!(logs.notes[0].contains("redis") && logs.notes[0].contains("awsfirelens"));
}

#[test]
fn save_and_copy_name_their_effects() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(
        &mut state,
        tail,
        vec![event(0, 1, "first"), event(1, 2, "last")],
    );
    let effects = press(&mut state, Key::char('S'));
    let [
        Effect::SaveLogs {
            path,
            buffer,
            labels,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("expected a save, got {effects:?}");
    };
    assert_eq!(path.to_str(), Some("ondeck-a-20261123-100000.log"));
    assert_eq!(buffer.len(), 2);
    assert_eq!(
        labels.len(),
        2,
        "each line is saved with its container: {labels:?}"
    );
    update(
        &mut state,
        Action::LogsSaved {
            result: Ok((PathBuf::from("/work/ondeck-a.log"), 2)),
        },
    );
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "saved 2 lines to /work/ondeck-a.log"
    );
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, vec![Effect::Copy("last".into())]);
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "copied 4 characters: last",
        "the status line shows what was copied"
    );
}

#[test]
fn full_screen_toggles_and_survives_an_instance_switch() {
    let mut state = dashboard();
    open(&mut state);
    press(&mut state, Key::char('z'));
    assert!(state.logs.as_ref().unwrap().full_screen);
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::char('j'));
    assert!(state.logs.as_ref().unwrap().full_screen);
}

#[test]
fn lines_the_tail_dropped_are_counted_in_the_title() {
    let mut state = dashboard();
    let tail = open(&mut state);
    let title = |state: &AppState| {
        state
            .logs
            .as_ref()
            .unwrap()
            .status_text(chrono::FixedOffset::east_opt(0).unwrap(), false)
    };
    assert!(!title(&state).contains("dropped"), "{}", title(&state));
    for lines in [7, 5] {
        state.dirty = false;
        update(
            &mut state,
            Action::Tail {
                tail_id: tail,
                message: TailMessage::Dropped { lines },
            },
        );
        assert!(state.dirty);
    }
    assert_eq!(title(&state), "connecting · 12 lines dropped");
    // A stale tail's drops are not this pane's.
    update(
        &mut state,
        Action::Tail {
            tail_id: tail + 1,
            message: TailMessage::Dropped { lines: 100 },
        },
    );
    assert_eq!(title(&state), "connecting · 12 lines dropped");
}

#[test]
fn a_container_the_tail_stopped_reading_gets_a_note_and_the_others_go_on() {
    let mut state = dashboard();
    let tail = open(&mut state);
    deliver(&mut state, tail, vec![event(0, 500_000, "one")]);
    state.dirty = false;
    update(
        &mut state,
        Action::Tail {
            tail_id: tail,
            message: TailMessage::SourceStopped {
                source: 1,
                reason: "cannot read the logs of redis: log group /ecs/x not found\u{1b}[31m"
                    .into(),
            },
        },
    );
    assert!(state.dirty);
    let notes = |state: &AppState| state.logs.as_ref().unwrap().notes.clone();
    assert_eq!(
        notes(&state),
        ["cannot read the logs of redis: log group /ecs/x not found"],
        "said once, sanitized"
    );
    deliver(&mut state, tail, vec![event(0, 500_001, "two")]);
    assert_eq!(texts(&state), vec!["one", "two"]);
    let title = state
        .logs
        .as_ref()
        .unwrap()
        .status_text(chrono::FixedOffset::east_opt(0).unwrap(), false);
    assert!(!title.contains("stopped"), "{title}");

    // A fresh look at the instance keeps the note; a new tail tries every container again.
    let mut newest = web("a", &[T1]);
    newest.created_at = Some(at(9, 30));
    refresh(
        &mut state,
        1,
        vec![newest, web("b", &[T2])],
        logging_definitions("awslogs"),
    );
    assert_eq!(notes(&state).len(), 1);
    let effects = press(&mut state, Key::char('s'));
    assert_eq!(started(&effects).len(), 1);
    assert!(notes(&state).is_empty(), "{:?}", notes(&state));
}

#[test]
fn arrows_and_h_l_scroll_unwrapped_lines_sideways() {
    let mut state = dashboard();
    open(&mut state);
    let column = |state: &AppState| state.logs.as_ref().unwrap().view.column();
    press(&mut state, Key::plain(KeyCode::Right));
    assert_eq!(column(&state), 0);
    assert!(
        state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("w turns wrapping off"),
        "wrapped lines say why nothing moved"
    );
    press(&mut state, Key::char('w'));
    press(&mut state, Key::plain(KeyCode::Right));
    press(&mut state, Key::char('l'));
    assert_eq!(column(&state), 16);
    press(&mut state, Key::char('h'));
    assert_eq!(column(&state), 8);
    press(&mut state, Key::plain(KeyCode::Left));
    press(&mut state, Key::plain(KeyCode::Left));
    assert_eq!(column(&state), 0);
}
