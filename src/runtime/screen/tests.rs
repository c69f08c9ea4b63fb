use proptest::prelude::*;
use ratatui::style::Style;
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::*;
use crate::runtime::tests::Written;
use ondeck_tui::ui::theme::ANSI_COLORS;

const WIDTH: u16 = 40;
const HEIGHT: u16 = 12;

fn area() -> Rect {
    Rect::new(0, 0, WIDTH, HEIGHT)
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

fn screen_backend() -> (Terminal<ScreenBackend<Written>>, Written) {
    let written = Written::default();
    let terminal = fixed(ScreenBackend::new(written.clone(), area()));
    (terminal, written)
}

/// One frame: each row a few runs of styled text.
type Frame = Vec<Vec<(String, Style)>>;

/// Draws `frame` and returns the buffer ratatui drew.
fn draw<B: Backend>(terminal: &mut Terminal<B>, frame: &Frame) -> Buffer
where
    B::Error: std::fmt::Debug,
{
    terminal
        .draw(|f| {
            for (y, runs) in frame.iter().enumerate() {
                let mut x = 0;
                for (text, style) in runs {
                    let (end, _) = f.buffer_mut().set_stringn(
                        x,
                        y as u16,
                        text,
                        usize::from(WIDTH - x),
                        *style,
                    );
                    x = end;
                }
            }
        })
        .unwrap()
        .buffer
        .clone()
}

fn vt100_colour(colour: Color) -> vt100::Color {
    match colour {
        Color::Reset => vt100::Color::Default,
        Color::Indexed(n) => vt100::Color::Idx(n),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        named => vt100::Color::Idx(ANSI_COLORS.iter().position(|c| *c == named).unwrap() as u8),
    }
}

/// Asserts that a VT100-compatible terminal fed `bytes` shows `frame`: every cell's text,
/// colours and attributes, as far as they can be seen (a space's text colour and weight cannot).
fn assert_shows(bytes: &[u8], frame: &Buffer) {
    let mut parser = vt100::Parser::new(HEIGHT.try_into().unwrap(), WIDTH.try_into().unwrap(), 0);
    parser.process(bytes);
    let screen = parser.screen();
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let shown = screen.cell(y, x).unwrap();
            let wanted = &frame[(x, y)];
            let text = if shown.has_contents() {
                shown.contents()
            } else {
                " "
            };
            let has = |m: Modifier| wanted.modifier.contains(m);
            let blank = text == " " && !shown.inverse() && !has(Modifier::REVERSED);
            let seen = |fg, bold, dim| if blank { None } else { Some((fg, bold, dim)) };
            assert_eq!(
                (
                    text,
                    shown.bgcolor(),
                    shown.inverse(),
                    seen(shown.fgcolor(), shown.bold(), shown.dim()),
                ),
                (
                    wanted.symbol(),
                    vt100_colour(wanted.bg),
                    has(Modifier::REVERSED),
                    seen(
                        vt100_colour(wanted.fg),
                        has(Modifier::BOLD),
                        has(Modifier::DIM)
                    ),
                ),
                "cell ({x}, {y})"
            );
        }
    }
}

/// A bordered log pane under a title row and above a status row, following `first..`.
fn log_frame(first: usize) -> Frame {
    const SAID: [&str; 4] = [
        "GET /orders 200",
        "pool warm",
        "WARN slow query",
        "cache miss",
    ];
    let plain = |text: String| vec![(text, Style::new())];
    let mut frame = vec![plain("ondeck · dev".into())];
    frame.push(plain("┌ logs ─────────────────────────────────┐".into()));
    for n in first..first + usize::from(HEIGHT) - 4 {
        let said = format!("{} #{n}", SAID[n % SAID.len()]);
        frame.push(vec![
            ("│".into(), Style::new()),
            (
                format!("12:00:{:02} ", n % 60),
                Style::new().add_modifier(Modifier::DIM),
            ),
            ("api ".into(), Style::new().fg(Color::Cyan)),
            (format!("{said:<25}"), Style::new()),
            ("│".into(), Style::new()),
        ]);
    }
    frame.push(plain("└───────────────────────────────────────┘".into()));
    frame.push(plain(format!(
        "live · last event 12:00:{:02}",
        (first + 7) % 60
    )));
    frame
}

