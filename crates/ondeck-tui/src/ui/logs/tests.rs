//! The dashboard with the log pane, at 80×24 and 160×48.

use std::time::Duration;

use chrono::FixedOffset;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

use crate::state::fixtures::{app, at, instance, logging_definitions, task};
use crate::state::keymap::{Key, KeyCode};
use crate::state::logs::TailId;
use crate::state::{Action, AppState, Effect, update};
use crate::ui::{RenderContext, Theme, render};
use ondeck_core::instances::Instance;
use ondeck_core::model::TaskState;
use ondeck_core::ops::Snapshot;
use ondeck_core::tail::{StreamHealth, TailEvent, TailMessage};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// What two containers of a small web app print, a few seconds apart.
const LINES: [(u16, &str); 14] = [
    (0, "INFO  starting api v2.4.1 (commit 9f3c2e1)"),
    (
        1,
        "1:M 23 Nov 2026 10:04:01.002 * Ready to accept connections tcp",
    ),
    (0, "INFO  connected to redis at 127.0.0.1:6379"),
    (0, "INFO  listening on 0.0.0.0:8080"),
    (
        0,
        r#"{"level":"info","msg":"GET /health","status":200,"ms":2}"#,
    ),
    (
        1,
        "1:M 23 Nov 2026 10:04:10.118 * 1 changes in 60 seconds. Saving...",
    ),
    (
        0,
        "WARN  slow query on orders: 812 ms (select * from orders where queue = 'eu')",
    ),
    (
        0,
        r#"{"level":"info","msg":"GET /api/orders","status":200,"ms":41}"#,
    ),
    (
        0,
        "ERROR payment provider timed out after 5000 ms; retrying (attempt 2/3)",
    ),
    (
        1,
        "1:M 23 Nov 2026 10:04:21.530 * Background saving terminated with success",
    ),
    (
        0,
        r#"{"level":"info","msg":"POST /api/orders","status":201,"ms":88}"#,
    ),
    (0, "INFO  order 4411 queued for fulfilment"),
    (0, "DEBUG cache hit ratio 0.93 over the last 1000 requests"),
    (
        0,
        r#"{"level":"warn","msg":"GET /api/orders/999","status":404,"ms":3}"#,
    ),
];

fn context() -> RenderContext {
    RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme::unicode(true),
    }
}

fn draw(state: &AppState, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &context()))
        .expect("draw");
    terminal.backend().clone()
}

fn snapshot_all_sizes(scene: &str, state: &AppState) {
    for (width, height) in SIZES {
        insta::assert_snapshot!(
            format!("{scene}_{width}x{height}"),
            draw(state, width, height)
        );
    }
}

fn press(state: &mut AppState, key: Key) -> Vec<Effect> {
    update(state, Action::Key(key))
}

fn instances() -> Vec<Instance> {
    let mut api = instance(
        "api-demo",
        vec![task(
            "api-demo",
            "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b",
            TaskState::Running,
        )],
    );
    api.created_at = Some(at(9, 45));
    vec![
        api,
        instance(
            "jobs-x7k2",
            vec![task(
                "jobs-x7k2",
                "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                TaskState::Running,
            )],
        ),
    ]
}

/// The dashboard with `api-demo`'s logs open; `redis_driver` decides whether redis is read.
fn logs_open(redis_driver: &str) -> (AppState, TailId) {
    let mut state = app(false, at(10, 5));
    let effects = update(&mut state, Action::Tick(at(10, 4)));
    let req = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Refresh { req, .. } => Some(*req),
            _ => None,
        })
        .expect("a refresh");
    update(
        &mut state,
        Action::Refreshed {
            req,
            at: at(10, 4),
            result: Ok(Snapshot {
                instances: instances(),
                definitions: logging_definitions(redis_driver),
            }),
        },
    );
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let tail_id = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::StartTail { tail_id, .. } => Some(*tail_id),
            _ => None,
        })
        .expect("a tail");
    (state, tail_id)
}

fn tail(state: &mut AppState, tail_id: TailId, message: TailMessage) {
    update(state, Action::Tail { tail_id, message });
}

