//! Snapshots of every screen at the smallest size the dashboard takes (50×15), at 80×24 and at
//! a large size (200×60).

use chrono::{Duration, FixedOffset};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

use super::*;
use crate::state::fixtures::{
    DEFINITION_ARN, app, at, instance, owned_by, paused, poll as poll_snapshot, restarting, select,
    selected_name, task,
};
use crate::state::keymap::{Key, KeyCode};
use crate::state::{Action, Effect, update};

use ondeck_core::instances::Instance;
use ondeck_core::model::TaskState;
use ratatui::text::Span;

const SIZES: [(u16, u16); 3] = [(50, 15), (80, 24), (200, 60)];

fn context(color: bool) -> RenderContext {
    RenderContext {
        now: at(10, 5),
        offset: FixedOffset::east_opt(0).expect("UTC"),
        theme: Theme::unicode(color),
    }
}

fn draw(state: &AppState, width: u16, height: u16, color: bool) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| render(frame, state, &context(color)))
        .expect("draw");
    terminal.backend().clone()
}

fn snapshot_all_sizes(scene: &str, state: &AppState) {
    for (width, height) in SIZES {
        let backend = draw(state, width, height, true);
        insta::assert_snapshot!(format!("{scene}_{width}x{height}"), backend);
    }
}

/// [`snapshot_all_sizes`], each size's layout told to `update` first as the runtime does, so
/// that the selected row is on screen at each.
fn snapshot_laid_out(scene: &str, state: &mut AppState) {
    for (width, height) in SIZES {
        lay_out(state, width, height);
        let backend = draw(state, width, height, true);
        insta::assert_snapshot!(format!("{scene}_{width}x{height}"), backend);
    }
}

/// What the runtime does before a frame: tell `update` the layout of a `width`×`height` screen.
fn lay_out(state: &mut AppState, width: u16, height: u16) {
    let layout = screen_layout(Rect::new(0, 0, width, height), state);
    update(state, Action::Layout(layout));
}

fn press(state: &mut AppState, key: Key) {
    update(state, Action::Key(key));
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, Key::char(c));
    }
}

const PIPELINE_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/data-pipeline:7";

/// The poller's answer with `instances`, as AWS gives it at `when`, and the definition of the
/// `data-pipeline` template (its `ingest` container listens on 18080).
fn poll(state: &mut AppState, when: chrono::DateTime<chrono::Utc>, instances: Vec<Instance>) {
    poll_snapshot(state, when, instances);
    let mut pipeline = state.definitions[DEFINITION_ARN].clone();
    pipeline.arn = PIPELINE_ARN.into();
    pipeline.family = "data-pipeline".into();
    pipeline.revision = 7;
    pipeline.containers.truncate(1);
    pipeline.containers[0].name = "ingest".into();
    pipeline.containers[0].container_ports = vec![18080];
    state.definitions.insert(PIPELINE_ARN.into(), pipeline);
}

/// Long words where the table has to cut: a long name on the `data-pipeline` template with an
/// endpoint on port 18080, and one being torn down (the longest state word).
fn long_ones() -> Vec<Instance> {
    let mut ingest = task(
        "checkout-fix-nightly-rebuild",
        "7e57ab1e7e57ab1e7e57ab1e7e57ab1e",
        TaskState::Running,
    );
    ingest.task_definition_arn = PIPELINE_ARN.into();
    ingest.private_ip = Some("10.123.234.56".into());
    ingest.containers.truncate(1);
    ingest.containers[0].name = "ingest".into();
    ingest.times.created_at = Some(at(8, 0));
    let mut pipeline = instance("checkout-fix-nightly-rebuild", vec![ingest]);
    pipeline.template = "data-pipeline".into();
    pipeline.expires_at = Some(at(16, 0));

    let mut leaving = task(
        "search-tuning-experiment",
        "d3ad0000d3ad0000d3ad0000d3ad0000",
        TaskState::Deprovisioning,
    );
    leaving.desired_status = "STOPPED".into();
    leaving.stop_code = Some("UserInitiated".into());
    leaving.times.created_at = Some(at(6, 0));
    [
        pipeline,
        instance("search-tuning-experiment", vec![leaving]),
    ]
    .into()
}

