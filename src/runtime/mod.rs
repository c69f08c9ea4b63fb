//! The impure part of the dashboard: terminal, input, signals, clock, and the effect runner,
//! around the pure `state::update` and `ui::render`.

mod clipboard;
mod forwards;
mod handoff;
mod journal;
mod keys;
mod runner;
mod screen;
mod terminal;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Local, Offset, Utc};
use crossterm::event::Event;
use futures::future::BoxFuture;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

use handoff::{ShellHost, TerminalHost};
use ondeck_core::Cloud;
use ondeck_core::config::{Config, Profile};
use ondeck_core::instances::identity::InstanceRef;
use ondeck_engine::ops::{BuiltDefinition, OpsContext};
use ondeck_templates::registry::Registry;
use ondeck_tui::state::keymap::{Key, Keymap};
use ondeck_tui::state::timeline::Journal;
use ondeck_tui::state::{Action, AppState, StartOptions, update};
use ondeck_tui::ui::{self, Glyphs, RenderContext, Theme};
use runner::{Handoff, Runner, Timeouts};
use screen::ScreenBackend;

/// Builds the cloud for a profile: at start and on every profile switch. Asynchronous because
/// loading AWS configuration is; the dashboard keeps drawing while it runs.
pub type CloudFactory =
    Arc<dyn Fn(Profile) -> BoxFuture<'static, anyhow::Result<Connected>> + Send + Sync>;

/// What a profile's operations run on: the cloud, where ondeck registers task definitions, and
/// the task definitions of the profile's container and compose templates (or their problems).
pub struct Connected {
    pub cloud: Arc<dyn Cloud>,
    pub registry: Arc<dyn Registry>,
    pub built: BTreeMap<String, Result<BuiltDefinition, String>>,
}

impl Connected {
    pub fn context(self, profile: Profile, state_dir: PathBuf, read_only: bool) -> OpsContext {
        OpsContext::new(self.cloud, profile, state_dir, read_only)
            .with_registry(self.registry, self.built)
    }
}

pub struct DashboardOptions {
    pub config: Config,
    /// The profile to start on (already resolved by the caller).
    pub profile: String,
    pub read_only: bool,
    /// Start with this instance selected and its logs shown.
    pub select: Option<InstanceRef>,
    pub all_owners: bool,
    /// ondeck's own state (launch intents, `timeline/<profile>.jsonl`); the demo keeps its own.
    pub state_dir: PathBuf,
    /// Start the timeline journal empty (the demo, whose cluster is new at every start).
    pub fresh_journal: bool,
    pub cloud_factory: CloudFactory,
}

/// How long one wait for terminal input lasts.
const INPUT_POLL: Duration = Duration::from_millis(100);
/// At most this many frames a second.
const FRAME: Duration = Duration::from_millis(33);
/// The clock's resolution: polling, spinner and ages are driven from it.
const TICK: Duration = Duration::from_millis(250);

