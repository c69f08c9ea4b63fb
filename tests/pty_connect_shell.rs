//! `s` in `ondeck --demo` end to end in a pseudo-terminal: the dashboard hands the terminal to
//! a shell in a demo container, the shell answers, and `exit` brings the same screen back.

mod pty;

use std::time::Duration;

use pty::{PtyBuilder, find_last};

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(15);

/// The start of `name`'s table row (selection marker, name, owner, template): the age column
/// may tick over meanwhile.
fn row_from_name(screen: &str, name: &str) -> Option<String> {
    screen
        .lines()
        .find(|line| line.contains(name) && line.contains("web-stack"))
        .map(|line| {
            line.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
}

#[test]
fn s_opens_a_shell_in_the_chosen_container_and_exit_returns_to_the_same_screen() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(160, 40, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    // Only checkout-fix in the table, selected.
    pty.send_keys("/checkout\r");
    let before = pty.wait_for("checkout-fix alone and selected", SHORT, |screen| {
        screen.contains("instances (1)") && screen.contains("›checkout-fix")
    });
    let selected_row = row_from_name(&before, "checkout-fix").expect("the row");

    pty.send_keys("s");
    pty.wait_for_text("Shell in checkout-fix", SHORT);
    // web-stack's containers: web, api, db. Down once: api.
    pty.send_keys("j\r");
    pty.wait_for("the shell's prompt on the main screen", SHORT, |screen| {
        !screen.contains("instances (1)") && screen.contains("$ ")
    });
    pty.send_keys("hostname\r");
    let shell = pty.wait_for("the container's hostname", SHORT, |screen| {
        screen.lines().any(|line| line.starts_with("api-"))
    });
    let hostname = shell.lines().find(|line| line.starts_with("api-")).unwrap();
    assert_eq!(
        hostname.len(),
        "api-".len() + 32,
        "container name and task id: {hostname}"
    );
    pty.send_keys("env\r");
    pty.wait_for_text("LOG_LEVEL=debug", SHORT);

    pty.send_keys("exit\r");
    let after = pty.wait_for("the dashboard back", SHORT, |screen| {
        screen.contains("shell in api in checkout-fix ended") && screen.contains("instances (1)")
    });
    assert_eq!(
        row_from_name(&after, "checkout-fix").as_deref(),
        Some(selected_row.as_str()),
        "the same selection and row"
    );
    assert!(before.contains("filter: checkout"));
    assert!(
        after.contains("filter: checkout"),
        "the filter is kept:\n{after}"
    );
    let raw = pty.raw_bytes();
    let left = find_last(&raw, b"\x1b[?1049l").expect("the alternate screen was left");
    let back = find_last(&raw, b"\x1b[?1049h").expect("and entered again");
    assert!(left < back, "left for the shell, then re-entered");

    // Keys reach the dashboard again.
    pty.send_keys("q");
    let status = pty.wait_for_exit(SHORT);
    assert!(status.success(), "{status:?}");
}
