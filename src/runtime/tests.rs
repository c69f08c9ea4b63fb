//! The runner against a small in-memory cloud: answers carry their request ids, slow calls
//! time out, a broken profile answers with its reason, and update + runner work headless.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use ondeck_core::model::SessionGrant;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, RunOutcome, RunRequest, Scope, Task,
    TaskDefinition, TaskState,
};
use ondeck_core::model::{Service, ServiceRequest};
use ondeck_core::{CloudError, LiveTail};
use ondeck_tui::state::Effect;
use ondeck_tui::state::fixtures::{app, at, definitions, profile, serving, task};

/// Answers ListTasks and ListServices with fixed tasks and services (or never, when `hang`);
/// refuses every change but to its services: those it scales, recording each scale, and tags.
#[derive(Default)]
struct FakeCloud {
    tasks: Vec<Task>,
    services: Vec<Service>,
    hang: bool,
    /// Every UpdateService asked for: (service, desired count).
    scaled: Arc<std::sync::Mutex<Vec<(String, i32)>>>,
}

impl FakeCloud {
    fn has_service(&self, name_or_arn: &str) -> bool {
        self.services
            .iter()
            .any(|service| service.name == name_or_arn || service.arn == name_or_arn)
    }
}

#[async_trait]
impl Cloud for FakeCloud {
    async fn list_tasks(&self, scope: &Scope) -> Result<Vec<Task>, CloudError> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        // A service's tasks are listed by service, the others by who started them.
        let wanted = match scope {
            Scope::Service(name) => Some(name.as_str()),
            Scope::StartedBy(_) | Scope::AllOwners => None,
        };
        Ok(self
            .tasks
            .iter()
            .filter(|task| task.service() == wanted)
            .cloned()
            .collect())
    }

    async fn describe_tasks(&self, task_arns: &[String]) -> Result<Vec<Task>, CloudError> {
        Ok(self
            .tasks
            .iter()
            .filter(|task| task_arns.contains(&task.task_arn))
            .cloned()
            .collect())
    }

    async fn describe_task_definition(&self, name: &str) -> Result<TaskDefinition, CloudError> {
        definitions()
            .remove(name)
            .ok_or_else(|| CloudError::NotFound {
                what: format!("task definition {name}"),
                detail: String::new(),
            })
    }

    async fn run_task(&self, _request: &RunRequest) -> Result<RunOutcome, CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn stop_task(&self, _task_arn: &str, _reason: &str) -> Result<(), CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn tag_resource(
        &self,
        arn: &str,
        _tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        if self.has_service(arn) {
            Ok(())
        } else {
            Err(CloudError::Refused("fake cloud".into()))
        }
    }
    async fn list_services(&self, _: &Scope) -> Result<Vec<Service>, CloudError> {
        Ok(self.services.clone())
    }
    async fn create_service(&self, _: &ServiceRequest) -> Result<Service, CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }
    async fn scale_service(&self, name: &str, desired: i32) -> Result<(), CloudError> {
        if !self.has_service(name) {
            return Err(CloudError::Refused("fake cloud".into()));
        }
        self.scaled
            .lock()
            .unwrap()
            .push((name.to_string(), desired));
        Ok(())
    }
    async fn delete_service(&self, _: &str) -> Result<(), CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn get_log_events(&self, _query: &LogQuery) -> Result<LogPage, CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn filter_log_events(&self, _filter: &LogFilter) -> Result<FilteredPage, CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn start_live_tail(
        &self,
        _group: &str,
        _streams: &[String],
    ) -> Result<LiveTail, CloudError> {
        Err(CloudError::Refused("fake cloud".into()))
    }

    async fn execute_command(
        &self,
        _task_arn: &str,
        _container: &str,
        _command: &str,
    ) -> Result<SessionGrant, CloudError> {
        Ok(SessionGrant {
            session_id: "ecs-execute-command-test".into(),
            stream_url: "ws://127.0.0.1:9/v1/data-channel/test".into(),
            token: "token".into(),
        })
    }

    async fn start_port_forward(
        &self,
        _task_arn: &str,
        _runtime_id: &str,
        _port: u16,
    ) -> Result<SessionGrant, CloudError> {
        Err(CloudError::Refused("no forwards in this test".into()))
    }

    async fn end_session(&self, _session_id: &str) -> Result<(), CloudError> {
        Ok(())
    }
}

