use std::cell::RefCell;
use std::rc::Rc;

use proptest::prelude::*;
use ratatui::style::{Color, Style};
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::*;

const WIDTH: u16 = 40;
const HEIGHT: u16 = 12;

/// Everything written to the terminal, readable while the backend still holds it.
#[derive(Clone, Default)]
struct Written(Rc<RefCell<Vec<u8>>>);

impl Written {
    fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }

    fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

impl Write for Written {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn scrolling() -> (Terminal<ScrollingBackend<Written>>, Written) {
    let written = Written::default();
    let terminal = fixed(ScrollingBackend::new(written.clone(), area()));
    (terminal, written)
}

fn area() -> Rect {
    Rect::new(0, 0, WIDTH, HEIGHT)
}

/// One frame: a line of text (and a colour) per row.
type Frame = Vec<(String, Color)>;

fn draw<B: Backend>(terminal: &mut Terminal<B>, frame: &Frame)
where
    B::Error: std::fmt::Debug,
{
    terminal
        .draw(|f| {
            for (y, (text, colour)) in frame.iter().enumerate() {
                f.buffer_mut()
                    .set_string(0, y as u16, text, Style::new().fg(*colour));
            }
        })
        .unwrap();
}

fn fixed<B: Backend>(backend: B) -> Terminal<B> {
    Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(area()),
        },
    )
    .unwrap()
}

