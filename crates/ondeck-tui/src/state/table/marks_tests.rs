//! Hiding what stopped long ago, and marks: one destroy or extend of several rows.

use chrono::Duration;

use crate::state::confirm::Guarded;
use crate::state::fixtures::*;
use crate::state::keymap::{Key, KeyCode};
use crate::state::{Action, Effect, Mode, update};
use ondeck_core::instances::Instance;
use ondeck_core::model::TaskState;

/// `name`, destroyed by its owner; its task stopped at `stopped`.
fn destroyed(name: &str, stopped: chrono::DateTime<chrono::Utc>) -> Instance {
    let mut gone = task(name, &format!("{name}-1"), TaskState::Stopped);
    gone.desired_status = "STOPPED".into();
    gone.stop_code = Some("UserInitiated".into());
    gone.times.stopped_at = Some(stopped);
    instance(name, vec![gone])
}

fn marked_names(state: &crate::state::AppState) -> Vec<String> {
    let mut marked: Vec<String> = state
        .table
        .marked()
        .iter()
        .map(|id| id.name.clone())
        .collect();
    marked.sort();
    marked
}

fn destroyed_targets(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Destroy { target, .. } => Some(target.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn what_stopped_over_an_hour_ago_is_hidden_until_asked_for() {
    let mut state = loaded(vec![
        running("a"),
        destroyed("recent", at(9, 30)),
        destroyed("old", at(8, 59)),
    ]);
    // At 10:00 `old` stopped 61 minutes ago, `recent` 30.
    assert_eq!(names(&state), ["a", "recent"]);
    assert_eq!(state.hidden_count(), 1);
    press(&mut state, Key::char('h'));
    assert_eq!(names(&state), ["a", "old", "recent"]);
    assert_eq!(state.hidden_count(), 0);
    press(&mut state, Key::char('h'));
    assert_eq!(names(&state), ["a", "recent"]);
    // Time passes: `recent` goes too, and the selection does not stay on a hidden row.
    select(&mut state, "recent");
    update(&mut state, Action::Tick(at(10, 31)));
    assert_eq!(names(&state), ["a"]);
    assert_eq!(selected_name(&state), Some("a"));
}

#[test]
fn space_marks_and_moves_down_and_esc_clears_the_marks() {
    let mut state = loaded(vec![running("a"), running("b"), running("c")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    assert_eq!(selected_name(&state), Some("b"));
    press(&mut state, Key::char(' '));
    assert_eq!(marked_names(&state), ["a", "b"]);
    // Again on a marked row: unmarked.
    press(&mut state, Key::char('k'));
    press(&mut state, Key::char(' '));
    assert_eq!(marked_names(&state), ["a"]);
    press(&mut state, Key::plain(KeyCode::Esc));
    assert!(marked_names(&state).is_empty());
    assert_eq!(state.message.as_ref().unwrap().text, "marks cleared");
}

#[test]
fn destroy_acts_on_every_marked_row_after_one_confirmation() {
    let mut state = loaded(vec![running("a"), running("b"), running("c")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char('j'));
    press(&mut state, Key::char(' '));
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    let Mode::Confirm(confirm) = &state.mode else {
        panic!("no confirmation: {:?}", state.mode);
    };
    let listed: Vec<&str> = confirm.targets.iter().map(|t| t.id.name.as_str()).collect();
    assert_eq!(listed, ["a", "c"]);
    assert_eq!(confirm.action, Guarded::Destroy);
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(destroyed_targets(&effects), ["ana/a", "ana/c"]);
    assert!(
        marked_names(&state).is_empty(),
        "a finished action clears the marks"
    );
    assert_eq!(state.message.as_ref().unwrap().text, "destroying a, c…");
}

#[test]
fn a_cancelled_destroy_keeps_the_marks() {
    let mut state = loaded(vec![running("a"), running("b")]);
    press(&mut state, Key::char(' '));
    press(&mut state, Key::ctrl('d'));
    assert!(press(&mut state, Key::char('n')).is_empty());
    assert_eq!(marked_names(&state).len(), 1);
}

#[test]
fn another_owners_instance_among_the_marked_still_takes_its_name_typed() {
    let mut state = everyone(
        None,
        vec![owned_by("ana", "mine"), owned_by("bob", "theirs")],
    );
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::ctrl('d'));
    let Mode::Confirm(confirm) = &state.mode else {
        panic!("no confirmation: {:?}", state.mode);
    };
    assert_eq!(confirm.names_to_type().as_deref(), Some("theirs"));
    // A `y` is typed into the field, not taken as a yes.
    assert!(press(&mut state, Key::char('y')).is_empty());
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert!(
        state.message.as_ref().unwrap().text.contains("kept"),
        "{:?}",
        state.message
    );
    press(&mut state, Key::ctrl('d'));
    type_text(&mut state, "theirs");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(destroyed_targets(&effects), ["ana/mine", "bob/theirs"]);
}

#[test]
fn destroying_a_stopped_instance_says_so_and_asks_nothing() {
    let mut state = loaded(vec![destroyed("gone", at(9, 50))]);
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "gone has already stopped; there is nothing to destroy"
    );
    // Among marked rows, the stopped one is left out and said so.
    let mut state = loaded(vec![running("a"), destroyed("gone", at(9, 50))]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::ctrl('d'));
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "gone has already stopped; left out"
    );
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(destroyed_targets(&effects), ["ana/a"]);
}

/// The instances `effects` extend, and by how long.
fn extended(effects: &[Effect]) -> Vec<(String, Duration)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Extend { target, by, .. } => Some((target.label("ana"), *by)),
            _ => None,
        })
        .collect()
}

