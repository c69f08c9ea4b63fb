//! The tail engine: backfill a set of log streams with GetLogEvents, then follow them with Live
//! Tail (preferred) or one adaptive polling loop, and deliver each event exactly once.
//!
//! Events leave here raw; sanitizing happens at ingest in the buffer.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::aws::model::{LogPage, LogQuery, LogStreamRef, RawLogEvent};
use crate::aws::{Cloud, CloudError, LiveTail, LiveTailUpdate};

/// StartLiveTail accepts at most this many stream names.
const MAX_STREAMS_PER_SESSION: usize = 100;
/// How long a renewed session's predecessor stays open, so nothing falls between the two.
const RENEWAL_OVERLAP: Duration = Duration::from_secs(5);
/// When polling takes over from Live Tail it re-reads this far back; the overlap is deduplicated.
const RESUME_OVERLAP_MS: i64 = 10_000;
/// Distinct events remembered for deduplication (about 3 MiB).
const DEDUPE_CAPACITY: usize = 32_768;

/// One container's log stream, and the index the caller knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSource {
    pub index: u16,
    pub container: String,
    pub stream: LogStreamRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSpec {
    pub sources: Vec<TailSource>,
    /// Milliseconds since the epoch. `None`: start with the last `backfill_limit` lines per stream.
    pub since: Option<i64>,
    pub backfill_limit: i32,
    /// Keep following after the backfill; otherwise end.
    pub follow: bool,
    /// Follow with Live Tail when CloudWatch grants it; polling is the fallback either way.
    pub prefer_live: bool,
    pub timing: TailTiming,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailTiming {
    /// Polling interval while lines flow.
    pub poll_min: Duration,
    /// Polling interval ceiling for an idle stream.
    pub poll_max: Duration,
    /// Ceiling for backoff after throttling or errors.
    pub backoff_max: Duration,
    /// Replace a Live Tail session before CloudWatch ends it at three hours.
    pub live_renew_after: Duration,
    /// How often to look for a stream that does not exist yet.
    pub waiting_retry: Duration,
}

impl Default for TailTiming {
    fn default() -> Self {
        TailTiming {
            poll_min: Duration::from_secs(1),
            poll_max: Duration::from_secs(10),
            backoff_max: Duration::from_secs(60),
            live_renew_after: Duration::from_secs(2 * 3600 + 50 * 60),
            waiting_retry: Duration::from_secs(3),
        }
    }
}

/// A raw log line from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailEvent {
    /// `TailSource::index` of the stream it came from.
    pub source: u16,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message: String,
}

/// How the tail as a whole is doing, for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamHealth {
    Starting,
    /// Every stream is followed by Live Tail; `sampled` when CloudWatch dropped lines (>500/s).
    Live {
        sampled: bool,
    },
    /// At least one stream is polled; `interval` is the shortest current interval.
    Polling {
        interval: Duration,
    },
    /// None of the streams exists yet: the containers have not logged anything.
    WaitingForStream,
    /// Calls fail; the tail retries with backoff.
    Reconnecting {
        attempt: u32,
        reason: String,
    },
    /// CloudWatch throttles this account; the next call is in `retry_in`.
    Throttled {
        retry_in: Duration,
    },
    Ended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailMessage {
    /// New events, sorted by timestamp within the batch.
    Events(Vec<TailEvent>),
    /// Sent when the health changes. `last_event_at`: newest timestamp delivered so far.
    Health {
        health: StreamHealth,
        last_event_at: Option<i64>,
    },
    /// Everything from before the tail started has been sent.
    BackfillDone,
}

/// The running tail. Dropping it stops the task and closes any Live Tail session
/// (they are billed per minute).
#[derive(Debug)]
pub struct TailHandle {
    task: JoinHandle<()>,
}