/// Lines three seconds apart from 10:04:00, only those of `sources`.
fn deliver(state: &mut AppState, tail_id: TailId, sources: &[u16]) {
    let start = at(10, 4).timestamp_millis();
    let events = LINES
        .iter()
        .enumerate()
        .filter(|(_, (source, _))| sources.contains(source))
        .map(|(i, (source, text))| TailEvent {
            source: *source,
            timestamp: start + i as i64 * 3_000 + 17,
            ingestion_time: start + i as i64 * 3_000 + 400,
            message: text.to_string(),
        })
        .collect();
    tail(state, tail_id, TailMessage::Events(events));
}

fn health(state: &mut AppState, tail_id: TailId, health: StreamHealth) {
    let last_event_at = state.logs.as_ref().and_then(|logs| logs.last_event_at);
    tail(
        state,
        tail_id,
        TailMessage::Health {
            health,
            last_event_at,
        },
    );
}

#[test]
fn following_two_containers() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(&mut state, tail_id, StreamHealth::Live { sampled: false });
    snapshot_all_sizes("logs_following", &state);
}

#[test]
fn paused_with_new_lines() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0]);
    health(&mut state, tail_id, StreamHealth::Live { sampled: false });
    press(&mut state, Key::plain(KeyCode::Up));
    press(&mut state, Key::plain(KeyCode::Up));
    deliver(&mut state, tail_id, &[1]);
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.view.new_since_pause(), 3);
    snapshot_all_sizes("logs_paused", &state);
}

#[test]
fn search_highlights_matches() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(&mut state, tail_id, StreamHealth::Live { sampled: true });
    press(&mut state, Key::char('/'));
    for c in "queue".chars() {
        press(&mut state, Key::char(c));
    }
    let typing = draw(&state, 80, 24).to_string();
    assert!(typing.contains("/queue█"), "the prompt shows what is typed");
    press(&mut state, Key::plain(KeyCode::Enter));
    snapshot_all_sizes("logs_search", &state);

    let backend = draw(&state, 160, 48);
    let buffer = backend.buffer();
    let highlighted: String = buffer
        .content()
        .iter()
        .filter(|cell| cell.modifier.contains(Modifier::REVERSED))
        .map(|cell| cell.symbol())
        .collect();
    assert!(
        highlighted.to_lowercase().contains("queue"),
        "matches are in reverse video: {highlighted:?}"
    );
}

#[test]
fn polling_health_and_the_help_of_the_pane() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(
        &mut state,
        tail_id,
        StreamHealth::Polling {
            interval: Duration::from_secs(2),
        },
    );
    snapshot_all_sizes("logs_polling", &state);
    press(&mut state, Key::char('?'));
    insta::assert_snapshot!("logs_help_80x24", draw(&state, 80, 24));
    let help = draw(&state, 80, 24).to_string();
    for entry in [
        "focus that container",
        "since: tail",
        "pretty JSON",
        "close logs",
    ] {
        assert!(
            help.contains(entry),
            "{entry} missing from the log pane help:\n{help}"
        );
    }
    assert!(!help.contains("launch an instance"));
}

#[test]
fn firelens_container_gets_a_note() {
    let (mut state, tail_id) = logs_open("awsfirelens");
    deliver(&mut state, tail_id, &[0]);
    health(&mut state, tail_id, StreamHealth::WaitingForStream);
    snapshot_all_sizes("logs_firelens", &state);
}

#[test]
fn full_screen_gives_the_logs_the_whole_body() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    press(&mut state, Key::char('z'));
    let text = draw(&state, 80, 24).to_string();
    assert!(
        !text.contains("jobs-x7k2"),
        "no instances table in full screen"
    );
    assert!(text.contains("order 4411 queued"));
}

/// Counts the bytes a terminal would receive.
#[derive(Clone, Default)]
struct Counter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Counter {
    fn total(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn counted_terminal() -> (
    Terminal<ratatui::backend::CrosstermBackend<Counter>>,
    Counter,
) {
    let counter = Counter::default();
    let terminal = Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(counter.clone()),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 80, 24)),
        },
    )
    .expect("terminal over a byte counter");
    (terminal, counter)
}