/// Run the dashboard on the caller's multi-threaded tokio runtime. Calls still out to AWS when it
/// returns are left to the caller's runtime shutdown (`shutdown_background`/`shutdown_timeout`).
pub async fn dashboard(opts: DashboardOptions) -> anyhow::Result<()> {
    let profile = opts.config.profile(Some(&opts.profile))?.clone();
    let state_dir = opts.state_dir;
    let journal_file = journal::path(&state_dir, &profile.name);
    let journal = journal::start(&journal_file, Journal::DEFAULT_CAP, opts.fresh_journal)
        .unwrap_or_else(|err| {
            tracing::warn!("cannot read {}: {err}", journal_file.display());
            journal::Loaded::default()
        });
    let keymap = Keymap::with_overrides(
        opts.config
            .keymap
            .iter()
            .map(|(command, spec)| (*command, Key::from(*spec))),
    );
    let connected = (opts.cloud_factory)(profile.clone())
        .await
        .with_context(|| format!("cannot set up AWS for profile {}", profile.name))?;
    let mut state = AppState::new(
        &opts.config,
        StartOptions {
            profile: profile.name.clone(),
            read_only: opts.read_only,
            all_owners: opts.all_owners,
            select: opts.select,
            keymap,
            journal: Journal::default(),
            now: Utc::now(),
        },
    )?;
    let (actions, inbox) = unbounded_channel();
    // The state takes the journal as it does after a profile switch, as the first action.
    let _ = actions.send(Action::JournalLoaded {
        profile: profile.name.clone(),
        entries: journal.entries,
        skipped: journal.skipped,
    });
    let ctx = connected
        .context(profile, state_dir, opts.read_only)
        .with_progress(runner::launch_progress(&actions));
    let runner = Runner::new(
        ctx,
        opts.cloud_factory,
        actions.clone(),
        Timeouts::default(),
    );

    let guard = terminal::TerminalGuard::enter().context("cannot set up the terminal")?;
    let (width, height) = crossterm::terminal::size().context("cannot read the terminal's size")?;
    // One write per frame (stdout alone flushes every 1 KiB): fewer packets over SSH.
    let out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let in_tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let backend = ScreenBackend::new(out, Rect::new(0, 0, width, height)).inside_tmux(in_tmux);
    let mut terminal = Terminal::new(backend)?;
    let render = RenderContext {
        now: Utc::now(),
        offset: Local::now().offset().fix(),
        theme: Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            glyphs: glyphs_from_env(),
        },
    };
    let mut host = TerminalHost::start(actions.clone());
    let outcome = event_loop(
        &mut state,
        &mut terminal,
        runner,
        inbox,
        &mut host,
        render,
        Utc::now,
    )
    .await;
    host.stop();
    // ratatui's Drop shows the cursor and reports a failure with eprintln!, which panics when
    // stderr is a terminal that hung up. Here a failure is only ignored (the guard shows the
    // cursor too), and the backend counts the cursor as shown from then on, so Drop writes
    // nothing.
    let _ = terminal.show_cursor();
    drop(terminal);
    drop(guard);
    let frames = outcome?;
    tracing::info!(frames, "dashboard closed");
    Ok(())
}

/// Runs until quit, a signal, or a panic elsewhere; returns how many frames it drew. `clock`
/// is the wall clock (ages, expiry); frame pacing follows tokio's clock.
async fn event_loop<W: Write>(
    state: &mut AppState,
    terminal: &mut Terminal<ScreenBackend<W>>,
    mut runner: Runner,
    mut inbox: UnboundedReceiver<Action>,
    host: &mut dyn ShellHost,
    mut render: RenderContext,
    clock: fn() -> DateTime<Utc>,
) -> anyhow::Result<u64> {
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    // The input thread sleeps until a key: a resize is heard here.
    let mut window_change = signal(SignalKind::window_change())?;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    // The first frame shows "Loading" before anything is asked of AWS.
    lay_out(state, &mut runner, terminal)?;
    render.now = clock();
    terminal.draw(|frame| ui::render(frame, state, &render))?;
    state.dirty = false;
    let mut last_draw = Instant::now();
    let mut frames = 1u64;
    #[cfg(debug_assertions)]
    panic_for_tests(frames);

    let outcome = loop {
        tokio::select! {
            Some(action) = inbox.recv() => dispatch(state, &mut runner, action),
            _ = ticker.tick() => dispatch(state, &mut runner, Action::Tick(clock())),
            _ = tokio::time::sleep_until(last_draw + FRAME), if state.dirty => {}
            _ = hangup.recv() => break Ok(frames),
            _ = terminate.recv() => break Ok(frames),
            _ = interrupt.recv() => break Ok(frames),
            // A new size is a new layout, and a frame even if no page size changed.
            _ = window_change.recv() => lay_out(state, &mut runner, terminal)?,
        }
        // Take whatever else is waiting before drawing once for all of it.
        while let Ok(action) = inbox.try_recv() {
            dispatch(state, &mut runner, action);
        }
        if let Some(handoff) = runner.take_handoff() {
            let mut waits = ShellWaits {
                ticker: &mut ticker,
                hangup: &mut hangup,
                terminate: &mut terminate,
                clock,
            };
            let back = run_shell(
                state,
                terminal,
                &mut runner,
                &mut inbox,
                host,
                &mut waits,
                handoff,
            )
            .await?;
            if !back {
                break Ok(frames);
            }
            // The size may have changed while the shell had the terminal.
            lay_out(state, &mut runner, terminal)?;
        }
        // After the frame already written, before the next one: the backend is the one writer.
        for text in runner.take_copies() {
            if let Err(err) = terminal.backend_mut().copy(&text) {
                tracing::warn!("cannot write the clipboard sequence: {err}");
            }
        }
        if terminal::panicked() {
            break Err(anyhow::anyhow!(
                "ondeck hit an internal error; the report is in its log file"
            ));
        }
        if state.quitting {
            break Ok(frames);
        }
        if state.dirty && last_draw.elapsed() >= FRAME {
            // What changed may have moved the regions (a pane opened, a message wrapped).
            lay_out(state, &mut runner, terminal)?;
            render.now = clock();
            terminal.draw(|frame| ui::render(frame, state, &render))?;
            state.dirty = false;
            last_draw = Instant::now();
            frames += 1;
            #[cfg(debug_assertions)]
            panic_for_tests(frames);
        }
    };
    runner.finish(Duration::from_secs(1)).await;
    outcome
}

