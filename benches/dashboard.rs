//! Dashboard budget: a key press with 1,000 instances on screen is handled and drawn into a
//! 160×48 frame in ≤ 16 ms. The state comes from the demo cluster through the same refresh the
//! dashboard runs, so instances, tasks and task definitions are shaped like real ones.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{FixedOffset, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use ondeck_core::Cloud;
use ondeck_engine::ops::{self, OpsContext};
use ondeck_sim::{DemoCloud, demo_config};
use ondeck_tui::state::keymap::{Key, Keymap};
use ondeck_tui::state::timeline::Journal;
use ondeck_tui::state::{Action, AppState, Effect, StartOptions, update};
use ondeck_tui::ui::{self, RenderContext, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

const OWNER: &str = "ana";
const INSTANCES: usize = 1_000;
const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;

/// A dashboard that has had its first answer: the demo's few instances plus 1,000 steady ones.
fn loaded_state() -> AppState {
    let config = demo_config(OWNER);
    let profile = config.profile(Some("demo")).expect("demo profile").clone();
    let cloud: Arc<dyn Cloud> =
        Arc::new(DemoCloud::new(OWNER, 1.0).with_steady_instances(OWNER, INSTANCES));
    let ctx = OpsContext::new(cloud, profile.clone(), PathBuf::from("unused"), true);
    let snapshot = block_on(ops::refresh(&ctx, false)).expect("demo refresh");
    let now = Utc::now();
    let mut state = AppState::new(
        &config,
        StartOptions {
            profile: profile.name,
            read_only: true,
            all_owners: false,
            select: None,
            keymap: Keymap::default(),
            journal: Journal::default(),
            now,
        },
    )
    .expect("state");
    let layout = ui::screen_layout(Rect::new(0, 0, WIDTH, HEIGHT), &state);
    update(&mut state, Action::Layout(layout));
    // The first tick asks for a refresh; answering that request loads the snapshot.
    let req = update(&mut state, Action::Tick(now))
        .into_iter()
        .find_map(|effect| match effect {
            Effect::Refresh { req, .. } => Some(req),
            _ => None,
        })
        .expect("first tick refreshes");
    update(
        &mut state,
        Action::Refreshed {
            req,
            at: now,
            result: Ok(snapshot),
        },
    );
    assert!(
        state.instances.len() > INSTANCES,
        "{} instances loaded",
        state.instances.len()
    );
    state
}

fn context() -> RenderContext {
    RenderContext {
        now: Utc::now(),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme::unicode(true),
    }
}

/// `j` down the table and `k` back up in turns of 500, so the selection never parks at an end.
fn next_key(press: &mut u64) -> Key {
    *press += 1;
    if (*press / 500).is_multiple_of(2) {
        Key::char('j')
    } else {
        Key::char('k')
    }
}

fn key_to_frame(c: &mut Criterion) {
    let render = context();
    let mut group = c.benchmark_group("dashboard_1000");

    let mut state = loaded_state();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test backend");
    let mut press = 0;
    group.bench_function("key_update_and_frame_160x48", |b| {
        b.iter(|| {
            black_box(update(&mut state, Action::Key(next_key(&mut press))));
            terminal
                .draw(|frame| ui::render(frame, &state, &render))
                .expect("draw");
        })
    });

    let mut state = loaded_state();
    update(&mut state, Action::Key(Key::char('d')));
    group.bench_function("key_update_and_frame_with_detail_160x48", |b| {
        b.iter(|| {
            black_box(update(&mut state, Action::Key(next_key(&mut press))));
            terminal
                .draw(|frame| ui::render(frame, &state, &render))
                .expect("draw");
        })
    });

    let mut state = loaded_state();
    group.bench_function("key_update_only", |b| {
        b.iter(|| black_box(update(&mut state, Action::Key(next_key(&mut press)))))
    });

    let state = loaded_state();
    group.bench_function("frame_only_160x48", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| ui::render(frame, &state, &render))
                .expect("draw");
        })
    });
    group.finish();
}

criterion_group!(benches, key_to_frame);
criterion_main!(benches);
