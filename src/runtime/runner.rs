//! Effects → tokio tasks. Each call runs under a timeout and answers with an `Action` carrying
//! the request id it was given; `update` decides whether the answer is still wanted.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::forwards::Forwards;
use super::{CloudFactory, journal};
use ondeck_core::config::Profile;
use ondeck_core::model::SessionGrant;
use ondeck_engine::ops::{self, OpsContext, OpsError};
use ondeck_engine::tail::{StreamHealth, TailMessage, TailSource, TailSpec, spawn_tail};
use ondeck_tui::state::logs::TailId;
use ondeck_tui::state::timeline::{Journal, TimelineEntry};
use ondeck_tui::state::{Action, Effect, RequestId};

/// How long each kind of call may take before the dashboard stops waiting for it.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub refresh: Duration,
    /// Several RunTask calls with reconciliation between retries.
    pub launch: Duration,
    pub destroy: Duration,
    pub extend: Duration,
    /// A pause or a resume: UpdateService and TagResource on each service.
    pub scale: Duration,
    /// A destroy, the wait until the old instance is gone (ops gives up after 15 minutes),
    /// and a launch.
    pub relaunch: Duration,
    /// ECS ExecuteCommand, for a shell.
    pub exec: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            refresh: Duration::from_secs(30),
            launch: Duration::from_secs(120),
            destroy: Duration::from_secs(60),
            extend: Duration::from_secs(30),
            scale: Duration::from_secs(30),
            relaunch: Duration::from_secs(20 * 60),
            exec: Duration::from_secs(30),
        }
    }
}

/// A granted shell session for the loop to run on the terminal.
pub struct Handoff {
    pub req: RequestId,
    /// What the session is in (`api in checkout-fix`), for the log.
    pub title: String,
    pub grant: SessionGrant,
}

/// The current profile's context, possibly still being built; Err when it could not be, and
/// then every call answers with that reason.
pub(super) type CurrentContext = Shared<BoxFuture<'static, Result<Arc<OpsContext>, String>>>;

pub struct Runner {
    ctx: CurrentContext,
    factory: CloudFactory,
    state_dir: PathBuf,
    read_only: bool,
    actions: UnboundedSender<Action>,
    journal: Option<UnboundedSender<(PathBuf, Vec<TimelineEntry>)>>,
    journal_writer: Option<JoinHandle<()>>,
    timeouts: Timeouts,
    /// Text to put on the clipboard, waiting for the loop: it goes out through the screen
    /// backend, the terminal's one writer.
    copies: Vec<String>,
    /// A granted shell waiting for the loop to hand it the terminal.
    handoff: Option<Handoff>,
    /// Running log tails. Aborting one drops its `TailHandle`, which stops the tail and closes
    /// its Live Tail session.
    tails: HashMap<TailId, RunningTail>,
    /// One permit per tail message the loop may hold; given back as `update` takes each.
    tail_backlog: Arc<Semaphore>,
    forwards: Forwards,
}

/// A tail's forwarder, and the way to its `TailHandle::add_sources`.
struct RunningTail {
    forwarder: JoinHandle<()>,
    /// Unbounded: one message per snapshot that found a new task.
    add_sources: UnboundedSender<Vec<TailSource>>,
}

/// Tail messages waiting to be forwarded; beyond it the tail drops lines and counts them.
const TAIL_CHANNEL: usize = 64;
/// Tail messages forwarded to the loop and not yet taken by `update`: the loop's inbox is
/// unbounded, so this keeps tail lines from piling up there when the dashboard falls behind.
const TAIL_BACKLOG: usize = 64;

