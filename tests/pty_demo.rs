//! `ondeck --demo` end to end in a pseudo-terminal: launch and destroy through the dashboard's
//! keys, quit, and the terminal as ondeck leaves it — after `q`, signals and a panic.

mod pty;

use std::time::Duration;

use pty::{
    Pty, PtyBuilder, assert_bracketed_paste_left, assert_cooked, assert_left_alternate_screen,
};

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(10);
/// A demo lifecycle step at `ONDECK_DEMO_SPEED=20`, plus a poll.
const LIFECYCLE: Duration = Duration::from_secs(30);

fn demo(cols: u16, rows: u16, state: &tempfile::TempDir) -> PtyBuilder {
    PtyBuilder::new(cols, rows, state.path()).env("ONDECK_DEMO_SPEED", "20")
}

/// The line of the instances table that shows `name`.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        line.split(|c: char| c.is_whitespace() || c == '│' || c == '›')
            .any(|word| word == name)
    })
}

fn wait_for_state(pty: &Pty, name: &str, state: &str, limit: Duration) {
    pty.wait_for(&format!("{name} in {state}"), limit, |screen| {
        row(screen, name).is_some_and(|line| line.contains(state))
    });
}

#[test]
fn launch_then_destroy_then_quit_restores_the_terminal() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = demo(80, 24, &state).spawn_ondeck_then_stty(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    assert!(
        !pty.screen_text().contains("pty-1"),
        "no pty-1 before the launch"
    );

    pty.send_keys("n");
    pty.wait_for_text("Launch an instance", SHORT);
    // Templates are listed by name; web-stack is the fifth.
    pty.send_keys("jjjj");
    pty.wait_for_text("● web-stack", SHORT);
    // Template → name → env → ttl → Spot → [ Launch ].
    pty.send_keys("\t");
    pty.send_keys("pty-1");
    pty.wait_for_text("[ pty-1", SHORT);
    pty.send_keys("\t\t\t\t\r");
    let screen = pty.wait_for("pty-1 launched from web-stack", SHORT, |screen| {
        !screen.contains("Launch an instance")
            && screen.contains("launched pty-1 from web-stack")
            && row(screen, "pty-1").is_some()
    });
    let first = row(&screen, "pty-1").unwrap();
    assert!(
        ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
            .iter()
            .any(|state| first.contains(state)),
        "pty-1 starts on its way up: {first}"
    );
    wait_for_state(&pty, "pty-1", "RUNNING", LIFECYCLE);

    // The launch selected pty-1: destroy asks about it by name.
    pty.send_keys("\x04");
    pty.wait_for_text("Destroy pty-1", SHORT);
    pty.send_keys("y");
    wait_for_state(&pty, "pty-1", "STOPPED", LIFECYCLE);
    let screen = pty.screen_text();
    assert!(
        row(&screen, "checkout-fix").is_some_and(|line| line.contains("RUNNING")),
        "destroying pty-1 left the others alone:\n{screen}"
    );

    pty.send_keys("q");
    let (code, stty) = pty.wrapper_report();
    assert_eq!(code, 0, "ondeck's exit code");
    assert_cooked(&stty);
    assert_left_alternate_screen(&pty.raw_bytes());
    assert_bracketed_paste_left(&pty.raw_bytes());
}

#[test]
fn a_wide_terminal_shows_more_columns() {
    let headers = |cols: u16, rows: u16| {
        let state = tempfile::tempdir().unwrap();
        let mut pty = demo(cols, rows, &state).spawn_ondeck(&["--demo"]);
        let screen = pty.wait_for("the table's header", SHORT, |screen| {
            screen.contains("checkout-fix") && screen.contains("NAME")
        });
        pty.send_keys("q");
        assert!(pty.wait_for_exit(SHORT).success());
        screen
            .lines()
            .find(|line| line.contains("NAME"))
            .expect("a header")
            .split_whitespace()
            .filter(|word| word.chars().all(|c| c.is_ascii_uppercase()))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let narrow = headers(80, 24);
    let wide = headers(160, 48);
    for column in ["OWNER", "EXPIRES"] {
        assert!(!narrow.contains(&column.to_string()), "{narrow:?}");
        assert!(wide.contains(&column.to_string()), "{wide:?}");
    }
    assert!(
        narrow.iter().all(|column| wide.contains(column)),
        "{narrow:?} ⊄ {wide:?}"
    );
}

#[test]
fn p_pauses_and_r_resumes_the_demos_service_backed_instance() {
    let state = tempfile::tempdir().unwrap();
    let mut pty =
        demo(80, 24, &state).spawn_ondeck_then_stty(&["--demo", "--select", "queue-workers"]);
    pty.wait_for("queue-workers selected", SHORT, |screen| {
        row(screen, "queue-workers").is_some_and(|line| line.contains('›'))
    });

    pty.send_keys("P");
    wait_for_state(&pty, "queue-workers", "PAUSED", LIFECYCLE);
    pty.send_keys("d");
    pty.wait_for("the detail pane says it costs nothing", SHORT, |screen| {
        screen.contains("paused for") && screen.contains("while paused")
    });

    pty.send_keys("R");
    pty.wait_for("queue-workers on its way up", LIFECYCLE, |screen| {
        row(screen, "queue-workers").is_some_and(|line| {
            ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
                .iter()
                .any(|state| line.contains(state))
        })
    });
    wait_for_state(&pty, "queue-workers", "RUNNING", LIFECYCLE);

    pty.send_keys("q");
    let (code, stty) = pty.wrapper_report();
    assert_eq!(code, 0, "ondeck's exit code");
    assert_cooked(&stty);
}

#[test]
fn the_demos_worker_is_replaced_after_a_crash_and_its_logs_mark_the_seam() {
    let state = tempfile::tempdir().unwrap();
    let mut pty =
        demo(80, 24, &state).spawn_ondeck_then_stty(&["--demo", "--select", "queue-workers"]);
    // At 20× a replacement is up within a second or two, quicker than a refresh comes: the
    // seam is what stays on screen.
    pty.wait_for("the seam in the logs", LIFECYCLE, |screen| {
        screen
            .lines()
            .any(|line| line.contains("replaced") && line.contains("exit 137: OutOfMemoryError"))
    });
    wait_for_state(&pty, "queue-workers", "RUNNING", LIFECYCLE);
    // The first q closes the log pane, the second quits.
    pty.send_keys("q");
    pty.wait_for_text("n launch", SHORT);
    pty.send_keys("q");
    let (code, _) = pty.wrapper_report();
    assert_eq!(code, 0);
}
