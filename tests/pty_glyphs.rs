//! The dashboard on a terminal that cannot show Unicode symbols: on the Linux console
//! (`TERM=linux`) and under a locale without UTF-8, every byte it writes is ASCII and the
//! states read in their ASCII symbols.

mod pty;

use std::time::Duration;

use pty::PtyBuilder;

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(10);

fn dashboard_in(env: &[(&str, &str)]) {
    let state = tempfile::tempdir().unwrap();
    let mut builder = PtyBuilder::new(80, 24, state.path());
    for (key, value) in env {
        builder = builder.env(key, value);
    }
    let mut pty = builder.spawn_ondeck(&["--demo"]);
    let screen = pty.wait_for("the demo's instances in ASCII symbols", SHORT, |screen| {
        screen.contains("checkout-fix") && screen.contains("* RUNNING")
    });
    assert!(
        screen.contains("+ instances ("),
        "an ASCII border\n{screen}"
    );
    assert!(!screen.contains('●') && !screen.contains('│'), "{screen}");
    pty.send_keys("?");
    // At 80×24 the help scrolls; its footer then says `v more below` in ASCII arrows.
    pty.wait_for("the help in ASCII", SHORT, |screen| {
        screen.contains("move up") && screen.contains("more below - ^v scroll")
    });
    pty.send_keys("q");
    pty.send_keys("q");
    let status = pty.wait_for_exit(SHORT);
    assert!(status.success(), "{status:?}");
    let raw = pty.raw_bytes();
    let unicode: Vec<&u8> = raw.iter().filter(|byte| !byte.is_ascii()).collect();
    assert!(
        unicode.is_empty(),
        "{} bytes beyond ASCII, e.g. {:?}",
        unicode.len(),
        String::from_utf8_lossy(&raw[raw.iter().position(|b| !b.is_ascii()).unwrap()..])
            .chars()
            .take(40)
            .collect::<String>()
    );
}

#[test]
fn the_linux_console_gets_ascii_symbols_only() {
    dashboard_in(&[("TERM", "linux")]);
}

#[test]
fn a_locale_without_utf8_gets_ascii_symbols_only() {
    dashboard_in(&[("LANG", "C"), ("LC_ALL", "POSIX")]);
}