/// Bytes written for one frame after `change`, following a first full frame; and that first.
fn bytes_for_next_frame(
    state: &mut AppState,
    change: impl FnOnce(&mut AppState),
) -> (usize, usize) {
    let (mut terminal, counter) = counted_terminal();
    terminal
        .draw(|frame| render(frame, state, &context()))
        .expect("draw");
    let first = counter.total();
    change(state);
    terminal
        .draw(|frame| render(frame, state, &context()))
        .expect("draw");
    (counter.total() - first, first)
}

#[test]
fn a_new_line_costs_a_pane_of_output_when_following_and_a_title_when_paused() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    let one_line = |state: &mut AppState| {
        tail(
            state,
            tail_id,
            TailMessage::Events(vec![TailEvent {
                source: 0,
                timestamp: at(10, 5).timestamp_millis(),
                ingestion_time: at(10, 5).timestamp_millis(),
                message: "INFO  GET /health 200".into(),
            }]),
        )
    };
    let (unchanged, full) = bytes_for_next_frame(&mut state, |_| {});
    let (following, _) = bytes_for_next_frame(&mut state, one_line);
    press(&mut state, Key::plain(KeyCode::Up));
    let (paused, _) = bytes_for_next_frame(&mut state, one_line);
    eprintln!(
        "80x24 bytes: full frame {full}, unchanged {unchanged}, one line following {following}, \
         one line paused {paused}"
    );
    assert!(
        unchanged < 64,
        "an unchanged frame writes next to nothing: {unchanged}"
    );
    // Following scrolls every row of the pane, but never the table, bars or borders.
    assert!(following < full * 3 / 4, "{following} of {full}");
    // Paused, only the "+N new" badge changes.
    assert!(paused < 200, "{paused}");
}

#[test]
fn a_long_search_and_a_level_filter_keep_their_ends_at_80_columns() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(&mut state, tail_id, StreamHealth::Live { sampled: true });
    press(&mut state, Key::char('/'));
    for c in "connection refused by upstream payments service".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Enter));
    // Down to debug: the longest level word but one.
    for _ in 0..4 {
        press(&mut state, Key::char('v'));
    }
    let screen = draw(&state, 80, 24).to_string();
    let title = screen
        .lines()
        .find(|line| line.contains(" logs: "))
        .expect("the pane's title");
    assert!(
        title.contains("search \"connect") && title.contains("…\" 0 matches · level"),
        "the query is cut inside its quotes: {title}"
    );
    let level = title
        .split("level ≥ ")
        .nth(1)
        .unwrap_or_else(|| panic!("no level in {title}"));
    let word = level.split_whitespace().next().unwrap_or("");
    assert!(
        ["error", "warn", "info", "debug", "trace"].contains(&word),
        "a whole level word: {title}"
    );
    insta::assert_snapshot!("logs_search_and_level_80x24", draw(&state, 80, 24));
}

#[test]
fn a_failed_instances_pane_does_not_claim_to_follow() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(&mut state, tail_id, StreamHealth::Live { sampled: false });
    let title = |state: &AppState| {
        draw(state, 80, 24)
            .to_string()
            .lines()
            .find(|line| line.contains(" logs: "))
            .expect("the pane's title")
            .to_string()
    };
    assert!(title(&state).contains("following"), "{}", title(&state));
    let api = state
        .instances
        .iter_mut()
        .find(|instance| instance.name == "api-demo")
        .expect("api-demo");
    api.state = ondeck_core::instances::InstanceState::Failed;
    let ended = title(&state);
    assert!(ended.contains("ended"), "{ended}");
    assert!(
        !ended.contains("following") && !ended.contains("live"),
        "{ended}"
    );
    assert!(ended.contains("FAILED · no new lines"), "{ended}");
}

/// The three sizes the pane must read well at, smallest first.
const EVERY_SIZE: [(u16, u16); 3] = [(50, 15), (80, 24), (200, 60)];

