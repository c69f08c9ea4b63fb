use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::fixtures::{app, at, config, instance, owned_by, select, selected_name, snapshot, task};
use super::keymap::{Key, KeyCode, Keymap};
use super::timeline::Journal;
use super::*;
use ondeck_core::model::TaskState;
use ondeck_core::ops::{LaunchRequest, Launched, Snapshot};

fn start(read_only: bool, select: Option<&str>) -> AppState {
    let mut state = app(read_only, at(10, 0));
    if let Some(name) = select {
        state = AppState::new(
            &config(),
            StartOptions {
                profile: "dev".into(),
                read_only,
                all_owners: false,
                select: Some(InstanceRef::parse(name).unwrap()),
                keymap: Keymap::default(),
                journal: Journal::default(),
                now: at(10, 0),
            },
        )
        .unwrap();
    }
    state
}

fn refresh_req(effects: &[Effect]) -> RequestId {
    let reqs: Vec<RequestId> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Refresh { req, .. } => Some(*req),
            _ => None,
        })
        .collect();
    assert_eq!(reqs.len(), 1, "expected one refresh in {effects:?}");
    reqs[0]
}

fn answer(
    state: &mut AppState,
    req: RequestId,
    when: DateTime<Utc>,
    snap: Snapshot,
) -> Vec<Effect> {
    update(
        state,
        Action::Refreshed {
            req,
            at: when,
            result: Ok(snap),
        },
    )
}

/// A started dashboard that has seen one snapshot.
fn loaded(instances: Vec<Instance>) -> AppState {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(&mut state, req, at(10, 0), snapshot(instances));
    state
}

fn press(state: &mut AppState, key: Key) -> Vec<Effect> {
    update(state, Action::Key(key))
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, Key::char(c));
    }
}

fn running(name: &str) -> Instance {
    instance(
        name,
        vec![task(name, &format!("{name}-1"), TaskState::Running)],
    )
}

/// The identity of ana's instance `name` launched without a token.
fn mine(name: &str) -> InstanceId {
    InstanceId {
        owner: "ana".into(),
        name: name.into(),
        launch: String::new(),
    }
}

fn names(state: &AppState) -> Vec<String> {
    state.rows().iter().map(|i| i.name.clone()).collect()
}

#[test]
fn the_first_tick_asks_for_a_refresh_and_the_answer_loads_the_table() {
    let mut state = start(false, None);
    assert!(!state.loaded);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    assert!(state.refresh_in_flight());
    assert!(!state.waiting(), "a quick refresh is not worth mentioning");
    update(
        &mut state,
        Action::Tick(at(10, 0) + Duration::milliseconds(1500)),
    );
    assert!(state.waiting(), "a slow one is");
    answer(&mut state, req, at(10, 0), snapshot(vec![running("a")]));
    assert!(state.loaded);
    assert!(!state.waiting());
    assert_eq!(names(&state), vec!["a"]);
    assert_eq!(selected_name(&state), Some("a"));
}

#[test]
fn stale_answers_are_dropped() {
    let mut state = start(false, None);
    let first = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(&mut state, first, at(10, 0), snapshot(vec![running("a")]));
    // The same id again (a late duplicate) and an id never issued change nothing.
    answer(&mut state, first, at(10, 1), snapshot(vec![running("zzz")]));
    answer(&mut state, 999, at(10, 1), snapshot(vec![running("zzz")]));
    assert_eq!(names(&state), vec!["a"]);
    assert_eq!(state.last_refresh, Some(at(10, 0)));
}

#[test]
fn answers_from_a_previous_profile_are_dropped() {
    let mut state = start(false, None);
    let old = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    press(&mut state, Key::char(':'));
    type_text(&mut state, "profile prod");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(matches!(&effects[0], Effect::SwitchProfile(p) if p.name == "prod"));
    let new = refresh_req(&effects);
    answer(
        &mut state,
        old,
        at(10, 0),
        snapshot(vec![running("from-dev")]),
    );
    assert!(!state.loaded);
    answer(
        &mut state,
        new,
        at(10, 0),
        snapshot(vec![running("from-prod")]),
    );
    assert_eq!(names(&state), vec!["from-prod"]);
    assert_eq!(state.profile.name, "prod");
}

