//! The log pane drawn: snapshots at 80×24 and 160×48, colours, `NO_COLOR`, clipping and
//! hidden characters.

use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::*;
use ondeck_core::logs::buffer::LogBuffer;

/// 16:17:01.000 UTC, the first sample line's time.
fn base_time() -> i64 {
    Utc.with_ymd_and_hms(2026, 11, 23, 16, 17, 1)
        .unwrap()
        .timestamp_millis()
}

#[test]
fn clock_formats_time_of_day_with_an_offset() {
    let t = base_time() + 42;
    assert_eq!(clock(t, Utc.fix()), "16:17:01.042");
    let paris = FixedOffset::east_opt(3600).unwrap();
    assert_eq!(clock(t, paris), "17:17:01.042");
    assert_eq!(clock(-1, Utc.fix()), "23:59:59.999");
}

fn sources() -> Vec<String> {
    vec!["web".into(), "worker".into(), "db-migrate".into()]
}

/// Realistic mixed output from three containers.
const SAMPLE: [(u16, &str); 10] = [
    (0, "INFO listening on 0.0.0.0:8080"),
    (1, "\x1b[32mINFO\x1b[0m worker started concurrency=4"),
    (0, "GET /health 200 1ms"),
    (2, "applying migration 0042_add_orders_index"),
    (
        1,
        r#"{"level":"warn","msg":"job retry","job":"email-123","attempt":2}"#,
    ),
    (
        0,
        "\x1b[31mERROR\x1b[0m upstream timeout after 30s calling payments at https://payments.internal.example:8443/v1/charges?id=ch_0001, retrying with backoff",
    ),
    (2, "migration 0042 done in 1.8s"),
    (0, "GET /api/orders?page=2 200 14ms"),
    (1, "DEBUG polled queue depth=17"),
    (0, "POST /api/orders 201 32ms"),
];

/// `count` sample lines, 250 ms apart.
fn sample(count: usize) -> LogBuffer {
    let mut buffer = LogBuffer::new(1000);
    push_sample(&mut buffer, 0..count);
    buffer
}

fn push_sample(buffer: &mut LogBuffer, lines: Range<usize>) {
    for i in lines {
        let (source, text) = SAMPLE[i % SAMPLE.len()];
        buffer.push(base_time() + 250 * i as i64, source, text);
    }
}

/// The screen as text; under each row with reverse-video cells, a row of `^` marks them.
fn render(buffer: &LogBuffer, view: &LogView, extra: &str, width: u16, height: u16) -> String {
    let sources = sources();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            frame.render_widget(
                LogPane::new(buffer, view, &sources).title_extra(extra),
                frame.area(),
            )
        })
        .unwrap();
    let screen = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut text = String::new();
        let mut marks = String::new();
        for x in 0..width {
            let cell = &screen[(x, y)];
            text.push_str(cell.symbol());
            marks.push(if cell.modifier.contains(Modifier::REVERSED) {
                '^'
            } else {
                ' '
            });
        }
        out.push_str(&text);
        out.push('\n');
        if marks.contains('^') {
            out.push_str(marks.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The default view with its times shown (`t`).
fn with_times() -> LogView {
    let mut view = LogView::new();
    view.toggle_timestamps();
    view
}

fn snapshot_both_sizes(name: &str, buffer: &LogBuffer, view: &LogView, extra: &str) {
    for (width, height) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            render(buffer, view, extra, width, height)
        );
    }
}

#[test]
fn snapshot_empty() {
    snapshot_both_sizes("empty", &LogBuffer::new(10), &LogView::new(), "connecting");
}

#[test]
fn snapshot_following() {
    snapshot_both_sizes("following", &sample(120), &LogView::new(), "live");
}

#[test]
fn snapshot_paused_with_new_lines() {
    let mut buffer = sample(100);
    let mut view = with_times();
    view.scroll_up(&buffer, 30);
    push_sample(&mut buffer, 100..120);
    view.on_lines_appended(&buffer, 20);
    assert_eq!(view.new_since_pause(), 20);
    snapshot_both_sizes("paused_new", &buffer, &view, "live");
}

#[test]
fn snapshot_search_highlight() {
    let buffer = sample(120);
    let mut view = with_times();
    view.set_search("ORDERS");
    snapshot_both_sizes("search", &buffer, &view, "live");
}

#[test]
fn snapshot_filter_mode() {
    let buffer = sample(120);
    let mut view = with_times();
    view.set_search("migration");
    view.toggle_filter();
    view.cycle_level();
    snapshot_both_sizes("filter", &buffer, &view, "live");
}

