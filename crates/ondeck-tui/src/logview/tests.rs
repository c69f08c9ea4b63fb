use super::*;
use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 16:17:01.000 UTC, the first sample line's time.
fn base_time() -> i64 {
    Utc.with_ymd_and_hms(2026, 11, 23, 16, 17, 1)
        .unwrap()
        .timestamp_millis()
}

/// `count` lines "line i", alternating between containers 0 and 1.
fn numbered(count: usize) -> LogBuffer {
    let mut buffer = LogBuffer::new(1000);
    for i in 0..count {
        buffer.push(base_time() + i as i64, (i % 2) as u16, &format!("line {i}"));
    }
    buffer
}

fn seqs(lines: &[&LogLine]) -> Vec<u64> {
    lines.iter().map(|line| line.seq).collect()
}

fn window(view: &LogView, buffer: &LogBuffer, height: usize) -> Vec<u64> {
    seqs(&view.visible_window(buffer, height, 40))
}

#[test]
fn following_shows_the_newest_lines() {
    let buffer = numbered(20);
    let view = LogView::new();
    assert!(view.is_following());
    assert_eq!(window(&view, &buffer, 5), vec![15, 16, 17, 18, 19]);
}

#[test]
fn fewer_lines_than_rows_shows_them_all() {
    let buffer = numbered(3);
    assert_eq!(window(&LogView::new(), &buffer, 10), vec![0, 1, 2]);
    assert!(window(&LogView::new(), &LogBuffer::new(10), 10).is_empty());
}

#[test]
fn scroll_up_pauses_and_the_view_stays_put_while_lines_arrive() {
    let mut buffer = numbered(20);
    let mut view = LogView::new();
    view.scroll_up(&buffer, 3);
    assert!(!view.is_following());
    assert_eq!(view.anchor(), Some(16));
    assert_eq!(window(&view, &buffer, 5), vec![12, 13, 14, 15, 16]);

    for i in 0..4 {
        buffer.push(base_time(), 0, &format!("late {i}"));
    }
    view.on_lines_appended(&buffer, 4);
    assert_eq!(window(&view, &buffer, 5), vec![12, 13, 14, 15, 16]);
    assert_eq!(view.new_since_pause(), 4);
}

#[test]
fn scroll_up_stops_at_the_oldest_line_and_the_pane_stays_full() {
    let buffer = numbered(20);
    let mut view = LogView::new();
    view.scroll_up(&buffer, 100);
    assert_eq!(view.anchor(), Some(0));
    assert_eq!(window(&view, &buffer, 5), vec![0, 1, 2, 3, 4]);
}

#[test]
fn scroll_down_moves_forward_and_resumes_following_at_the_bottom() {
    let buffer = numbered(20);
    let mut view = LogView::new();
    view.scroll_up(&buffer, 5);
    view.scroll_down(&buffer, 2);
    assert_eq!(view.anchor(), Some(16));
    assert!(!view.is_following());
    view.scroll_down(&buffer, 3);
    assert!(view.is_following());
    assert_eq!(view.anchor(), None);
}

#[test]
fn scroll_down_while_following_changes_nothing() {
    let buffer = numbered(20);
    let mut view = LogView::new();
    view.scroll_down(&buffer, 3);
    assert_eq!(view, LogView::new());
}

#[test]
fn page_up_and_down_move_a_pane_less_one_line() {
    let buffer = numbered(50);
    let mut view = LogView::new();
    view.page_up(&buffer, 10);
    assert_eq!(view.anchor(), Some(40));
    view.page_up(&buffer, 10);
    assert_eq!(view.anchor(), Some(31));
    view.page_down(&buffer, 10);
    assert_eq!(view.anchor(), Some(40));
    view.page_down(&buffer, 10);
    assert!(view.is_following());
}

#[test]
fn follow_clears_the_pause_state() {
    let mut buffer = numbered(10);
    let mut view = LogView::new();
    view.scroll_up(&buffer, 2);
    buffer.push(base_time(), 0, "new");
    view.on_lines_appended(&buffer, 1);
    assert_eq!(view.new_since_pause(), 1);
    view.follow();
    assert!(view.is_following());
    assert_eq!(view.new_since_pause(), 0);
    assert_eq!(window(&view, &buffer, 1), vec![10]);
}

#[test]
fn new_lines_are_not_counted_while_following() {
    let buffer = numbered(10);
    let mut view = LogView::new();
    view.on_lines_appended(&buffer, 5);
    assert_eq!(view.new_since_pause(), 0);
}