#[test]
fn errors_keep_the_stale_data_and_clear_on_the_next_good_refresh() {
    let mut state = loaded(vec![running("a")]);
    let req = refresh_req(&press(&mut state, Key::char('r')));
    update(
        &mut state,
        Action::Refreshed {
            req,
            at: at(10, 1),
            result: Err("AWS credentials are missing or expired; run aws sso login".into()),
        },
    );
    assert_eq!(names(&state), vec!["a"]);
    assert_eq!(state.last_refresh, Some(at(10, 0)));
    let message = state.message.clone().unwrap();
    assert_eq!(message.kind, MessageKind::Error);
    assert!(message.text.contains("sso login"));

    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(&mut state, req, at(10, 2), snapshot(vec![running("a")]));
    assert_eq!(state.message, None);
}

#[test]
fn polling_is_busy_while_my_tasks_change_and_steady_otherwise() {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    let pending = instance("a", vec![task("a", "a-1", TaskState::Pending)]);
    answer(&mut state, req, at(10, 0), snapshot(vec![pending]));
    assert_eq!(
        state.next_refresh_at(),
        Some(at(10, 0) + Duration::seconds(3))
    );
    assert!(update(&mut state, Action::Tick(at(10, 0) + Duration::seconds(2))).is_empty());
    let req = refresh_req(&update(
        &mut state,
        Action::Tick(at(10, 0) + Duration::seconds(3)),
    ));

    answer(&mut state, req, at(10, 1), snapshot(vec![running("a")]));
    assert_eq!(
        state.next_refresh_at(),
        Some(at(10, 1) + Duration::seconds(30))
    );
    assert!(update(&mut state, Action::Tick(at(10, 1) + Duration::seconds(29))).is_empty());
    refresh_req(&update(
        &mut state,
        Action::Tick(at(10, 1) + Duration::seconds(30)),
    ));
}

#[test]
fn a_refresh_that_changes_nothing_draws_nothing() {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(&mut state, req, at(10, 0), snapshot(vec![running("a")]));
    state.dirty = false;
    let due = state.next_refresh_at().unwrap();
    let req = refresh_req(&update(&mut state, Action::Tick(due)));
    assert!(!state.dirty, "sending a refresh changes nothing on screen");
    answer(&mut state, req, due, snapshot(vec![running("a")]));
    assert!(
        !state.dirty,
        "the same answer again changes nothing on screen"
    );

    let due = state.next_refresh_at().unwrap();
    let req = refresh_req(&update(&mut state, Action::Tick(due)));
    answer(
        &mut state,
        req,
        due,
        snapshot(vec![running("a"), running("b")]),
    );
    assert!(state.dirty, "a new instance is drawn");
}

#[test]
fn failed_refreshes_back_off_and_a_good_answer_restores_the_cadence() {
    let mut state = start(false, None);
    let mut now = at(10, 0);
    let mut waits = Vec::new();
    for _ in 0..4 {
        let req = refresh_req(&update(&mut state, Action::Tick(now)));
        update(
            &mut state,
            Action::Refreshed {
                req,
                at: now,
                result: Err("AWS is throttling ListTasks; ondeck backs off and retries".into()),
            },
        );
        let next = state.next_refresh_at().unwrap();
        waits.push((next - now).num_seconds());
        assert!(
            update(&mut state, Action::Tick(next - Duration::seconds(1))).is_empty(),
            "nothing is sent before the backed-off time"
        );
        now = next;
    }
    assert_eq!(
        waits,
        vec![60, 120, 240, 300],
        "doubling from the steady 30 s, capped"
    );
    assert!(state.message.as_ref().unwrap().text.contains("throttling"));

    let req = refresh_req(&update(&mut state, Action::Tick(now)));
    answer(&mut state, req, now, snapshot(vec![running("a")]));
    assert_eq!(state.next_refresh_at(), Some(now + Duration::seconds(30)));
}

#[test]
fn another_owners_transitions_do_not_make_polling_busy() {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    let mut theirs = instance("b", vec![task("b", "b-1", TaskState::Pending)]);
    theirs.owner = "bo".into();
    answer(&mut state, req, at(10, 0), snapshot(vec![theirs]));
    assert_eq!(
        state.next_refresh_at(),
        Some(at(10, 0) + Duration::seconds(30))
    );
}

#[test]
fn no_second_refresh_while_one_is_in_flight_and_a_manual_one_waits() {
    let mut state = loaded(vec![running("a")]);
    let req = refresh_req(&press(&mut state, Key::char('r')));
    // Due ticks and more presses send nothing while the request is out.
    assert!(update(&mut state, Action::Tick(at(11, 0))).is_empty());
    assert!(press(&mut state, Key::char('r')).is_empty());
    assert!(press(&mut state, Key::char('r')).is_empty());
    // The answer releases exactly one follow-up for the presses made meanwhile.
    let effects = answer(&mut state, req, at(11, 0), snapshot(vec![running("a")]));
    let follow_up = refresh_req(&effects);
    assert_ne!(follow_up, req);
    let effects = answer(
        &mut state,
        follow_up,
        at(11, 0),
        snapshot(vec![running("a")]),
    );
    assert!(effects.is_empty());
}

