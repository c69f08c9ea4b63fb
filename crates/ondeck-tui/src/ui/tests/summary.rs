//! The title bar's cost summary: whose instances count, when "today" starts, unknown prices,
//! and a long filter that pushes it out.

use super::*;

#[test]
fn the_summary_counts_only_my_instances_and_today_starts_at_local_midnight() {
    let mut theirs = instance(
        "theirs",
        vec![task(
            "theirs",
            "b0bb0bb0b0bb0bb0b0bb0bb0b0bb0bb0",
            TaskState::Running,
        )],
    );
    theirs.owner = "bob".into();
    let mut instances = fleet();
    instances.push(theirs);
    let mut state = app(false, at(10, 5));
    state.all_owners = true;
    poll(&mut state, at(10, 4), instances);
    let title = |state: &AppState, offset| {
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test terminal");
        let ctx = RenderContext {
            offset,
            ..context(false)
        };
        terminal
            .draw(|frame| render(frame, state, &ctx))
            .expect("draw");
        terminal
            .backend()
            .to_string()
            .lines()
            .nth(1)
            .unwrap()
            .to_string()
    };
    let utc = FixedOffset::east_opt(0).expect("UTC");
    assert!(
        title(&state, utc).contains(" ana: 1 running · $0.099/h · today $0.10 "),
        "{}",
        title(&state, utc)
    );
    // At UTC-10 it is 00:05: today is five minutes old, and so is what it has cost
    // ($0.099/h for 5 minutes, plus the 3 minutes of the newest).
    let hawaii = FixedOffset::west_opt(10 * 3_600).expect("UTC-10");
    assert!(
        title(&state, hawaii).contains(" ana: 1 running · $0.099/h · today $0.01 "),
        "{}",
        title(&state, hawaii)
    );
}

#[test]
fn unknown_prices_read_as_a_dash_and_the_detail_says_how_to_fix_them() {
    let mut state = populated();
    state.profile.region = "xx-nowhere-1".into();
    select(&mut state, "api-demo");
    press(&mut state, Key::char('d'));
    let text = draw(&state, 160, 48, false).to_string();
    assert!(text.contains("2 running · cost unknown"));
    assert!(text.contains("unknown: no built-in Fargate prices for xx-nowhere-1; set vcpu_hour and gb_hour under [profiles.dev.prices]"));
    let api_row = text
        .lines()
        .find(|line| line.contains("api-demo") && line.contains("RUNNING"))
        .expect("api-demo row");
    // Expiry and endpoint are known; only $/H and SPENT are not.
    assert_eq!(api_row.matches('—').count(), 2, "{api_row}");
}

#[test]
fn a_long_filter_pushes_the_summary_out_of_the_title() {
    let mut state = populated();
    press(&mut state, Key::char('/'));
    type_text(&mut state, "api");
    let title = |state: &AppState| {
        draw(state, 80, 24, false)
            .to_string()
            .lines()
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert!(
        title(&state).contains("filter: api ─")
            && title(&state).contains("─ $0.148/h · today $0.25 ┐"),
        "{}",
        title(&state)
    );
    type_text(&mut state, "-demo-and-more");
    assert!(
        title(&state).contains("filter: api-demo-and-more ─"),
        "{}",
        title(&state)
    );
    assert!(!title(&state).contains("today"), "{}", title(&state));
}
