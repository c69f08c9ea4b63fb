use chrono::FixedOffset;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::state::AppState;
use crate::state::fixtures::{at, loaded, press, running, select};
use crate::state::keymap::Key;
use crate::ui::{RenderContext, Theme, render};

const SIZES: [(u16, u16); 3] = [(50, 15), (80, 24), (200, 60)];

/// web-1 with its api container ready and redis's agent still starting; the picker open.
fn picking() -> AppState {
    let mut instance = running("web-1");
    let task = &mut instance.tasks[0];
    task.exec_enabled = true;
    for container in &mut task.containers {
        container.runtime_id = Some(format!("rt-{}", container.name));
    }
    task.containers[0].exec_agent = Some("RUNNING".into());
    task.containers[1].exec_agent = Some("PENDING".into());
    let mut state = loaded(vec![instance]);
    select(&mut state, "web-1");
    press(&mut state, Key::char('s'));
    state
}

fn draw(state: &AppState, width: u16, height: u16) -> TestBackend {
    let ctx = RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme::unicode(true),
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &ctx))
        .expect("draw");
    terminal.backend().clone()
}

#[test]
fn the_picker_lists_each_container_with_its_exec_agent() {
    let state = picking();
    for (width, height) in SIZES {
        let backend = draw(&state, width, height);
        insta::assert_snapshot!(format!("shell_picker_{width}x{height}"), backend);
    }
}

#[test]
fn the_picker_opens_on_the_first_ready_container() {
    let mut instance = running("web-1");
    let task = &mut instance.tasks[0];
    task.exec_enabled = true;
    for container in &mut task.containers {
        container.runtime_id = Some(format!("rt-{}", container.name));
    }
    task.containers[0].exec_agent = Some("PENDING".into());
    task.containers[1].exec_agent = Some("RUNNING".into());
    let mut state = loaded(vec![instance]);
    select(&mut state, "web-1");
    press(&mut state, Key::char('s'));
    let text = format!("{:?}", draw(&state, 80, 24));
    let marked = text
        .lines()
        .find(|line| line.contains('›') && line.contains("agent"))
        .expect("a line has the cursor");
    assert!(marked.contains("redis"), "{marked}");
}