#[test]
fn a_followed_pane_scrolls_and_writes_only_the_new_line() {
    let (mut lean, to_lean) = screen_backend();
    let to_plain = Written::default();
    let mut plain = fixed(CrosstermBackend::new(to_plain.clone()));
    draw(&mut lean, &log_frame(0));
    draw(&mut plain, &log_frame(0));
    let before = (to_lean.len(), to_plain.len());

    let frame = draw(&mut lean, &log_frame(1));
    draw(&mut plain, &log_frame(1));

    let scrolled = &to_lean.bytes()[before.0..];
    let redrawn = &to_plain.bytes()[before.1..];
    let text = String::from_utf8_lossy(scrolled);
    assert!(
        text.contains("\x1b[3;10r\x1b[10H\n\x1b[r"),
        "the pane's rows scroll: {text:?}"
    );
    assert!(text.contains("#8"), "the new line is written: {text:?}");
    assert!(!text.contains("#7"), "a moved line is not rewritten");
    assert!(
        scrolled.len() * 4 < redrawn.len(),
        "{} bytes scrolling against {} redrawing",
        scrolled.len(),
        redrawn.len()
    );
    assert_shows(&to_lean.bytes(), &frame);
}

#[test]
fn a_frame_a_copy_and_the_next_frame_come_out_in_that_order_through_one_writer() {
    let written = Written::default();
    let mut terminal = fixed(ScreenBackend::new(written.clone(), area()).inside_tmux(true));
    draw(&mut terminal, &log_frame(0));
    let after_frame = written.len();
    terminal.backend_mut().copy("10.0.1.23:8080").unwrap();
    let after_copy = written.len();
    let next = draw(&mut terminal, &log_frame(1));

    let bytes = written.bytes();
    assert_eq!(
        &bytes[after_frame..after_copy],
        clipboard::osc52("10.0.1.23:8080", true).as_bytes(),
        "the copy follows the whole first frame, wrapped for tmux"
    );
    assert!(bytes.len() > after_copy, "the next frame follows the copy");
    assert_shows(&bytes, &next);
}

#[test]
fn a_new_line_costs_little_more_than_its_text() {
    let (mut terminal, written) = screen_backend();
    draw(&mut terminal, &log_frame(0));
    let before = written.len();
    draw(&mut terminal, &log_frame(1));
    let bytes = &written.bytes()[before..];
    // The scroll, a cursor move, three colour changes (ESC[2m for the time, ESC[22;36m for the
    // container, ESC[39m for the text), the line up to its last word, the right border, and
    // the status row's changed digit.
    let text = String::from_utf8_lossy(bytes);
    assert!(
        text.contains(
            "\x1b[10H│\x1b[2m12:00:08 \x1b[22;36mapi \x1b[39mGET /orders 200 #8\x1b[10;40H│"
        ),
        "one move, short colour codes, the spaces written: {text:?}"
    );
    assert!(bytes.len() < 100, "{} bytes: {text:?}", bytes.len());
}

#[test]
fn the_cursor_walks_over_what_the_screen_already_shows() {
    let (mut terminal, written) = screen_backend();
    let row = |text: &str| {
        vec![
            ("│".to_string(), Style::new()),
            (text.to_string(), Style::new()),
        ]
    };
    draw(&mut terminal, &vec![row("one two"), row("three")]);
    let before = written.len();
    let frame = draw(&mut terminal, &vec![row("uno dos"), row("tres")]);
    let text = String::from_utf8_lossy(&written.bytes()[before..]).to_string();
    // The space between the words and the border of the next row are written, not jumped over.
    assert_eq!(text, "\x1b[1;2Huno dos\r\n│tres ");
    assert_shows(&written.bytes(), &frame);
}

#[test]
fn a_burst_scrolls_by_as_many_rows_as_arrived() {
    let (mut terminal, written) = screen_backend();
    draw(&mut terminal, &log_frame(0));
    let frame = draw(&mut terminal, &log_frame(5));
    let bytes = written.bytes();
    assert!(String::from_utf8_lossy(&bytes).contains("\x1b[3;10r\x1b[10H\n\n\n\n\n\x1b[r"));
    assert_shows(&bytes, &frame);
}

#[test]
fn rows_that_did_not_move_are_rewritten_in_place() {
    let (mut terminal, written) = screen_backend();
    let mut frame = log_frame(0);
    draw(&mut terminal, &frame);
    frame[0] = vec![("ondeck · prod".into(), Style::new().fg(Color::Red))];
    frame[5][3].0 = "a different line".into();
    let drawn = draw(&mut terminal, &frame);
    let bytes = written.bytes();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("\x1b[r"),
        "no scrolling"
    );
    assert_shows(&bytes, &drawn);
}

#[test]
fn the_cursor_is_hidden_once() {
    let (mut terminal, written) = screen_backend();
    draw(&mut terminal, &log_frame(0));
    draw(&mut terminal, &log_frame(1));
    let hides = String::from_utf8_lossy(&written.bytes())
        .matches("\x1b[?25l")
        .count();
    assert_eq!(hides, 1);
}