/// Everything written to the terminal, readable while the backend still holds it.
#[derive(Clone, Default)]
pub(super) struct Written(Rc<RefCell<Vec<u8>>>);

impl Written {
    pub(super) fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }

    pub(super) fn len(&self) -> usize {
        self.0.borrow().len()
    }
}

impl Write for Written {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn runner(
    cloud: FakeCloud,
    factory: CloudFactory,
    timeouts: Timeouts,
) -> (Runner, UnboundedReceiver<Action>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = OpsContext::new(
        Arc::new(cloud),
        profile("dev"),
        dir.path().to_path_buf(),
        false,
    );
    let (actions, inbox) = unbounded_channel();
    (Runner::new(ctx, factory, actions, timeouts), inbox, dir)
}

fn no_factory() -> CloudFactory {
    Arc::new(|_: Profile| Box::pin(async { anyhow::bail!("no credentials for this profile") }))
}

async fn next(inbox: &mut UnboundedReceiver<Action>) -> Action {
    tokio::time::timeout(Duration::from_secs(5), inbox.recv())
        .await
        .expect("an answer within 5 s")
        .expect("channel open")
}

fn running_web() -> FakeCloud {
    FakeCloud {
        tasks: vec![task("web", "t1", TaskState::Running)],
        ..FakeCloud::default()
    }
}

#[tokio::test]
async fn a_refresh_is_answered_with_its_request_id() {
    let (mut runner, mut inbox, _dir) = runner(running_web(), no_factory(), Timeouts::default());
    runner.run(Effect::Refresh {
        req: 7,
        all_owners: false,
    });
    let Action::Refreshed { req, result, .. } = next(&mut inbox).await else {
        panic!("not a refresh answer");
    };
    assert_eq!(req, 7);
    let snapshot = result.unwrap();
    assert_eq!(snapshot.instances.len(), 1);
    assert_eq!(snapshot.definitions.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_call_that_hangs_is_answered_with_a_timeout() {
    let timeouts = Timeouts {
        refresh: Duration::from_millis(50),
        ..Timeouts::default()
    };
    let hanging = FakeCloud {
        hang: true,
        ..FakeCloud::default()
    };
    let (mut runner, mut inbox, _dir) = runner(hanging, no_factory(), timeouts);
    runner.run(Effect::Refresh {
        req: 3,
        all_owners: false,
    });
    let Action::Refreshed { req, result, .. } = next(&mut inbox).await else {
        panic!("not a refresh answer");
    };
    assert_eq!(req, 3);
    assert!(result.unwrap_err().contains("timed out"));
}

#[tokio::test]
async fn a_profile_without_a_cloud_answers_every_call_with_the_reason() {
    let (mut runner, mut inbox, _dir) = runner(running_web(), no_factory(), Timeouts::default());
    runner.run(Effect::SwitchProfile(profile("prod")));
    assert!(matches!(
        next(&mut inbox).await,
        Action::JournalLoaded { profile, entries, skipped: 0 } if profile == "prod" && entries.is_empty()
    ));
    runner.run(Effect::Refresh {
        req: 9,
        all_owners: false,
    });
    let Action::Refreshed { req, result, .. } = next(&mut inbox).await else {
        panic!("not a refresh answer");
    };
    assert_eq!(req, 9);
    let error = result.unwrap_err();
    assert!(
        error.contains("prod") && error.contains("no credentials"),
        "{error}"
    );
}

#[tokio::test]
async fn update_and_runner_load_the_table_and_persist_the_timeline() {
    let (mut runner, mut inbox, dir) = runner(running_web(), no_factory(), Timeouts::default());
    let mut state = app(false, at(10, 0));
    dispatch(&mut state, &mut runner, Action::Tick(at(10, 0)));
    let answer = next(&mut inbox).await;
    dispatch(&mut state, &mut runner, answer);
    assert!(state.loaded);
    assert_eq!(state.rows()[0].name, "web");

    runner.finish(Duration::from_secs(5)).await;
    let written = journal::load(&journal::path(dir.path(), "dev"), 100)
        .unwrap()
        .entries;
    assert!(!written.is_empty());
    assert_eq!(
        Journal::from_entries(written, Journal::DEFAULT_CAP),
        state.journal
    );
}

#[tokio::test]
async fn extend_runs_through_the_runner_and_its_refusal_reaches_the_message_line() {
    let (mut runner, mut inbox, _dir) = runner(running_web(), no_factory(), Timeouts::default());
    let mut state = app(false, at(10, 0));
    dispatch(&mut state, &mut runner, Action::Tick(at(10, 0)));
    let answer = next(&mut inbox).await;
    dispatch(&mut state, &mut runner, answer);

    use ondeck_tui::state::keymap::{Key, KeyCode};
    // `e` asks how long; enter takes the template's ttl it is prefilled with.
    dispatch(&mut state, &mut runner, Action::Key(Key::char('e')));
    dispatch(
        &mut state,
        &mut runner,
        Action::Key(Key::plain(KeyCode::Enter)),
    );
    let answer = next(&mut inbox).await;
    assert!(
        matches!(&answer, Action::Extended { result: Err(why), .. } if why == "fake cloud"),
        "{answer:?}"
    );
    dispatch(&mut state, &mut runner, answer);
    let message = state.message.clone().expect("a message");
    assert_eq!(
        (message.kind, message.text.as_str()),
        (ondeck_tui::state::MessageKind::Error, "fake cloud")
    );
    assert!(
        matches!(next(&mut inbox).await, Action::Refreshed { .. }),
        "a refresh follows the answer"
    );
}

/// The dashboard on `cloud`, after its first refresh has been answered.
async fn loaded_on(
    cloud: FakeCloud,
) -> (
    AppState,
    Runner,
    UnboundedReceiver<Action>,
    tempfile::TempDir,
) {
    let (mut runner, mut inbox, dir) = runner(cloud, no_factory(), Timeouts::default());
    let mut state = app(false, at(10, 0));
    dispatch(&mut state, &mut runner, Action::Tick(at(10, 0)));
    let answer = next(&mut inbox).await;
    dispatch(&mut state, &mut runner, answer);
    (state, runner, inbox, dir)
}

#[tokio::test]
async fn p_scales_the_services_to_zero_and_the_answer_reaches_the_message_line() {
    let jobs = serving("ana", "jobs");
    let cloud = FakeCloud {
        tasks: jobs.tasks.clone(),
        services: jobs.services.clone(),
        ..FakeCloud::default()
    };
    let scaled = Arc::clone(&cloud.scaled);
    let (mut state, mut runner, mut inbox, _dir) = loaded_on(cloud).await;
    assert_eq!(state.rows()[0].name, "jobs");

    dispatch(&mut state, &mut runner, key('P'));
    let answer = next(&mut inbox).await;
    assert!(
        matches!(&answer, Action::Paused { result: Ok(1), .. }),
        "{answer:?}"
    );
    assert_eq!(
        *scaled.lock().unwrap(),
        [("ondeck-ana-jobs-web".to_string(), 0)]
    );
    dispatch(&mut state, &mut runner, answer);
    assert_eq!(
        state.message.clone().expect("a message").text,
        "jobs is pausing: its tasks stop, and it costs $0/h until resumed"
    );
    assert!(
        matches!(next(&mut inbox).await, Action::Refreshed { .. }),
        "a refresh follows the answer"
    );
}

#[tokio::test]
async fn a_relaunch_says_what_it_waits_for_on_the_way_and_answers_with_the_launch() {
    let mut crashed = task("web", "t1", TaskState::Stopped);
    crashed.stop_code = Some("EssentialContainerExited".into());
    let cloud = FakeCloud {
        tasks: vec![crashed],
        ..FakeCloud::default()
    };
    let (mut state, mut runner, mut inbox, _dir) = loaded_on(cloud).await;
    use ondeck_tui::state::keymap::Key;
    dispatch(&mut state, &mut runner, Action::Key(Key::ctrl('r')));
    dispatch(&mut state, &mut runner, key('y'));
    // Nothing is left to stop: straight to the launch, which this cloud refuses.
    let progress = next(&mut inbox).await;
    assert_eq!(
        progress,
        Action::LaunchProgress("launching web again…".into())
    );
    dispatch(&mut state, &mut runner, progress);
    assert_eq!(
        state.message.clone().expect("a message").text,
        "launching web again…"
    );
    let answer = next(&mut inbox).await;
    assert!(
        matches!(&answer, Action::Relaunched { result: Err(_), .. }),
        "{answer:?}"
    );
    dispatch(&mut state, &mut runner, answer);
    let message = state.message.clone().expect("a message");
    assert_eq!(message.kind, ondeck_tui::state::MessageKind::Error);
    assert!(message.text.contains("web:3"), "{}", message.text);
}

/// The wall clock of the loop tests stands still: no minute ticks over while one runs.
const LOOP_CLOCK: fn() -> chrono::DateTime<Utc> = || at(10, 0);

/// What a run of the event loop leaves: the frames it drew, what `script` returned, the state
/// and every byte written to the terminal.
struct LoopRun<T> {
    frames: u64,
    script: T,
    state: AppState,
    written: Written,
}

/// Runs the event loop over the web table, drawing into an 80×24 screen backend, until
/// `script` (given the loop's inbox and the terminal's bytes) has sent `q`.
async fn run_loop<T, F>(script: impl FnOnce(UnboundedSender<Action>, Written) -> F) -> LoopRun<T>
where
    F: Future<Output = T>,
{
    run_loop_with(running_web(), &mut FakeHost::default(), script).await
}

async fn run_loop_with<T, F>(
    cloud: FakeCloud,
    host: &mut FakeHost,
    script: impl FnOnce(UnboundedSender<Action>, Written) -> F,
) -> LoopRun<T>
where
    F: Future<Output = T>,
{
    let dir = tempfile::tempdir().unwrap();
    let ctx = OpsContext::new(
        Arc::new(cloud),
        profile("dev"),
        dir.path().to_path_buf(),
        false,
    );
    let (actions, inbox) = unbounded_channel();
    let runner = Runner::new(ctx, no_factory(), actions.clone(), Timeouts::default());
    let mut state = app(false, LOOP_CLOCK());
    let written = Written::default();
    let mut terminal = Terminal::new(ScreenBackend::new(written.clone(), Rect::new(0, 0, 80, 24)))
        .expect("a terminal");
    let render = RenderContext {
        now: LOOP_CLOCK(),
        offset: chrono::FixedOffset::east_opt(0).unwrap(),
        theme: Theme::unicode(false),
    };
    let (frames, script) = tokio::join!(
        event_loop(
            &mut state,
            &mut terminal,
            runner,
            inbox,
            host,
            render,
            LOOP_CLOCK
        ),
        script(actions, written.clone())
    );
    LoopRun {
        frames: frames.expect("the loop ends cleanly"),
        script,
        state,
        written,
    }
}

fn key(c: char) -> Action {
    Action::Key(ondeck_tui::state::keymap::Key::char(c))
}

/// What an 80×24 terminal fed `written` shows.
fn screen_text(written: &Written) -> String {
    let mut parser = vt100::Parser::new(24.try_into().unwrap(), 80.try_into().unwrap(), 0);
    parser.process(&written.bytes());
    parser.screen().contents()
}

/// Waits (on tokio's clock, paused in these tests) until the screen shows `text`.
async fn until_shown(written: &Written, text: &str) {
    let shown = async {
        while !screen_text(written).contains(text) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), shown)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the screen never showed {text:?}:\n{}",
                screen_text(written)
            )
        });
}

