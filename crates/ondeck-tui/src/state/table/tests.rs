use chrono::{TimeZone, Utc};

use super::*;
use crate::state::fixtures::*;
use crate::state::{Action, Focus, Mode, Pane, update};

fn ids(rows: &[&Instance]) -> Vec<InstanceId> {
    rows.iter().map(|instance| instance.id()).collect()
}

fn row_names(rows: &[&Instance]) -> Vec<String> {
    rows.iter().map(|instance| instance.name.clone()).collect()
}

/// The table over `instances` after they arrived: rows reconciled.
fn table_over(instances: &[Instance], page: usize) -> Table {
    let mut table = Table::new(page);
    table.sort = SortKey::Name;
    let rows = ids(&table.rows(instances));
    table.reconcile(&rows);
    table
}

fn selected_in(table: &Table) -> Option<&str> {
    table.selected().map(|id| id.name.as_str())
}

#[test]
fn the_first_rows_select_the_first_instance() {
    let instances = [running("b"), running("a")];
    let table = table_over(&instances, 10);
    assert_eq!(selected_in(&table), Some("a"));
    let empty = table_over(&[], 10);
    assert_eq!(empty.selected(), None);
}

#[test]
fn the_selection_follows_its_instance_and_else_keeps_its_row() {
    let before = [running("a"), running("b"), running("c")];
    let mut table = table_over(&before, 10);
    let rows = ids(&table.rows(&before));
    assert!(table.move_selection(&rows, |at, last| (at + 1).min(last)));
    assert_eq!(selected_in(&table), Some("b"));

    // "a" went away: b is now first, still selected.
    let after = [running("b"), running("c")];
    let rows = ids(&table.rows(&after));
    table.reconcile(&rows);
    assert_eq!(selected_in(&table), Some("b"));
    // b went away too: the selection stays on the same row.
    let after = [running("c"), running("d")];
    let rows = ids(&table.rows(&after));
    table.reconcile(&rows);
    assert_eq!(selected_in(&table), Some("c"));
    // Everything went: nothing is selected.
    table.reconcile(&[]);
    assert_eq!(table.selected(), None);
}

#[test]
fn two_rows_of_one_name_are_told_apart_by_owner() {
    let instances = [owned_by("ana", "one"), owned_by("bob", "one")];
    let mut table = table_over(&instances, 10);
    let rows = ids(&table.rows(&instances));
    table.move_selection(&rows, |_, last| last);
    assert_eq!(table.selected().map(|id| id.owner.as_str()), Some("bob"));
    table.reconcile(&rows);
    assert_eq!(table.selected().map(|id| id.owner.as_str()), Some("bob"));
}

#[test]
fn sorting_cycles_and_keeps_the_selected_instance() {
    let mut api = running("api");
    api.template = "worker".into();
    api.created_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap());
    let mut broken = instance("broken", vec![task("broken", "b-1", TaskState::Pending)]);
    broken.created_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap());
    let mut destroyed = task("old", "o-1", TaskState::Stopped);
    destroyed.stop_code = Some("UserInitiated".into());
    let mut old = instance("old", vec![destroyed]);
    old.created_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap());
    let instances = [old, api, broken];

    let mut table = Table::new(10);
    let mut order = Vec::new();
    for _ in 0..4 {
        order.push((table.sort.label(), row_names(&table.rows(&instances))));
        table.next_sort();
    }
    assert_eq!(
        order,
        vec![
            ("newest", vec!["broken".into(), "api".into(), "old".into()]),
            ("name", vec!["api".into(), "broken".into(), "old".into()]),
            ("state", vec!["broken".into(), "api".into(), "old".into()]),
            (
                "template",
                vec!["broken".into(), "old".into(), "api".into()]
            ),
        ]
    );
    assert_eq!(table.sort, SortKey::Newest, "round again");

    table.reconcile(&ids(&table.rows(&instances)));
    table.move_selection(&ids(&table.rows(&instances)), |_, last| last);
    assert_eq!(selected_in(&table), Some("old"));
    table.next_sort();
    table.reconcile(&ids(&table.rows(&instances)));
    assert_eq!(
        selected_in(&table),
        Some("old"),
        "the instance, not the row"
    );
}

