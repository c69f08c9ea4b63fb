//! The tail engine: backfill a set of log streams with GetLogEvents, then follow them with Live
//! Tail (preferred) or one adaptive polling loop, and deliver each event exactly once. Streams
//! added while it follows (a new task's containers) are backfilled alone and join the rest.
//!
//! Events leave here raw; sanitizing happens at ingest in the buffer.

use std::future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use ondeck_core::model::LogStreamRef;
pub use ondeck_core::tail::*;
use ondeck_core::{Backoff, Cloud};

use dedupe::{DEDUPE_CAPACITY, DEDUPE_WINDOW_MS, Dedupe};
use live::{LivePlan, Wakeup, poll_sessions};

mod dedupe;
mod health;
mod live;
mod poll;
#[cfg(test)]
mod tests;

/// The running tail. Dropping it stops the task and closes any Live Tail session
/// (they are billed per minute).
#[derive(Debug)]
pub struct TailHandle {
    task: JoinHandle<()>,
    added: mpsc::UnboundedSender<Vec<TailSource>>,
}

impl TailHandle {
    /// Follow these streams too, read back as the first ones were (`since`, or their last
    /// lines) while the streams already followed are not read again; one dedupe covers all.
    /// Sources already followed are skipped; a tail that ended ignores this.
    pub fn add_sources(&self, sources: Vec<TailSource>) {
        // Unbounded: one message per snapshot that found a new task, taken at the next wakeup.
        let _ = self.added.send(sources);
    }
}

impl Drop for TailHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start tailing `spec.sources`; messages go to `tx` until the handle or the receiver is dropped.
pub fn spawn_tail(
    cloud: Arc<dyn Cloud>,
    spec: TailSpec,
    tx: mpsc::Sender<TailMessage>,
) -> TailHandle {
    let (added, added_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(Tail::new(cloud, spec, tx, added_rx).run());
    TailHandle { task, added }
}

/// Reading a stream again re-reads this far back: awslogs sends a container's lines every
/// few seconds, so they reach CloudWatch late, and polling that takes over from Live Tail
/// must not miss what the session lost.
const REREAD_OVERLAP_MS: i64 = 10_000;

/// Why the tail ends early.
enum Stop {
    /// The receiver was dropped.
    Closed,
    /// A lasting error, said in full.
    Failed(String),
}

/// Where GetLogEvents resumes for one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// The last `backfill_limit` lines.
    Tail,
    /// From this time (or the head of the stream) forwards.
    Start(Option<i64>),
    /// A forward token from an earlier page.
    Token(String),
}

struct StreamState {
    source: u16,
    container: String,
    stream: LogStreamRef,
    creates_group: bool,
    cursor: Cursor,
    /// GetLogEvents found it or Live Tail delivered from it.
    exists: bool,
    /// The live plan that has it, and its place among the plan's names: a session covers the
    /// names it was opened with.
    plan: Option<(usize, usize)>,
    interval: Duration,
    next_poll: Instant,
    /// Poll once even though Live Tail covers it: fills the gap before a new session began.
    catch_up: bool,
    last_timestamp: Option<i64>,
    /// Why a lasting error ended the reading of this stream; the others go on.
    stopped: Option<String>,
}

/// How the polled streams of one log group are read together.
struct GroupPoll {
    group: String,
    next_poll: Instant,
    /// FilterLogEvents failed for good here: each stream is read on its own, so that one
    /// stream's lasting error stops that stream alone.
    per_stream: bool,
}

struct Tail {
    cloud: Arc<dyn Cloud>,
    tx: mpsc::Sender<TailMessage>,
    /// Sources to follow as well, from [`TailHandle::add_sources`].
    added: mpsc::UnboundedReceiver<Vec<TailSource>>,
    since: Option<i64>,
    backfill_limit: i32,
    follow: bool,
    prefer_live: bool,
    timing: TailTiming,
    streams: Vec<StreamState>,
    /// One FilterLogEvents schedule per log group, for its polled streams.
    groups: Vec<GroupPoll>,
    plans: Vec<LivePlan>,
    dedupe: Dedupe,
    next_channel: u64,
    /// Consecutive failed GetLogEvents calls.
    failures: u32,
    /// Throttled or Reconnecting until a call succeeds again.
    trouble: Option<StreamHealth>,
    resume_at: Option<Instant>,
    health: Option<StreamHealth>,
    last_event_at: Option<i64>,
    when_full: WhenFull,
    /// Lines dropped while the channel was full and not yet reported.
    dropped: u64,
}

