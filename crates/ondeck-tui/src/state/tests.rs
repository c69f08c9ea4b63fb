//! `update` across the parts: writes and their answers, the journal, the clock, pastes and the
//! layout. Each part's own behaviour is tested beside it (`poller/tests.rs`, `table/tests.rs` …).

use chrono::Duration;

use super::fixtures::*;
use super::keymap::{Key, KeyCode};
use super::table::SortKey;
use super::timeline::Journal;
use super::*;
use ondeck_core::instances::InstanceState;
use ondeck_core::model::TaskState;

#[test]
fn destroy_answer_triggers_a_refresh_and_the_row_walks_the_stop_sequence() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::ctrl('d'));
    let Effect::Destroy { req, .. } = press(&mut state, Key::char('y')).remove(0) else {
        panic!("no destroy");
    };
    let stopped = Destroyed {
        tasks_stopped: 1,
        services_deleted: 0,
    };
    let effects = update(
        &mut state,
        Action::Destroyed {
            req,
            result: Ok(stopped),
        },
    );
    let req = refresh_req(&effects);
    for (minute, state_word) in [
        (1, TaskState::Stopping),
        (2, TaskState::Deprovisioning),
        (3, TaskState::Stopped),
    ] {
        let mut stopping = task("a", "a-1", state_word.clone());
        stopping.desired_status = "STOPPED".into();
        stopping.stop_code = Some("UserInitiated".into());
        let req = if minute == 1 {
            req
        } else {
            refresh_req(&update(&mut state, Action::Tick(at(10, minute))))
        };
        answer(
            &mut state,
            req,
            at(10, minute),
            snapshot(vec![instance("a", vec![stopping])]),
        );
        assert_eq!(
            state.rows()[0].state,
            InstanceState::Lifecycle(state_word.clone())
        );
        if state_word != TaskState::Stopped {
            assert_eq!(
                state.poller.next_refresh_at(),
                Some(at(10, minute) + Duration::seconds(3)),
                "busy while stopping"
            );
        }
    }
}

#[test]
fn read_only_refuses_writes_with_a_message() {
    let mut state = loaded(vec![running("a")]);
    state.read_only = true;
    for key in [
        Key::ctrl('d'),
        Key::char('n'),
        Key::char('e'),
        Key::char('P'),
        Key::char('R'),
        Key::ctrl('r'),
    ] {
        assert!(press(&mut state, key).is_empty());
        assert_eq!(state.mode, Mode::Normal);
        let message = state.message.clone().unwrap();
        assert_eq!(message.kind, MessageKind::Error);
        assert!(message.text.contains("read-only"), "{}", message.text);
    }
    press(&mut state, Key::char(':'));
    type_text(&mut state, "launch web");
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
}

/// `e`, then enter on the prefilled duration: the extend effect.
fn extend_now(state: &mut AppState) -> Vec<Effect> {
    assert!(press(state, Key::char('e')).is_empty(), "e only asks");
    press(state, Key::plain(KeyCode::Enter))
}

#[test]
fn extend_asks_how_long_for_the_selected_instance_prefilled_with_its_ttl() {
    let mut state = loaded(vec![running("a"), running("b")]);
    press(&mut state, Key::char('j'));
    assert!(press(&mut state, Key::char('e')).is_empty());
    let Mode::Extend(dialog) = &state.mode else {
        panic!("no extend dialog: {:?}", state.mode);
    };
    assert_eq!(
        (dialog.targets[0].name.as_str(), dialog.by.text()),
        ("b", "8h")
    );
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Extend { target, by, .. }]
            if target.name == "b" && *by == Duration::hours(8)),
        "{effects:?}"
    );
    assert!(state.waiting());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.message.unwrap().text, "extending b by 8h…");
}

