use super::*;

#[test]
fn shifted_characters_and_control_keys_convert() {
    let shifted = KeyEvent::new(TermCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(convert(shifted), Some(Key::char('G')));
    let ctrl_d = KeyEvent::new(TermCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(convert(ctrl_d), Some(Key::ctrl('d')));
    let shift_tab = KeyEvent::new(TermCode::Tab, KeyModifiers::SHIFT);
    assert_eq!(convert(shift_tab), Some(Key::plain(KeyCode::BackTab)));
    let mut release = KeyEvent::new(TermCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert_eq!(convert(release), None);
}