impl Tail {
    fn new(
        cloud: Arc<dyn Cloud>,
        spec: TailSpec,
        tx: mpsc::Sender<TailMessage>,
        added: mpsc::UnboundedReceiver<Vec<TailSource>>,
    ) -> Tail {
        let next_channel = 0;
        let mut tail = Tail {
            cloud,
            tx,
            added,
            since: spec.since,
            backfill_limit: spec.backfill_limit,
            follow: spec.follow,
            prefer_live: spec.prefer_live,
            timing: spec.timing,
            streams: Vec::new(),
            groups: Vec::new(),
            plans: Vec::new(),
            dedupe: Dedupe::new(DEDUPE_CAPACITY, DEDUPE_WINDOW_MS),
            next_channel,
            failures: 0,
            trouble: None,
            resume_at: None,
            health: None,
            last_event_at: None,
            when_full: spec.when_full,
            dropped: 0,
        };
        tail.push_streams(spec.sources);
        tail
    }

    /// Adds the sources not followed yet, each to be read from `since` or its last lines.
    fn push_streams(&mut self, sources: Vec<TailSource>) {
        let cursor = match self.since {
            Some(since) => Cursor::Start(Some(since)),
            None => Cursor::Tail,
        };
        for source in sources {
            if self.streams.iter().any(|s| s.stream == source.stream) {
                continue;
            }
            self.streams.push(StreamState {
                source: source.index,
                container: source.container,
                stream: source.stream,
                creates_group: source.creates_group,
                cursor: cursor.clone(),
                exists: false,
                plan: None,
                interval: self.timing.poll_min,
                next_poll: Instant::now(),
                catch_up: false,
                last_timestamp: None,
                stopped: None,
            });
        }
    }

    async fn run(mut self) {
        if let Err(Stop::Failed(reason)) = self.follow().await {
            // If the receiver is gone as well, nobody is left to tell.
            let _ = self.set_health(StreamHealth::Failed { reason }).await;
        }
    }

    async fn follow(&mut self) -> Result<(), Stop> {
        self.set_health(StreamHealth::Starting).await?;
        // Live Tail has no history, so it opens before the backfill: whatever the backfill
        // misses, the session has, and the overlap is deduplicated.
        if self.follow && self.prefer_live {
            self.cover_live(0).await?;
        }
        self.backfill().await?;
        if !self.follow {
            return self.set_health(StreamHealth::Ended).await;
        }
        self.schedule_polls(0);
        loop {
            // Lines dropped in a burst are said once the receiver has caught up, even when no
            // more lines come.
            self.report_dropped().await?;
            self.refresh_health().await?;
            let wake = self.next_wake();
            let wakeup = tokio::select! {
                live = future::poll_fn(|cx| poll_sessions(&mut self.plans, cx)) => live,
                () = sleep_until_some(wake) => Wakeup::Timer,
                Some(sources) = self.added.recv() => Wakeup::Added(sources),
                () = self.tx.closed() => return Err(Stop::Closed),
            };
            match wakeup {
                Wakeup::Live(p, channel, Some(Ok(update))) => {
                    self.on_update(p, channel, update).await?
                }
                Wakeup::Live(p, channel, Some(Err(error))) => {
                    self.on_session_lost(p, channel, error.to_string()).await?
                }
                Wakeup::Live(p, channel, None) => {
                    self.on_session_lost(p, channel, "Live Tail session ended".into())
                        .await?
                }
                Wakeup::Timer => self.on_timers().await?,
                Wakeup::Added(sources) => self.follow_too(sources).await?,
            }
        }
    }

    /// Streams that appeared while following: Live Tail first (it has no history), then their
    /// own backfill; the streams already followed are not read again.
    async fn follow_too(&mut self, sources: Vec<TailSource>) -> Result<(), Stop> {
        let from = self.streams.len();
        self.push_streams(sources);
        if from == self.streams.len() {
            return Ok(());
        }
        if self.prefer_live {
            self.cover_live(from).await?;
        }
        self.read_history(from).await?;
        self.schedule_polls(from);
        Ok(())
    }

    /// The polling schedule of the streams `from..`, whose history was just read.
    fn schedule_polls(&mut self, from: usize) {
        let now = Instant::now();
        for stream in &self.streams[from..] {
            match self
                .groups
                .iter_mut()
                .find(|g| g.group == stream.stream.group)
            {
                // A group none of whose streams was polled has a schedule long past.
                Some(group) => group.next_poll = group.next_poll.max(now + self.timing.poll_min),
                None => self.groups.push(GroupPoll {
                    group: stream.stream.group.clone(),
                    next_poll: now + self.timing.poll_min,
                    per_stream: false,
                }),
            }
        }
        for stream in &mut self.streams[from..] {
            stream.interval = self.timing.poll_min;
            // Read through to now after any session covering it opened: no gap to fill.
            stream.catch_up = false;
            stream.next_poll = now
                + if stream.exists {
                    self.timing.poll_min
                } else {
                    self.timing.waiting_retry
                };
        }
    }