#[test]
fn selection_follows_the_instance_across_refreshes() {
    let mut state = loaded(vec![running("a"), running("b"), running("c")]);
    state.sort = SortKey::Name;
    press(&mut state, Key::char('j'));
    assert_eq!(selected_name(&state), Some("b"));
    // "a" went away: b is now first, still selected.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 1),
        snapshot(vec![running("b"), running("c")]),
    );
    assert_eq!(selected_name(&state), Some("b"));
    // b went away too: the selection stays on the same row.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 2),
        snapshot(vec![running("c"), running("d")]),
    );
    assert_eq!(selected_name(&state), Some("c"));
}

#[test]
fn filter_is_live_and_esc_clears_it() {
    let mut state = loaded(vec![running("api-one"), running("api-two"), running("db")]);
    press(&mut state, Key::char('/'));
    type_text(&mut state, "api");
    assert_eq!(state.mode, Mode::Filter);
    let mut shown = names(&state);
    shown.sort();
    assert_eq!(shown, vec!["api-one", "api-two"]);
    type_text(&mut state, "-t");
    assert_eq!(names(&state), vec!["api-two"]);
    assert_eq!(selected_name(&state), Some("api-two"));
    press(&mut state, Key::plain(KeyCode::Esc));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(names(&state).len(), 3);
}

#[test]
fn destroy_needs_a_typed_y() {
    let mut state = loaded(vec![running("a")]);
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    assert!(
        matches!(&state.mode, Mode::Confirm(c) if c.target.name == "a" && c.action == Guarded::Destroy && c.foreign.is_none()),
        "{:?}",
        state.mode
    );
    // Enter is not a yes: the default is No.
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert_eq!(state.mode, Mode::Normal);

    press(&mut state, Key::ctrl('d'));
    let effects = press(&mut state, Key::char('y'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Destroy { target, all_owners: false, .. }] if target.name == "a"
    ));
}

#[test]
fn destroy_answer_triggers_a_refresh_and_the_row_walks_the_stop_sequence() {
    let mut state = loaded(vec![running("a")]);
    press(&mut state, Key::ctrl('d'));
    let Effect::Destroy { req, .. } = press(&mut state, Key::char('y')).remove(0) else {
        panic!("no destroy");
    };
    let effects = update(&mut state, Action::Destroyed { req, result: Ok(1) });
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
                state.next_refresh_at(),
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
    for key in [Key::ctrl('d'), Key::char('n'), Key::char('e')] {
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

#[test]
fn extend_asks_for_the_selected_instance() {
    let mut state = loaded(vec![running("a"), running("b")]);
    press(&mut state, Key::char('j'));
    let effects = press(&mut state, Key::char('e'));
    assert!(
        matches!(effects.as_slice(), [Effect::Extend { target, .. }] if target.name == "b"),
        "{effects:?}"
    );
    assert!(state.waiting());
    assert_eq!(state.message.unwrap().text, "extending b by 8h…");
}

#[test]
fn extend_answer_shows_the_new_expiry_at_once_and_refreshes() {
    let mut state = loaded(vec![running("a")]);
    let Effect::Extend { req, .. } = press(&mut state, Key::char('e')).remove(0) else {
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
    let Effect::Extend { req, .. } = press(&mut state, Key::char('e')).remove(0) else {
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
    let mut unknown = running("unknown");
    unknown.template = "batch".into();
    let mut state = loaded(vec![theirs, stopped, unknown, running("no-ttl")]);
    state
        .profile
        .templates
        .get_mut("web")
        .expect("web template")
        .ttl = None;
    state.sort = SortKey::Name;
    for (name, reason) in [
        ("theirs", "belongs to bob"),
        ("stopped", "has stopped"),
        (
            "unknown",
            "`batch` is not in profile dev; run `ondeck extend unknown --by 2h`",
        ),
        (
            "no-ttl",
            "add ttl = \"8h\" under [profiles.dev.templates.web]",
        ),
    ] {
        select(&mut state, name);
        assert!(press(&mut state, Key::char('e')).is_empty(), "{name}");
        let message = state.message.clone().unwrap();
        assert_eq!(message.kind, MessageKind::Error);
        assert!(message.text.contains(reason), "{name}: {}", message.text);
        assert!(!state.waiting());
    }
}

#[test]
fn launch_dialog_flow_submits_and_shows_the_instance_at_once() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    assert!(matches!(state.mode, Mode::Launch(_)));
    press(&mut state, Key::char('j')); // template: worker
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "jobs");
    press(&mut state, Key::plain(KeyCode::Enter));
    type_text(&mut state, "worker:THREADS=4");
    press(&mut state, Key::plain(KeyCode::Enter));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Launch { req, request }] = effects.as_slice() else {
        panic!("expected a launch, got {effects:?}");
    };
    assert_eq!(
        *request,
        LaunchRequest {
            template: "worker".into(),
            name: Some("jobs".into()),
            env: BTreeMap::from([(
                "worker".to_string(),
                BTreeMap::from([("THREADS".to_string(), "4".to_string())])
            )]),
            ttl: None,
        }
    );
    assert_eq!(state.mode, Mode::Normal);
    assert!(state.waiting());

    let effects = update(
        &mut state,
        Action::Launched {
            req: *req,
            at: at(10, 1),
            result: Ok(Launched {
                id: mine("jobs"),
                tasks: vec![task("jobs", "j-1", TaskState::Provisioning)],
                failures: vec![],
                recovered: false,
            }),
        },
    );
    refresh_req(&effects);
    assert_eq!(names(&state), vec!["jobs"]);
    assert_eq!(
        state.rows()[0].state,
        InstanceState::Lifecycle(TaskState::Provisioning)
    );
    assert_eq!(selected_name(&state), Some("jobs"));
}

#[test]
fn a_bad_env_override_keeps_the_dialog_open_with_the_reason() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "THREADS=4");
    press(&mut state, Key::plain(KeyCode::Tab));
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    let Mode::Launch(dialog) = &state.mode else {
        panic!("dialog closed");
    };
    assert!(
        dialog
            .error
            .as_deref()
            .unwrap()
            .contains("container:KEY=VALUE")
    );
}