#[test]
fn snapshot_wrap_on_and_off() {
    let buffer = sample(120);
    let mut view = with_times();
    assert!(view.wrap());
    snapshot_both_sizes("wrap_on", &buffer, &view, "");
    view.toggle_wrap();
    view.toggle_timestamps();
    snapshot_both_sizes("wrap_off", &buffer, &view, "");
}

#[test]
fn unwrapped_lines_scrolled_sideways_at_every_size() {
    let buffer = sample(120);
    let mut view = LogView::new();
    view.toggle_wrap();
    let start = render(&buffer, &view, "", 80, 24);
    view.scroll_sideways(8);
    for (width, height) in [(50, 15), (80, 24), (200, 60)] {
        let screen = render(&buffer, &view, "", width, height);
        assert!(screen.contains("from column 9"), "{screen}");
        insta::assert_snapshot!(format!("scrolled_sideways_{width}x{height}"), screen);
    }
    assert_ne!(start, render(&buffer, &view, "", 80, 24));
}

#[test]
fn snapshot_focused_container() {
    let buffer = sample(120);
    let mut view = with_times();
    view.focus_source(Some(1));
    view.toggle_json();
    snapshot_both_sizes("focused", &buffer, &view, "live");
}

#[test]
fn snapshot_evicted_and_unknown_source() {
    let mut buffer = LogBuffer::new(30);
    for i in 0..40 {
        buffer.push(
            base_time() + i,
            7,
            &format!("from an unnamed container {i}"),
        );
    }
    insta::assert_snapshot!(render(&buffer, &with_times(), "", 80, 8));
}

#[test]
fn ansi_colours_reach_the_screen_cells() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(base_time(), 0, "\x1b[31mERROR\x1b[0m plain");
    let view = LogView::new();
    let sources = sources();
    let mut terminal = Terminal::new(TestBackend::new(40, 3)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(LogPane::new(&buffer, &view, &sources), frame.area()))
        .unwrap();
    let screen = terminal.backend().buffer();
    // No side border and no times by default: "web" padded to the longest name (10), a space.
    let text_x = 11;
    assert_eq!(screen[(text_x, 1)].symbol(), "E");
    assert_eq!(screen[(text_x, 1)].fg, Color::Red);
    assert_eq!(screen[(text_x + 6, 1)].symbol(), "p");
    assert_eq!(screen[(text_x + 6, 1)].fg, Color::Reset);
    assert_eq!(screen[(0, 1)].fg, Color::Cyan, "container 0's colour");
}

#[test]
fn without_colour_no_cell_keeps_a_colour_but_emphasis_stays() {
    let mut buffer = LogBuffer::new(100);
    buffer.push(base_time(), 0, "\u{1b}[31mred error\u{1b}[0m plain");
    buffer.push(base_time() + 1, 1, "second container");
    buffer.push(base_time() + 2, 1, "\u{1b}[41mon red\u{1b}[0m");
    let mut view = LogView::new();
    view.set_search("plain");
    let sources = vec!["web".to_string(), "api".to_string()];
    let render = |color: bool| {
        let mut terminal = Terminal::new(TestBackend::new(60, 8)).unwrap();
        terminal
            .draw(|frame| {
                frame.render_widget(
                    LogPane::new(&buffer, &view, &sources).theme(Theme::unicode(color)),
                    frame.area(),
                )
            })
            .unwrap();
        terminal.backend().buffer().clone()
    };
    let coloured = render(true);
    assert!(
        coloured
            .content()
            .iter()
            .any(|cell| cell.fg != Color::Reset)
    );
    assert!(
        coloured
            .content()
            .iter()
            .any(|cell| cell.bg != Color::Reset)
    );
    let plain = render(false);
    assert!(
        plain
            .content()
            .iter()
            .all(|cell| cell.fg == Color::Reset && cell.bg == Color::Reset)
    );
    assert!(
        plain
            .content()
            .iter()
            .any(|cell| cell.modifier.contains(Modifier::REVERSED)),
        "the search highlight survives as reverse video"
    );
}