impl TailHandle {
    /// The task ended by itself (after a backfill without follow, or when the receiver went away).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
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
    let task = tokio::spawn(async move {
        // `Err` only means the receiver is gone: nothing left to do.
        let _ = Tail::new(cloud, spec, tx).run().await;
    });
    TailHandle { task }
}

/// The receiver was dropped.
struct Closed;

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
    cursor: Cursor,
    /// Dedupe channel of the cursor; a new one whenever the cursor jumps back.
    channel: u64,
    /// GetLogEvents found it or Live Tail delivered from it.
    exists: bool,
    /// The live plan covering it, if any.
    plan: Option<usize>,
    interval: Duration,
    next_poll: Instant,
    /// Poll once even though Live Tail covers it: fills the gap before a new session began.
    catch_up: bool,
    last_timestamp: Option<i64>,
}

struct Session {
    channel: u64,
    updates: LiveTail,
    sampled: bool,
}

/// Live Tail for up to 100 streams of one group.
struct LivePlan {
    group: String,
    names: Vec<String>,
    members: HashMap<String, usize>,
    current: Option<Session>,
    /// The session being replaced, closed at `retire_at`.
    retiring: Option<(Session, Instant)>,
    renew_at: Option<Instant>,
    reconnect_at: Option<Instant>,
    failures: u32,
}

struct Tail {
    cloud: Arc<dyn Cloud>,
    tx: mpsc::Sender<TailMessage>,
    since: Option<i64>,
    backfill_limit: i32,
    follow: bool,
    prefer_live: bool,
    timing: TailTiming,
    streams: Vec<StreamState>,
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
}

enum Wakeup {
    Live(usize, u64, Option<Result<LiveTailUpdate, CloudError>>),
    Timer,
}

impl Tail {
    fn new(cloud: Arc<dyn Cloud>, spec: TailSpec, tx: mpsc::Sender<TailMessage>) -> Tail {
        let now = Instant::now();
        let initial = match spec.since {
            Some(since) => Cursor::Start(Some(since)),
            None => Cursor::Tail,
        };
        let streams = spec
            .sources
            .into_iter()
            .zip(0..)
            .map(|(source, channel)| StreamState {
                source: source.index,
                container: source.container,
                stream: source.stream,
                cursor: initial.clone(),
                channel,
                exists: false,
                plan: None,
                interval: spec.timing.poll_min,
                next_poll: now,
                catch_up: false,
                last_timestamp: None,
            })
            .collect::<Vec<_>>();
        let next_channel = streams.len() as u64;
        Tail {
            cloud,
            tx,
            since: spec.since,
            backfill_limit: spec.backfill_limit,
            follow: spec.follow,
            prefer_live: spec.prefer_live,
            timing: spec.timing,
            streams,
            plans: Vec::new(),
            dedupe: Dedupe::new(DEDUPE_CAPACITY),
            next_channel,
            failures: 0,
            trouble: None,
            resume_at: None,
            health: None,
            last_event_at: None,
        }
    }

    async fn run(mut self) -> Result<(), Closed> {
        self.set_health(StreamHealth::Starting).await?;
        // Live Tail has no history, so it opens before the backfill: whatever the backfill
        // misses, the session has, and the overlap is deduplicated.
        if self.follow && self.prefer_live {
            self.plan_live();
            for p in 0..self.plans.len() {
                self.connect(p).await?;
            }
        }
        self.backfill().await?;
        if !self.follow {
            return self.set_health(StreamHealth::Ended).await;
        }
        let now = Instant::now();
        for stream in &mut self.streams {
            stream.interval = self.timing.poll_min;
            stream.next_poll = now
                + if stream.exists {
                    self.timing.poll_min
                } else {
                    self.timing.waiting_retry
                };
        }
        loop {
            self.refresh_health().await?;
            let wake = self.next_wake();
            let wakeup = tokio::select! {
                (p, channel, item) = future::poll_fn(|cx| poll_sessions(&mut self.plans, cx)) => {
                    Wakeup::Live(p, channel, item)
                }
                () = sleep_until_some(wake) => Wakeup::Timer,
                () = self.tx.closed() => return Err(Closed),
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
            }
        }
    }