#[test]
fn new_line_count_only_includes_lines_the_view_would_show() {
    let buffer = numbered(10);
    let mut view = LogView::new();
    view.focus_source(Some(1));
    view.scroll_up(&buffer, 1);
    view.on_lines_appended(&buffer, 4); // seqs 6..=9: two from container 1
    assert_eq!(view.new_since_pause(), 2);
}

#[test]
fn an_evicted_anchor_clamps_to_the_oldest_kept_line() {
    let mut buffer = LogBuffer::new(10);
    for i in 0..10 {
        buffer.push(0, 0, &format!("line {i}"));
    }
    let mut view = LogView::new();
    view.scroll_up(&buffer, 7); // anchor 2
    for i in 10..15 {
        buffer.push(0, 0, &format!("line {i}"));
    }
    assert_eq!(buffer.first_seq(), Some(5));
    assert_eq!(window(&view, &buffer, 3), vec![5, 6, 7]);
    assert_eq!(view.selected_line(&buffer).map(|l| l.seq), Some(5));
}

#[test]
fn focus_shows_one_container_and_scrolling_skips_the_others() {
    let buffer = numbered(20);
    let mut view = LogView::new();
    view.focus_source(Some(0));
    assert_eq!(window(&view, &buffer, 3), vec![14, 16, 18]);
    view.scroll_up(&buffer, 2);
    assert_eq!(view.anchor(), Some(14));
    view.focus_source(None);
    assert_eq!(window(&view, &buffer, 3), vec![12, 13, 14]);
}

#[test]
fn search_is_case_insensitive_for_ascii_and_unicode() {
    let search = Search::new("TimeOut").unwrap();
    assert!(search.is_match("upstream timeout"));
    assert!(!search.is_match("time out"));
    assert_eq!(search.find_all("TIMEOUT, timeout"), vec![0..7, 9..16]);
    let unicode = Search::new("ÉCHEC").unwrap();
    assert_eq!(unicode.find_all("un échec puis Échec"), vec![3..9, 15..21]);
    assert!(Search::new("").is_none());
}

#[test]
fn search_finds_matches_at_the_edges_whichever_byte_is_rarest() {
    for query in ["jq", "qj", "a=b", "zebra"] {
        let search = Search::new(query).unwrap();
        let upper = query.to_uppercase();
        let text = format!("{upper} mid {query}");
        let end = text.len();
        assert_eq!(
            search.find_all(&text),
            vec![0..query.len(), end - query.len()..end],
            "{query}"
        );
        assert!(!search.is_match(&query[1..]), "{query}");
    }
}

#[test]
fn matches_are_jumped_to_with_context_below() {
    let mut buffer = LogBuffer::new(100);
    for i in 0..30 {
        let text = if i == 5 || i == 12 || i == 20 {
            format!("line {i} Timeout")
        } else {
            format!("line {i}")
        };
        buffer.push(0, 0, &text);
    }
    let mut view = LogView::new();
    view.set_search("timeout");
    assert!(
        view.next_match(&buffer),
        "first jump finds the nearest match above"
    );
    assert_eq!(view.current_match(), Some(20));
    assert_eq!(view.anchor(), Some(20 + MATCH_CONTEXT as u64));
    assert!(!view.is_following());

    assert!(view.prev_match(&buffer));
    assert_eq!(view.current_match(), Some(12));
    assert!(view.prev_match(&buffer));
    assert_eq!(view.current_match(), Some(5));
    assert_eq!(view.anchor(), Some(8));
    assert!(!view.prev_match(&buffer), "no older match");
    assert_eq!(view.current_match(), Some(5));

    assert!(view.next_match(&buffer));
    assert_eq!(view.current_match(), Some(12));
    assert_eq!(
        view.selected_line(&buffer).map(|l| l.text.text.as_str()),
        Some("line 12 Timeout")
    );
}

#[test]
fn a_match_near_the_newest_line_anchors_on_the_newest_line() {
    let mut buffer = numbered(10);
    buffer.push(0, 0, "needle");
    let mut view = LogView::new();
    view.set_search("needle");
    assert!(view.prev_match(&buffer));
    assert_eq!(view.anchor(), Some(10));
}

#[test]
fn jumping_without_a_search_or_a_match_does_nothing() {
    let buffer = numbered(10);
    let mut view = LogView::new();
    assert!(!view.next_match(&buffer));
    view.set_search("absent");
    assert!(!view.next_match(&buffer));
    assert!(view.is_following());
    view.set_search("");
    assert!(view.search().is_none());
}

