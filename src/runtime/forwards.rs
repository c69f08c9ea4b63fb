//! The dashboard's port forwards: one task each, owning its listener and session. Each
//! reports back as actions — listening (or why not), its figures at most once a second and
//! only when they changed, and a dropped session — and is closed (TerminateSession included)
//! when the state asks, and all of them when the dashboard quits.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::runner::CurrentContext;
use crate::connect::forward::{Forward, ForwardSpec};
use ondeck_tui::state::Action;
use ondeck_tui::state::forwards::{ForwardId, ForwardStats, ForwardTarget};

/// How often a running forward's figures are looked at.
const STATS_EVERY: Duration = Duration::from_secs(1);
/// Opening: StartSession and the data channel's handshake.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

#[derive(Default)]
pub(super) struct Forwards {
    running: HashMap<ForwardId, Running>,
    /// Closed forwards whose tasks are still ending their sessions: quitting waits for them too.
    closing: Vec<JoinHandle<()>>,
}

impl Forwards {
    pub(super) fn start(
        &mut self,
        ctx: CurrentContext,
        id: ForwardId,
        target: ForwardTarget,
        actions: UnboundedSender<Action>,
    ) {
        self.running
            .retain(|_, running| !running.task.is_finished());
        self.closing.retain(|task| !task.is_finished());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(ctx, id, target, actions, stopped));
        self.running.insert(id, Running { stop, task });
    }

    /// Closes the forward; its task ends the session on the AWS side.
    pub(super) fn stop(&mut self, id: ForwardId) {
        if let Some(running) = self.running.remove(&id) {
            let _ = running.stop.send(());
            self.closing.push(running.task);
        }
    }

    /// Closes every forward and waits, for at most `limit`, for their sessions to end.
    pub(super) async fn close_all(&mut self, limit: Duration) {
        let tasks: Vec<JoinHandle<()>> = self
            .running
            .drain()
            .map(|(_, running)| {
                let _ = running.stop.send(());
                running.task
            })
            .chain(self.closing.drain(..))
            .collect();
        let _ = tokio::time::timeout(limit, futures::future::join_all(tasks)).await;
    }

    #[cfg(test)]
    /// Forwards whose tasks have not ended, closed ones included.
    pub(super) fn count(&self) -> usize {
        self.running
            .values()
            .map(|running| &running.task)
            .chain(&self.closing)
            .filter(|task| !task.is_finished())
            .count()
    }
}

async fn run(
    ctx: CurrentContext,
    id: ForwardId,
    target: ForwardTarget,
    actions: UnboundedSender<Action>,
    mut stopped: oneshot::Receiver<()>,
) {
    let send = |action| {
        let _ = actions.send(action);
    };
    let spec = ForwardSpec {
        task_arn: target.task_arn.clone(),
        runtime_id: target.runtime_id.clone(),
        remote_port: target.remote_port,
        // Loopback only: a forward is for this machine's user.
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, target.local_port)),
    };
    let opening = async {
        let ctx = ctx.await?;
        Forward::open(ctx.cloud.clone(), &spec)
            .await
            .map_err(|error| error.to_string())
    };
    let opened = tokio::select! {
        opened = tokio::time::timeout(OPEN_TIMEOUT, opening) => opened.unwrap_or_else(|_| {
            Err(format!(
                "opening the forward to {}:{} timed out; AWS may be slow or unreachable — press F to try again",
                target.container, target.remote_port
            ))
        }),
        // Closed while opening: a session that opens now is ended at once by Forward's drop
        // of the listener; nothing is listed anymore.
        _ = &mut stopped => return,
    };
    let forward = match opened {
        Ok(forward) => forward,
        Err(why) => {
            return send(Action::ForwardStarted {
                id,
                result: Err(why),
            });
        }
    };
    send(Action::ForwardStarted {
        id,
        result: Ok(forward.local_addr().port()),
    });
    let mut last = ForwardStats::default();
    let mut ticker = tokio::time::interval(STATS_EVERY);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let stats = figures(&forward);
                if stats != last {
                    last = stats;
                    send(Action::ForwardStats { id, stats });
                }
            }
            ended = forward.ended() => {
                let why = match ended {
                    Ok(()) => "the session ended".to_string(),
                    Err(error) => format!("the session dropped ({error})"),
                };
                send(Action::ForwardEnded { id, why });
                break;
            }
            _ = &mut stopped => break,
        }
    }
    if let Err(error) = forward.close().await {
        tracing::warn!("closing a forward's session: {error}");
    }
}

fn figures(forward: &Forward) -> ForwardStats {
    let stats = forward.stats();
    ForwardStats {
        sent: stats.bytes_to_remote,
        received: stats.bytes_from_remote,
        connections: usize::try_from(stats.connections_open).unwrap_or(usize::MAX),
        refused: stats.connections_refused,
    }
}

#[cfg(test)]
mod tests;
