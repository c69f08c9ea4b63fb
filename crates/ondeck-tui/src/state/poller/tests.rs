use chrono::Duration;

use super::*;
use crate::state::fixtures::*;
use crate::state::keymap::{Key, KeyCode};
use crate::state::{Action, Effect, MessageKind, update};
use ondeck_core::instances::InstanceState;
use ondeck_core::ops::Launched;

fn launch(template: &str) -> InFlight {
    InFlight::Launch {
        template: template.into(),
    }
}

#[test]
fn ids_are_fresh_and_an_answer_is_taken_once() {
    let mut poller = Poller::default();
    let first = poller.send(launch("web"));
    let tail = poller.issue_id();
    let second = poller.send(launch("worker"));
    assert!(first < tail && tail < second, "{first} {tail} {second}");
    assert_eq!(poller.take_answered(second), Some(launch("worker")));
    assert_eq!(poller.take_answered(second), None, "a duplicate is stale");
    assert_eq!(
        poller.take_answered(tail),
        None,
        "a tail id awaits no answer"
    );
    poller.keep_waiting(second, launch("worker"));
    assert_eq!(poller.take_answered(second), Some(launch("worker")));
}

#[test]
fn one_refresh_at_a_time_and_one_asked_for_meanwhile_follows() {
    let mut poller = Poller::default();
    assert!(poller.refresh_due(at(10, 0)), "the first is due at once");
    let req = poller.send_refresh(at(10, 0)).expect("sent");
    assert!(poller.refresh_in_flight());
    assert!(!poller.refresh_due(at(11, 0)), "never while one is out");
    assert_eq!(poller.send_refresh(at(10, 0)), None);
    assert_eq!(poller.send_refresh(at(10, 0)), None);
    assert_eq!(poller.take_answered(req), Some(InFlight::Refresh));
    assert!(poller.take_pending_refresh(), "one follow-up");
    assert!(!poller.take_pending_refresh(), "only one");
    assert!(
        poller
            .send_refresh(at(10, 0))
            .is_some_and(|next| next != req)
    );
}

#[test]
fn the_next_refresh_is_due_at_the_cadence_from_the_answer() {
    let mut poller = Poller::default();
    let req = poller.send_refresh(at(10, 0)).unwrap();
    assert_eq!(poller.next_refresh_at(), None, "not while one is out");
    poller.schedule_next_refresh(at(10, 1), true, 3, 30);
    assert_eq!(
        poller.next_refresh_at(),
        Some(at(10, 1) + Duration::seconds(3))
    );
    poller.schedule_next_refresh(at(10, 1), false, 3, 30);
    assert_eq!(
        poller.next_refresh_at(),
        Some(at(10, 1) + Duration::seconds(30))
    );
    poller.take_answered(req);
    assert!(!poller.refresh_due(at(10, 1) + Duration::seconds(29)));
    assert!(poller.refresh_due(at(10, 1) + Duration::seconds(30)));
}

#[test]
fn failures_in_a_row_double_the_wait_up_to_five_minutes_and_a_success_ends_it() {
    let mut poller = Poller::default();
    let wait = |poller: &mut Poller, busy, steady| {
        poller.schedule_next_refresh(at(10, 0), busy, 3, steady);
        (poller.next_refresh_at().unwrap() - at(10, 0)).num_seconds()
    };
    let mut steady = Vec::new();
    let mut busy = Vec::new();
    for _ in 0..10 {
        poller.refresh_answered(false);
        steady.push(wait(&mut poller, false, 30));
        busy.push(wait(&mut poller, true, 30));
    }
    assert_eq!(steady, [60, 120, 240, 300, 300, 300, 300, 300, 300, 300]);
    assert_eq!(busy, [6, 12, 24, 48, 96, 192, 300, 300, 300, 300]);
    assert_eq!(
        wait(&mut poller, false, 600),
        600,
        "a cadence past the cap stays"
    );
    poller.refresh_answered(true);
    assert_eq!(wait(&mut poller, false, 30), 30);
    assert_eq!(
        wait(&mut poller, false, 0),
        1,
        "never more often than a second"
    );
}