    /// Group the streams by log group, at most 100 per session.
    fn plan_live(&mut self) {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, stream) in self.streams.iter().enumerate() {
            match groups
                .iter_mut()
                .find(|(group, _)| *group == stream.stream.group)
            {
                Some((_, members)) => members.push(i),
                None => groups.push((stream.stream.group.clone(), vec![i])),
            }
        }
        for (group, members) in groups {
            for chunk in members.chunks(MAX_STREAMS_PER_SESSION) {
                let p = self.plans.len();
                let mut plan = LivePlan {
                    group: group.clone(),
                    names: Vec::new(),
                    members: HashMap::new(),
                    current: None,
                    retiring: None,
                    renew_at: None,
                    reconnect_at: None,
                    failures: 0,
                };
                for &i in chunk {
                    let name = self.streams[i].stream.stream.clone();
                    if plan.members.insert(name.clone(), i).is_none() {
                        plan.names.push(name);
                    }
                    self.streams[i].plan = Some(p);
                }
                self.plans.push(plan);
            }
        }
    }

    async fn open_session(&mut self, p: usize) -> Result<Session, CloudError> {
        let plan = &self.plans[p];
        let updates = self.cloud.start_live_tail(&plan.group, &plan.names).await?;
        let channel = self.new_channel();
        Ok(Session {
            channel,
            updates,
            sampled: false,
        })
    }

    /// Open a plan's session when it has none (at start, or to reconnect).
    async fn connect(&mut self, p: usize) -> Result<(), Closed> {
        let now = Instant::now();
        match self.open_session(p).await {
            Ok(session) => {
                let plan = &mut self.plans[p];
                let reconnected = plan.failures > 0;
                plan.current = Some(session);
                plan.failures = 0;
                plan.reconnect_at = None;
                plan.renew_at = Some(now + self.timing.live_renew_after);
                if reconnected {
                    // The streams were polled until now: poll each once more for what was
                    // logged before the session began.
                    for &i in self.plans[p].members.values() {
                        self.streams[i].catch_up = true;
                        self.streams[i].next_poll = now;
                    }
                }
                Ok(())
            }
            Err(error) => {
                let plan = &mut self.plans[p];
                plan.failures += 1;
                let first_failure = plan.failures == 1;
                plan.reconnect_at = if error.is_transient() {
                    Some(now + backoff(&self.timing, plan.failures))
                } else {
                    // Refused (no permission, not offered by this endpoint …): poll for good.
                    None
                };
                tracing::debug!(group = %plan.group, %error, "Live Tail unavailable, polling");
                if first_failure {
                    let attempt = plan.failures;
                    self.set_health(StreamHealth::Reconnecting {
                        attempt,
                        reason: error.to_string(),
                    })
                    .await?;
                }
                Ok(())
            }
        }
    }

    /// Open the successor session; the old one stays open a little longer.
    async fn renew(&mut self, p: usize) {
        let now = Instant::now();
        match self.open_session(p).await {
            Ok(session) => {
                let plan = &mut self.plans[p];
                plan.retiring = plan
                    .current
                    .replace(session)
                    .map(|old| (old, now + RENEWAL_OVERLAP));
                plan.failures = 0;
                plan.renew_at = Some(now + self.timing.live_renew_after);
            }
            Err(error) => {
                let plan = &mut self.plans[p];
                plan.failures += 1;
                plan.renew_at = Some(now + backoff(&self.timing, plan.failures));
                tracing::debug!(group = %plan.group, %error, "Live Tail renewal failed");
            }
        }
    }

    async fn on_update(
        &mut self,
        p: usize,
        channel: u64,
        update: LiveTailUpdate,
    ) -> Result<(), Closed> {
        let plan = &mut self.plans[p];
        if let Some(session) = plan.current.as_mut().filter(|s| s.channel == channel) {
            session.sampled = update.sampled;
        }
        let mut batch = Vec::new();
        for (name, event) in update.events {
            let Some(&i) = self.plans[p].members.get(&name) else {
                continue;
            };
            self.streams[i].exists = true;
            self.admit(i, channel, event, &mut batch);
        }
        self.send_events(batch).await
    }

    async fn on_session_lost(
        &mut self,
        p: usize,
        channel: u64,
        reason: String,
    ) -> Result<(), Closed> {
        let now = Instant::now();
        let plan = &mut self.plans[p];
        if plan
            .retiring
            .as_ref()
            .is_some_and(|(s, _)| s.channel == channel)
        {
            plan.retiring = None;
            return Ok(());
        }
        plan.current = None;
        if let Some((older, _)) = plan.retiring.take() {
            // The successor failed but its predecessor still runs: keep it, renew again soon.
            plan.current = Some(older);
            plan.failures += 1;
            plan.renew_at = Some(now + backoff(&self.timing, plan.failures));
            return Ok(());
        }
        plan.failures += 1;
        let attempt = plan.failures;
        plan.reconnect_at = Some(now + backoff(&self.timing, attempt));
        tracing::debug!(group = %plan.group, %reason, "Live Tail lost, polling until it reconnects");
        let members: Vec<usize> = plan.members.values().copied().collect();
        for i in members {
            self.resume_polling(i, now);
        }
        self.set_health(StreamHealth::Reconnecting { attempt, reason })
            .await
    }

    /// Polling takes over a stream from Live Tail: read again from shortly before the last
    /// line, so nothing logged while the session failed is lost.
    fn resume_polling(&mut self, i: usize, now: Instant) {
        let channel = self.new_channel();
        let stream = &mut self.streams[i];
        if let Some(last) = stream.last_timestamp {
            let from = last - RESUME_OVERLAP_MS;
            stream.cursor = Cursor::Start(Some(self.since.map_or(from, |since| from.max(since))));
            stream.channel = channel;
        }
        stream.catch_up = false;
        stream.interval = self.timing.poll_min;
        stream.next_poll = now;
    }

    async fn on_timers(&mut self) -> Result<(), Closed> {
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
        self.streams[i]
            .plan
            .is_some_and(|p| self.plans[p].current.is_some())
    }

    fn needs_poll(&self, i: usize) -> bool {
        !self.is_live(i) || self.streams[i].catch_up
    }

    fn next_wake(&self) -> Option<Instant> {
        let polls = (0..self.streams.len())
            .filter(|&i| self.needs_poll(i))
            .map(|i| self.streams[i].next_poll)
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

    /// One GetLogEvents per stream that is due, in one pass over the whole set.
    async fn poll_due(&mut self) -> Result<(), Closed> {
        let mut batch = Vec::new();
        for i in 0..self.streams.len() {
            if !self.needs_poll(i) || self.streams[i].next_poll > Instant::now() {
                continue;
            }
            match self.read_page(i).await {
                Ok(page) => {
                    self.recovered();
                    let flowing = !page.events.is_empty();
                    self.accept_page(i, page, &mut batch);
                    let stream = &mut self.streams[i];
                    stream.catch_up = false;
                    stream.interval = if flowing {
                        self.timing.poll_min
                    } else {
                        (stream.interval * 2).min(self.timing.poll_max)
                    };
                    stream.next_poll = Instant::now() + stream.interval;
                }
                Err(error) if error.is_not_found() => {
                    self.recovered();
                    let stream = &mut self.streams[i];
                    stream.catch_up = false;
                    stream.next_poll = Instant::now() + self.timing.waiting_retry;
                }
                Err(error) => {
                    // The quota is per account: one failure pauses the whole set.
                    self.failed(&error);
                    break;
                }
            }
        }
        self.send_events(batch).await
    }

    /// Read what was there before the tail started, merge it across streams, send it.
    async fn backfill(&mut self) -> Result<(), Closed> {
        let mut batch = Vec::new();
        for i in 0..self.streams.len() {
            loop {
                let asked = self.streams[i].cursor.clone();
                match self.read_page(i).await {
                    Ok(page) => {
                        self.recovered();
                        // `since` pages forward until the token repeats; a tail is one page.
                        let done = match (&asked, &page.next_forward_token) {
                            (Cursor::Tail, _) | (_, None) => true,
                            (Cursor::Token(asked), Some(next)) => asked == next,
                            (Cursor::Start(_), Some(_)) => false,
                        };
                        self.accept_page(i, page, &mut batch);
                        if done {
                            break;
                        }
                    }
                    Err(error) if error.is_not_found() => {
                        self.recovered();
                        // Created later, so every line it gets is new: read it from its head.
                        self.streams[i].cursor = Cursor::Start(self.since);
                        break;
                    }
                    Err(error) => {
                        self.failed(&error);
                        self.refresh_health().await?;
                        if let Some(at) = self.resume_at.take() {
                            sleep_until(at).await;
                        }
                    }
                }
            }
        }
        self.send_events(batch).await?;
        self.send(TailMessage::BackfillDone).await
    }

    async fn read_page(&mut self, i: usize) -> Result<LogPage, CloudError> {
        let stream = &self.streams[i];
        let mut query = LogQuery {
            stream: stream.stream.clone(),
            start_time: None,
            next_token: None,
            start_from_head: true,
            limit: None,
        };
        match &stream.cursor {
            Cursor::Tail => {
                query.start_from_head = false;
                query.limit = Some(self.backfill_limit);
            }
            Cursor::Start(start_time) => query.start_time = *start_time,
            Cursor::Token(token) => query.next_token = Some(token.clone()),
        }
        let page = self.cloud.get_log_events(&query).await;
        if let Err(error) = &page {
            tracing::debug!(container = %stream.container, %error, "GetLogEvents failed");
        }
        page
    }

    fn accept_page(&mut self, i: usize, page: LogPage, batch: &mut Vec<TailEvent>) {
        let stream = &mut self.streams[i];
        stream.exists = true;
        if let Some(token) = page.next_forward_token {
            stream.cursor = Cursor::Token(token);
        }
        let channel = stream.channel;
        for event in page.events {
            self.admit(i, channel, event, batch);
        }
    }

    fn admit(&mut self, i: usize, channel: u64, event: RawLogEvent, batch: &mut Vec<TailEvent>) {
        let stream = &mut self.streams[i];
        if !self.dedupe.admit(channel, stream.source, &event) {
            return;
        }
        stream.last_timestamp = stream.last_timestamp.max(Some(event.timestamp));
        batch.push(TailEvent {
            source: stream.source,
            timestamp: event.timestamp,
            ingestion_time: event.ingestion_time,
            message: event.message,
        });
    }

    fn failed(&mut self, error: &CloudError) {
        self.failures += 1;
        let delay = backoff(&self.timing, self.failures);
        self.resume_at = Some(Instant::now() + delay);
        self.trouble = Some(if error.is_throttled() {
            StreamHealth::Throttled { retry_in: delay }
        } else {
            StreamHealth::Reconnecting {
                attempt: self.failures,
                reason: error.to_string(),
            }
        });
    }

    fn recovered(&mut self) {
        self.failures = 0;
        self.trouble = None;
    }

    fn new_channel(&mut self) -> u64 {
        self.next_channel += 1;
        self.next_channel
    }

    fn current_health(&self) -> StreamHealth {
        if let Some(trouble) = &self.trouble {
            return trouble.clone();
        }
        if !self.streams.iter().any(|s| s.exists) {
            return StreamHealth::WaitingForStream;
        }
        let polled = (0..self.streams.len())
            .filter(|&i| self.streams[i].exists && !self.is_live(i))
            .map(|i| self.streams[i].interval)
            .min();
        match polled {
            Some(interval) => StreamHealth::Polling { interval },
            None => StreamHealth::Live {
                sampled: self
                    .plans
                    .iter()
                    .filter_map(|plan| plan.current.as_ref())
                    .any(|session| session.sampled),
            },
        }
    }

    async fn refresh_health(&mut self) -> Result<(), Closed> {
        let health = self.current_health();
        self.set_health(health).await
    }

    async fn set_health(&mut self, health: StreamHealth) -> Result<(), Closed> {
        if self.health.as_ref() == Some(&health) {
            return Ok(());
        }
        self.health = Some(health.clone());
        self.send(TailMessage::Health {
            health,
            last_event_at: self.last_event_at,
        })
        .await
    }

    async fn send_events(&mut self, mut batch: Vec<TailEvent>) -> Result<(), Closed> {
        if batch.is_empty() {
            return Ok(());
        }
        // Stable: lines of one stream with equal timestamps keep their order.
        batch.sort_by_key(|event| event.timestamp);
        self.last_event_at = self.last_event_at.max(batch.last().map(|e| e.timestamp));
        self.send(TailMessage::Events(batch)).await
    }

    async fn send(&mut self, message: TailMessage) -> Result<(), Closed> {
        self.tx.send(message).await.map_err(|_| Closed)
    }
}