/// A realistic mix: running, starting, crashed, half-dead and destroyed instances.
fn fleet() -> Vec<Instance> {
    let mut api_a = task(
        "api-demo",
        "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b",
        TaskState::Running,
    );
    let mut api_b = task(
        "api-demo",
        "8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f",
        TaskState::Running,
    );
    api_b.task_definition_arn = api_a.task_definition_arn.clone();
    api_b.private_ip = Some("10.0.1.24".into());
    api_a.times.started_at = Some(at(9, 1));
    let mut api = instance("api-demo", vec![api_a, api_b]);
    api.expires_at = Some(at(18, 0));

    let mut starting = task(
        "jobs-x7k2",
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        TaskState::Pending,
    );
    starting.times.created_at = Some(at(10, 2));
    starting.private_ip = None;
    let mut jobs = instance("jobs-x7k2", vec![starting]);
    jobs.template = "worker".into();

    let mut crashed = task(
        "broken",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        TaskState::Stopped,
    );
    crashed.stop_code = Some("EssentialContainerExited".into());
    crashed.stopped_reason = Some("Essential container in task exited".into());
    crashed.containers[0].exit_code = Some(137);
    crashed.containers[0].reason = Some("OutOfMemoryError: container killed".into());
    // Within the hour: a failure is shown that long after it stopped.
    crashed.times.created_at = Some(at(9, 30));
    crashed.times.stopped_at = Some(at(9, 34));

    let survivor = task(
        "half",
        "1111aaaa2222bbbb3333cccc4444dddd",
        TaskState::Running,
    );
    let mut died = task(
        "half",
        "5555eeee6666ffff7777000088889999",
        TaskState::Stopped,
    );
    died.stop_code = Some("EssentialContainerExited".into());
    died.times.stopped_at = Some(at(9, 40));

    let mut destroyed = task(
        "old",
        "9999888877776666555544443333aaaa",
        TaskState::Stopped,
    );
    destroyed.stop_code = Some("UserInitiated".into());
    destroyed.stopped_reason = Some("ondeck: destroyed by ana".into());
    destroyed.times.created_at = Some(at(10, 0) - Duration::days(4));
    destroyed.times.stopped_at = Some(at(13, 0) - Duration::days(4));

    vec![
        api,
        jobs,
        instance("broken", vec![crashed]),
        instance("half", vec![survivor, died]),
        instance("old", vec![destroyed]),
    ]
}

/// The fleet with the long names, template and endpoint.
fn fleet_and_long_ones() -> Vec<Instance> {
    let mut all = fleet();
    all.extend(long_ones());
    all
}

fn populated() -> AppState {
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), fleet_and_long_ones());
    state
}

#[test]
fn loading() {
    let mut state = app(false, at(10, 5));
    update(&mut state, Action::Tick(at(10, 5)));
    snapshot_all_sizes("loading", &state);
}

#[test]
fn empty() {
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), vec![]);
    snapshot_all_sizes("empty", &state);
}

#[test]
fn error_with_stale_data() {
    let mut state = populated();
    let sent = update(&mut state, Action::Key(Key::char('r')));
    let [Effect::Refresh { req, .. }] = sent.as_slice() else {
        panic!("expected a refresh, got {sent:?}");
    };
    let req = *req;
    update(
        &mut state,
        Action::Refreshed {
            req,
            at: at(10, 5),
            result: Err(
                "AWS credentials are missing or expired (token expired); run `aws sso login --profile dev`"
                    .into(),
            ),
        },
    );
    snapshot_all_sizes("error_with_stale_data", &state);
}

#[test]
fn populated_table() {
    snapshot_all_sizes("populated", &populated());
}

/// The instance names on screen, top to bottom, and the selected one.
fn names_on_screen(backend: &TestBackend) -> (Vec<String>, Option<String>) {
    let mut names = Vec::new();
    let mut selected = None;
    for line in backend.to_string().lines() {
        let Some(at) = line.find("box-") else {
            continue;
        };
        let name = &line[at..at + "box-00".len()];
        if line.contains('›') {
            selected = Some(name.to_string());
        }
        names.push(name.to_string());
    }
    (names, selected)
}