/// What a VT100-compatible terminal shows after `bytes`, a string per row.
fn screen_after(bytes: &[u8]) -> Vec<String> {
    let mut parser = vt100::Parser::new(HEIGHT.try_into().unwrap(), WIDTH.try_into().unwrap(), 0);
    parser.process(bytes);
    (0..HEIGHT)
        .map(|row| {
            (0..WIDTH)
                .map(|col| {
                    let cell = parser.screen().cell(row, col).unwrap();
                    if cell.has_contents() {
                        cell.contents().to_string()
                    } else {
                        " ".to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn expected_rows(frame: &Frame) -> Vec<String> {
    (0..usize::from(HEIGHT))
        .map(|y| {
            let text = frame.get(y).map(|(text, _)| text.as_str()).unwrap_or("");
            let text: String = text.chars().take(usize::from(WIDTH)).collect();
            format!("{text:<width$}", width = usize::from(WIDTH))
        })
        .collect()
}

/// A bordered log pane under a title row and above a status row, following `first..`.
fn log_frame(first: usize) -> Frame {
    let mut frame = vec![("ondeck · dev".to_string(), Color::Reset)];
    frame.push((
        "┌ logs ─────────────────────────────────┐".to_string(),
        Color::Reset,
    ));
    const SAID: [&str; 4] = [
        "GET /orders 200",
        "pool warm",
        "WARN slow query",
        "cache miss",
    ];
    for n in first..first + usize::from(HEIGHT) - 4 {
        let line = format!("12:00:{:02} api {} #{n}", n % 60, SAID[n % SAID.len()]);
        frame.push((format!("│{line:<38}│"), Color::Cyan));
    }
    frame.push((
        "└───────────────────────────────────────┘".to_string(),
        Color::Reset,
    ));
    frame.push((
        format!("live · last event 12:00:{:02}", (first + 7) % 60),
        Color::Reset,
    ));
    frame
}

#[test]
fn a_followed_pane_scrolls_and_writes_only_the_new_line() {
    let (mut scrolling, to_scrolling) = scrolling();
    let to_plain = Written::default();
    let mut plain = fixed(CrosstermBackend::new(to_plain.clone()));
    draw(&mut scrolling, &log_frame(0));
    draw(&mut plain, &log_frame(0));
    let before = (to_scrolling.len(), to_plain.len());

    draw(&mut scrolling, &log_frame(1));
    draw(&mut plain, &log_frame(1));

    let scrolled = &to_scrolling.bytes()[before.0..];
    let redrawn = &to_plain.bytes()[before.1..];
    let text = String::from_utf8_lossy(scrolled);
    assert!(
        text.contains("\x1b[3;10r\x1b[1S\x1b[r"),
        "the pane's rows scroll: {text:?}"
    );
    assert!(text.contains("#8 "), "the new line is written");
    assert!(!text.contains("#7 "), "a moved line is not rewritten");
    assert!(
        scrolled.len() * 3 < redrawn.len(),
        "{} bytes scrolling against {} redrawing",
        scrolled.len(),
        redrawn.len()
    );
    assert_eq!(
        screen_after(&to_scrolling.bytes()),
        expected_rows(&log_frame(1))
    );
}

#[test]
fn a_burst_scrolls_by_as_many_rows_as_arrived() {
    let (mut terminal, written) = scrolling();
    draw(&mut terminal, &log_frame(0));
    draw(&mut terminal, &log_frame(5));
    let bytes = written.bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("\x1b[3;10r\x1b[5S"));
    assert_eq!(screen_after(&bytes), expected_rows(&log_frame(5)));
}

#[test]
fn rows_that_did_not_move_are_sent_as_ratatui_diffs_them() {
    let (mut terminal, written) = scrolling();
    let mut frame = log_frame(0);
    draw(&mut terminal, &frame);
    frame[0].0 = "ondeck · prod".to_string();
    frame[5].0 = "│ a different line │".to_string();
    draw(&mut terminal, &frame);
    let bytes = written.bytes();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("S\x1b[r"),
        "no scrolling"
    );
    assert_eq!(screen_after(&bytes), expected_rows(&frame));
}

#[test]
fn a_clear_forgets_what_the_screen_showed() {
    let written = Written::default();
    let mut backend = ScrollingBackend::new(written.clone(), area());
    let empty = Buffer::empty(area());
    let mut frame = Buffer::empty(area());
    for (y, (text, colour)) in log_frame(0).iter().enumerate() {
        frame.set_string(0, y as u16, text, Style::new().fg(*colour));
    }
    backend.draw(empty.diff(&frame).into_iter()).unwrap();
    backend.clear_region(ClearType::All).unwrap();
    // As ratatui does after a clear: everything again.
    backend.draw(empty.diff(&frame).into_iter()).unwrap();
    assert_eq!(screen_after(&written.bytes()), expected_rows(&log_frame(0)));
}

#[test]
fn partial_clears_are_refused_rather_than_guessed() {
    let mut backend = ScrollingBackend::new(Written::default(), area());
    assert!(backend.clear_region(ClearType::CurrentLine).is_err());
}

fn arbitrary_frame() -> impl Strategy<Value = Frame> {
    let colours = prop_oneof![Just(Color::Reset), Just(Color::Red), Just(Color::Cyan)];
    prop::collection::vec(("[a-c ]{0,40}", colours), usize::from(HEIGHT))
}

/// How the next frame comes from the last: moved up in a band, rows edited, or both.
fn next_frame(
    last: &Frame,
    top: usize,
    len: usize,
    lines: usize,
    edits: &[(usize, String)],
) -> Frame {
    let mut next = last.clone();
    let bottom = (top + len).min(next.len());
    let lines = lines.min(bottom - top);
    next[top..bottom].rotate_left(lines);
    for (n, row) in next[bottom - lines..bottom].iter_mut().enumerate() {
        *row = (format!("new {n} {}", top + lines), Color::Green);
    }
    for (y, text) in edits {
        next[y % HEIGHT as usize].0 = text.clone();
    }
    next
}

proptest! {
    /// Whatever the frames, the terminal ends up showing exactly the last one.
    #[test]
    fn the_terminal_always_shows_the_last_frame(
        first in arbitrary_frame(),
        steps in prop::collection::vec(
            (0usize..8, 1usize..12, 0usize..6, prop::collection::vec((0usize..12, "[a-c ]{0,40}"), 0..3)),
            1..8,
        ),
    ) {
        let (mut terminal, written) = scrolling();
        let mut frame = first;
        draw(&mut terminal, &frame);
        for (top, len, lines, edits) in steps {
            frame = next_frame(&frame, top, len, lines, &edits);
            draw(&mut terminal, &frame);
            let bytes = written.bytes();
            prop_assert_eq!(screen_after(&bytes), expected_rows(&frame));
        }
    }
}