#[test]
fn a_clear_forgets_what_the_screen_showed() {
    let written = Written::default();
    let mut backend = ScreenBackend::new(written.clone(), area());
    let (mut drawn, _) = screen_backend();
    let frame = draw(&mut drawn, &log_frame(0));
    let empty = Buffer::empty(area());
    backend.draw(empty.diff(&frame).into_iter()).unwrap();
    backend.clear_region(ClearType::All).unwrap();
    // As ratatui does after a clear: everything again.
    backend.draw(empty.diff(&frame).into_iter()).unwrap();
    assert_shows(&written.bytes(), &frame);
}

#[test]
fn one_short_sgr_sequence_per_change() {
    let pen = |fg, modifier| Pen {
        fg,
        bg: Color::Reset,
        modifier,
    };
    let change = |from: Pen, to: Pen| {
        let mut bytes = Vec::new();
        let mut from = from;
        from.change_to(to, &mut bytes);
        String::from_utf8(bytes).unwrap()
    };
    let plain = Pen::default();
    assert_eq!(change(plain, plain), "");
    assert_eq!(change(plain, pen(Color::Cyan, Modifier::DIM)), "\x1b[2;36m");
    assert_eq!(
        change(
            pen(Color::Cyan, Modifier::DIM),
            pen(Color::DarkGray, Modifier::empty())
        ),
        "\x1b[22;90m"
    );
    // Bold and dim go off together: the one that stays is put back.
    assert_eq!(
        change(
            pen(Color::Reset, Modifier::BOLD | Modifier::DIM),
            pen(Color::Reset, Modifier::BOLD)
        ),
        "\x1b[22;1m"
    );
    assert_eq!(
        change(plain, pen(Color::Indexed(200), Modifier::REVERSED)),
        "\x1b[7;38;5;200m"
    );
}

#[test]
fn partial_clears_are_refused_rather_than_guessed() {
    let mut backend = ScreenBackend::new(Written::default(), area());
    assert!(backend.clear_region(ClearType::CurrentLine).is_err());
}

fn arbitrary_style() -> impl Strategy<Value = Style> {
    let colours = prop_oneof![
        Just(Color::Reset),
        Just(Color::Red),
        Just(Color::LightCyan),
        Just(Color::Indexed(200)),
        Just(Color::Rgb(1, 2, 3)),
    ];
    let modifiers = prop_oneof![
        Just(Modifier::empty()),
        Just(Modifier::BOLD),
        Just(Modifier::DIM),
        Just(Modifier::BOLD | Modifier::REVERSED),
        Just(Modifier::DIM | Modifier::REVERSED),
    ];
    (colours.clone(), colours, modifiers)
        .prop_map(|(fg, bg, modifier)| Style::new().fg(fg).bg(bg).add_modifier(modifier))
}

fn arbitrary_row() -> impl Strategy<Value = Vec<(String, Style)>> {
    prop::collection::vec(("[a-c ]{0,14}", arbitrary_style()), 0..4)
}

/// How the next frame comes from the last: moved up in a band, rows replaced, or both.
fn next_frame(
    last: &Frame,
    top: usize,
    len: usize,
    lines: usize,
    replaced: &[(usize, Vec<(String, Style)>)],
) -> Frame {
    let mut next = last.clone();
    let bottom = (top + len).min(next.len());
    let lines = lines.min(bottom - top);
    next[top..bottom].rotate_left(lines);
    for (n, row) in next[bottom - lines..bottom].iter_mut().enumerate() {
        *row = vec![(
            format!("new {n} {}", top + lines),
            Style::new().fg(Color::Green),
        )];
    }
    for (y, row) in replaced {
        next[y % usize::from(HEIGHT)] = row.clone();
    }
    next
}

proptest! {
    /// Whatever the frames, the terminal ends up showing exactly the last one.
    #[test]
    fn the_terminal_always_shows_the_last_frame(
        first in prop::collection::vec(arbitrary_row(), usize::from(HEIGHT)),
        steps in prop::collection::vec(
            (0usize..8, 1usize..12, 0usize..6, prop::collection::vec((0usize..12, arbitrary_row()), 0..3)),
            1..8,
        ),
    ) {
        let (mut terminal, written) = screen_backend();
        let mut frame = first;
        draw(&mut terminal, &frame);
        for (top, len, lines, replaced) in steps {
            frame = next_frame(&frame, top, len, lines, &replaced);
            let drawn = draw(&mut terminal, &frame);
            assert_shows(&written.bytes(), &drawn);
        }
    }
}

/// A terminal that hung up: every write fails.
struct HungUp;

impl Write for HungUp {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(libc::EIO))
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::EIO))
    }
}

#[test]
fn a_cursor_that_could_not_be_shown_is_not_written_again() {
    let mut terminal = fixed(ScreenBackend::new(HungUp, area()));
    assert!(terminal.hide_cursor().is_err());
    assert!(terminal.show_cursor().is_err(), "the write fails once");
    // What ratatui's Drop does next: nothing left to write, so nothing to report.
    assert!(terminal.show_cursor().is_ok());
}
