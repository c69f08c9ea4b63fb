//! However the dashboard ends — SIGTERM, SIGHUP, a panic — the process goes away and the
//! terminal is back in cooked mode on the normal screen.

mod pty;

use std::time::Duration;

use pty::{
    Pty, PtyBuilder, alive, assert_bracketed_paste_left, assert_cooked,
    assert_left_alternate_screen,
};

const SHORT: Duration = Duration::from_secs(10);

fn dashboard(state: &tempfile::TempDir) -> Pty {
    let pty = PtyBuilder::new(80, 24, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck_then_stty(&["--demo"]);
    // The table is drawn: the signal handlers are installed by now.
    pty.wait_for_text("checkout-fix", SHORT);
    pty
}

fn ends_cleanly_on(signal: &str) {
    let state = tempfile::tempdir().unwrap();
    let mut pty = dashboard(&state);
    let ondeck = pty.ondeck_pid();
    pty::signal(ondeck, signal);

    let (code, stty) = pty.wrapper_report();
    assert_eq!(code, 0, "SIG{signal} is a normal way to end, not a crash");
    assert!(
        !alive(ondeck),
        "ondeck ({ondeck}) still runs after SIG{signal}"
    );
    assert_eq!(pty.session_processes(), Vec::<u32>::new(), "left behind");
    assert_cooked(&stty);
    assert_left_alternate_screen(&pty.raw_bytes());
    assert_bracketed_paste_left(&pty.raw_bytes());
}

#[test]
fn sigterm_ends_the_dashboard_and_restores_the_terminal() {
    ends_cleanly_on("TERM");
}

#[test]
fn sighup_ends_the_dashboard_and_restores_the_terminal() {
    ends_cleanly_on("HUP");
}

/// The panic hook is only reachable through a debug build's test hook.
#[cfg(debug_assertions)]
#[test]
fn a_panic_restores_the_terminal_and_is_logged() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(80, 24, state.path())
        .env("ONDECK_DEBUG_PANIC_AFTER_FRAMES", "1")
        .spawn_ondeck_then_stty(&["--demo"]);

    let (code, stty) = pty.wrapper_report();
    assert_ne!(code, 0, "a panic is a failure");
    assert_cooked(&stty);
    assert_left_alternate_screen(&pty.raw_bytes());
    assert_bracketed_paste_left(&pty.raw_bytes());
    // The report is readable on the restored screen…
    let screen = pty.screen_text();
    assert!(
        screen.contains("ONDECK_DEBUG_PANIC_AFTER_FRAMES"),
        "no panic report on the screen:\n{screen}"
    );
    // …and kept in ondeck's log, with where it happened.
    let log = std::fs::read_to_string(state.path().join("ondeck.log")).expect("ondeck.log");
    let report = log
        .lines()
        .position(|line| line.contains("panic") && line.contains("panicking after frame 1"))
        .unwrap_or_else(|| panic!("no panic report in ondeck.log:\n{log}"));
    assert!(
        log.lines()
            .skip(report)
            .any(|line| line.contains("src/runtime/mod.rs")),
        "the report says where:\n{log}"
    );
}

/// The process ids of ondeck binaries whose state dir is `state`.
fn ondecks_with_state(state: &std::path::Path) -> Vec<u32> {
    let wanted = format!("ONDECK_STATE_DIR={}", state.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe.is_some_and(|exe| exe.ends_with("ondeck"))
                && environ
                    .split(|b| *b == 0)
                    .any(|var| var == wanted.as_bytes())
        })
        .collect()
}

#[test]
fn a_terminal_that_hangs_up_without_sighup_still_ends_ondeck() {
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyBuilder::new(80, 24, dir.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck_without_sighup(&["--demo"]);
    pty.wait_for_text("checkout-fix", Duration::from_secs(20));
    let mut pty = pty;
    let pids = ondecks_with_state(dir.path());
    assert_eq!(pids.len(), 1, "{pids:?}");
    // The link drops: ondeck, in a session of its own, gets no SIGHUP from the hang-up.
    pty.hang_up();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while alive(pids[0]) {
        assert!(
            std::time::Instant::now() < deadline,
            "ondeck {} still runs without its terminal",
            pids[0]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // It ended as it would on SIGHUP: cleanly, with nothing written to the dead terminal
    // turned into a panic on the way out.
    let status = dir.path().join(pty::EXIT_STATUS_FILE);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let code = loop {
        let written = std::fs::read_to_string(&status).unwrap_or_default();
        if written.ends_with('\n') {
            break written.trim().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit status in {}",
            status.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, "0", "a hang-up is a normal way to end, not a crash");
    assert_no_panic_logged(dir.path());
}

/// A dropped SSH link: the terminal hangs up and ondeck, its session's leader, gets SIGHUP.
#[test]
fn a_dropped_link_ends_the_dashboard_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(80, 24, dir.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", Duration::from_secs(20));
    pty.hang_up();
    let status = pty.wait_for_exit(Duration::from_secs(15));
    assert!(
        status.success(),
        "a hang-up is a normal way to end, not a crash: {status:?}"
    );
    assert_no_panic_logged(dir.path());
}

/// ondeck's log in `state` has no panic report.
fn assert_no_panic_logged(state: &std::path::Path) {
    let log = std::fs::read_to_string(state.join("ondeck.log")).expect("ondeck.log");
    assert!(
        log.contains("hung up") || log.contains("dashboard closed"),
        "{log}"
    );
    assert!(
        !log.lines().any(|line| line.contains("panic")),
        "a panic on the way out:\n{log}"
    );
}