impl Runner {
    /// Must be called inside a tokio runtime (it starts the journal writer).
    pub fn new(
        ctx: OpsContext,
        factory: CloudFactory,
        actions: UnboundedSender<Action>,
        timeouts: Timeouts,
    ) -> Runner {
        let (journal, mut batches) =
            tokio::sync::mpsc::unbounded_channel::<(PathBuf, Vec<TimelineEntry>)>();
        // One writer, so batches land in order.
        let journal_writer = tokio::spawn(async move {
            while let Some((file, entries)) = batches.recv().await {
                let written =
                    tokio::task::spawn_blocking(move || journal::append(&file, &entries)).await;
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => tracing::warn!("cannot write the timeline journal: {err}"),
                    Err(err) => tracing::warn!("timeline journal writer failed: {err}"),
                }
            }
        });
        Runner {
            state_dir: ctx.state_dir.clone(),
            read_only: ctx.read_only,
            ctx: futures::future::ready(Ok(Arc::new(ctx))).boxed().shared(),
            factory,
            actions,
            journal: Some(journal),
            journal_writer: Some(journal_writer),
            timeouts,
            copies: Vec::new(),
            handoff: None,
            tails: HashMap::new(),
            tail_backlog: Arc::new(Semaphore::new(TAIL_BACKLOG)),
            forwards: Forwards::default(),
        }
    }

    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Refresh { req, all_owners } => self.call(
                self.timeouts.refresh,
                "refresh timed out; AWS may be slow or unreachable — ondeck will try again",
                move |ctx| async move { ops::refresh(&ctx, all_owners).await },
                move |result| Action::Refreshed {
                    req,
                    at: Utc::now(),
                    result,
                },
            ),
            Effect::Launch { req, request } => self.call(
                self.timeouts.launch,
                "launch timed out; it may still be starting — refresh to see it, or launch again \
                 with the same name (ondeck will not start it twice)",
                move |ctx| async move { ops::launch(&ctx, &request).await },
                move |result| Action::Launched {
                    req,
                    at: Utc::now(),
                    result,
                },
            ),
            Effect::Destroy {
                req,
                target,
                all_owners,
            } => self.call(
                self.timeouts.destroy,
                "destroy timed out; some tasks may be stopping — refresh, then destroy again",
                move |ctx| async move { ops::destroy(&ctx, &target, all_owners).await },
                move |result| Action::Destroyed { req, result },
            ),
            Effect::Extend {
                req,
                target,
                by,
                all_owners,
            } => self.call(
                self.timeouts.extend,
                "extend timed out; refresh to see the expiry, then try again",
                move |ctx| async move { ops::extend(&ctx, &target, Some(by), all_owners).await },
                move |result| Action::Extended { req, result },
            ),
            Effect::Pause {
                req,
                target,
                all_owners,
            } => self.call(
                self.timeouts.scale,
                "pause timed out; refresh to see whether it took, then pause again",
                move |ctx| async move { ops::pause(&ctx, &target, all_owners).await },
                move |result| Action::Paused { req, result },
            ),
            Effect::Resume {
                req,
                target,
                all_owners,
            } => self.call(
                self.timeouts.scale,
                "resume timed out; refresh to see whether it took, then resume again",
                move |ctx| async move { ops::resume(&ctx, &target, all_owners).await },
                move |result| Action::Resumed { req, result },
            ),
            Effect::Relaunch {
                req,
                target,
                all_owners,
            } => {
                // What it waits for reaches the status line as a launch's progress does.
                let progress = launch_progress(&self.actions);
                self.call(
                    self.timeouts.relaunch,
                    "relaunch timed out; the old instance may still be stopping or the new one \
                     starting — refresh, and relaunch again if it shows STOPPED",
                    move |ctx| async move {
                        let plan = ops::relaunch_plan(&ctx, &target, all_owners).await?;
                        ops::relaunch(&ctx, &plan, progress.as_ref()).await
                    },
                    move |result| Action::Relaunched {
                        req,
                        at: Utc::now(),
                        result,
                    },
                )
            }
            Effect::OpenShell {
                req,
                task_arn,
                container,
                command,
            } => self.call(
                self.timeouts.exec,
                "ExecuteCommand timed out; AWS may be slow — press s to try again",
                move |ctx| async move {
                    ctx.cloud
                        .execute_command(&task_arn, &container, &command)
                        .await
                        .map_err(OpsError::from)
                },
                move |result| Action::ShellGranted { req, result },
            ),
            Effect::AttachShell { req, title, grant } => {
                self.handoff = Some(Handoff { req, title, grant })
            }
            Effect::Copy(text) => self.copies.push(text),
            Effect::SwitchProfile(profile) => self.switch_profile(profile),
            Effect::AppendJournal { profile, entries } => {
                let file = journal::path(&self.state_dir, &profile);
                if let Some(journal) = &self.journal {
                    let _ = journal.send((file, entries));
                }
            }
            Effect::StartTail { tail_id, spec } => self.start_tail(tail_id, spec),
            Effect::AddTailSources { tail_id, sources } => {
                if let Some(tail) = self.tails.get(&tail_id) {
                    let _ = tail.add_sources.send(sources);
                }
            }
            Effect::StopTail { tail_id } => {
                if let Some(tail) = self.tails.remove(&tail_id) {
                    tail.forwarder.abort();
                }
            }
            Effect::StartForward { id, target } => {
                self.forwards
                    .start(self.ctx.clone(), id, target, self.actions.clone());
            }
            Effect::StopForward { id } => self.forwards.stop(id),
            Effect::SaveLogs {
                path,
                buffer,
                view,
                labels,
            } => {
                let actions = self.actions.clone();
                tokio::task::spawn_blocking(move || {
                    let path = std::env::current_dir()
                        .map(|dir| dir.join(&path))
                        .unwrap_or(path);
                    let result = ondeck_tui::logview::save(&buffer, &view, &labels, &path)
                        .map(|lines| (path.clone(), lines))
                        .map_err(|err| format!("{}: {err}", path.display()));
                    let _ = actions.send(Action::LogsSaved { result });
                });
            }
        }
    }

    /// Calls made from now on wait for the new profile's cloud. Its journal is read first, so
    /// `JournalLoaded` reaches the state before any answer from the new cloud.
    fn switch_profile(&mut self, profile: Profile) {
        let factory = Arc::clone(&self.factory);
        let state_dir = self.state_dir.clone();
        let read_only = self.read_only;
        let actions = self.actions.clone();
        let build = async move {
            let name = profile.name.clone();
            let file = journal::path(&state_dir, &name);
            let loaded =
                tokio::task::spawn_blocking(move || journal::load(&file, Journal::DEFAULT_CAP))
                    .await;
            let loaded = match loaded {
                Ok(Ok(loaded)) => loaded,
                Ok(Err(err)) => {
                    tracing::warn!("cannot read the timeline journal of {name}: {err}");
                    journal::Loaded::default()
                }
                Err(err) => {
                    tracing::warn!("timeline journal reader failed: {err}");
                    journal::Loaded::default()
                }
            };
            let _ = actions.send(Action::JournalLoaded {
                profile: name.clone(),
                entries: loaded.entries,
                skipped: loaded.skipped,
            });
            match factory(profile.clone()).await {
                Ok(connected) => Ok(Arc::new(
                    connected
                        .context(profile, state_dir, read_only)
                        .with_progress(launch_progress(&actions)),
                )),
                Err(err) => Err(format!("profile {name} cannot be used: {err:#}")),
            }
        }
        .boxed()
        .shared();
        // Drive it even if no call is waiting, so the journal arrives.
        tokio::spawn(build.clone().map(|_| ()));
        self.ctx = build;
    }

    /// The shell to hand the terminal to, once asked for.
    pub fn take_handoff(&mut self) -> Option<Handoff> {
        self.handoff.take()
    }

    /// TerminateSession for a shell that was left without ending (the dashboard is closing).
    pub fn end_session(&self, session_id: String) {
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            if let Ok(ctx) = ctx.await
                && let Err(err) = ctx.cloud.end_session(&session_id).await
            {
                tracing::warn!("cannot end session {session_id}: {err}");
            }
        });
    }

    /// What was asked to go on the clipboard since the last call, oldest first.
    pub fn take_copies(&mut self) -> Vec<String> {
        std::mem::take(&mut self.copies)
    }

    /// Waits for the current profile's cloud, then forwards each tail message as one action,
    /// and the streams to add to the tail.
    fn start_tail(&mut self, tail_id: TailId, spec: TailSpec) {
        self.tails.retain(|_, tail| !tail.forwarder.is_finished());
        let ctx = self.ctx.clone();
        let actions = self.actions.clone();
        let backlog = Arc::clone(&self.tail_backlog);
        let (add_sources, mut added) = unbounded_channel();
        let forwarder = tokio::spawn(async move {
            let send = |message| actions.send(Action::Tail { tail_id, message }).is_ok();
            let ctx = match ctx.await {
                Ok(ctx) => ctx,
                Err(reason) => {
                    tracing::warn!("cannot tail logs: {reason}");
                    send(TailMessage::Health {
                        health: StreamHealth::Ended,
                        last_event_at: None,
                    });
                    return;
                }
            };
            let (tx, mut rx) = tokio::sync::mpsc::channel(TAIL_CHANNEL);
            let tail = spawn_tail(Arc::clone(&ctx.cloud), spec, tx);
            loop {
                tokio::select! {
                    message = rx.recv() => {
                        let Some(message) = message else { break };
                        // While the loop holds a backlog, this waits and the tail's channel
                        // fills.
                        let Ok(permit) = backlog.acquire().await else {
                            break;
                        };
                        permit.forget();
                        if !send(message) {
                            break;
                        }
                    }
                    Some(sources) = added.recv() => tail.add_sources(sources),
                }
            }
        });
        self.tails.insert(
            tail_id,
            RunningTail {
                forwarder,
                add_sources,
            },
        );
    }

    /// `update` took a tail message: the forwarders may send one more.
    pub fn tail_message_taken(&self) {
        self.tail_backlog.add_permits(1);
    }

    /// Tails still running.
    #[cfg(test)]
    pub fn tail_count(&self) -> usize {
        self.tails
            .values()
            .filter(|tail| !tail.forwarder.is_finished())
            .count()
    }

    /// Forwards still running.
    #[cfg(test)]
    pub fn forward_count(&self) -> usize {
        self.forwards.count()
    }

    fn call<T, Call, Fut>(
        &self,
        limit: Duration,
        timed_out: &'static str,
        call: Call,
        answer: impl FnOnce(Result<T, String>) -> Action + Send + 'static,
    ) where
        T: Send + 'static,
        Call: FnOnce(Arc<OpsContext>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, OpsError>> + Send + 'static,
    {
        let actions = self.actions.clone();
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let work = async move {
                let ctx = ctx.await?;
                call(ctx).await.map_err(|err| err.to_string())
            };
            let result = tokio::time::timeout(limit, work)
                .await
                .unwrap_or_else(|_| Err(timed_out.to_string()));
            // The loop may be gone (quitting): then nobody wants the answer.
            let _ = actions.send(answer(result));
        });
    }

    /// Close every forward (ending its session) and let the journal writer finish what it
    /// was given, each for at most `limit`.
    pub async fn finish(mut self, limit: Duration) {
        for (_, tail) in self.tails.drain() {
            tail.forwarder.abort();
        }
        self.forwards.close_all(limit).await;
        self.journal.take();
        if let Some(writer) = self.journal_writer.take() {
            let _ = tokio::time::timeout(limit, writer).await;
        }
    }
}

/// A launch's progress, as actions for the dashboard.
pub(super) fn launch_progress(
    actions: &UnboundedSender<Action>,
) -> Arc<dyn Fn(String) + Send + Sync> {
    let actions = actions.clone();
    Arc::new(move |text| {
        let _ = actions.send(Action::LaunchProgress(text));
    })
}

#[cfg(test)]
mod tests;