#[tokio::test(start_paused = true)]
async fn the_loop_draws_loading_and_the_answer_then_nothing_while_idle_ticks_pass() {
    let run = run_loop(|actions, written| async move {
        until_shown(&written, "web").await;
        let drawn = written.len();
        // Eighty ticks and the refreshes they bring, all answered with the same table.
        tokio::time::sleep(Duration::from_secs(20)).await;
        actions.send(key('q')).unwrap();
        written.len() - drawn
    })
    .await;
    assert_eq!(run.script, 0, "nothing new to show, nothing written");
    assert_eq!(
        run.frames, 2,
        "one frame for \"Loading\", one for the answer"
    );
    assert!(run.state.quitting);
}

#[tokio::test(start_paused = true)]
async fn a_copied_endpoint_goes_out_through_the_screen_backend_between_two_frames() {
    let run = run_loop(|actions, written| async move {
        until_shown(&written, "web").await;
        let before_copy = written.len();
        actions.send(key('y')).unwrap();
        until_shown(&written, "copied").await;
        actions.send(key('q')).unwrap();
        before_copy
    })
    .await;
    let bytes = run.written.bytes();
    let at = |needle: &[u8]| {
        bytes
            .windows(needle.len())
            .position(|window| window == needle)
    };
    let sequence = clipboard::osc52("10.0.1.23:8080", false);
    let copy = at(sequence.as_bytes()).expect("the clipboard sequence was written");
    let copied = at(b"copied").expect("the frame saying so was written");
    assert!(run.script <= copy, "after the frame that showed the table");
    assert!(copy < copied, "before the frame that says it was copied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_log_lines_reach_the_pane_and_closing_it_stops_the_tail() {
    use ondeck_sim::{DemoCloud, demo_config};
    use ondeck_tui::state::keymap::{Key, KeyCode, Keymap};
    use ondeck_tui::state::logs::TailStatus;
    use ondeck_tui::state::{Pane, StartOptions};

    let config = demo_config("ana");
    let cloud = DemoCloud::new("ana", 20.0).with_hostile_lines(true);
    let dir = tempfile::tempdir().unwrap();
    let ctx = OpsContext::new(
        Arc::new(cloud),
        config.profiles["demo"].clone(),
        dir.path().to_path_buf(),
        false,
    );
    let (actions, mut inbox) = unbounded_channel();
    let mut runner = Runner::new(ctx, no_factory(), actions, Timeouts::default());
    let mut state = AppState::new(
        &config,
        StartOptions {
            profile: "demo".into(),
            read_only: false,
            all_owners: false,
            select: Some(InstanceRef::mine("checkout-fix")),
            keymap: Keymap::default(),
            journal: Journal::default(),
            now: Utc::now(),
        },
    )
    .unwrap();
    dispatch(&mut state, &mut runner, Action::Tick(Utc::now()));

    let lines = |state: &AppState| state.logs.as_ref().map_or(0, |logs| logs.buffer.len());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while lines(&state) < 20 {
        let action = tokio::time::timeout_at(deadline, inbox.recv())
            .await
            .expect("20 log lines within 10 s")
            .expect("channel open");
        dispatch(&mut state, &mut runner, action);
    }
    assert_eq!(state.pane, Some(Pane::Logs));
    let logs = state.logs.as_ref().unwrap();
    assert_eq!(logs.instance.name, "checkout-fix");
    assert!(matches!(logs.tail, TailStatus::Running(_)));
    assert!(
        logs.buffer
            .iter()
            .all(|line| !line.text.text.chars().any(char::is_control)),
        "every line is sanitized at ingest"
    );
    let labels: std::collections::BTreeSet<&str> = logs
        .buffer
        .iter()
        .map(|line| logs.labels[usize::from(line.source)].as_str())
        .collect();
    assert!(
        labels.len() >= 2,
        "lines from several containers: {labels:?}"
    );
    assert_eq!(runner.tail_count(), 1);

    dispatch(
        &mut state,
        &mut runner,
        Action::Key(Key::plain(KeyCode::Esc)),
    );
    assert!(state.logs.is_none());
    // Aborted at once; finished once the runtime has dropped it.
    let stopped = async {
        while runner.tail_count() > 0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), stopped)
        .await
        .expect("the tail stops when the pane closes");
}

