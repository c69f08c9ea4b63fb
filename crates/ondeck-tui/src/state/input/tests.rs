use super::*;

fn typed(text: &str) -> LineInput {
    let mut input = LineInput::new();
    for c in text.chars() {
        assert!(input.key(Key::char(c)));
    }
    input
}

fn press(input: &mut LineInput, key: Key) {
    assert!(input.key(key), "{key} is an editing key");
}

/// The text with `|` where the cursor is.
fn shown(input: &LineInput) -> String {
    let (before, under, after) = input.split_at_cursor();
    format!(
        "{before}|{}{after}",
        under.map(String::from).unwrap_or_default()
    )
}

#[test]
fn typing_appends_and_the_cursor_follows() {
    let input = typed("api");
    assert_eq!(input.text(), "api");
    assert_eq!(shown(&input), "api|");
}

#[test]
fn arrows_home_and_end_move_the_cursor_and_typing_inserts_there() {
    let mut input = typed("ac");
    press(&mut input, Key::plain(KeyCode::Left));
    press(&mut input, Key::char('b'));
    assert_eq!(shown(&input), "ab|c");
    press(&mut input, Key::plain(KeyCode::Home));
    assert_eq!(shown(&input), "|abc");
    press(&mut input, Key::plain(KeyCode::Left));
    assert_eq!(shown(&input), "|abc", "nothing left of the start");
    press(&mut input, Key::plain(KeyCode::End));
    assert_eq!(shown(&input), "abc|");
    press(&mut input, Key::plain(KeyCode::Right));
    assert_eq!(shown(&input), "abc|", "nothing right of the end");
    press(&mut input, Key::ctrl('a'));
    assert_eq!(shown(&input), "|abc");
    press(&mut input, Key::ctrl('e'));
    assert_eq!(shown(&input), "abc|");
}

#[test]
fn backspace_and_delete_remove_either_side_of_the_cursor() {
    let mut input = typed("abcd");
    press(&mut input, Key::plain(KeyCode::Left));
    press(&mut input, Key::plain(KeyCode::Left));
    press(&mut input, Key::plain(KeyCode::Backspace));
    assert_eq!(shown(&input), "a|cd");
    press(&mut input, Key::plain(KeyCode::Delete));
    assert_eq!(shown(&input), "a|d");
    press(&mut input, Key::plain(KeyCode::Home));
    press(&mut input, Key::plain(KeyCode::Backspace));
    assert_eq!(shown(&input), "|ad", "nothing before the start");
    press(&mut input, Key::plain(KeyCode::End));
    press(&mut input, Key::plain(KeyCode::Delete));
    assert_eq!(shown(&input), "ad|", "nothing after the end");
}

#[test]
fn wide_and_multibyte_characters_move_and_delete_whole() {
    let mut input = typed("añ日");
    press(&mut input, Key::plain(KeyCode::Left));
    assert_eq!(shown(&input), "añ|日");
    press(&mut input, Key::plain(KeyCode::Backspace));
    assert_eq!(shown(&input), "a|日");
    press(&mut input, Key::plain(KeyCode::Delete));
    assert_eq!(input.text(), "a");
}

#[test]
fn ctrl_u_kills_to_the_start_and_ctrl_k_to_the_end() {
    let mut input = typed("launch web demo");
    for _ in 0.."demo".len() {
        press(&mut input, Key::plain(KeyCode::Left));
    }
    let mut to_end = input.clone();
    press(&mut input, Key::ctrl('u'));
    assert_eq!(shown(&input), "|demo");
    press(&mut to_end, Key::ctrl('k'));
    assert_eq!(shown(&to_end), "launch web |");
}

#[test]
fn ctrl_w_kills_the_word_before_the_cursor_and_the_spaces_after_it() {
    let mut input = typed("launch web  ");
    press(&mut input, Key::ctrl('w'));
    assert_eq!(shown(&input), "launch |");
    press(&mut input, Key::ctrl('w'));
    assert_eq!(shown(&input), "|");
    press(&mut input, Key::ctrl('w'));
    assert_eq!(shown(&input), "|", "nothing to kill");

    let mut middle = typed("api:A=1 worker:B=2");
    for _ in 0.." worker:B=2".len() {
        press(&mut middle, Key::plain(KeyCode::Left));
    }
    press(&mut middle, Key::ctrl('w'));
    assert_eq!(shown(&middle), "| worker:B=2");
}

#[test]
fn keys_that_do_not_edit_are_left_to_the_caller() {
    let mut input = typed("x");
    for key in [
        Key::plain(KeyCode::Enter),
        Key::plain(KeyCode::Esc),
        Key::plain(KeyCode::Tab),
        Key::plain(KeyCode::Up),
        Key::ctrl('d'),
        Key {
            code: KeyCode::Char('b'),
            ctrl: false,
            alt: true,
        },
    ] {
        assert!(!input.key(key), "{key}");
    }
    assert_eq!(shown(&input), "x|");
}

#[test]
fn a_paste_is_inserted_at_the_cursor_on_one_line() {
    let mut input = typed("[]");
    press(&mut input, Key::plain(KeyCode::Left));
    input.paste("one\ntwo\r\nthree\rfour\tfive\u{1b}[31m\u{7}");
    assert_eq!(input.text(), "[one two three four five[31m]");
    assert_eq!(shown(&input), "[one two three four five[31m|]");
}

#[test]
fn clear_empties_the_line() {
    let mut input = typed("abc");
    input.clear();
    assert!(input.is_empty());
    assert_eq!(shown(&input), "|");
}