#[test]
fn a_long_table_scrolls_only_when_the_selection_leaves_the_screen() {
    let mut state = app(false, at(10, 5));
    let many = (0..60)
        .map(|n| {
            let name = format!("box-{n:02}");
            let mut task = task(&name, &format!("{n:032x}"), TaskState::Running);
            task.times.created_at = Some(at(9, 0) - Duration::minutes(n));
            instance(&name, vec![task])
        })
        .collect();
    poll(&mut state, at(10, 4), many);
    lay_out(&mut state, 80, 24);
    for _ in 0..40 {
        press(&mut state, Key::char('j'));
    }
    let (down, selected) = names_on_screen(&draw(&state, 80, 24, true));
    assert_eq!(selected.as_deref(), Some("box-40"));
    assert_eq!(down.last().map(String::as_str), Some("box-40"), "{down:?}");
    assert!(down.len() > 10, "a screenful of rows: {down:?}");

    for _ in 0..5 {
        press(&mut state, Key::char('k'));
    }
    let (up, selected) = names_on_screen(&draw(&state, 80, 24, true));
    assert_eq!(selected.as_deref(), Some("box-35"));
    assert_eq!(up, down, "the rows stay where they were");

    for _ in 0..up.len() {
        press(&mut state, Key::char('k'));
    }
    let (above, selected) = names_on_screen(&draw(&state, 80, 24, true));
    assert_eq!(
        above.first(),
        selected.as_ref(),
        "the selection leads at the top edge"
    );
}

#[test]
fn detail_pane() {
    let mut state = populated();
    select(&mut state, "broken");
    press(&mut state, Key::char('d'));
    assert_eq!(selected_name(&state), Some("broken"));
    snapshot_all_sizes("detail", &state);
}