#[test]
fn a_write_is_waited_for_at_once_and_a_refresh_only_once_it_is_slow() {
    let mut poller = Poller::default();
    poller.send_refresh(at(10, 0));
    assert!(!poller.waiting(at(10, 0) + Duration::milliseconds(999)));
    assert!(poller.waiting(at(10, 0) + Duration::seconds(1)));
    assert!(!poller.waiting_was_shown(at(10, 0), at(10, 0)));
    assert!(poller.waiting_was_shown(at(10, 0) + Duration::seconds(2), at(10, 0)));
    assert!(poller.waiting_was_shown(at(10, 0), at(10, 0) + Duration::seconds(2)));

    let mut poller = Poller::default();
    assert!(!poller.waiting(at(10, 0)));
    let req = poller.send(InFlight::Write {
        action: Guarded::Destroy,
        target: mine("a"),
        label: "a".into(),
    });
    assert!(poller.write_in_flight() && poller.waiting(at(10, 0)));
    assert_eq!(poller.write_on(&mine("a")), Some(&Guarded::Destroy));
    assert_eq!(poller.write_on(&mine("b")), None);
    poller.take_answered(req);
    assert!(!poller.waiting(at(10, 0)));
    assert_eq!(poller.write_on(&mine("a")), None);
}

#[test]
fn busy_means_something_of_mine_is_changing() {
    let poller = Poller::default();
    let pending = instance("a", vec![task("a", "a-1", TaskState::Pending)]);
    let mut stopping = running("b");
    stopping.tasks[0].desired_status = "STOPPED".into();
    let mut theirs = pending.clone();
    theirs.owner = "bo".into();
    assert!(!poller.busy(&[running("a")], "ana"));
    assert!(poller.busy(&[pending], "ana"));
    assert!(
        poller.busy(&[stopping], "ana"),
        "asked to stop, not stopped yet"
    );
    assert!(
        !poller.busy(&[theirs], "ana"),
        "another owner's is not mine"
    );

    let mut writing = Poller::default();
    writing.send(launch("web"));
    assert!(writing.busy(&[], "ana"));
}

#[test]
fn a_launch_is_shown_until_listed_or_for_two_minutes() {
    let mut poller = Poller::default();
    poller.show_launched(running("a"), at(10, 0));
    poller.show_launched(running("b"), at(10, 1));
    assert!(poller.busy(&[], "ana"), "a launch shown is still changing");
    let shown =
        |poller: &Poller| -> Vec<String> { poller.optimistic().map(|i| i.name.clone()).collect() };
    assert_eq!(shown(&poller), ["a", "b"]);
    assert!(!poller.expire_optimistic(at(10, 0) + Duration::seconds(119)));
    assert!(
        poller.expire_optimistic(at(10, 2)),
        "a's two minutes are up, not b's"
    );
    assert_eq!(shown(&poller), ["b"]);
    poller.drop_listed(&[running("b")]);
    assert_eq!(shown(&poller), Vec::<String>::new());
    assert!(!poller.busy(&[], "ana"));
}

#[test]
fn another_profile_forgets_every_request_and_launch() {
    let mut poller = Poller::default();
    let refresh = poller.send_refresh(at(10, 0)).unwrap();
    poller.send_refresh(at(10, 0));
    let write = poller.send(launch("web"));
    poller.show_launched(running("a"), at(10, 0));
    poller.forget_requests();
    assert_eq!(poller.take_answered(refresh), None);
    assert_eq!(poller.take_answered(write), None);
    assert!(!poller.take_pending_refresh());
    assert_eq!(poller.optimistic().count(), 0);
    assert!(poller.issue_id() > write, "ids are never reused");
}

// Through `update`: the poller as the dashboard drives it.

#[test]
fn the_first_tick_asks_for_a_refresh_and_the_answer_loads_the_table() {
    let mut state = start(false, None);
    assert!(!state.loaded);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    assert!(state.poller.refresh_in_flight());
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
        state.poller.next_refresh_at(),
        Some(at(10, 0) + Duration::seconds(3))
    );
    assert!(update(&mut state, Action::Tick(at(10, 0) + Duration::seconds(2))).is_empty());
    let req = refresh_req(&update(
        &mut state,
        Action::Tick(at(10, 0) + Duration::seconds(3)),
    ));

    answer(&mut state, req, at(10, 1), snapshot(vec![running("a")]));
    assert_eq!(
        state.poller.next_refresh_at(),
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
    let due = state.poller.next_refresh_at().unwrap();
    let req = refresh_req(&update(&mut state, Action::Tick(due)));
    assert!(!state.dirty, "sending a refresh changes nothing on screen");
    answer(&mut state, req, due, snapshot(vec![running("a")]));
    assert!(
        !state.dirty,
        "the same answer again changes nothing on screen"
    );

    let due = state.poller.next_refresh_at().unwrap();
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
        let next = state.poller.next_refresh_at().unwrap();
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
    assert_eq!(
        state.poller.next_refresh_at(),
        Some(now + Duration::seconds(30))
    );
}