#[test]
fn extend_takes_the_duration_typed_and_refuses_a_bad_one_in_place() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::char('e'));
    press(&mut state, Key::ctrl('u'));
    type_text(&mut state, "90s");
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    let Mode::Extend(dialog) = &state.mode else {
        panic!("the dialog closed on bad input: {:?}", state.mode);
    };
    assert_eq!(dialog.by.text(), "90s", "what was typed is kept");
    let why = dialog.error.clone().expect("a reason");
    assert!(why.contains("seconds are too fine"), "{why}");
    assert!(!state.waiting());
    press(&mut state, Key::plain(KeyCode::Backspace));
    press(&mut state, Key::plain(KeyCode::Backspace));
    type_text(&mut state, "m");
    let Mode::Extend(dialog) = &state.mode else {
        panic!("closed");
    };
    assert_eq!(dialog.error, None, "an edit clears the reason");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Extend { by, .. }] if *by == Duration::minutes(9)),
        "{effects:?}"
    );
}

#[test]
fn pressing_e_twice_asks_twice_and_extends_once() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::char('e'));
    // The second `e` is typed into the field, not a second extend.
    assert!(press(&mut state, Key::char('e')).is_empty());
    assert!(matches!(&state.mode, Mode::Extend(d) if d.by.text() == "8he"));
    assert!(press(&mut state, Key::plain(KeyCode::Esc)).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.message.clone().unwrap().text, "a kept as it was");
    assert!(!state.waiting());
}

#[test]
fn extend_works_for_a_template_without_ttl_or_not_in_the_profile() {
    let mut unknown = running("unknown");
    unknown.template = "batch".into();
    let mut state = loaded(vec![unknown, running("no-ttl")]);
    state
        .profile
        .templates
        .get_mut("web")
        .expect("web template")
        .ttl = None;
    state.table.sort = SortKey::Name;
    for name in ["unknown", "no-ttl"] {
        select(&mut state, name);
        press(&mut state, Key::char('e'));
        assert!(
            matches!(&state.mode, Mode::Extend(d) if d.by.text() == "1h"),
            "{name}"
        );
        let effects = press(&mut state, Key::plain(KeyCode::Enter));
        assert!(
            matches!(effects.as_slice(), [Effect::Extend { target, by, .. }]
                if target.name == name && *by == Duration::hours(1)),
            "{name}: {effects:?}"
        );
    }
}

#[test]
fn a_paste_into_the_extend_field_never_submits_it() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::char('e'));
    press(&mut state, Key::ctrl('u'));
    assert!(update(&mut state, Action::Paste("2h\n".into())).is_empty());
    assert!(matches!(&state.mode, Mode::Extend(d) if d.by.text() == "2h "));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Extend { by, .. }] if *by == Duration::hours(2)),
        "{effects:?}"
    );
}

#[test]
fn extend_answer_shows_the_new_expiry_at_once_and_refreshes() {
    let mut state = loaded(vec![running("a")]);
    let Effect::Extend { req, .. } = extend_now(&mut state).remove(0) else {
        panic!("no extend");
    };
    let until = at(18, 30);
    let effects = update(
        &mut state,
        Action::Extended {
            req,
            result: Ok(until),
        },
    );
    refresh_req(&effects);
    assert_eq!(state.rows()[0].expires_at, Some(until));
    let message = state.message.clone().unwrap();
    assert_eq!(message.kind, MessageKind::Info);
    assert_eq!(
        message.text,
        "a extended: expires 2026-11-23 18:30 UTC, in 8h 30m"
    );
}

#[test]
fn extend_failure_shows_the_error_and_refreshes() {
    let mut state = loaded(vec![running("a")]);
    let Effect::Extend { req, .. } = extend_now(&mut state).remove(0) else {
        panic!("no extend");
    };
    let error = "AWS denied ecs:TagResource; ask an admin to allow it";
    let effects = update(
        &mut state,
        Action::Extended {
            req,
            result: Err(error.into()),
        },
    );
    refresh_req(&effects);
    let message = state.message.clone().unwrap();
    assert_eq!(
        (message.kind, message.text.as_str()),
        (MessageKind::Error, error)
    );
    assert_eq!(state.rows()[0].expires_at, None);
}

