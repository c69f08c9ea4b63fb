//! Marked rows: their mark and count in the table, and the one confirmation that lists them.

use super::*;

/// The fleet with `api-demo` and `half` marked, at 80 columns and up with `jobs-x7k2` too.
fn marked() -> AppState {
    let mut state = populated();
    for name in ["api-demo", "half"] {
        select(&mut state, name);
        press(&mut state, Key::char(' '));
    }
    state
}

#[test]
fn marked_rows_show_their_mark_and_the_title_counts_them() {
    let state = marked();
    snapshot_all_sizes("marked_rows", &state);
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(
        screen.contains("instances (6, 2 marked, 1 hidden)"),
        "{screen}"
    );
    let marked_rows: Vec<&str> = screen.lines().filter(|line| line.contains("■ ")).collect();
    assert_eq!(marked_rows.len(), 2, "{screen}");
    assert!(marked_rows.iter().any(|row| row.contains("api-demo")));
    assert!(marked_rows.iter().any(|row| row.contains("half")));
}

#[test]
fn the_confirmation_of_marked_rows_lists_them() {
    let mut state = marked();
    press(&mut state, Key::ctrl('d'));
    snapshot_all_sizes("marked_destroy_confirm", &state);
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(
        screen.contains("Destroy these 2 instances (4 tasks)?"),
        "{screen}"
    );
    assert!(screen.contains("[y/N]"), "{screen}");
}

#[test]
fn the_extend_dialog_of_marked_rows_lists_them_and_asks_once() {
    let mut state = marked();
    press(&mut state, Key::char('e'));
    snapshot_all_sizes("marked_extend_dialog", &state);
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(
        screen.contains("Extend these 2 instances by how long?"),
        "{screen}"
    );
    let listed: Vec<&str> = screen.lines().filter(|line| line.contains("■ ")).collect();
    assert!(
        listed.iter().any(|line| line.contains("■ api-demo")),
        "{screen}"
    );
    assert!(screen.contains("enter extends"), "{screen}");
}
