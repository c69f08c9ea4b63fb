use super::*;
use crate::state::keymap::{KeyCode, Keymap};

const NAMES: [&str; 3] = ["dev", "prod", "staging"];

fn press(picker: &mut ProfilePicker, key: Key) -> Outcome<usize> {
    picker.key(key, Keymap::default().command(key))
}

#[test]
fn it_opens_on_the_current_profile() {
    assert_eq!(ProfilePicker::new(NAMES.into_iter(), "prod").cursor, 1);
    assert_eq!(ProfilePicker::new(NAMES.into_iter(), "gone").cursor, 0);
}

#[test]
fn up_and_down_move_within_the_list_and_enter_picks() {
    let mut picker = ProfilePicker::new(NAMES.into_iter(), "dev");
    assert_eq!(press(&mut picker, Key::char('k')), Outcome::Open);
    assert_eq!(picker.cursor, 0, "nothing above the first");
    press(&mut picker, Key::char('j'));
    press(&mut picker, Key::plain(KeyCode::Down));
    press(&mut picker, Key::char('j'));
    assert_eq!(picker.cursor, 2, "nothing below the last");
    press(&mut picker, Key::plain(KeyCode::Up));
    assert_eq!(
        press(&mut picker, Key::plain(KeyCode::Enter)),
        Outcome::Done(1)
    );
}

#[test]
fn esc_cancels_and_other_keys_change_nothing() {
    let mut picker = ProfilePicker::new(NAMES.into_iter(), "prod");
    assert_eq!(press(&mut picker, Key::char('x')), Outcome::Open);
    assert_eq!(picker.cursor, 1);
    assert_eq!(
        press(&mut picker, Key::plain(KeyCode::Esc)),
        Outcome::Cancelled
    );
}