#[test]
fn extend_refuses_what_it_cannot_extend_before_asking_aws() {
    let mut theirs = running("theirs");
    theirs.owner = "bob".into();
    let mut stopped = instance("stopped", vec![task("stopped", "s-1", TaskState::Stopped)]);
    stopped.created_at = Some(at(8, 0));
    let mut state = loaded(vec![theirs, stopped]);
    state.table.sort = SortKey::Name;
    for (name, reason) in [("theirs", "belongs to bob"), ("stopped", "has stopped")] {
        select(&mut state, name);
        assert!(press(&mut state, Key::char('e')).is_empty(), "{name}");
        assert_eq!(state.mode, Mode::Normal, "{name}: nothing to ask");
        let message = state.message.clone().unwrap();
        assert_eq!(message.kind, MessageKind::Error);
        assert!(message.text.contains(reason), "{name}: {}", message.text);
        assert!(!state.waiting());
    }
}

#[test]
fn copy_sends_the_first_endpoint() {
    let mut state = loaded(vec![running("a")]);
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, vec![Effect::Copy("10.0.1.23:8080".into())]);
}

#[test]
fn refreshes_write_new_timeline_entries_to_the_journal() {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    let effects = answer(&mut state, req, at(10, 0), snapshot(vec![running("a")]));
    assert!(matches!(
        effects.as_slice(),
        [Effect::AppendJournal { profile, entries }] if profile == "dev" && !entries.is_empty()
    ));
    let req = refresh_req(&press(&mut state, Key::char('r')));
    let effects = answer(&mut state, req, at(10, 1), snapshot(vec![running("a")]));
    assert!(effects.is_empty(), "nothing changed, nothing appended");
}

#[test]
fn a_journal_with_skipped_lines_keeps_its_entries_and_says_how_many_were_skipped() {
    let mut state = loaded(vec![running("a")]);
    let observed = state.journal.entries().len();
    let mut kept = Journal::new(100);
    let entries = kept.observe(&[running("b")], at(9, 0));
    let journal = |skipped| Action::JournalLoaded {
        profile: "dev".into(),
        entries: entries.clone(),
        skipped,
    };
    update(&mut state, journal(0));
    assert_eq!(state.message, None, "a clean journal is no news");
    update(&mut state, journal(3));
    assert_eq!(state.journal.entries().len(), observed + entries.len());
    let message = state.message.as_ref().expect("a message");
    assert_eq!(message.kind, MessageKind::Info);
    assert_eq!(
        message.text,
        "timeline journal: skipped 3 unreadable lines, kept the rest"
    );
}

#[test]
fn ticks_redraw_only_when_the_minute_changes_or_something_is_waiting() {
    let mut state = loaded(vec![running("a")]);
    state.dirty = false;
    update(&mut state, Action::Tick(at(10, 0) + Duration::seconds(20)));
    assert!(!state.dirty);
    update(&mut state, Action::Tick(at(10, 1)));
    assert!(state.dirty);
}

#[test]
fn q_and_ctrl_c_quit_and_the_terminal_going_away_does_too() {
    for action in [
        Action::Key(Key::char('q')),
        Action::Key(Key::ctrl('c')),
        Action::TerminalClosed,
    ] {
        let mut state = loaded(vec![running("a")]);
        assert!(update(&mut state, action.clone()).is_empty());
        assert!(state.quitting, "{action:?}");
    }
    // Ctrl-c quits from inside a dialog too.
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::ctrl('c'));
    assert!(state.quitting);
}

fn paste(state: &mut AppState, text: &str) -> Vec<Effect> {
    update(state, Action::Paste(text.into()))
}

