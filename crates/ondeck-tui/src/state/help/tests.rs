use super::*;
use crate::state::Mode;
use crate::state::fixtures::*;
use crate::state::keymap::KeyCode;

#[test]
fn any_key_closes_it() {
    for key in [
        Key::char('q'),
        Key::char('?'),
        Key::plain(KeyCode::Enter),
        Key::plain(KeyCode::Esc),
        Key::ctrl('d'),
    ] {
        assert_eq!(Help.key(key), Outcome::Cancelled, "{key}");
    }
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('?'));
    assert_eq!(state.mode, Mode::Help(Help));
    assert!(press(&mut state, Key::char('q')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert!(!state.quitting, "that q only closed the help");
    assert!(press(&mut state, Key::char('q')).is_empty());
    assert!(state.quitting, "q quits once help is closed");
}