#[test]
fn the_filter_matches_name_template_state_and_owner_in_any_case() {
    let mut theirs = owned_by("Bob", "db");
    theirs.template = "postgres".into();
    let instances = [running("api-one"), running("api-two"), theirs];
    let mut table = Table::new(10);
    table.sort = SortKey::Name;
    let shown = |table: &Table| row_names(&table.rows(&instances));
    for (needle, expected) in [
        ("API", vec!["api-one", "api-two"]),
        ("-t", vec!["api-two"]),
        ("gres", vec!["db"]),
        ("bob", vec!["db"]),
        ("running", vec!["api-one", "api-two", "db"]),
        ("nothing", vec![]),
    ] {
        table.filter = LineInput::from(needle);
        assert_eq!(shown(&table), expected, "{needle}");
    }
}

#[test]
fn filter_keys_edit_it_esc_clears_it_and_enter_keeps_it() {
    let mut table = Table::new(10);
    for c in "apx".chars() {
        assert_eq!(table.filter_key(Key::char(c)), Outcome::Open);
    }
    assert_eq!(
        table.filter_key(Key::plain(KeyCode::Backspace)),
        Outcome::Open
    );
    assert_eq!(table.filter_key(Key::char('i')), Outcome::Open);
    assert_eq!(
        table.filter_key(Key::ctrl('d')),
        Outcome::Open,
        "not an edit, still open"
    );
    assert_eq!(table.filter.text(), "api");
    assert_eq!(
        table.filter_key(Key::plain(KeyCode::Enter)),
        Outcome::Done(())
    );
    assert_eq!(table.filter.text(), "api", "enter keeps it");
    assert_eq!(
        table.filter_key(Key::plain(KeyCode::Esc)),
        Outcome::Cancelled
    );
    assert_eq!(table.filter.text(), "", "esc clears it");
}

#[test]
fn the_window_moves_only_when_the_selection_leaves_it() {
    // Ten rows on screen out of a hundred.
    assert_eq!(window_top(0, Some(9), 10, 100), 0);
    assert_eq!(
        window_top(0, Some(10), 10, 100),
        1,
        "down past the bottom edge"
    );
    assert_eq!(window_top(30, Some(35), 10, 100), 30, "inside: stays put");
    assert_eq!(
        window_top(30, Some(29), 10, 100),
        29,
        "up past the top edge"
    );
    assert_eq!(window_top(30, None, 10, 100), 30);
}

#[test]
fn a_shrinking_list_pulls_the_window_up() {
    assert_eq!(window_top(90, Some(12), 10, 15), 5);
    assert_eq!(window_top(90, None, 10, 4), 0);
}

fn many(count: usize) -> Vec<Instance> {
    (0..count)
        .map(|n| running(&format!("box-{n:02}")))
        .collect()
}

#[test]
fn moving_the_selection_scrolls_the_page_only_past_its_edges() {
    let instances = many(60);
    let mut table = table_over(&instances, 10);
    let rows = ids(&table.rows(&instances));
    for _ in 0..9 {
        table.move_selection(&rows, |at, last| (at + 1).min(last));
    }
    assert_eq!(table.top(), 0, "box-09 is the last row on the page");
    table.move_selection(&rows, |at, last| (at + 1).min(last));
    assert_eq!(table.top(), 1);
    let page = table.page();
    table.move_selection(&rows, |at, last| (at + page).min(last));
    assert_eq!(selected_in(&table), Some("box-20"));
    assert_eq!(table.top(), 11);
    table.move_selection(&rows, |at, _| at.saturating_sub(5));
    assert_eq!(table.top(), 11, "box-15 is still on the page");
    table.move_selection(&rows, |_, _| 0);
    assert_eq!(table.top(), 0);
    table.move_selection(&rows, |_, last| last);
    assert_eq!(table.top(), 50);
    assert!(
        !table.move_selection(&[], |_, last| last),
        "no rows, no move"
    );
}

#[test]
fn a_smaller_page_brings_the_selection_back_on_screen() {
    let instances = many(60);
    let mut table = table_over(&instances, 20);
    let rows = ids(&table.rows(&instances));
    table.move_selection(&rows, |_, _| 19);
    assert_eq!(table.top(), 0);
    table.set_page(8);
    table.reconcile(&rows);
    assert_eq!(table.top(), 12, "box-19 is the last of eight rows");
    assert_eq!(selected_in(&table), Some("box-19"));
    table.set_page(0);
    assert_eq!(table.page(), 1, "never less than a row");
}