#[test]
fn optimistic_rows_give_way_to_the_listed_instance() {
    let mut state = loaded(vec![]);
    let effects = {
        press(&mut state, Key::char(':'));
        type_text(&mut state, "launch web demo");
        press(&mut state, Key::plain(KeyCode::Enter))
    };
    let [Effect::Launch { req, request }] = effects.as_slice() else {
        panic!("expected a launch, got {effects:?}");
    };
    assert_eq!(request.name.as_deref(), Some("demo"));
    let effects = update(
        &mut state,
        Action::Launched {
            req: *req,
            at: at(10, 1),
            result: Ok(Launched {
                id: mine("demo"),
                tasks: vec![task("demo", "d-1", TaskState::Provisioning)],
                failures: vec![],
                recovered: false,
            }),
        },
    );
    let pending = instance("demo", vec![task("demo", "d-1", TaskState::Pending)]);
    answer(
        &mut state,
        refresh_req(&effects),
        at(10, 1),
        snapshot(vec![pending]),
    );
    assert_eq!(state.rows().len(), 1);
    assert_eq!(
        state.rows()[0].state,
        InstanceState::Lifecycle(TaskState::Pending)
    );
}

#[test]
fn copy_sends_the_first_endpoint() {
    let mut state = loaded(vec![running("a")]);
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, vec![Effect::Copy("10.0.1.23:8080".into())]);
}

#[test]
fn select_flag_selects_and_opens_the_logs() {
    let mut state = start(false, Some("b"));
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(
        &mut state,
        req,
        at(10, 0),
        snapshot(vec![running("a"), running("b")]),
    );
    assert_eq!(selected_name(&state), Some("b"));
    assert_eq!(state.pane, Some(Pane::Logs));
    assert_eq!(state.focus, Focus::Pane);
    assert_eq!(
        state.logs.as_ref().map(|l| l.instance.name.as_str()),
        Some("b")
    );
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
    let observed = state.journal.len();
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
    assert_eq!(state.journal.len(), observed + entries.len());
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
fn help_opens_and_any_key_closes_it() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('?'));
    assert_eq!(state.mode, Mode::Help);
    assert!(press(&mut state, Key::char('q')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(press(&mut state, Key::char('q')), vec![Effect::Quit]);
}

/// The all-owners dashboard (`--all-owners`), optionally with `--select`, after one snapshot.
fn everyone(select: Option<&str>, instances: Vec<Instance>) -> AppState {
    let mut state = AppState::new(
        &config(),
        StartOptions {
            profile: "dev".into(),
            read_only: false,
            all_owners: true,
            select: select.map(|text| InstanceRef::parse(text).unwrap()),
            keymap: Keymap::default(),
            journal: Journal::default(),
            now: at(10, 0),
        },
    )
    .unwrap();
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(&mut state, req, at(10, 0), snapshot(instances));
    state.sort = SortKey::Name;
    state
}

fn selected_owner(state: &AppState) -> Option<&str> {
    state.selected.as_ref().map(|id| id.owner.as_str())
}

#[test]
fn the_second_of_two_rows_with_one_name_can_be_selected() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('g'));
    assert_eq!(selected_owner(&state), Some("ana"));
    press(&mut state, Key::char('j'));
    assert_eq!(selected_owner(&state), Some("bob"));
    assert_eq!(state.selected_instance().unwrap().owner, "bob");
    // A refresh keeps the selection on bob's row, not on the first row of that name.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 1),
        snapshot(vec![owned_by("ana", "one"), owned_by("bob", "one")]),
    );
    assert_eq!(selected_owner(&state), Some("bob"));
}