#[test]
fn a_narrow_pane_draws_nothing_outside_its_area() {
    let buffer = sample(20);
    let view = LogView::new();
    let sources = sources();
    let mut terminal = Terminal::new(TestBackend::new(40, 6)).unwrap();
    terminal
        .draw(|frame| {
            let pane = Rect::new(2, 1, 12, 4);
            frame.render_widget(LogPane::new(&buffer, &view, &sources), pane)
        })
        .unwrap();
    let screen = terminal.backend().buffer();
    for y in 0..6 {
        for x in 0..40 {
            let inside = (2..14).contains(&x) && (1..5).contains(&y);
            if !inside {
                assert_eq!(screen[(x, y)].symbol(), " ", "({x}, {y}) was drawn on");
            }
        }
    }
    assert_eq!(
        screen[(13, 4)].symbol(),
        "─",
        "the lower rule reaches the last column"
    );
}

#[test]
fn hidden_characters_in_lines_and_the_title_are_drawn_as_dim_markers() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(base_time(), 0, "user=guest \u{202e}nimda\u{202c} ok");
    let sources = sources();
    let mut terminal = Terminal::new(TestBackend::new(60, 5)).unwrap();
    terminal
        .draw(|frame| {
            frame.render_widget(
                LogPane::new(&buffer, &LogView::new(), &sources)
                    .title_extra("\u{2066}live\x1b]0;t\x07"),
                frame.area(),
            )
        })
        .unwrap();
    let screen = terminal.backend().buffer();
    let rows: Vec<String> = (0..5)
        .map(|y| (0..60).map(|x| screen[(x, y)].symbol()).collect())
        .collect();
    assert!(rows[0].contains("<U+2066>live"), "{:?}", rows[0]);
    let (y, row) = rows
        .iter()
        .enumerate()
        .find(|(_, row)| row.contains("user=guest"))
        .expect("the line is drawn");
    assert!(
        row.contains("user=guest <U+202E>nimda<U+202C> ok"),
        "{row:?}"
    );
    let x = row[..row.find("<U+202E>").unwrap()].chars().count() as u16;
    assert!(screen[(x, y as u16)].modifier.contains(Modifier::DIM));
    assert!(!screen[(x - 2, y as u16)].modifier.contains(Modifier::DIM));
    for cell in screen.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || ondeck_core::logs::sanitize::is_hidden(c)),
            "{:?}",
            cell.symbol()
        );
    }
}

/// A marker between two containers' lines, drawn 80×5 with `theme` and `view`.
fn marker_screen(theme: Theme, view: &LogView) -> Buffer {
    let mut buffer = LogBuffer::new(10);
    buffer.push(base_time(), 0, "ERROR killed");
    buffer.push_marker(
        base_time() + 1,
        "task 3f9c1a replaced 81ab4c (exit 137: OutOfMemoryError)",
    );
    buffer.push(base_time() + 2, 1, "INFO starting");
    let sources = sources();
    let mut terminal = Terminal::new(TestBackend::new(80, 5)).unwrap();
    terminal
        .draw(|frame| {
            frame.render_widget(
                LogPane::new(&buffer, view, &sources).theme(theme),
                frame.area(),
            )
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

fn row_text(screen: &Buffer, y: u16) -> String {
    (0..screen.area.width)
        .map(|x| screen[(x, y)].symbol())
        .collect()
}

#[test]
fn a_marker_crosses_the_container_column_dim_between_rules_with_colour_or_without() {
    for color in [true, false] {
        let screen = marker_screen(Theme::unicode(color), &LogView::new());
        assert_eq!(
            row_text(&screen, 2).trim_end(),
            "── task 3f9c1a replaced 81ab4c (exit 137: OutOfMemoryError) ──",
            "colour {color}"
        );
        for x in 0..62 {
            let cell = &screen[(x, 2)];
            assert!(
                cell.modifier.contains(Modifier::DIM),
                "({x}, 2) colour {color}"
            );
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
    }
    let ascii = Theme {
        color: false,
        glyphs: crate::ui::Glyphs::ASCII,
    };
    let screen = marker_screen(ascii, &LogView::new());
    assert!(
        row_text(&screen, 2).starts_with("-- task 3f9c1a"),
        "{}",
        row_text(&screen, 2)
    );
}

#[test]
fn a_search_match_in_a_marker_is_in_reverse_video_and_the_times_stay_in_their_column() {
    let mut view = with_times();
    view.set_search("OutOfMemory");
    let screen = marker_screen(Theme::unicode(false), &view);
    let row = row_text(&screen, 2);
    assert!(row.starts_with("16:17:01.001 ── task 3f9c1a"), "{row}");
    let reversed: String = (0..screen.area.width)
        .filter(|&x| screen[(x, 2)].modifier.contains(Modifier::REVERSED))
        .map(|x| screen[(x, 2)].symbol())
        .collect();
    assert_eq!(reversed, "OutOfMemory");
}