#[test]
fn timeline_pane() {
    let mut state = app(false, at(10, 5));
    let mut walking = task(
        "api-demo",
        "3f9a1c2e7b6d4e8f9a0b1c2d3e4f5a6b",
        TaskState::Provisioning,
    );
    walking.times.created_at = Some(at(9, 0));
    poll(
        &mut state,
        at(9, 0),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Pending;
    walking.times.pull_started_at = Some(at(9, 1));
    poll(
        &mut state,
        at(9, 1),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Running;
    walking.times.pull_stopped_at = Some(at(9, 2));
    walking.times.started_at = Some(at(9, 3));
    poll(
        &mut state,
        at(9, 3),
        vec![instance("api-demo", vec![walking.clone()])],
    );
    walking.last_status = TaskState::Stopping;
    walking.desired_status = "STOPPED".into();
    walking.stop_code = Some("UserInitiated".into());
    walking.times.stopping_at = Some(at(10, 0));
    poll(
        &mut state,
        at(10, 0),
        vec![instance("api-demo", vec![walking])],
    );
    press(&mut state, Key::char('t'));
    snapshot_all_sizes("timeline", &state);
}

#[test]
fn launch_dialog() {
    let mut state = populated();
    state
        .profile
        .templates
        .get_mut("worker")
        .expect("worker")
        .description = Some(
        "Background job runner: drains the orders queue, retries failed payments and \
         sends the nightly reports"
            .into(),
    );
    press(&mut state, Key::char('n'));
    press(&mut state, Key::char('j'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "nightly");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "worker:THREADS=4");
    snapshot_all_sizes("launch_dialog", &state);
}

#[test]
fn launch_dialog_shows_each_problem_under_its_field_as_it_is_typed() {
    let mut state = populated();
    press(&mut state, Key::char('n'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "Nightly");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "worker:THREADS=4");
    let screen = draw(&state, 200, 60, false).to_string();
    for shown in [
        "containers api, redis · 0.5 vCPU 1 GB · $0.025/h · ttl 8h",
        "instance name `Nightly` is invalid",
        "template `web` has no container `worker`; containers: api, redis",
        "8h (the template's)",
        "[ ] off",
    ] {
        assert!(screen.contains(shown), "{shown}\n{screen}");
    }
    snapshot_all_sizes("launch_dialog_problems", &state);
}

#[test]
fn destroy_confirmation() {
    let mut state = populated();
    press(&mut state, Key::ctrl('d'));
    snapshot_all_sizes("destroy_confirm", &state);
}

#[test]
fn another_owners_destroy_confirmation_says_whose_and_asks_for_the_name() {
    let mut state = app(false, at(10, 5));
    state.all_owners = true;
    let mut instances = fleet();
    instances.push(owned_by("bob", "search-tuning"));
    poll(&mut state, at(10, 4), instances);
    select(&mut state, "search-tuning");
    press(&mut state, Key::ctrl('d'));
    type_text(&mut state, "search");
    for (width, height) in SIZES {
        let backend = draw(&state, width, height, true);
        insta::assert_snapshot!(format!("destroy_confirm_foreign_{width}x{height}"), backend);
    }
}

#[test]
fn another_owners_extend_confirmation() {
    let mut state = app(false, at(10, 5));
    state.all_owners = true;
    poll(
        &mut state,
        at(10, 4),
        vec![owned_by("bob", "search-tuning")],
    );
    press(&mut state, Key::char('e'));
    // How long, then whose.
    press(&mut state, Key::plain(KeyCode::Enter));
    let backend = draw(&state, 80, 24, true);
    insta::assert_snapshot!("extend_confirm_foreign_80x24", backend);
}

#[test]
fn help_overlay() {
    let mut state = populated();
    press(&mut state, Key::char('?'));
    snapshot_all_sizes("help", &state);
}

#[test]
fn read_only_help_hides_write_keys_and_shows_the_badge() {
    let mut state = app(true, at(10, 5));
    poll(&mut state, at(10, 4), fleet());
    press(&mut state, Key::char('?'));
    let text = draw(&state, 160, 48, true).to_string();
    assert!(text.contains("READ-ONLY"));
    assert!(text.contains("this help"));
    for hidden in [
        "launch an instance",
        "destroy selected",
        "extend time to live",
    ] {
        assert!(!text.contains(hidden), "{hidden} shown in read-only help");
    }
    let mut writable = populated();
    press(&mut writable, Key::char('?'));
    assert!(
        draw(&writable, 160, 48, true)
            .to_string()
            .contains("destroy selected")
    );
}

#[test]
fn no_color_paints_nothing_and_keeps_the_symbols() {
    let mut state = populated();
    // The stopped one too: it stopped days ago.
    press(&mut state, Key::char('h'));
    let colored = draw(&state, 80, 24, true);
    let plain = draw(&state, 80, 24, false);
    let uses_color = |backend: &TestBackend| {
        backend
            .buffer()
            .content()
            .iter()
            .any(|cell| cell.fg != Color::Reset || cell.bg != Color::Reset)
    };
    assert!(uses_color(&colored));
    assert!(!uses_color(&plain));
    let text = plain.to_string();
    for symbol in ["●", "◐", "✖", "▲", "○"] {
        assert!(text.contains(symbol), "{symbol} missing without colour");
    }
}

const ARM_DEFINITION_ARN: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout:1";

/// The fleet plus two of mine whose expiry wants attention: `checkout-fix` (1 vCPU, 2 GB,
/// Spot, ARM) expires in 12 minutes; `scratch` expired 5 minutes ago and still runs.
fn expiring() -> AppState {
    let mut checkout_task = task(
        "checkout-fix",
        "c0ffee00c0ffee00c0ffee00c0ffee00",
        TaskState::Running,
    );
    checkout_task.task_definition_arn = ARM_DEFINITION_ARN.into();
    checkout_task.capacity_provider = Some("FARGATE_SPOT".into());
    checkout_task.cpu = Some("1024".into());
    checkout_task.memory = Some("2048".into());
    checkout_task.private_ip = Some("10.0.2.7".into());
    checkout_task.times.created_at = Some(at(2, 17));
    checkout_task.times.started_at = Some(at(2, 18));
    let mut checkout = instance("checkout-fix", vec![checkout_task]);
    checkout.expires_at = Some(at(10, 17));

    let mut scratch = instance(
        "scratch",
        vec![task(
            "scratch",
            "5c7a7c45c7a7c45c7a7c45c7a7c45c7a",
            TaskState::Running,
        )],
    );
    scratch.expires_at = Some(at(10, 0));

    let mut instances = fleet_and_long_ones();
    instances.extend([checkout, scratch]);
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), instances);
    let mut arm = state.definitions[crate::state::fixtures::DEFINITION_ARN].clone();
    arm.arn = ARM_DEFINITION_ARN.into();
    arm.family = "checkout".into();
    arm.revision = 1;
    arm.cpu_architecture = Some("ARM64".into());
    state.definitions.insert(ARM_DEFINITION_ARN.into(), arm);
    state
}