/// `poll_min`, doubled per failure, at most `backoff_max`.
fn backoff(timing: &TailTiming, failures: u32) -> Duration {
    let factor = 1u32 << failures.min(16);
    (timing.poll_min * factor).min(timing.backoff_max)
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => future::pending().await,
    }
}

/// The next item of any open session: (plan, session channel, item; `None` = ended).
fn poll_sessions(
    plans: &mut [LivePlan],
    cx: &mut std::task::Context<'_>,
) -> Poll<(usize, u64, Option<Result<LiveTailUpdate, CloudError>>)> {
    for (p, plan) in plans.iter_mut().enumerate() {
        let retiring = plan.retiring.as_mut().map(|(session, _)| session);
        for session in plan.current.iter_mut().chain(retiring) {
            if let Poll::Ready(item) = session.updates.poll_next_unpin(cx) {
                return Poll::Ready((p, session.channel, item));
            }
        }
    }
    Poll::Pending
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EventKey {
    source: u16,
    timestamp: i64,
    digest: u64,
}

#[derive(Default)]
struct Seen {
    delivered: u32,
    /// Copies each channel (a cursor, a Live Tail session) has brought.
    by_channel: Vec<(u64, u32)>,
}

/// Remembers recent events by (source, timestamp, message hash). An event is new when some
/// channel brings more copies of it than were delivered: the same line arriving through two
/// channels goes out once, while a line a program really printed twice goes out twice.
struct Dedupe {
    seen: HashMap<EventKey, Seen>,
    order: VecDeque<EventKey>,
    capacity: usize,
}

impl Dedupe {
    fn new(capacity: usize) -> Dedupe {
        Dedupe {
            seen: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn admit(&mut self, channel: u64, source: u16, event: &RawLogEvent) -> bool {
        let mut hasher = DefaultHasher::new();
        event.message.hash(&mut hasher);
        let key = EventKey {
            source,
            timestamp: event.timestamp,
            digest: hasher.finish(),
        };
        let seen = self.seen.entry(key).or_insert_with(|| {
            self.order.push_back(key);
            Seen::default()
        });
        let copies = match seen.by_channel.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, copies)) => {
                *copies += 1;
                *copies
            }
            None => {
                seen.by_channel.push((channel, 1));
                1
            }
        };
        let fresh = copies > seen.delivered;
        seen.delivered = seen.delivered.max(copies);
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        fresh
    }
}