#[test]
fn a_paste_outside_a_text_field_does_nothing() {
    let mut state = loaded(vec![running("a")]);
    state.dirty = false;
    // As keys, this would destroy (y after ctrl-d is not typed here) or quit.
    assert!(paste(&mut state, "q\nnd").is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert!(!state.quitting);
    assert!(!state.dirty, "nothing changed on screen");
    press(&mut state, Key::char('?'));
    paste(&mut state, "x");
    assert_eq!(
        state.mode,
        Mode::Help(help::Help::default()),
        "a paste is not a key"
    );
}

#[test]
fn a_paste_into_the_filter_filters_live_and_leaves_it_open() {
    let mut state = loaded(vec![running("api-one"), running("db")]);
    press(&mut state, Key::char('/'));
    paste(&mut state, "api\n");
    assert_eq!(
        state.mode,
        Mode::Filter,
        "the newline did not close the filter"
    );
    assert_eq!(state.table.filter.text(), "api ");
    assert_eq!(
        names(&state),
        Vec::<String>::new(),
        "`api ` matches nothing"
    );
    press(&mut state, Key::plain(KeyCode::Backspace));
    assert_eq!(names(&state), vec!["api-one"]);
    assert_eq!(selected_name(&state), Some("api-one"));
}

#[test]
fn a_pasted_line_waits_for_its_enter() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char(':'));
    assert!(paste(&mut state, "launch web demo\n").is_empty());
    assert!(
        matches!(&state.mode, Mode::CommandLine(line) if line.input.text() == "launch web demo ")
    );
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Launch { request, .. }] if request.name.as_deref() == Some("demo")),
        "{effects:?}"
    );
}

#[test]
fn a_paste_into_the_launch_dialog_never_submits_it() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    assert!(paste(&mut state, "demo\n\n\n").is_empty());
    let Mode::Launch(dialog) = &state.mode else {
        panic!("the dialog closed: {:?}", state.mode);
    };
    assert_eq!(dialog.name.text(), "demo   ");
}

#[test]
fn a_pasted_name_confirms_nothing_until_enter() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('G'));
    press(&mut state, Key::ctrl('d'));
    assert!(paste(&mut state, "one").is_empty());
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.typed.text() == "one"));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Destroy { target, .. }] if target.owner == "bob"),
        "{effects:?}"
    );
}

#[test]
fn a_paste_into_the_log_search_is_typed_into_it() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::char('/'));
    paste(&mut state, "GET /health\n");
    let logs = state.logs.as_ref().expect("the log pane");
    assert_eq!(
        logs.search_input.as_ref().map(|s| s.text()),
        Some("GET /health ")
    );
    assert_eq!(logs.view.search(), None, "not searched until enter");
}

fn layout(table_rows: usize, pane_rows: usize) -> Action {
    Action::Layout(ScreenLayout {
        width: 80,
        height: 24,
        table_rows,
        pane_rows,
    })
}

#[test]
fn the_layout_sets_how_far_a_page_moves_and_keeps_the_selection_on_screen() {
    let many = (0..40).map(|n| running(&format!("box-{n:02}"))).collect();
    let mut state = loaded(many);
    state.table.sort = SortKey::Name;
    update(&mut state, layout(19, 5));
    press(&mut state, Key::plain(KeyCode::PageDown));
    assert_eq!(selected_name(&state), Some("box-19"), "a page of 19 rows");
    assert_eq!(state.table.top(), 1);
    state.dirty = false;
    update(&mut state, layout(19, 5));
    assert!(!state.dirty, "the same layout again changes nothing");

    // A smaller table (a pane opened) brings the selection back on screen.
    update(&mut state, layout(8, 5));
    assert!(state.dirty);
    assert_eq!(state.table.top(), 12);
    press(&mut state, Key::plain(KeyCode::PageUp));
    assert_eq!(selected_name(&state), Some("box-11"));

    // The detail pane scrolls by its own height.
    press(&mut state, Key::char('d'));
    press(&mut state, Key::plain(KeyCode::Tab));
    assert_eq!(state.focus, Focus::Pane);
    press(&mut state, Key::plain(KeyCode::PageDown));
    assert_eq!(state.pane_scroll, 5);
}

#[test]
fn a_resize_alone_redraws() {
    let mut state = loaded(vec![running("a")]);
    update(&mut state, layout(19, 5));
    state.dirty = false;
    let wider = ScreenLayout {
        width: 100,
        ..state.layout
    };
    update(&mut state, Action::Layout(wider));
    assert!(state.dirty, "wider, same rows: still a new frame");
}