#[test]
fn filter_mode_hides_lines_that_do_not_match() {
    let buffer = numbered(30);
    let mut view = LogView::new();
    view.set_search("line 1");
    assert_eq!(
        window(&view, &buffer, 3),
        vec![27, 28, 29],
        "search alone hides nothing"
    );
    view.toggle_filter();
    assert!(view.filter_mode());
    assert_eq!(window(&view, &buffer, 3), vec![17, 18, 19]);
    view.toggle_filter();
    assert_eq!(window(&view, &buffer, 3), vec![27, 28, 29]);
}

#[test]
fn level_cycles_and_unmarked_lines_count_as_info() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(0, 0, "TRACE t");
    buffer.push(0, 0, "DEBUG d");
    buffer.push(0, 0, "plain");
    buffer.push(0, 0, "WARN w");
    buffer.push(0, 0, "ERROR e");
    let mut view = LogView::new();
    let mut shown = Vec::new();
    for _ in 0..5 {
        view.cycle_level();
        shown.push((view.min_level(), window(&view, &buffer, 10)));
    }
    assert_eq!(
        shown,
        vec![
            (Some(Level::Debug), vec![1, 2, 3, 4]),
            (Some(Level::Info), vec![2, 3, 4]),
            (Some(Level::Warn), vec![3, 4]),
            (Some(Level::Error), vec![4]),
            (None, vec![0, 1, 2, 3, 4]),
        ]
    );
}

#[test]
fn toggles_flip_their_setting() {
    let mut view = LogView::new();
    let before = (view.timestamps(), view.wrap(), view.json_pretty());
    view.toggle_timestamps();
    view.toggle_wrap();
    view.toggle_json();
    assert_eq!(
        (view.timestamps(), view.wrap(), view.json_pretty()),
        (!before.0, !before.1, !before.2)
    );
}

#[test]
fn wrapped_lines_take_several_rows() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(0, 0, "short");
    buffer.push(0, 0, &"x".repeat(25));
    let mut view = LogView::new();
    assert!(view.wrap());
    // 25 columns in a 10-column text area is 3 rows; with 3 rows only the long line fits.
    assert_eq!(seqs(&view.visible_window(&buffer, 3, 10)), vec![1]);
    view.toggle_wrap();
    assert_eq!(seqs(&view.visible_window(&buffer, 3, 10)), vec![0, 1]);
}

#[test]
fn screen_rows_respect_wide_characters() {
    assert_eq!(screen_rows("abcdefg", 3, true), vec![0..3, 3..6, 6..7]);
    assert_eq!(screen_rows("日本語", 5, true), vec![0..6, 6..9]);
    assert_eq!(screen_rows("abcdefg", 3, false), vec![0..7]);
    assert_eq!(screen_rows("", 3, true), vec![0..0]);
}

#[test]
fn pretty_json_lines_take_a_row_per_json_line() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(0, 0, r#"{"a":1,"b":2}"#);
    let mut view = LogView::new();
    view.toggle_json();
    let window = view.layout(&buffer, 10, 40);
    assert_eq!(window.lines[0].rows.len(), 4);
    assert_eq!(
        &window.lines[0].body()[window.lines[0].rows[1].clone()],
        "  \"a\": 1,"
    );
}

#[test]
fn clock_formats_time_of_day_with_an_offset() {
    let t = base_time() + 42;
    assert_eq!(clock(t, Utc.fix()), "16:17:01.042");
    let paris = FixedOffset::east_opt(3600).unwrap();
    assert_eq!(clock(t, paris), "17:17:01.042");
    assert_eq!(clock(-1, Utc.fix()), "23:59:59.999");
}

#[test]
fn save_writes_the_filtered_plain_text() {
    let mut buffer = numbered(6);
    buffer.push(0, 1, "\x1b[31mline red\x1b[0m");
    let mut view = LogView::new();
    view.focus_source(Some(1));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.log");
    assert_eq!(save(&buffer, &view, &path).unwrap(), 4);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "line 1\nline 3\nline 5\nline red\n"
    );
}

// ---- rendering -------------------------------------------------------------------------

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
    let mut view = LogView::new();
    view.set_search("plain");
    let sources = vec!["web".to_string(), "api".to_string()];
    let render = |color: bool| {
        let mut terminal = Terminal::new(TestBackend::new(60, 8)).unwrap();
        terminal
            .draw(|frame| {
                frame.render_widget(
                    LogPane::new(&buffer, &view, &sources).color(color),
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