/// Test hook, debug builds only: `ONDECK_DEBUG_PANIC_AFTER_FRAMES=N` panics once N frames are
/// drawn, so the end-to-end tests can check what a panic leaves behind (terminal, log file).
#[cfg(debug_assertions)]
fn panic_for_tests(frames: u64) {
    let limit = std::env::var("ONDECK_DEBUG_PANIC_AFTER_FRAMES")
        .ok()
        .and_then(|n| n.parse::<u64>().ok());
    if limit.is_some_and(|limit| frames >= limit) {
        panic!("ONDECK_DEBUG_PANIC_AFTER_FRAMES: panicking after frame {frames}");
    }
}

/// What a shell's wait listens to besides the shell: the clock and the signals that end the
/// dashboard.
struct ShellWaits<'a> {
    ticker: &'a mut tokio::time::Interval,
    hangup: &'a mut tokio::signal::unix::Signal,
    terminate: &'a mut tokio::signal::unix::Signal,
    clock: fn() -> DateTime<Utc>,
}

/// Hands the terminal to the granted shell until it ends, applying actions meanwhile, then
/// takes it back and draws the whole screen again. False when the dashboard must end (a hang-up
/// or SIGTERM while the shell ran).
async fn run_shell<W: Write>(
    state: &mut AppState,
    terminal: &mut Terminal<ScreenBackend<W>>,
    runner: &mut Runner,
    inbox: &mut UnboundedReceiver<Action>,
    host: &mut dyn ShellHost,
    waits: &mut ShellWaits<'_>,
    handoff: Handoff,
) -> anyhow::Result<bool> {
    let Handoff { req, title, grant } = handoff;
    Backend::flush(terminal.backend_mut())?;
    let session_id = grant.session_id.clone();
    tracing::info!(%title, %session_id, "shell attached");
    let ended = match host.suspend() {
        Err(err) => Some(Err(err)),
        Ok(()) => {
            let mut shell = host.attach(grant);
            loop {
                tokio::select! {
                    result = &mut shell => break Some(result),
                    Some(action) = inbox.recv() => dispatch(state, runner, action),
                    _ = waits.ticker.tick() => dispatch(state, runner, Action::Tick((waits.clock)())),
                    _ = waits.hangup.recv() => break None,
                    _ = waits.terminate.recv() => break None,
                }
            }
        }
    };
    let Some(result) = ended else {
        // Nobody is left to see the dashboard again; the session must not outlive it.
        runner.end_session(session_id);
        return Ok(false);
    };
    host.resume()?;
    // The shell wrote over the screen: clear it and forget both copies of what it showed, so
    // the next frame draws everything. (`Terminal::clear` would ask the terminal where its
    // cursor is, a read that keys typed now could disturb.)
    terminal
        .backend_mut()
        .clear_region(ratatui::backend::ClearType::All)?;
    terminal.swap_buffers();
    tracing::info!(%title, ?result, "shell detached");
    dispatch(
        state,
        runner,
        Action::ShellEnded {
            req,
            result: result.map_err(|err| format!("{err:#}")),
        },
    );
    Ok(true)
}