#[test]
fn the_timeline_and_the_detail_go_to_their_first_and_last_lines_as_every_list_does() {
    let web = running("web");
    let task_arn = web.tasks[0].task_arn.clone();
    let mut state = loaded(vec![web]);
    let entries = (0..30).map(|minute| timeline::TimelineEntry {
        at: at(9, minute),
        instance: "web".into(),
        task_arn: task_arn.clone(),
        task_definition: "web:1".into(),
        event: timeline::TimelineEvent::Ecs(format!("event{minute}")),
    });
    state.journal = Journal::from_entries(entries, Journal::DEFAULT_CAP);
    update(&mut state, layout(5, 5));
    press(&mut state, Key::char('t'));
    press(&mut state, Key::plain(KeyCode::Tab));
    // It opens on its newest (last) lines: at its end.
    assert_eq!(state.pane_scroll, 0);
    // `g` and Home: its first line, the oldest, at the top (30 lines, 5 on screen).
    for top in [Key::char('g'), Key::plain(KeyCode::Home)] {
        press(&mut state, top);
        assert_eq!(state.pane_scroll, 25, "{top}");
        // Up at the top stays there; down moves one line towards the end.
        press(&mut state, Key::char('k'));
        assert_eq!(state.pane_scroll, 25);
        press(&mut state, Key::char('j'));
        assert_eq!(state.pane_scroll, 24);
    }
    // `G` and End: its last line, the newest, at the bottom; down there stays there.
    for bottom in [Key::char('G'), Key::plain(KeyCode::End)] {
        press(&mut state, Key::char('g'));
        press(&mut state, bottom);
        assert_eq!(state.pane_scroll, 0, "{bottom}");
        press(&mut state, Key::char('j'));
        assert_eq!(state.pane_scroll, 0);
        press(&mut state, Key::char('k'));
        assert_eq!(state.pane_scroll, 1);
    }
    // The detail pane reads down from the top: `g` is its top, `G` its end.
    press(&mut state, Key::char('d'));
    press(&mut state, Key::char('G'));
    assert!(state.pane_scroll > 0);
    press(&mut state, Key::char('g'));
    assert_eq!(state.pane_scroll, 0);
}

fn message(state: &AppState) -> (MessageKind, String) {
    let message = state.message.clone().expect("a message");
    (message.kind, message.text)
}

#[test]
fn p_pauses_a_service_backed_instance_of_mine_without_asking() {
    let mut state = loaded(vec![serving("ana", "jobs")]);
    let effects = press(&mut state, Key::char('P'));
    assert!(
        matches!(effects.as_slice(), [Effect::Pause { target, all_owners: false, .. }]
            if *target == mine("jobs")),
        "{effects:?}"
    );
    assert_eq!(
        state.mode,
        Mode::Normal,
        "a pause is undone by R: no question"
    );
    assert_eq!(message(&state), (MessageKind::Info, "pausing jobs…".into()));
    assert!(state.waiting());
}

#[test]
fn p_on_a_task_backed_instance_says_why_and_how_without_asking_aws() {
    let mut state = loaded(vec![running("web")]);
    assert!(press(&mut state, Key::char('P')).is_empty());
    assert_eq!(
        message(&state),
        (
            MessageKind::Error,
            "web runs as ECS tasks, which cannot be paused; launch it from a template with \
             kind = \"service\""
                .into()
        )
    );
    assert!(!state.waiting());
}

#[test]
fn p_on_a_paused_instance_says_it_already_is() {
    let mut state = loaded(vec![paused("jobs")]);
    assert!(press(&mut state, Key::char('P')).is_empty());
    assert_eq!(
        message(&state),
        (MessageKind::Info, "jobs is already paused".into())
    );
    assert!(!state.waiting());
}