fn bottom_line(backend: &TestBackend) -> String {
    let buffer = backend.buffer();
    let last = buffer.area.height - 1;
    let mut text = String::new();
    let mut x = 0;
    while x < buffer.area.width {
        let symbol = buffer[(x, last)].symbol();
        text.push_str(symbol);
        // A wide symbol covers the cell after it.
        x += Span::raw(symbol).width().max(1) as u16;
    }
    text.trim_end().to_string()
}

#[test]
fn expiring_instances_are_marked_and_the_status_bar_names_the_most_urgent() {
    let mut state = expiring();
    snapshot_all_sizes("expiring", &state);
    insta::assert_snapshot!("expiring_100x30", draw(&state, 100, 30, true));

    let plain = draw(&state, 80, 24, false);
    assert_eq!(
        bottom_line(&plain),
        "⏰ scratch expired 5m ago and still runs (+1 more) — select it, e extends by 8h"
    );
    assert_eq!(plain.to_string().matches(Glyphs::UNICODE.expiry).count(), 3);

    select(&mut state, "scratch");
    assert!(bottom_line(&draw(&state, 80, 24, true)).ends_with("— e extends by 8h"));

    state.read_only = true;
    assert_eq!(
        bottom_line(&draw(&state, 80, 24, true)),
        "⏰ scratch expired 5m ago and still runs (+1 more)"
    );

    // A message is the answer to something just done: it wins over the warning.
    press(&mut state, Key::char('e'));
    assert!(bottom_line(&draw(&state, 80, 24, true)).contains("read-only"));
}

#[test]
fn an_instance_expiring_soon_reads_in_minutes_and_offers_its_ttl() {
    let mut state = expiring();
    state
        .instances
        .retain(|instance| instance.name != "scratch");
    select(&mut state, "checkout-fix");
    assert_eq!(
        bottom_line(&draw(&state, 80, 24, false)),
        "⏰ checkout-fix expires in 12m — e extends by 8h"
    );
}

#[test]
fn detail_pane_shows_expiry_cost_and_size() {
    let mut state = expiring();
    select(&mut state, "checkout-fix");
    press(&mut state, Key::char('d'));
    snapshot_all_sizes("detail_cost", &state);
    let text = draw(&state, 160, 48, false).to_string();
    // 1 vCPU + 2 GB at eu-west-1's ARM rates, 70% off for Spot, for 7 h 47 min.
    let hourly = (0.03238 + 2.0 * 0.00356) * 0.3;
    assert!(text.contains(&format!("${:.3}/h", hourly)), "{text}");
    assert!(text.contains(&format!("${:.2} so far", hourly * (7.0 + 47.0 / 60.0))));
    assert!(text.contains("size 1 vCPU / 2 GB · Spot · ARM"));
    assert!(text.contains("⏰ 11-23 10:17 (in 12m)"));
}

/// The fleet with two service-backed instances of mine: `nightly-jobs`, paused at 06:53, and
/// `queue-worker`, whose task was killed for memory at 10:01 and whose next one is pending.
fn with_services() -> AppState {
    let mut instances = fleet();
    instances.extend([paused("nightly-jobs"), restarting("queue-worker")]);
    let mut state = app(false, at(10, 5));
    poll(&mut state, at(10, 4), instances);
    state
}