#[test]
fn a_name_reused_after_destroy_is_its_own_row_and_selection() {
    let mut destroyed = task("one", "old-1", TaskState::Stopped);
    destroyed.stop_code = Some("UserInitiated".into());
    let mut old = instance("one", vec![destroyed]);
    old.launch = "0ld".into();
    let mut new = running("one");
    new.launch = "new".into();
    new.tasks[0].task_arn.push_str("-new");
    let mut state = loaded(vec![old, new]);
    state.sort = SortKey::State;
    press(&mut state, Key::char('g'));
    assert_eq!(state.selected_instance().unwrap().launch, "new");
    press(&mut state, Key::char('j'));
    assert_eq!(state.selected_instance().unwrap().launch, "0ld");
}

#[test]
fn destroying_another_owners_instance_says_whose_and_needs_its_name_typed() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('G'));
    assert_eq!(selected_owner(&state), Some("bob"));
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    let Mode::Confirm(confirm) = &state.mode else {
        panic!("no confirmation: {:?}", state.mode);
    };
    assert_eq!(confirm.target.to_string(), "bob/one");
    let note = confirm.foreign.clone().expect("says whose it is");
    assert!(note.contains("belongs to bob"), "{note}");

    // `y` is not enough: it is typed into the name, and enter with the wrong name keeps it.
    assert!(press(&mut state, Key::char('y')).is_empty());
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.typed == "y"));
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert!(
        state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("bob/one kept")
    );

    press(&mut state, Key::ctrl('d'));
    type_text(&mut state, "one");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Destroy { target, all_owners: true, .. }] if target.owner == "bob" && target.name == "one"
        ),
        "{effects:?}"
    );
}

#[test]
fn my_own_instance_still_takes_a_y() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('g'));
    press(&mut state, Key::ctrl('d'));
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.foreign.is_none()));
    let effects = press(&mut state, Key::char('y'));
    assert!(
        matches!(effects.as_slice(), [Effect::Destroy { target, .. }] if target.owner == "ana"),
        "{effects:?}"
    );
}

#[test]
fn extending_another_owners_instance_needs_its_name_typed() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('G'));
    assert!(press(&mut state, Key::char('e')).is_empty());
    assert!(
        matches!(&state.mode, Mode::Confirm(c) if c.action == Guarded::Extend { by: "8h".into() } && c.foreign.is_some()),
        "{:?}",
        state.mode
    );
    type_text(&mut state, "one");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Extend { target, all_owners: true, .. }] if target.owner == "bob"
        ),
        "{effects:?}"
    );
    assert_eq!(state.message.unwrap().text, "extending bob/one by 8h…");
}

#[test]
fn the_command_line_names_instances_as_the_cli_does() {
    let mut state = everyone(None, vec![owned_by("alice", "one"), owned_by("ana", "one")]);
    let mut destroy = |line: &str| {
        press(&mut state, Key::char(':'));
        type_text(&mut state, line);
        press(&mut state, Key::plain(KeyCode::Enter));
        let asked = match &state.mode {
            Mode::Confirm(confirm) => Ok(confirm.target.to_string()),
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

#[test]
fn select_flag_takes_another_owners_name() {
    let state = everyone(
        Some("bob/one"),
        vec![owned_by("ana", "one"), owned_by("bob", "one")],
    );
    assert_eq!(selected_owner(&state), Some("bob"));
    assert_eq!(state.pane, Some(Pane::Logs));
}
