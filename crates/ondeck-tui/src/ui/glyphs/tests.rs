use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;

/// An empty value stands for a variable that is not set.
fn set(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

fn choose(term: &str, lc_all: &str, lc_ctype: &str, lang: &str) -> Glyphs {
    Glyphs::for_terminal(set(term), set(lc_all), set(lc_ctype), set(lang))
}

#[test]
fn a_utf8_terminal_gets_the_unicode_symbols() {
    assert_eq!(
        choose("xterm-256color", "", "", "en_US.UTF-8"),
        Glyphs::UNICODE
    );
    assert_eq!(choose("xterm", "", "", "C.utf8"), Glyphs::UNICODE);
    assert_eq!(
        choose("screen", "", "de_DE.UTF-8@euro", ""),
        Glyphs::UNICODE
    );
    // No locale at all says nothing against UTF-8.
    assert_eq!(choose("xterm", "", "", ""), Glyphs::UNICODE);
}

#[test]
fn the_linux_console_gets_ascii_whatever_the_locale() {
    assert_eq!(choose("linux", "", "", "en_US.UTF-8"), Glyphs::ASCII);
    assert!(choose("linux", "", "", "").is_ascii());
}

#[test]
fn a_locale_without_utf8_gets_ascii_and_lc_all_wins_over_lang() {
    assert_eq!(choose("xterm", "", "", "C"), Glyphs::ASCII);
    assert_eq!(choose("xterm", "", "", "POSIX"), Glyphs::ASCII);
    assert_eq!(choose("xterm", "", "", "en_US.ISO-8859-1"), Glyphs::ASCII);
    assert_eq!(choose("xterm", "C", "", "en_US.UTF-8"), Glyphs::ASCII);
    assert_eq!(choose("xterm", "", "C", "en_US.UTF-8"), Glyphs::ASCII);
    assert_eq!(choose("xterm", "en_US.UTF-8", "C", "C"), Glyphs::UNICODE);
}

#[test]
fn every_ascii_symbol_is_ascii() {
    let glyphs = Glyphs::ASCII;
    let mut all = vec![
        glyphs.ellipsis,
        glyphs.running,
        glyphs.transitional,
        glyphs.stopped,
        glyphs.failed,
        glyphs.degraded,
        glyphs.unknown,
        glyphs.expiry,
        glyphs.refreshed,
        glyphs.pointer,
        glyphs.note,
        glyphs.warning,
        glyphs.error,
        glyphs.cursor,
        glyphs.chosen,
        glyphs.not_chosen,
        glyphs.arrow,
        glyphs.sent,
        glyphs.received,
        glyphs.at_least,
        glyphs.border.top_left,
        glyphs.border.horizontal_top,
        glyphs.border.vertical_left,
    ];
    all.extend(glyphs.spinner);
    for symbol in all {
        assert!(symbol.is_ascii(), "{symbol:?}");
    }
}

#[test]
fn what_is_left_of_unicode_becomes_ascii() {
    let mut buffer = Buffer::empty(Rect::new(0, 0, 12, 1));
    buffer.set_string(0, 0, "a·b—c名d┌é", ratatui::style::Style::new());
    ascii_only(&mut buffer);
    let row: String = buffer.content.iter().map(|cell| cell.symbol()).collect();
    assert_eq!(row, "a-b-c? d+?  ");
}