#[test]
fn a_paused_service_backed_instance_shows_since_when_and_costs_nothing() {
    let mut state = with_services();
    select(&mut state, "nightly-jobs");
    press(&mut state, Key::char('d'));
    snapshot_laid_out("service_paused", &mut state);
    let screen = draw(&state, 200, 60, false).to_string();
    let row = screen
        .lines()
        .find(|line| line.contains("nightly-jobs") && line.contains("PAUSED"))
        .unwrap_or_else(|| {
            panic!(
                "no PAUSED row
{screen}"
            )
        });
    assert!(row.contains("‖ PAUSED") && row.contains(" 0.000 "), "{row}");
    for shown in [
        "paused for 3h 12m (since 11-23 06:53) · R resumes it",
        "cost $0.000/h while paused",
        "services ondeck-ana-nightly-jobs-web  0/0 running  ACTIVE",
    ] {
        assert!(
            screen.contains(shown),
            "{shown}
{screen}"
        );
    }
}

#[test]
fn a_restarting_service_backed_instance_says_why_its_task_died() {
    let mut state = with_services();
    select(&mut state, "queue-worker");
    press(&mut state, Key::char('d'));
    snapshot_laid_out("service_restarting", &mut state);
    let screen = draw(&state, 200, 60, false).to_string();
    for shown in [
        "◐ RESTARTING",
        "restarting task 3f9c1a exit 137: OutOfMemoryError · ECS is starting its replacement",
        "services ondeck-ana-queue-worker-web  0/1 running · 1 pending  ACTIVE",
    ] {
        assert!(
            screen.contains(shown),
            "{shown}
{screen}"
        );
    }
}

#[test]
fn a_deployment_ecs_gave_up_on_is_failed_with_its_reason_and_the_way_back() {
    let mut broken = crate::state::fixtures::service("ana", "rollout", 1);
    broken.rollout_failed = Some("tasks failed to start \x1b[2Jtwice".into());
    let mut state = app(false, at(10, 5));
    poll(
        &mut state,
        at(10, 4),
        vec![crate::state::fixtures::service_backed(broken, vec![])],
    );
    press(&mut state, Key::char('d'));
    let screen = draw(&state, 200, 60, false).to_string();
    let shown = "failed ECS gave up deploying ondeck-ana-rollout-web: tasks failed to start \
                 twice · ctrl-r relaunches it";
    assert!(screen.contains(shown), "{shown}\n{screen}");
    assert!(!screen.contains('\x1b'), "no escape reaches the terminal");
}

#[test]
fn the_relaunch_confirmation_names_the_template_and_what_it_keeps() {
    let mut state = populated();
    select(&mut state, "broken");
    press(&mut state, Key::ctrl('r'));
    let backend = draw(&state, 80, 24, true);
    insta::assert_snapshot!("relaunch_confirm_80x24", backend);
    let screen = draw(&state, 200, 60, false).to_string();
    for shown in [
        "Relaunch instance",
        // The dialog wraps its question at 62 columns.
        "Relaunch broken (template web, same name, env overrides and",
        "ttl)? What is left of it is destroyed first.",
        "Type y to relaunch; any other key keeps it. [y/N]",
    ] {
        assert!(screen.contains(shown), "{shown}\n{screen}");
    }
}

#[test]
fn another_owners_pause_confirmation_asks_for_the_name() {
    let mut state = app(false, at(10, 5));
    state.all_owners = true;
    poll(
        &mut state,
        at(10, 4),
        vec![crate::state::fixtures::serving("bob", "jobs")],
    );
    press(&mut state, Key::char('P'));
    let screen = draw(&state, 80, 24, false).to_string();
    for shown in [
        "Pause bob's instance",
        "Pause bob/jobs? Its services scale to 0",
        "It belongs to bob, not to you (ana).",
        "Type its name to pause it: [",
        "enter pauses · esc keeps it",
    ] {
        assert!(screen.contains(shown), "{shown}\n{screen}");
    }
}

mod aws_text;
mod connect;
mod marks;
mod sizes;
mod stopped;
mod summary;
