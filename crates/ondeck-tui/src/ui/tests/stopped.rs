//! Instances that have stopped for good: nothing about them is live any more.

use super::*;

#[test]
fn a_stopped_or_failed_instance_shows_no_readiness_expiry_or_endpoints_to_wait_for() {
    let mut state = populated();
    // `old` stopped days ago: shown only on asking.
    press(&mut state, Key::char('h'));
    for instance in state.instances.iter_mut() {
        if matches!(instance.name.as_str(), "old" | "broken") {
            instance.expires_at = Some(at(18, 0));
        }
    }
    let screen = draw(&state, 200, 60, false).to_string();
    for name in ["old", "broken"] {
        let row = screen
            .lines()
            .find(|line| line.split_whitespace().any(|word| word.ends_with(name)))
            .unwrap_or_else(|| panic!("no row for {name}\n{screen}"));
        assert!(!row.contains("0/2"), "no readiness for {name}: {row}");
        assert!(!row.contains("7h 55m"), "no live expiry for {name}: {row}");
    }
    press(&mut state, Key::char('d'));
    for name in ["old", "broken"] {
        select(&mut state, name);
        let detail = draw(&state, 200, 60, false).to_string();
        assert!(detail.contains(&format!("detail · {name}")), "{detail}");
        assert!(!detail.contains("none yet"), "{name}\n{detail}");
        assert!(!detail.contains("expires"), "{name}\n{detail}");
    }
}

#[test]
fn the_title_counts_running_instances_only() {
    // RUNNING: api-demo and checkout-fix-nightly-rebuild; not the pending, degraded,
    // deprovisioning, failed or stopped ones.
    let title = draw(&populated(), 80, 24, false)
        .to_string()
        .lines()
        .nth(1)
        .expect("the title")
        .to_string();
    assert!(title.contains(" 2 running · "), "{title}");
}

#[test]
fn what_stopped_over_an_hour_ago_is_hidden_and_counted_until_h_shows_it() {
    let mut state = populated();
    let names =
        |state: &AppState| -> Vec<String> { state.rows().iter().map(|i| i.name.clone()).collect() };
    // `broken` failed 31 minutes ago, `old` was destroyed four days ago.
    assert!(names(&state).contains(&"broken".to_string()));
    assert!(!names(&state).contains(&"old".to_string()));
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(screen.contains("instances (6, 1 hidden)"), "{screen}");
    press(&mut state, Key::char('h'));
    assert!(names(&state).contains(&"old".to_string()));
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(screen.contains("instances (7)"), "{screen}");
    press(&mut state, Key::char('h'));
    assert!(!names(&state).contains(&"old".to_string()));
    // Half an hour on, `broken` has been stopped for over an hour: it goes too.
    update(&mut state, Action::Tick(at(10, 35)));
    assert!(!names(&state).contains(&"broken".to_string()));
    let screen = draw(&state, 80, 24, false).to_string();
    assert!(screen.contains("instances (5, 2 hidden)"), "{screen}");
}