/// Stands in for the terminal: records how the loop hands it over, and ends the shell with
/// the exit code sent on `end`.
#[derive(Default)]
struct FakeHost {
    calls: Arc<std::sync::Mutex<Vec<&'static str>>>,
    end: Option<tokio::sync::oneshot::Receiver<Option<i32>>>,
}

impl ShellHost for FakeHost {
    fn suspend(&mut self) -> anyhow::Result<()> {
        self.calls.lock().unwrap().push("suspend");
        Ok(())
    }

    fn resume(&mut self) -> anyhow::Result<()> {
        self.calls.lock().unwrap().push("resume");
        Ok(())
    }

    fn attach(
        &mut self,
        _grant: SessionGrant,
    ) -> futures::future::BoxFuture<'static, anyhow::Result<Option<i32>>> {
        self.calls.lock().unwrap().push("attach");
        let end = self.end.take().expect("one shell per test");
        Box::pin(async move { end.await.map_err(|_| anyhow::anyhow!("the test went away")) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_shell_takes_the_terminal_and_gives_it_back_to_a_fully_redrawn_screen() {
    let mut web = task("web", "t1", TaskState::Running);
    web.exec_enabled = true;
    for container in &mut web.containers {
        container.exec_agent = Some("RUNNING".into());
        container.runtime_id = Some(format!("t1-{}", container.name));
    }
    let cloud = FakeCloud {
        tasks: vec![web],
        ..FakeCloud::default()
    };
    let (end, ended) = tokio::sync::oneshot::channel();
    let mut host = FakeHost {
        end: Some(ended),
        ..FakeHost::default()
    };
    let calls = Arc::clone(&host.calls);
    let run = run_loop_with(cloud, &mut host, |actions, written| async move {
        until_shown(&written, "web").await;
        actions.send(key('s')).unwrap();
        until_shown(&written, "Shell in web").await;
        actions
            .send(Action::Key(ondeck_tui::state::keymap::Key::plain(
                ondeck_tui::state::keymap::KeyCode::Enter,
            )))
            .unwrap();
        let attached = async {
            while !calls.lock().unwrap().contains(&"attach") {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), attached)
            .await
            .unwrap_or_else(|_| panic!("no shell attached:\n{}", screen_text(&written)));
        let attached_at = written.len();
        // Ticks and refreshes go on while the shell has the terminal; nothing is drawn.
        tokio::time::sleep(Duration::from_secs(20)).await;
        let written_while_attached = written.len() - attached_at;
        end.send(Some(0)).unwrap();
        until_shown(&written, "ended (exit code 0)").await;
        let after = written.bytes()[attached_at..].to_vec();
        actions.send(key('q')).unwrap();
        (
            written_while_attached,
            String::from_utf8_lossy(&after).into_owned(),
        )
    })
    .await;
    let (written_while_attached, after) = run.script;
    assert_eq!(
        written_while_attached, 0,
        "the shell's terminal is left alone"
    );
    assert!(
        after.contains("instances") && after.contains("TEMPLATE"),
        "the whole screen is drawn again, not only what changed: {after:?}"
    );
    assert_eq!(*host.calls.lock().unwrap(), ["suspend", "attach", "resume"]);
    assert!(
        run.state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("shell in api in web")
    );
}
