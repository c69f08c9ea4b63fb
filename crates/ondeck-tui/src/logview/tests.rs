use super::*;
use chrono::{TimeZone, Utc};

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
fn the_match_position_counts_shown_matches_and_says_which_is_current() {
    let mut buffer = LogBuffer::new(100);
    for i in 0..30 {
        let text = if i % 10 == 5 {
            format!("line {i} Timeout")
        } else {
            format!("line {i}")
        };
        buffer.push(0, (i % 2) as u16, &text);
    }
    let mut view = LogView::new();
    assert_eq!(view.match_position(&buffer), None);
    view.set_search("timeout");
    assert_eq!(
        view.match_position(&buffer),
        Some((0, 3)),
        "none current yet"
    );
    view.next_match(&buffer);
    assert_eq!(view.match_position(&buffer), Some((3, 3)));
    view.prev_match(&buffer);
    assert_eq!(view.match_position(&buffer), Some((2, 3)));
    // Lines 5, 15 and 25 all come from container 1; container 0 has none.
    view.focus_source(Some(0));
    assert_eq!(view.match_position(&buffer), Some((0, 0)));
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
fn unwrapped_lines_scroll_sideways_by_columns() {
    let mut buffer = LogBuffer::new(10);
    buffer.push(0, 0, "abcdefghij");
    buffer.push(1, 0, "日本語テキスト");
    let mut view = LogView::new();
    assert!(!view.scroll_sideways(4), "wrapped lines have no side");
    view.toggle_wrap();
    assert!(view.scroll_sideways(4));
    let window = view.layout(&buffer, 5, 20, 20);
    let shown: Vec<&str> = window
        .lines
        .iter()
        .map(|laid| &laid.body()[laid.rows[0].clone()])
        .collect();
    assert_eq!(shown, ["efghij", "語テキスト"]);
    assert!(view.scroll_sideways(-100));
    assert_eq!(view.column(), 0, "not before the start");
    view.scroll_sideways(50);
    let window = view.layout(&buffer, 5, 20, 20);
    let rows = &window.lines[0].rows;
    assert_eq!(
        (rows.len(), rows.first()),
        (1, Some(&(10..10))),
        "past the end: an empty row"
    );
    view.toggle_wrap();
    assert_eq!(
        view.column(),
        0,
        "wrapping again starts lines at their start"
    );
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
    let window = view.layout(&buffer, 10, 40, 40);
    assert_eq!(window.lines[0].rows.len(), 4);
    assert_eq!(
        &window.lines[0].body()[window.lines[0].rows[1].clone()],
        "  \"a\": 1,"
    );
}

#[test]
fn save_writes_the_filtered_lines_as_ondeck_logs_prints_them() {
    let mut buffer = numbered(6);
    buffer.push(0, 1, "\x1b[31mline red\x1b[0m");
    let mut view = LogView::new();
    view.focus_source(Some(1));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.log");
    let labels = ["web".to_string(), "api".to_string()];
    assert_eq!(save(&buffer, &view, &labels, &path).unwrap(), 4);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        "2026-11-23T16:17:01.001Z api | line 1\n\
         2026-11-23T16:17:01.003Z api | line 3\n\
         2026-11-23T16:17:01.005Z api | line 5\n\
         1970-01-01T00:00:00.000Z api | line red\n"
    );

    // One container: no label, as `ondeck logs` prints it.
    view.focus_source(None);
    save(&buffer, &view, &labels[..1], &path).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved.lines().next(),
        Some("2026-11-23T16:17:01.000Z line 0")
    );
}

/// Two containers' lines with a marker between them, as where a service replaced its task.
fn with_marker() -> (LogBuffer, u64) {
    let mut buffer = LogBuffer::new(100);
    buffer.push(base_time(), 0, "ERROR killed");
    let marker = buffer.push_marker(
        base_time() + 1,
        "task 3f9c1a replaced 81ab4c (exit 137: OutOfMemoryError)",
    );
    buffer.push(base_time() + 2, 1, "INFO starting");
    (buffer, marker)
}

#[test]
fn a_marker_shows_under_any_focus_counts_as_no_error_and_is_found_by_search() {
    let (buffer, marker) = with_marker();
    let mut view = LogView::new();
    view.focus_source(Some(1));
    assert_eq!(window(&view, &buffer, 5), vec![marker, 2]);
    view.focus_source(None);
    // Errors only: the container's error stays, the marker's words do not make it one.
    while view.min_level() != Some(Level::Error) {
        view.cycle_level();
    }
    assert_eq!(window(&view, &buffer, 5), vec![0]);
    view.cycle_level();
    view.set_search("OutOfMemory");
    view.toggle_filter();
    assert_eq!(window(&view, &buffer, 5), vec![marker]);
    assert!(view.next_match(&buffer));
    assert_eq!(view.current_match(), Some(marker));
}

#[test]
fn the_line_to_copy_passes_over_a_marker_at_the_bottom() {
    let (mut buffer, _) = with_marker();
    buffer.push_marker(base_time() + 3, "task b replaced a (stopped on request)");
    let view = LogView::new();
    assert_eq!(
        view.selected_line(&buffer)
            .map(|line| line.text.text.as_str()),
        Some("INFO starting")
    );
}

#[test]
fn a_marker_is_not_saved_as_a_container_s_output() {
    let (buffer, _) = with_marker();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.log");
    let labels = vec!["api".to_string(), "redis".to_string()];
    assert_eq!(save(&buffer, &LogView::new(), &labels, &path).unwrap(), 2);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("replaced"), "{saved}");
}

#[test]
fn marker_rows_break_after_words_and_inside_a_word_too_long_for_a_row() {
    let cut = |text: &'static str, width| -> Vec<&'static str> {
        word_rows(text, width)
            .into_iter()
            .map(|row| &text[row])
            .collect()
    };
    assert_eq!(cut("aaaa bbbb", 4), ["aaaa", "bbbb"]);
    assert_eq!(cut("aa bb cc", 6), ["aa bb ", "cc"]);
    assert_eq!(cut("abcdefgh ij", 3), ["abc", "def", "gh ", "ij"]);
    assert_eq!(cut("short", 40), ["short"]);
    assert_eq!(cut("", 4), [""]);
}

#[test]
fn a_marker_wraps_inside_its_rules_and_is_not_scrolled_sideways() {
    let (buffer, marker) = with_marker();
    let mut view = LogView::new();
    let rows = |view: &LogView| {
        view.layout(&buffer, 10, 20, 36)
            .lines
            .iter()
            .find(|laid| laid.line.seq == marker)
            .map(|laid| laid.rows.clone())
    };
    // 56 characters in the 36 columns a marker has, less its rules' 6, broken after a word.
    let text = &buffer.get(marker).unwrap().text.text;
    let cut =
        |rows: Vec<Range<usize>>| -> Vec<&str> { rows.into_iter().map(|row| &text[row]).collect() };
    assert_eq!(
        rows(&view).map(cut),
        Some(vec![
            "task 3f9c1a replaced 81ab4c ",
            "(exit 137: OutOfMemoryError)"
        ])
    );
    view.toggle_wrap();
    view.scroll_sideways(8);
    assert_eq!(rows(&view).map(cut), Some(vec![text.as_str()]));
}
