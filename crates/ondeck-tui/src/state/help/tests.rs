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
        assert_eq!(Help::default().key(key), Outcome::Cancelled, "{key}");
    }
}

#[test]
fn arrows_and_j_k_scroll_it_and_stop_at_the_top() {
    let mut help = Help::default();
    for key in [Key::plain(KeyCode::Down), Key::char('j'), Key::char('j')] {
        assert_eq!(help.key(key), Outcome::Open, "{key}");
    }
    assert_eq!(help.top, 3);
    for key in [Key::plain(KeyCode::Up), Key::char('k')] {
        assert_eq!(help.key(key), Outcome::Open);
    }
    assert_eq!(help.top, 1);
    help.key(Key::char('k'));
    help.key(Key::char('k'));
    assert_eq!(help.top, 0);
    assert_eq!(help.key(Key::ctrl('j')), Outcome::Cancelled);
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut state = loaded(vec![]);
    press(&mut state, Key::char('?'));
    assert_eq!(state.mode, Mode::Help(Help::default()));
    assert!(press(&mut state, Key::char('q')).is_empty());
    assert_eq!(state.mode, Mode::Normal);
    assert!(!state.quitting, "that q only closed the help");
    assert!(press(&mut state, Key::char('q')).is_empty());
    assert!(state.quitting, "q quits once help is closed");
}