    async fn on_timers(&mut self) -> Result<(), Stop> {
        let now = Instant::now();
        for p in 0..self.plans.len() {
            let plan = &mut self.plans[p];
            if plan.retiring.as_ref().is_some_and(|(_, at)| *at <= now) {
                plan.retiring = None;
            }
            if plan.current.is_some() && plan.renew_at.is_some_and(|at| at <= now) {
                self.renew(p).await;
            } else if plan.current.is_none() && plan.reconnect_at.is_some_and(|at| at <= now) {
                self.connect(p).await?;
            }
        }
        if self.resume_at.is_none_or(|at| at <= Instant::now()) {
            self.resume_at = None;
            self.poll_due().await?;
        }
        Ok(())
    }

    fn is_live(&self, i: usize) -> bool {
        self.streams[i].plan.is_some_and(|(p, place)| {
            self.plans[p]
                .current
                .as_ref()
                .is_some_and(|session| place < session.covers)
        })
    }

    fn needs_poll(&self, i: usize) -> bool {
        self.streams[i].stopped.is_none() && (!self.is_live(i) || self.streams[i].catch_up)
    }

    /// Read with the rest of its group by FilterLogEvents: polled, known to exist (a missing
    /// stream is looked for alone), not catching up on a Live Tail gap (that reads from its
    /// own cursor), in a group whose filter works.
    fn filtered(&self, i: usize) -> bool {
        let stream = &self.streams[i];
        self.needs_poll(i)
            && stream.exists
            && !stream.catch_up
            && self
                .groups
                .iter()
                .any(|g| g.group == stream.stream.group && !g.per_stream)
    }

    fn next_wake(&self) -> Option<Instant> {
        let filters = self
            .groups
            .iter()
            .filter(|g| self.filter_members(&g.group).next().is_some())
            .map(|g| g.next_poll);
        let polls = (0..self.streams.len())
            .filter(|&i| self.needs_poll(i) && !self.filtered(i))
            .map(|i| self.streams[i].next_poll)
            .chain(filters)
            .min()
            .map(|at| self.resume_at.map_or(at, |resume| at.max(resume)));
        let plans = self.plans.iter().flat_map(|plan| {
            [
                plan.retiring.as_ref().map(|(_, at)| *at),
                plan.renew_at.filter(|_| plan.current.is_some()),
                plan.reconnect_at.filter(|_| plan.current.is_none()),
            ]
        });
        polls.into_iter().chain(plans.flatten()).min()
    }

    /// Where reading again after `last` starts: a little before it, for lines that reached
    /// CloudWatch late (the overlap is deduplicated), never before `since`.
    fn reread_from(&self, last: i64) -> i64 {
        let from = last - REREAD_OVERLAP_MS;
        self.since.map_or(from, |since| from.max(since))
    }

    fn new_channel(&mut self) -> u64 {
        self.next_channel += 1;
        self.next_channel
    }

    async fn send_events(&mut self, mut batch: Vec<TailEvent>) -> Result<(), Stop> {
        if batch.is_empty() {
            return Ok(());
        }
        // Stable: lines of one stream with equal timestamps keep their order.
        batch.sort_by_key(|event| event.timestamp);
        let newest = batch.last().map(|e| e.timestamp);
        match self.when_full {
            WhenFull::Wait => self.send(TailMessage::Events(batch)).await?,
            WhenFull::DropAndCount => {
                let lines = batch.len() as u64;
                let room = self.offer_dropped()? && self.offer(TailMessage::Events(batch))?;
                if !room {
                    self.dropped += lines;
                    return Ok(());
                }
            }
        }
        self.last_event_at = self.last_event_at.max(newest);
        Ok(())
    }

    /// Waits for room: health changes are few, and each must arrive.
    async fn send(&mut self, message: TailMessage) -> Result<(), Stop> {
        self.report_dropped().await?;
        self.tx.send(message).await.map_err(|_| Stop::Closed)
    }

    /// Says how many lines were dropped, waiting for room once the receiver catches up.
    async fn report_dropped(&mut self) -> Result<(), Stop> {
        if self.dropped == 0 {
            return Ok(());
        }
        let lines = std::mem::take(&mut self.dropped);
        self.tx
            .send(TailMessage::Dropped { lines })
            .await
            .map_err(|_| Stop::Closed)
    }

    /// Says how many lines were dropped if there is room now; false when there is none.
    fn offer_dropped(&mut self) -> Result<bool, Stop> {
        if self.dropped == 0 {
            return Ok(true);
        }
        let lines = self.dropped;
        let sent = self.offer(TailMessage::Dropped { lines })?;
        if sent {
            self.dropped = 0;
        }
        Ok(sent)
    }

    /// Sends `message` if the channel has room; false when it is full.
    fn offer(&mut self, message: TailMessage) -> Result<bool, Stop> {
        match self.tx.try_send(message) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(TrySendError::Closed(_)) => Err(Stop::Closed),
        }
    }
}

/// `poll_min`, doubled per failure, at most `backoff_max`.
fn backoff(timing: &TailTiming, failures: u32) -> Duration {
    Backoff::new(timing.poll_min, timing.backoff_max).delay(failures)
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => future::pending().await,
    }
}
