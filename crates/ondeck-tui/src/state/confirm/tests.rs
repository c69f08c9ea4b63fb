use super::*;
use crate::state::fixtures::*;
use crate::state::{Effect, Mode};

fn mine() -> Confirm {
    Confirm::new(Guarded::Destroy, [&owned_by("ana", "one")], "ana")
}

fn theirs() -> Confirm {
    Confirm::new(Guarded::Destroy, [&owned_by("bob", "one")], "ana")
}

#[test]
fn one_of_mine_takes_a_y_and_any_other_key_keeps_it() {
    assert_eq!(mine().key(Key::char('y')), Outcome::Done(()));
    assert_eq!(mine().key(Key::char('Y')), Outcome::Done(()));
    for key in [
        Key::char('n'),
        Key::plain(KeyCode::Enter),
        Key::plain(KeyCode::Esc),
        Key::ctrl('y'),
    ] {
        assert_eq!(mine().key(key), Outcome::Cancelled, "{key}");
    }
    let mut pasted = mine();
    pasted.paste("y");
    assert_eq!(pasted.typed.text(), "", "a paste is no answer");
}

#[test]
fn someone_elses_says_whose_and_takes_its_name_typed() {
    let mut confirm = theirs();
    let note = confirm.targets[0].foreign.clone().expect("whose it is");
    assert!(note.contains("belongs to bob"), "{note}");
    assert_eq!(confirm.key(Key::char('y')), Outcome::Open);
    assert_eq!(confirm.key(Key::plain(KeyCode::Backspace)), Outcome::Open);
    for c in "onx".chars() {
        assert_eq!(confirm.key(Key::char(c)), Outcome::Open);
    }
    assert_eq!(confirm.key(Key::plain(KeyCode::Left)), Outcome::Open);
    assert_eq!(confirm.key(Key::plain(KeyCode::Delete)), Outcome::Open);
    assert_eq!(confirm.key(Key::char('e')), Outcome::Open);
    assert_eq!(confirm.typed.text(), "one");
    assert_eq!(confirm.key(Key::plain(KeyCode::Enter)), Outcome::Done(()));
}

#[test]
fn a_wrong_name_or_esc_keeps_someone_elses() {
    let mut wrong = theirs();
    wrong.key(Key::char('o'));
    assert_eq!(wrong.key(Key::plain(KeyCode::Enter)), Outcome::Cancelled);
    assert_eq!(theirs().key(Key::plain(KeyCode::Esc)), Outcome::Cancelled);
}

#[test]
fn a_pasted_name_waits_for_enter() {
    let mut confirm = theirs();
    confirm.paste("one\n");
    assert_eq!(confirm.typed.text(), "one ");
    assert_eq!(
        confirm.key(Key::plain(KeyCode::Enter)),
        Outcome::Cancelled,
        "the newline became a space, not an enter"
    );
    let mut confirm = theirs();
    confirm.paste("one");
    assert_eq!(confirm.key(Key::plain(KeyCode::Enter)), Outcome::Done(()));
}

#[test]
fn it_counts_the_tasks_it_stops() {
    let instance = owned_by("ana", "one");
    let by = Guarded::Extend {
        by: chrono::Duration::hours(8),
    };
    let confirm = Confirm::new(by.clone(), [&instance], &profile("dev").owner);
    assert_eq!(confirm.targets[0].tasks, instance.tasks.len());
    assert_eq!(confirm.action, by);
    assert_eq!(confirm.targets[0].id, instance.id());
}

// Through `update`: the confirmation as the table's keys open it.

#[test]
fn destroy_needs_a_typed_y() {
    let mut state = loaded(vec![running("a")]);
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    assert!(
        matches!(&state.mode, Mode::Confirm(c) if c.targets[0].id.name == "a" && c.action == Guarded::Destroy && c.names_to_type().is_none()),
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
fn destroying_another_owners_instance_says_whose_and_needs_its_name_typed() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('G'));
    assert_eq!(selected_owner(&state), Some("bob"));
    assert!(press(&mut state, Key::ctrl('d')).is_empty());
    let Mode::Confirm(confirm) = &state.mode else {
        panic!("no confirmation: {:?}", state.mode);
    };
    assert_eq!(confirm.targets[0].id.to_string(), "bob/one");
    let note = confirm.targets[0]
        .foreign
        .clone()
        .expect("says whose it is");
    assert!(note.contains("belongs to bob"), "{note}");

    // `y` is not enough: it is typed into the name, and enter with the wrong name keeps it.
    assert!(press(&mut state, Key::char('y')).is_empty());
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.typed.text() == "y"));
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
    assert!(matches!(&state.mode, Mode::Confirm(c) if c.names_to_type().is_none()));
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
    // How long first, then the name.
    assert!(matches!(&state.mode, Mode::Extend(_)), "{:?}", state.mode);
    press(&mut state, Key::plain(KeyCode::Enter));
    let by = chrono::Duration::hours(8);
    assert!(
        matches!(&state.mode, Mode::Confirm(c) if c.action == Guarded::Extend { by } && c.names_to_type().is_some()),
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
