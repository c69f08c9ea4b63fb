//! Instances that have stopped for good: nothing about them is live any more.

use super::*;

#[test]
fn a_stopped_or_failed_instance_shows_no_readiness_expiry_or_endpoints_to_wait_for() {
    let mut state = populated();
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
