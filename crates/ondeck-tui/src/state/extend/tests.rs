use chrono::Duration;

use super::*;
use crate::state::fixtures::mine;

fn dialog(ttl: Option<Duration>) -> ExtendDialog {
    ExtendDialog::new(vec![mine("a")], ttl)
}

fn enter(dialog: &mut ExtendDialog) -> Outcome<Duration> {
    dialog.key(Key::plain(KeyCode::Enter))
}

#[test]
fn it_is_prefilled_with_the_ttl_or_an_hour() {
    assert_eq!(dialog(Some(Duration::minutes(90))).by.text(), "1h 30m");
    assert_eq!(dialog(None).by.text(), "1h");
    assert_eq!(enter(&mut dialog(None)), Outcome::Done(Duration::hours(1)));
}

#[test]
fn bad_input_stays_with_the_parsers_reason() {
    for (typed, reason) in [
        ("", "empty value for a time to live"),
        ("8", "lacks a unit"),
        ("0m", "is zero"),
        ("31d", "longer than 30 days"),
        ("2w", "unknown unit `w`"),
    ] {
        let mut dialog = dialog(None);
        dialog.by = LineInput::from(typed);
        assert_eq!(enter(&mut dialog), Outcome::Open, "{typed}");
        assert_eq!(dialog.by.text(), typed);
        let why = dialog.error.clone().unwrap_or_default();
        assert!(why.contains(reason), "{typed}: {why}");
    }
}

#[test]
fn esc_cancels_and_other_keys_edit() {
    let mut extend = dialog(Some(Duration::hours(8)));
    assert_eq!(extend.key(Key::char('x')), Outcome::Open);
    assert_eq!(extend.by.text(), "8hx");
    assert_eq!(extend.key(Key::plain(KeyCode::Esc)), Outcome::Cancelled);
}