#[test]
fn r_resumes_a_paused_instance_and_only_that() {
    let mut state = loaded(vec![paused("jobs"), serving("ana", "live"), running("web")]);
    state.table.sort = SortKey::Name;
    select(&mut state, "jobs");
    let effects = press(&mut state, Key::char('R'));
    assert!(
        matches!(effects.as_slice(), [Effect::Resume { target, .. }] if *target == mine("jobs")),
        "{effects:?}"
    );
    assert_eq!(message(&state).1, "resuming jobs…");

    select(&mut state, "live");
    assert!(press(&mut state, Key::char('R')).is_empty());
    assert_eq!(
        message(&state),
        (
            MessageKind::Info,
            "live is RUNNING, not paused; there is nothing to resume".into()
        )
    );
    select(&mut state, "web");
    assert!(press(&mut state, Key::char('R')).is_empty());
    let (kind, text) = message(&state);
    assert_eq!(kind, MessageKind::Error);
    assert!(
        text.starts_with("web runs as ECS tasks, which cannot be resumed"),
        "{text}"
    );
}

#[test]
fn one_write_at_a_time_per_instance() {
    let mut state = loaded(vec![serving("ana", "jobs"), serving("ana", "other")]);
    state.table.sort = SortKey::Name;
    select(&mut state, "jobs");
    assert_eq!(press(&mut state, Key::char('P')).len(), 1);
    assert!(
        press(&mut state, Key::char('P')).is_empty(),
        "the first is still out"
    );
    assert_eq!(
        message(&state).1,
        "jobs: waiting for AWS to answer the pause sent before; try again once it has"
    );
    select(&mut state, "other");
    assert_eq!(
        press(&mut state, Key::char('P')).len(),
        1,
        "another instance is free"
    );
}

/// The request id of the one write among `effects`.
fn write_req(effects: &[Effect]) -> RequestId {
    match effects {
        [Effect::Pause { req, .. } | Effect::Resume { req, .. } | Effect::Relaunch { req, .. }] => {
            *req
        }
        other => panic!("not one pause, resume or relaunch: {other:?}"),
    }
}

#[test]
fn pause_and_resume_answers_say_what_happened_and_refresh() {
    let mut state = loaded(vec![serving("ana", "jobs")]);
    let req = write_req(&press(&mut state, Key::char('P')));
    // A stale answer (a request nobody waits for) changes nothing.
    let stale = update(
        &mut state,
        Action::Paused {
            req: req + 100,
            result: Ok(1),
        },
    );
    assert!(stale.is_empty());
    assert_eq!(message(&state).1, "pausing jobs…");
    let effects = update(&mut state, Action::Paused { req, result: Ok(1) });
    refresh_req(&effects);
    assert_eq!(
        message(&state),
        (
            MessageKind::Info,
            "jobs is pausing: its tasks stop, and it costs $0/h until resumed".into()
        )
    );
    assert!(!state.poller.write_in_flight());

    let mut state = loaded(vec![paused("jobs")]);
    let req = write_req(&press(&mut state, Key::char('R')));
    let denied = "AWS denied ecs:UpdateService on ondeck-ana-jobs-web; ask an admin to allow it";
    let effects = update(
        &mut state,
        Action::Resumed {
            req,
            result: Err(denied.into()),
        },
    );
    refresh_req(&effects);
    assert_eq!(message(&state), (MessageKind::Error, denied.into()));
}

