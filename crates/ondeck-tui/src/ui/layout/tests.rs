use chrono::{Duration, FixedOffset};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::state::fixtures::{app, at, instance, poll, task};
use crate::state::keymap::Key;
use crate::state::{Action, update};
use crate::ui::{RenderContext, Theme, render};
use ondeck_core::model::TaskState;

/// A dashboard with `count` running instances `box-00`…, newest first.
fn boxes(count: i64) -> AppState {
    let mut state = app(false, at(10, 5));
    let many = (0..count)
        .map(|n| {
            let name = format!("box-{n:02}");
            let mut task = task(&name, &format!("{n:032x}"), TaskState::Running);
            task.times.created_at = Some(at(9, 0) - Duration::minutes(n));
            instance(&name, vec![task])
        })
        .collect();
    poll(&mut state, at(10, 4), many);
    state
}

/// How many instance rows a frame of `width`×`height` shows.
fn rows_drawn(state: &AppState, width: u16, height: u16) -> usize {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let ctx = RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).unwrap(),
        theme: Theme::unicode(false),
    };
    terminal.draw(|frame| render(frame, state, &ctx)).unwrap();
    terminal
        .backend()
        .to_string()
        .lines()
        // TASKS and READY: a table row, whatever else the narrow columns leave out.
        .filter(|line| line.contains("1/1   2/2"))
        .count()
}

#[test]
fn the_table_shows_as_many_rows_as_the_layout_tells_update() {
    for (width, height) in [(50, 15), (80, 24), (160, 48)] {
        let area = Rect::new(0, 0, width, height);
        let mut state = boxes(60);
        let mut scenes = Vec::new();
        for key in [None, Some('d'), Some('t'), Some('L')] {
            if let Some(key) = key {
                update(&mut state, Action::Key(Key::char(key)));
            }
            let layout = screen_layout(area, &state);
            scenes.push((key, layout.table_rows, rows_drawn(&state, width, height)));
        }
        for (key, told, drawn) in &scenes {
            assert_eq!(told, drawn, "{width}x{height} after {key:?}: {scenes:?}");
        }
        assert!(
            scenes[0].1 > scenes[1].1,
            "a pane takes rows from the table: {scenes:?}"
        );
    }
}

#[test]
fn the_pane_and_page_sizes_follow_the_screen() {
    let mut state = boxes(3);
    let layout = screen_layout(Rect::new(0, 0, 80, 24), &state);
    // The bars take a row each, the borders two and the header one: 19 rows of 24.
    assert_eq!(
        (layout.table_rows, layout.width, layout.height),
        (19, 80, 24)
    );

    update(&mut state, Action::Key(Key::char('d')));
    let layout = screen_layout(Rect::new(0, 0, 80, 24), &state);
    let detail = regions(Rect::new(0, 0, 80, 24), &state);
    let pane = detail.pane.expect("the detail pane");
    assert_eq!(layout.pane_rows, usize::from(pane.height - 2));
    assert_eq!(
        detail.table.unwrap().height + pane.height,
        detail.body.height
    );

    // The log pane under a table of three: borders and header make six rows.
    update(&mut state, Action::Key(Key::char('L')));
    let logs = regions(Rect::new(0, 0, 80, 24), &state);
    assert_eq!(logs.table.unwrap().height, 6);
    let layout = screen_layout(Rect::new(0, 0, 80, 24), &state);
    assert_eq!(
        layout.pane_rows,
        22 - 6 - 2,
        "the body, the table and the borders"
    );
}

#[test]
fn a_full_screen_log_pane_has_the_whole_body() {
    let mut state = boxes(3);
    update(&mut state, Action::Key(Key::char('L')));
    update(&mut state, Action::Key(Key::char('z')));
    assert!(state.logs.as_ref().is_some_and(|logs| logs.full_screen));
    let regions = regions(Rect::new(0, 0, 80, 24), &state);
    assert_eq!(regions.table, None);
    assert_eq!(regions.pane, Some(regions.body));
}