#[test]
fn fewer_rows_pull_the_window_up_and_clearing_starts_over() {
    let instances = many(60);
    let mut table = table_over(&instances, 10);
    let rows = ids(&table.rows(&instances));
    table.move_selection(&rows, |_, last| last);
    let fewer = many(15);
    table.reconcile(&ids(&table.rows(&fewer)));
    assert_eq!(
        selected_in(&table),
        Some("box-14"),
        "the same row, the last"
    );
    assert_eq!(table.top(), 5);
    table.clear_selection();
    assert_eq!((table.selected(), table.top()), (None, 0));
}

// Through `update`: the table as keys and refreshes move it.

#[test]
fn selection_follows_the_instance_across_refreshes() {
    let mut state = loaded(vec![running("a"), running("b"), running("c")]);
    state.table.sort = SortKey::Name;
    press(&mut state, Key::char('j'));
    assert_eq!(selected_name(&state), Some("b"));
    // "a" went away: b is now first, still selected.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 1),
        snapshot(vec![running("b"), running("c")]),
    );
    assert_eq!(selected_name(&state), Some("b"));
    // b went away too: the selection stays on the same row.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 2),
        snapshot(vec![running("c"), running("d")]),
    );
    assert_eq!(selected_name(&state), Some("c"));
}

#[test]
fn filter_is_live_and_esc_clears_it() {
    let mut state = loaded(vec![running("api-one"), running("api-two"), running("db")]);
    press(&mut state, Key::char('/'));
    type_text(&mut state, "api");
    assert_eq!(state.mode, Mode::Filter);
    let mut shown = names(&state);
    shown.sort();
    assert_eq!(shown, vec!["api-one", "api-two"]);
    type_text(&mut state, "-t");
    assert_eq!(names(&state), vec!["api-two"]);
    assert_eq!(selected_name(&state), Some("api-two"));
    press(&mut state, Key::plain(KeyCode::Esc));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(names(&state).len(), 3);
}

#[test]
fn the_second_of_two_rows_with_one_name_can_be_selected() {
    let mut state = everyone(None, vec![owned_by("ana", "one"), owned_by("bob", "one")]);
    press(&mut state, Key::char('g'));
    assert_eq!(selected_owner(&state), Some("ana"));
    press(&mut state, Key::char('j'));
    assert_eq!(selected_owner(&state), Some("bob"));
    assert_eq!(state.selected_instance().unwrap().owner, "bob");
    // A refresh keeps the selection on bob's row, not on the first row of that name.
    let req = refresh_req(&press(&mut state, Key::char('r')));
    answer(
        &mut state,
        req,
        at(10, 1),
        snapshot(vec![owned_by("ana", "one"), owned_by("bob", "one")]),
    );
    assert_eq!(selected_owner(&state), Some("bob"));
}

#[test]
fn a_name_reused_after_destroy_is_its_own_row_and_selection() {
    let mut destroyed = task("one", "old-1", TaskState::Stopped);
    destroyed.stop_code = Some("UserInitiated".into());
    let mut old = instance("one", vec![destroyed]);
    old.launch = "0ld".into();
    let mut new = running("one");
    new.launch = "new".into();
    new.tasks[0].task_arn.push_str("-new");
    let mut state = loaded(vec![old, new]);
    state.table.sort = SortKey::State;
    press(&mut state, Key::char('g'));
    assert_eq!(state.selected_instance().unwrap().launch, "new");
    press(&mut state, Key::char('j'));
    assert_eq!(state.selected_instance().unwrap().launch, "0ld");
}

#[test]
fn select_flag_selects_and_opens_the_logs() {
    let mut state = start(false, Some("b"));
    let req = refresh_req(&update(&mut state, Action::Tick(at(10, 0))));
    answer(
        &mut state,
        req,
        at(10, 0),
        snapshot(vec![running("a"), running("b")]),
    );
    assert_eq!(selected_name(&state), Some("b"));
    assert_eq!(state.pane, Some(Pane::Logs));
    assert_eq!(state.focus, Focus::Pane);
    assert_eq!(
        state.logs.as_ref().map(|l| l.instance.name.as_str()),
        Some("b")
    );
}

#[test]
fn select_flag_takes_another_owners_name() {
    let state = everyone(
        Some("bob/one"),
        vec![owned_by("ana", "one"), owned_by("bob", "one")],
    );
    assert_eq!(selected_owner(&state), Some("bob"));
    assert_eq!(state.pane, Some(Pane::Logs));
}