#[test]
fn extend_asks_once_how_long_and_sends_it_for_every_marked_row() {
    let mut state = loaded(vec![running("a"), running("b"), running("c")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    assert!(press(&mut state, Key::char('e')).is_empty());
    assert!(
        matches!(&state.mode, Mode::Extend(dialog) if dialog.targets.len() == 2 && dialog.by.text() == "8h"),
        "{:?}",
        state.mode
    );
    press(&mut state, Key::plain(KeyCode::Backspace));
    press(&mut state, Key::plain(KeyCode::Backspace));
    type_text(&mut state, "3h");
    // All mine: the duration is the answer, no second question.
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(
        extended(&effects),
        [
            ("a".to_string(), Duration::hours(3)),
            ("b".to_string(), Duration::hours(3))
        ]
    );
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "extending a, b by 3h…"
    );
    assert!(marked_names(&state).is_empty());
}

#[test]
fn esc_in_the_extend_dialog_of_marked_rows_sends_nothing_and_keeps_the_marks() {
    let mut state = loaded(vec![running("a"), running("b")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char('e'));
    assert!(press(&mut state, Key::plain(KeyCode::Esc)).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(
        state.message.as_ref().unwrap().text,
        "a, b kept as they were"
    );
    assert_eq!(marked_names(&state), ["a", "b"]);
}

#[test]
fn marked_rows_with_someone_elses_are_extended_after_their_names_are_typed() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "two")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char('e'));
    assert!(press(&mut state, Key::plain(KeyCode::Enter)).is_empty());
    assert!(
        matches!(&state.mode, Mode::Confirm(c) if c.targets.len() == 2
            && c.action == Guarded::Extend { by: Duration::hours(8) }
            && c.names_to_type().as_deref() == Some("two")),
        "{:?}",
        state.mode
    );
    type_text(&mut state, "two");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(
        extended(&effects),
        [
            ("one".to_string(), Duration::hours(8)),
            ("bob/two".to_string(), Duration::hours(8))
        ]
    );
    assert!(marked_names(&state).is_empty());
}

#[test]
fn a_marked_row_that_cannot_be_extended_is_named_and_nothing_is_sent() {
    let mut state = loaded(vec![running("a"), destroyed("gone", at(9, 50))]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::char(' '));
    assert!(press(&mut state, Key::char('e')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    let text = &state.message.as_ref().unwrap().text;
    assert!(
        text.contains("gone has stopped") && text.contains("unmark it"),
        "{text}"
    );
}

#[test]
fn a_mark_goes_with_its_row() {
    let mut state = loaded(vec![running("a"), running("b")]);
    state.table.sort = crate::state::table::SortKey::Name;
    press(&mut state, Key::char('g'));
    press(&mut state, Key::char(' '));
    // `a` is listed no more: its mark goes, nothing can act on it unseen.
    poll(
        &mut state,
        at(10, 0) + Duration::seconds(30),
        vec![running("b")],
    );
    assert!(marked_names(&state).is_empty());
}