#[test]
fn another_owners_transitions_do_not_make_polling_busy() {
    let mut state = start(false, None);
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    let mut theirs = instance("b", vec![task("b", "b-1", TaskState::Pending)]);
    theirs.owner = "bo".into();
    answer(&mut state, req, at(10, 0), snapshot(vec![theirs]));
    assert_eq!(
        state.poller.next_refresh_at(),
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
                services: Vec::new(),
                failures: vec![],
                recovered: false,
                exec_warnings: vec![],
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

/// Runs the dashboard from `from` for `secs` seconds of the clock, a tick a second, answering
/// each refresh at once with one steady instance; `keys` are pressed at those seconds.
/// Returns the seconds at which a refresh (one ListTasks) went out.
fn refreshes_over(
    state: &mut crate::state::AppState,
    from: chrono::DateTime<chrono::Utc>,
    secs: i64,
    keys: &[i64],
) -> Vec<i64> {
    let mut sent = Vec::new();
    for second in 0..secs {
        let now = from + Duration::seconds(second);
        let mut effects = update(state, Action::Tick(now));
        if keys.contains(&second) {
            effects.extend(press(state, Key::char('j')));
        }
        for effect in effects {
            if let Effect::Refresh { req, .. } = effect {
                sent.push(second);
                answer(state, req, now, snapshot(vec![running("web")]));
            }
        }
    }
    sent
}

#[test]
fn an_idle_dashboard_refreshes_at_the_steady_cadence_only() {
    let mut state = loaded(vec![running("web")]);
    // Ten minutes with nobody at the keys (the first refresh was at load): one refresh
    // every 30 s, 2 a minute.
    let sent = refreshes_over(&mut state, at(10, 0), 601, &[]);
    assert_eq!(sent.len(), 20, "{sent:?}");
    assert_eq!(sent[0], 30);
    assert!(
        sent.windows(2).all(|pair| pair[1] - pair[0] == 30),
        "{sent:?}"
    );
}

#[test]
fn a_key_brings_the_next_refresh_within_seconds_then_the_cadence_eases_back() {
    let mut state = loaded(vec![running("web")]);
    // The refresh of 10:00 is answered; a key at 10 s (20 s before the next steady one).
    let sent = refreshes_over(&mut state, at(10, 0), 300, &[10]);
    let first = sent[0];
    assert_eq!(first, 13, "3 s after the key: {sent:?}");
    let gaps: Vec<i64> = sent.windows(2).map(|pair| pair[1] - pair[0]).collect();
    // 6, 12, 24 s, then the steady 30 s.
    assert_eq!(&gaps[..5], [6, 12, 24, 30, 30], "{sent:?}");
    // Within the budget once idle again: the last minute has the steady two.
    assert_eq!(sent.iter().filter(|&&second| second >= 240).count(), 2);
}

#[test]
fn keys_held_down_refresh_no_more_than_every_three_seconds() {
    let mut state = loaded(vec![running("web")]);
    let keys: Vec<i64> = (0..60).collect();
    let sent = refreshes_over(&mut state, at(10, 0), 60, &keys);
    assert!(
        sent.windows(2).all(|pair| pair[1] - pair[0] >= 3),
        "{sent:?}"
    );
    assert!(sent.len() <= 20, "{sent:?}");
}

#[test]
fn coming_back_to_the_terminal_refreshes_soon_and_failures_still_back_off() {
    let mut state = loaded(vec![running("web")]);
    update(&mut state, Action::Tick(at(10, 0) + Duration::seconds(5)));
    update(&mut state, Action::FocusGained);
    let due = state.poller.next_refresh_at().unwrap();
    assert_eq!(due, at(10, 0) + Duration::seconds(8));

    // While AWS fails, activity does not shorten the backed-off wait.
    let mut poller = Poller::default();
    poller.refresh_answered(false);
    poller.note_activity(at(10, 0));
    poller.schedule_next_refresh(at(10, 0), false, 3, 30);
    assert_eq!(
        poller.next_refresh_at(),
        Some(at(10, 0) + Duration::seconds(60))
    );
}