#[test]
fn ctrl_r_on_a_failed_instance_asks_then_relaunches_and_selects_the_new_launch() {
    let mut state = loaded(vec![failed("broken")]);
    assert!(
        press(&mut state, Key::ctrl('r')).is_empty(),
        "ctrl-r only asks"
    );
    let Mode::Confirm(confirm) = &state.mode else {
        panic!("no confirmation: {:?}", state.mode);
    };
    assert_eq!(
        confirm.action,
        confirm::Guarded::Relaunch {
            template: "web".into()
        }
    );
    assert_eq!(confirm.names_to_type(), None, "mine: y is enough");
    let effects = press(&mut state, Key::char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Relaunch { target, all_owners: false, .. }]
            if *target == mine("broken")),
        "{effects:?}"
    );
    let req = write_req(&effects);
    assert_eq!(message(&state).1, "relaunching broken…");

    // What the relaunch waits for reaches the status line as a launch's progress does.
    update(
        &mut state,
        Action::LaunchProgress("waiting for broken to stop…".into()),
    );
    assert_eq!(message(&state).1, "waiting for broken to stop…");

    let again = InstanceId {
        launch: "feedbeef".into(),
        ..mine("broken")
    };
    let mut new_task = task("broken", "broken-2", TaskState::Provisioning);
    new_task.tags.insert(
        ondeck_core::model::tags::LAUNCH_TOKEN.into(),
        "feedbeef-0".into(),
    );
    let effects = update(
        &mut state,
        Action::Relaunched {
            req,
            at: at(10, 1),
            result: Ok(Launched {
                id: again.clone(),
                tasks: vec![new_task],
                services: Vec::new(),
                failures: vec![],
                recovered: false,
                exec_warnings: vec![],
            }),
        },
    );
    refresh_req(&effects);
    assert_eq!(
        message(&state),
        (MessageKind::Info, "relaunched broken".into())
    );
    assert_eq!(
        state.table.selected(),
        Some(&again),
        "the new launch is selected"
    );
    assert_eq!(
        state.selected_instance().map(|i| i.state.clone()),
        Some(InstanceState::Lifecycle(TaskState::Provisioning)),
        "shown before ListTasks has it"
    );
}

#[test]
fn a_relaunch_that_fails_says_why_and_refreshes() {
    let mut state = loaded(vec![failed("broken")]);
    press(&mut state, Key::ctrl('r'));
    let req = write_req(&press(&mut state, Key::char('y')));
    let why = "broken is still stopping after 15 minutes; relaunch it again once `ondeck list` \
               shows it STOPPED";
    let effects = update(
        &mut state,
        Action::Relaunched {
            req,
            at: at(10, 20),
            result: Err(why.into()),
        },
    );
    refresh_req(&effects);
    assert_eq!(message(&state), (MessageKind::Error, why.into()));
}

#[test]
fn ctrl_r_on_a_live_instance_says_what_to_do_instead() {
    let mut state = loaded(vec![running("web")]);
    assert!(press(&mut state, Key::ctrl('r')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(
        message(&state),
        (
            MessageKind::Error,
            "relaunch is for FAILED or STOPPED instances; web is RUNNING — ctrl-d destroys it, \
             then ctrl-r relaunches it"
                .into()
        )
    );
    // `r` still refreshes.
    refresh_req(&press(&mut state, Key::char('r')));
}

#[test]
fn another_owners_pause_takes_the_name_typed_and_their_relaunch_is_refused() {
    let mut theirs = failed("broken");
    theirs.owner = "bob".into();
    for task in &mut theirs.tasks {
        task.started_by = Some("ondeck/bob".into());
    }
    let mut state = everyone(None, vec![serving("bob", "jobs"), theirs]);
    select(&mut state, "jobs");
    assert!(press(&mut state, Key::char('P')).is_empty(), "asks first");
    assert!(matches!(&state.mode, Mode::Confirm(c)
        if c.action == confirm::Guarded::Pause && c.names_to_type().as_deref() == Some("jobs")));
    // A `y` is typed, not taken as yes.
    press(&mut state, Key::char('y'));
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert_eq!(message(&state).1, "bob/jobs kept: `y` is not its name");

    press(&mut state, Key::char('P'));
    type_text(&mut state, "jobs");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::Pause { target, all_owners: true, .. }]
            if target.owner == "bob" && target.name == "jobs"),
        "{effects:?}"
    );

    // A relaunch launches as ana: bob's instance would come back as hers.
    select(&mut state, "broken");
    assert!(press(&mut state, Key::ctrl('r')).is_empty());
    assert!(!matches!(&state.mode, Mode::Confirm(_)));
    let (_, said) = message(&state);
    assert!(said.contains("broken is bob's"), "{said}");
    assert!(said.contains("--all-owners"), "{said}");
}