fn dispatch(state: &mut AppState, runner: &mut Runner, action: Action) {
    if matches!(action, Action::Tail { .. }) {
        runner.tail_message_taken();
    }
    for effect in update(state, action) {
        runner.run(effect);
    }
}

/// Tells `update` how the screen is laid out now, when that changed: the one route by which
/// what the renderer knows (rows on a page) reaches the state.
fn lay_out<B>(
    state: &mut AppState,
    runner: &mut Runner,
    terminal: &Terminal<B>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size()?;
    let layout = ui::screen_layout(Rect::new(0, 0, size.width, size.height), state);
    if layout != state.layout() {
        dispatch(state, runner, Action::Layout(layout));
    }
    Ok(())
}

/// Reads terminal events on a thread of its own (crossterm's reads block) and forwards them.
struct Input {
    stop: Arc<AtomicBool>,
    waker: Option<terminal::Waker>,
    thread: JoinHandle<()>,
}

impl Input {
    fn start(actions: UnboundedSender<Action>) -> Input {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let input_wait = terminal::InputWait::new()
            .inspect_err(|err| tracing::warn!("waiting for input by polling: {err}"))
            .ok();
        let waker = input_wait.as_ref().map(terminal::InputWait::waker);
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                // Wait for input ourselves, with no timeout: an idle dashboard sleeps. A
                // terminal that hung up without a SIGHUP reaching us (a dropped link, a killed
                // multiplexer) reads as endless end-of-file, on which crossterm's own wait
                // spins forever; nobody is watching, so end instead.
                match input_wait.as_ref().map(terminal::InputWait::wait) {
                    Some(terminal::Wait::HungUp) => {
                        tracing::warn!("the terminal hung up; ending");
                        let _ = actions.send(Action::TerminalClosed);
                        break;
                    }
                    Some(terminal::Wait::Woken) => continue,
                    Some(terminal::Wait::Ready) => {}
                    None => std::thread::sleep(INPUT_POLL),
                }
                // Every event that arrived: one read of the terminal may hold several keys.
                loop {
                    match crossterm::event::poll(Duration::ZERO) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(err) => {
                            tracing::error!("cannot read the terminal: {err}");
                            let _ = actions.send(Action::TerminalClosed);
                            return;
                        }
                    }
                    let action = match crossterm::event::read() {
                        Ok(Event::Key(event)) => keys::convert(event).map(Action::Key),
                        Ok(Event::Paste(text)) => Some(Action::Paste(text)),
                        Ok(Event::FocusGained) => Some(Action::FocusGained),
                        // Resizes are heard by the loop (SIGWINCH), which knows the layout.
                        Ok(_) => None,
                        Err(err) => {
                            tracing::error!("cannot read the terminal: {err}");
                            let _ = actions.send(Action::TerminalClosed);
                            return;
                        }
                    };
                    if let Some(action) = action
                        && actions.send(action).is_err()
                    {
                        return;
                    }
                }
            }
        });
        Input {
            stop,
            waker,
            thread,
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(waker) = &self.waker {
            waker.wake();
        }
        let _ = self.thread.join();
    }
}

/// The symbols this terminal can show, from `TERM` and the locale variables.
fn glyphs_from_env() -> Glyphs {
    let var = |name: &str| std::env::var(name).ok();
    let [term, lc_all, lc_ctype, lang] = ["TERM", "LC_ALL", "LC_CTYPE", "LANG"].map(var);
    Glyphs::for_terminal(
        term.as_deref(),
        lc_all.as_deref(),
        lc_ctype.as_deref(),
        lang.as_deref(),
    )
}