#[test]
fn a_stopped_container_the_match_count_and_the_digit_legend_at_every_size() {
    let (mut state, tail_id) = logs_open("awslogs");
    deliver(&mut state, tail_id, &[0, 1]);
    health(
        &mut state,
        tail_id,
        StreamHealth::Polling {
            interval: Duration::from_secs(1),
        },
    );
    tail(
        &mut state,
        tail_id,
        TailMessage::SourceStopped {
            source: 1,
            reason: "cannot read the logs of redis: log group /ecs/cache not found; check \
                     awslogs-group"
                .into(),
        },
    );
    press(&mut state, Key::char('/'));
    for c in "orders".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Enter));
    for (width, height) in EVERY_SIZE {
        let screen = draw(&state, width, height).to_string();
        assert!(screen.contains("cannot read the logs of redis"), "{screen}");
        if width >= 80 {
            assert!(screen.contains("\"orders\" 4/4"), "{screen}");
            assert!(screen.contains("1 api  2 redis  0 all"), "{screen}");
        }
        insta::assert_snapshot!(format!("logs_stopped_search_{width}x{height}"), screen);
    }
}

/// The logs of the service-backed `jobs` while its service replaces a task that ran out of
/// memory: the old task's last lines, the seam, the new task's first lines.
#[test]
fn a_service_s_replaced_task_is_marked_at_the_seam_at_every_size() {
    use crate::state::timeline::fixtures::{crashed_task, service, service_backed, service_task};

    const OLD: &str = "81ab4c5d6e7f8091a2b3c4d5e6f70819";
    const NEW: &str = "3f9c1a2b7e6d4e8f9a0b1c2d3e4f5a6b";
    let jobs = |tasks| service_backed(tasks, vec![service(vec![])]);
    let refresh = |state: &mut AppState, minute: u32, found: Instance| {
        let effects = update(state, Action::Tick(at(10, minute)));
        let req = effects
            .iter()
            .find_map(|effect| match effect {
                Effect::Refresh { req, .. } => Some(*req),
                _ => None,
            })
            .unwrap_or_else(|| panic!("a refresh at 10:{minute:02}"));
        update(
            state,
            Action::Refreshed {
                req,
                at: at(10, minute),
                result: Ok(Snapshot {
                    instances: vec![found],
                    definitions: logging_definitions("awslogs"),
                }),
            },
        )
    };
    let line = |source: u16, at: chrono::DateTime<chrono::Utc>, text: &str| TailEvent {
        source,
        timestamp: at.timestamp_millis(),
        ingestion_time: at.timestamp_millis(),
        message: text.into(),
    };

    let mut state = app(false, at(10, 0));
    refresh(
        &mut state,
        0,
        jobs(vec![service_task(OLD, TaskState::Running, at(9, 0))]),
    );
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let tail_id = effects
        .iter()
        .find_map(|effect| match effect {
            Effect::StartTail { tail_id, .. } => Some(*tail_id),
            _ => None,
        })
        .expect("a tail");
    let before = at(10, 2);
    tail(
        &mut state,
        tail_id,
        TailMessage::Events(vec![
            line(0, before, "INFO  importing batch 41 (12000 rows)"),
            line(1, before, "1:M * Background saving started"),
            line(
                0,
                before + chrono::Duration::seconds(20),
                "WARN  heap at 96% of the container's 1024 MiB",
            ),
        ]),
    );
    health(&mut state, tail_id, StreamHealth::Live { sampled: false });
    refresh(
        &mut state,
        5,
        jobs(vec![
            crashed_task(OLD, at(9, 0), at(10, 3)),
            service_task(NEW, TaskState::Running, at(10, 4)),
        ]),
    );
    let after = at(10, 4) + chrono::Duration::seconds(30);
    tail(
        &mut state,
        tail_id,
        TailMessage::Events(vec![
            line(2, after, "INFO  starting worker v1.8.0"),
            line(2, after, "INFO  resuming batch 41 at row 9000"),
        ]),
    );
    for (width, height) in EVERY_SIZE {
        let screen = draw(&state, width, height).to_string();
        assert!(
            screen.contains("── task 3f9c1a replaced 81ab4c"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("logs_service_seam_{width}x{height}"), screen);
    }
}
