//! Container logs full of terminal escape sequences (OSC 52 clipboard writes, title changes,
//! screen clears, cursor moves, DCS, 8-bit CSI, hyperlinks) through the real binary: none of
//! them reaches the terminal, while the text around them does.

mod pty;

use std::collections::BTreeSet;
use std::time::Duration;

use pty::PtyBuilder;

const SHORT: Duration = Duration::from_secs(10);
/// Distinct hostile lines to see drawn before judging what was written.
const HOSTILE_LINES: usize = 20;
/// What the demo's hostile lines look like once cleaned: the payload sits between the quotes.
const HOSTILE_TEXT: &str = "rejected header X-Debug: \"";
/// Pages back at most: the demo's backfill holds enough hostile lines well before that.
const MAX_PAGES: usize = 50;

fn hostile_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|line| line.contains(HOSTILE_TEXT))
        .collect()
}

/// The escape sequences ratatui's crossterm backend writes: SGR colours and attributes, cursor
/// positioning by row and column, and DEC private modes (alternate screen, cursor, mouse).
fn drawn_by_the_ui(sequence: &[u8]) -> bool {
    let Some(body) = sequence.strip_prefix(b"\x1b[") else {
        return false;
    };
    let (params, last) = body.split_at(body.len().saturating_sub(1));
    let digits = |text: &[u8]| !text.is_empty() && text.iter().all(u8::is_ascii_digit);
    let numbers = |count: std::ops::RangeInclusive<usize>| {
        let numbers: Vec<&[u8]> = params.split(|b| *b == b';').collect();
        count.contains(&numbers.len()) && numbers.iter().all(|number| digits(number))
    };
    match last {
        b"m" => params.iter().all(|b| b.is_ascii_digit() || *b == b';'),
        // Cursor to a row (and column).
        b"H" => numbers(1..=2),
        // A scrolled band's margins, and their reset.
        b"r" => params.is_empty() || numbers(2..=2),
        b"h" | b"l" => params.strip_prefix(b"?").is_some_and(digits),
        _ => false,
    }
}

#[test]
fn escape_sequences_in_logs_never_reach_the_terminal() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(120, 40, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .env("ONDECK_DEMO_HOSTILE", "1")
        .spawn_ondeck(&["--demo", "--select", "checkout-fix"]);
    pty.wait_for_text("checkout-fix", SHORT);
    pty.send_keys("L");
    pty.wait_for_text(HOSTILE_TEXT, SHORT);

    // Page back through the backfilled lines until enough hostile ones were drawn, among them
    // the hyperlink whose text stays. After each page a digit naming no container puts a
    // message on the bottom row: rows are drawn top to bottom, so once it shows, the page
    // above it is drawn whole (a read can fall in the middle of a frame).
    let mut seen = BTreeSet::new();
    let mut screen = pty.screen_text();
    let mut pages = 0;
    while seen.len() < HOSTILE_LINES || !seen.iter().any(|row: &String| row.contains("click here"))
    {
        assert!(
            pages < MAX_PAGES,
            "{} hostile lines in {MAX_PAGES} pages:\n{screen}",
            seen.len()
        );
        pages += 1;
        let digit = if pages % 2 == 0 { '8' } else { '9' };
        pty.send_keys(format!("\x1b[5~{digit}"));
        let marker = format!("no container {digit}:");
        screen = pty.wait_for("the page drawn down to the message line", SHORT, |now| {
            now.lines()
                .last()
                .is_some_and(|last| last.contains(&marker))
        });
        for row in hostile_rows(&screen) {
            // Every sequence went whole, only the hyperlink's text stays; and nothing moved
            // the cursor or cleared the line: the rest of it is in place.
            let payload = row
                .split_once(HOSTILE_TEXT)
                .and_then(|(_, rest)| rest.split_once("\" from 10.0."))
                .map(|(payload, _)| payload);
            assert!(
                matches!(payload, Some("" | "click here")),
                "a hostile line shows {payload:?}: {row:?}\n{screen}"
            );
            seen.insert(row.to_string());
        }
    }
    assert!(
        screen.contains("checkout-fix") && screen.contains("instances ("),
        "the table survived the logs:\n{screen}"
    );

    pty.send_keys("q");
    pty.send_keys("q");
    assert!(pty.wait_for_end(SHORT).success());

    // ratatui's buffer drops control characters by itself, so these hold for the whole path
    // (sanitizer and renderer); the row checks above are what pin the sanitizer's own rules.
    let raw = pty.raw_bytes();
    let text = std::str::from_utf8(&raw).expect("only UTF-8 reached the terminal, no 8-bit CSI");
    let c1: Vec<char> = text
        .chars()
        .filter(|c| ('\u{80}'..='\u{9f}').contains(c))
        .collect();
    assert!(c1.is_empty(), "C1 controls reached the terminal: {c1:?}");
    let foreign: BTreeSet<String> = pty::escape_sequences(&raw)
        .into_iter()
        .filter(|sequence| !drawn_by_the_ui(sequence))
        .map(|sequence| format!("{:?}", String::from_utf8_lossy(sequence)))
        .collect();
    assert!(
        foreign.is_empty(),
        "escape sequences the UI does not write reached the terminal: {foreign:?}"
    );
}

#[test]
fn the_allowlist_rejects_every_hostile_payload() {
    for payload in [
        &b"\x1b]52;c;Y3VybA==\x07"[..],
        b"\x1b]0;you have been pwned\x07",
        b"\x1b[2J",
        b"\x1b[H",
        b"\x1b[3A",
        b"\x1b[2K",
        b"\x1bP1$r0m\x1b\\",
        b"\x1b]8;;http://evil.example/\x07",
    ] {
        let sequences = pty::escape_sequences(payload);
        assert!(
            sequences.iter().any(|sequence| !drawn_by_the_ui(sequence)),
            "{:?} would pass",
            String::from_utf8_lossy(payload)
        );
    }
    for drawn in [
        &b"\x1b[38;5;8;49m"[..],
        b"\x1b[0m",
        b"\x1b[12;80H",
        b"\x1b[12H",
        b"\x1b[3;30r",
        b"\x1b[r",
        b"\x1b[?1049h",
    ] {
        assert!(
            drawn_by_the_ui(drawn),
            "{:?}",
            String::from_utf8_lossy(drawn)
        );
    }
}
