use chrono::FixedOffset;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use super::*;
use crate::state::fixtures::{app, at, loaded, press, running, type_text};
use crate::state::keymap::{Key, KeyCode};
use crate::ui::{RenderContext, render};

fn text(spans: &[Span]) -> String {
    spans.iter().map(|span| span.content.as_ref()).collect()
}

#[test]
fn at_the_end_the_cursor_is_a_block_after_the_text() {
    let mut input = LineInput::new();
    input.paste("api");
    let spans = with_cursor(&input, Theme::unicode(true));
    assert_eq!(text(&spans), "api█");
}

#[test]
fn inside_the_text_the_character_under_the_cursor_is_reversed() {
    let mut input = LineInput::new();
    input.paste("añb");
    input.key(Key::plain(KeyCode::Left));
    input.key(Key::plain(KeyCode::Left));
    for color in [true, false] {
        let spans = with_cursor(&input, Theme::unicode(color));
        assert_eq!(text(&spans), "añb", "no block: the text keeps its width");
        let under = &spans[1];
        assert_eq!(under.content, "ñ");
        assert!(
            under.style.add_modifier.contains(Modifier::REVERSED),
            "{color}"
        );
    }
}

/// The bottom row of an 80×24 frame, and the style of each of its cells.
fn bottom_row(state: &crate::state::AppState) -> Vec<(String, Modifier)> {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let ctx = RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).unwrap(),
        theme: Theme::unicode(false),
    };
    terminal.draw(|frame| render(frame, state, &ctx)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..80)
        .map(|x| {
            let cell = &buffer[(x, 23)];
            (cell.symbol().to_string(), cell.modifier)
        })
        .collect()
}

#[test]
fn the_filter_and_the_command_line_show_where_the_cursor_is() {
    let mut state = loaded(vec![running("api")]);
    press(&mut state, Key::char('/'));
    type_text(&mut state, "apx");
    press(&mut state, Key::plain(KeyCode::Left));
    let row = bottom_row(&state);
    let shown: String = row
        .iter()
        .take(4)
        .map(|(symbol, _)| symbol.as_str())
        .collect();
    assert_eq!(shown, "/apx");
    assert!(
        row[3].1.contains(Modifier::REVERSED),
        "x is under the cursor"
    );
    assert!(!row[2].1.contains(Modifier::REVERSED));

    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::char(':'));
    type_text(&mut state, "quit");
    press(&mut state, Key::plain(KeyCode::Home));
    let row = bottom_row(&state);
    let shown: String = row
        .iter()
        .take(5)
        .map(|(symbol, _)| symbol.as_str())
        .collect();
    assert_eq!(shown, ":quit");
    assert!(
        row[1].1.contains(Modifier::REVERSED),
        "q is under the cursor"
    );
}

#[test]
fn the_launch_dialog_shows_the_cursor_in_the_focused_field_only() {
    let mut state = app(false, at(10, 5));
    crate::state::fixtures::poll(&mut state, at(10, 4), vec![]);
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "nightly");
    press(&mut state, Key::ctrl('a'));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let ctx = RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).unwrap(),
        theme: Theme::unicode(false),
    };
    terminal.draw(|frame| render(frame, &state, &ctx)).unwrap();
    let buffer = terminal.backend().buffer();
    let screen = terminal.backend().to_string();
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("[ nightly ]"))
        .expect("the name field, with no block: the cursor is on the n");
    // Each row is printed in quotes.
    let row = line.strip_prefix('"').expect("a quoted row");
    let x = row.chars().position(|c| c == 'n').expect("an n");
    let cell = &buffer[(x as u16, y as u16)];
    assert_eq!(cell.symbol(), "n");
    assert!(cell.modifier.contains(Modifier::REVERSED));
    assert!(
        screen.contains("[ api:LOG_LEVEL=debug worker:THREADS=4 ]"),
        "the env field shows its placeholder, no cursor:\n{screen}"
    );
}
