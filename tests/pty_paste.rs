//! Pasting into `ondeck --demo` in a pseudo-terminal, as a terminal in bracketed-paste mode
//! sends it: a pasted newline is typed as a space, and never submits or closes what is open.

mod pty;

use std::time::Duration;

use pty::{PtyBuilder, assert_bracketed_paste_left, assert_cooked};

/// Generous: the debug binary on a shared, busy machine.
const SHORT: Duration = Duration::from_secs(10);

#[test]
fn a_pasted_newline_in_the_launch_dialog_is_a_space_and_the_dialog_stays_open() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(80, 24, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck_then_stty(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    pty.send_keys("n");
    pty.wait_for_text("Launch an instance", SHORT);
    // To the name field. Typed as keys, this paste would fill the name, step to env and the
    // launch button, and launch.
    pty.send_keys("\t");
    pty.wait_for_text("› Name (optional)", SHORT);
    pty.paste("pasted\n\nname\n");
    let screen = pty.wait_for("the pasted name in its field", SHORT, |screen| {
        screen.contains("[ pasted  name █ ]")
    });
    assert!(screen.contains("Launch an instance"), "{screen}");
    assert!(
        screen.contains("› Name (optional)"),
        "the focus stayed:\n{screen}"
    );
    assert!(
        !screen.contains("launching"),
        "nothing was launched:\n{screen}"
    );

    // The dialog goes on as usual: esc cancels, and nothing was launched.
    pty.send_keys("\x1b");
    let screen = pty.wait_for("the dialog closed", SHORT, |screen| {
        screen.contains("launch cancelled") && !screen.contains("Launch an instance")
    });
    assert!(
        !screen.contains("pasted"),
        "no instance of that name:\n{screen}"
    );
    pty.send_keys("q");
    let (code, stty) = pty.wrapper_report();
    assert_eq!(code, 0, "ondeck's exit code");
    assert_cooked(&stty);
    assert_bracketed_paste_left(&pty.raw_bytes());
}

#[test]
fn a_pasted_newline_in_the_filter_is_a_space_and_the_filter_stays_open() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(80, 24, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    pty.send_keys("/");
    pty.wait_for_text("enter keeps · esc clears", SHORT);
    // Typed as keys, the newline would end the filter at `check` and `t` open the timeline.
    pty.paste("check\nout");
    let screen = pty.wait_for("the pasted filter", SHORT, |screen| {
        screen.contains("/check out█")
    });
    assert!(screen.contains("enter keeps · esc clears"), "{screen}");
    assert!(screen.contains("filter: check out"), "{screen}");
    assert!(!screen.contains("timeline"), "no key ran:\n{screen}");

    // Still typing: backspace edits the pasted text, and the filter is live.
    pty.send_keys("\x7f\x7f\x7f\x7f");
    pty.wait_for("the filter down to `check`", SHORT, |screen| {
        screen.contains("/check█") && screen.contains("checkout-fix")
    });
    pty.send_keys("\x1b");
    pty.wait_for("the filter closed", SHORT, |screen| {
        !screen.contains("enter keeps")
    });
    pty.send_keys("q");
    assert!(pty.wait_for_end(SHORT).success());
    assert_bracketed_paste_left(&pty.raw_bytes());
}

#[test]
fn a_pasted_newline_on_the_command_line_or_in_the_extend_dialog_submits_nothing() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(80, 24, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    // Typed as keys, this would quit.
    pty.send_keys(":");
    pty.paste("q\n");
    let screen = pty.wait_for("the pasted line", SHORT, |screen| screen.contains(":q █"));
    assert!(screen.contains("checkout-fix"), "still running:\n{screen}");
    pty.send_keys("\x1b");
    pty.wait_for("the line closed", SHORT, |screen| !screen.contains(":q █"));

    // Typed as keys, this would extend by 2h at the newline.
    pty.send_keys("/checkout\r");
    pty.wait_for_text("filter: checkout", SHORT);
    pty.send_keys("e");
    pty.wait_for_text("by how long?", SHORT);
    pty.send_keys("\x15");
    pty.paste("2h\n");
    let screen = pty.wait_for("the pasted duration", SHORT, |screen| {
        screen.contains("By: [ 2h █ ]")
    });
    assert!(!screen.contains("extending"), "nothing was sent:\n{screen}");
    pty.send_keys("\x1b");
    pty.wait_for("the dialog closed", SHORT, |screen| {
        screen.contains("kept as it was") && !screen.contains("by how long?")
    });
    pty.send_keys("q");
    assert!(pty.wait_for_end(SHORT).success());
    assert_bracketed_paste_left(&pty.raw_bytes());
}

#[test]
fn a_pasted_newline_in_the_forward_dialog_does_not_start_the_forward() {
    let state = tempfile::tempdir().unwrap();
    let mut pty = PtyBuilder::new(160, 40, state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .spawn_ondeck(&["--demo"]);
    pty.wait_for_text("checkout-fix", SHORT);
    pty.send_keys("/checkout-fix\r");
    pty.send_keys("F");
    pty.wait_for_text("Forward a port", SHORT);
    // Typed as keys, the newline would start a forward on 18080.
    pty.paste("18080\n");
    let screen = pty.wait_for("the pasted port", SHORT, |screen| {
        screen.contains("Local port  [ 18080 █ ]")
    });
    assert!(!screen.contains("forwarding localhost"), "{screen}");
    pty.send_keys("\x1b");
    pty.wait_for("the dialog closed", SHORT, |screen| {
        !screen.contains("Forward a port")
    });
    pty.send_keys("q");
    assert!(pty.wait_for_end(SHORT).success());
    assert_bracketed_paste_left(&pty.raw_bytes());
}
