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

use ondeck_core::model::{LogPage, LogQuery, LogStreamRef, RawLogEvent};
pub use ondeck_core::tail::*;
use ondeck_core::{Backoff, Cloud, CloudError, LiveTail, LiveTailUpdate};

/// StartLiveTail accepts at most this many stream names.
const MAX_STREAMS_PER_SESSION: usize = 100;
/// Without follow, a read that keeps failing with errors worth retrying ends after this many
/// tries (the SDK has retried each one already).
const ONE_SHOT_ATTEMPTS: u32 = 4;
/// How long a renewed session's predecessor stays open, so nothing falls between the two.
const RENEWAL_OVERLAP: Duration = Duration::from_secs(5);
/// When polling takes over from Live Tail it re-reads this far back; the overlap is deduplicated.
const RESUME_OVERLAP_MS: i64 = 10_000;
/// Distinct events remembered for deduplication at most (about 5 MiB), for bursts.
const DEDUPE_CAPACITY: usize = 32_768;
/// Copies of an event come through overlaps of seconds (a renewal, a resume, the seam after
/// the backfill), all near the newest event: older ones need not be remembered, which keeps a
/// quiet stream's memory small.
const DEDUPE_WINDOW_MS: i64 = 120_000;

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
    let task = tokio::spawn(Tail::new(cloud, spec, tx).run());
    TailHandle { task }
}

/// Why the tail ends early.
enum Stop {
    /// The receiver was dropped.
    Closed,
    /// A lasting error, said in full.
    Failed(String),
}

/// What a failed GetLogEvents means for the stream it was for.
enum Verdict {
    /// The stream (or a group awslogs will create) is not there yet: look again later.
    NotYet,
    /// Worth retrying with backoff.
    Retry,
    Stop(String),
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

/// What a Live Tail session yields next; `None` when it ended.
type SessionItem = Option<Result<LiveTailUpdate, CloudError>>;

enum Wakeup {
    /// (plan, session channel, item)
    Live(usize, u64, SessionItem),
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
            .map(|source| StreamState {
                source: source.index,
                container: source.container,
                stream: source.stream,
                creates_group: source.creates_group,
                cursor: initial.clone(),
                exists: false,
                plan: None,
                interval: spec.timing.poll_min,
                next_poll: now,
                catch_up: false,
                last_timestamp: None,
            })
            .collect::<Vec<_>>();
        let next_channel = 0;
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
            dedupe: Dedupe::new(DEDUPE_CAPACITY, DEDUPE_WINDOW_MS),
            next_channel,
            failures: 0,
            trouble: None,
            resume_at: None,
            health: None,
            last_event_at: None,
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
                live = future::poll_fn(|cx| poll_sessions(&mut self.plans, cx)) => live,
                () = sleep_until_some(wake) => Wakeup::Timer,
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
    async fn connect(&mut self, p: usize) -> Result<(), Stop> {
        let now = Instant::now();
        match self.open_session(p).await {
            Ok(session) => {
                let plan = &mut self.plans[p];
                let reconnected = plan.failures > 0;
                // `failures` stays until the session delivers: one that opens and ends at
                // once keeps backing off.
                plan.current = Some(session);
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
                let transient = error.is_transient();
                plan.reconnect_at = if transient {
                    Some(now + backoff(&self.timing, plan.failures))
                } else {
                    // Refused (no permission, not offered by this endpoint …): poll for good,
                    // which is no trouble to report.
                    None
                };
                tracing::debug!(group = %plan.group, %error, "Live Tail unavailable, polling");
                if first_failure && transient {
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
    ) -> Result<(), Stop> {
        let plan = &mut self.plans[p];
        if let Some(session) = plan.current.as_mut().filter(|s| s.channel == channel) {
            session.sampled = update.sampled;
            plan.failures = 0;
        }
        let mut batch = Vec::new();
        // Each update is its own dedupe channel: only repeats inside one answer are real.
        let update_channel = self.new_channel();
        for (name, event) in update.events {
            let Some(&i) = self.plans[p].members.get(&name) else {
                continue;
            };
            self.streams[i].exists = true;
            self.admit(i, update_channel, event, &mut batch);
        }
        self.send_events(batch).await
    }

    async fn on_session_lost(
        &mut self,
        p: usize,
        channel: u64,
        reason: String,
    ) -> Result<(), Stop> {
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
        let stream = &mut self.streams[i];
        if let Some(last) = stream.last_timestamp {
            let from = last - RESUME_OVERLAP_MS;
            stream.cursor = Cursor::Start(Some(self.since.map_or(from, |since| from.max(since))));
        }
        stream.catch_up = false;
        stream.interval = self.timing.poll_min;
        stream.next_poll = now;
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
    async fn poll_due(&mut self) -> Result<(), Stop> {
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
                Err(error) => match self.judge(i, &error) {
                    Verdict::NotYet => {
                        self.recovered();
                        let stream = &mut self.streams[i];
                        stream.catch_up = false;
                        stream.next_poll = Instant::now() + self.timing.waiting_retry;
                    }
                    Verdict::Retry => {
                        // The quota is per account: one failure pauses the whole set.
                        self.failed(&error);
                        break;
                    }
                    Verdict::Stop(reason) => {
                        self.send_events(batch).await?;
                        return Err(Stop::Failed(reason));
                    }
                },
            }
        }
        self.send_events(batch).await
    }

    /// Read what was there before the tail started, merge it across streams, send it.
    async fn backfill(&mut self) -> Result<(), Stop> {
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
                    Err(error) => match self.judge(i, &error) {
                        Verdict::NotYet => {
                            self.recovered();
                            // Created later, so every line it gets is new: read it from its head.
                            self.streams[i].cursor = Cursor::Start(self.since);
                            break;
                        }
                        Verdict::Retry => {
                            self.failed(&error);
                            self.refresh_health().await?;
                            if let Some(at) = self.resume_at.take() {
                                sleep_until(at).await;
                            }
                        }
                        Verdict::Stop(reason) => {
                            self.send_events(batch).await?;
                            return Err(Stop::Failed(reason));
                        }
                    },
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
        // Each page is its own dedupe channel: a line twice in one answer was printed twice,
        // a line again in a later answer is a re-delivery (a token that re-reads, a seam).
        let channel = self.new_channel();
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

    /// Missing streams are awaited, trouble on the way is retried (without follow, a few
    /// times), anything else ends the tail.
    fn judge(&self, i: usize, error: &CloudError) -> Verdict {
        let stream = &self.streams[i];
        let gave_up = !self.follow && self.failures + 1 >= ONE_SHOT_ATTEMPTS;
        match error {
            CloudError::NoLogStream { .. } => Verdict::NotYet,
            CloudError::NotFound { .. } if stream.creates_group => Verdict::NotYet,
            error if error.is_transient() && !gave_up => Verdict::Retry,
            error if error.is_transient() => Verdict::Stop(format!(
                "cannot read the logs of {} after {ONE_SHOT_ATTEMPTS} tries: {error}",
                stream.container
            )),
            error => Verdict::Stop(format!(
                "cannot read the logs of {}: {error}",
                stream.container
            )),
        }
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

    async fn refresh_health(&mut self) -> Result<(), Stop> {
        let health = self.current_health();
        self.set_health(health).await
    }

    async fn set_health(&mut self, health: StreamHealth) -> Result<(), Stop> {
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

    async fn send_events(&mut self, mut batch: Vec<TailEvent>) -> Result<(), Stop> {
        if batch.is_empty() {
            return Ok(());
        }
        // Stable: lines of one stream with equal timestamps keep their order.
        batch.sort_by_key(|event| event.timestamp);
        self.last_event_at = self.last_event_at.max(batch.last().map(|e| e.timestamp));
        self.send(TailMessage::Events(batch)).await
    }

    async fn send(&mut self, message: TailMessage) -> Result<(), Stop> {
        self.tx.send(message).await.map_err(|_| Stop::Closed)
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

/// The next item of any open session, as a [`Wakeup::Live`].
fn poll_sessions(plans: &mut [LivePlan], cx: &mut std::task::Context<'_>) -> Poll<Wakeup> {
    for (p, plan) in plans.iter_mut().enumerate() {
        let retiring = plan.retiring.as_mut().map(|(session, _)| session);
        for session in plan.current.iter_mut().chain(retiring) {
            if let Poll::Ready(item) = session.updates.poll_next_unpin(cx) {
                return Poll::Ready(Wakeup::Live(p, session.channel, item));
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
    /// Events this far older than the newest are forgotten (see `DEDUPE_WINDOW_MS`).
    window_ms: i64,
    newest: i64,
}

impl Dedupe {
    fn new(capacity: usize, window_ms: i64) -> Dedupe {
        Dedupe {
            seen: HashMap::new(),
            order: VecDeque::new(),
            capacity,
            window_ms,
            newest: i64::MIN,
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
        self.newest = self.newest.max(event.timestamp);
        // Forgotten in arrival order: beyond the capacity, or out of the window.
        let horizon = self.newest.saturating_sub(self.window_ms);
        while let Some(oldest) = self.order.front()
            && (self.order.len() > self.capacity || oldest.timestamp < horizon)
        {
            self.seen.remove(oldest);
            self.order.pop_front();
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use ondeck_core::model::{RunOutcome, RunRequest, Scope, Task, TaskDefinition};

    const GROUP: &str = "/ecs/app";

    struct FakeSession {
        group: String,
        streams: Vec<String>,
        opened_at: Duration,
        updates: mpsc::UnboundedSender<Result<LiveTailUpdate, CloudError>>,
    }

    impl FakeSession {
        fn is_open(&self) -> bool {
            !self.updates.is_closed()
        }
    }

    struct FakeState {
        /// Existing streams by name; GetLogEvents answers NotFound for the others.
        streams: HashMap<String, Vec<RawLogEvent>>,
        page_size: usize,
        /// The next GetLogEvents calls fail with these, in order.
        errors: VecDeque<CloudError>,
        /// The next StartLiveTail calls fail with these, in order; then sessions open.
        live_refusals: VecDeque<CloudError>,
        /// Pushed into every session as soon as it opens.
        live_greeting: Vec<(String, RawLogEvent)>,
        calls: Vec<(Duration, LogQuery)>,
        live_calls: Vec<Duration>,
        sessions: Vec<FakeSession>,
    }

    /// CloudWatch Logs in memory: pages addressed by index tokens, Live Tail sessions fed by
    /// `log`, scripted failures, and a record of every call and when it came.
    struct FakeCloud {
        started: Instant,
        state: Mutex<FakeState>,
    }

    impl FakeCloud {
        fn new() -> Arc<FakeCloud> {
            Arc::new(FakeCloud {
                started: Instant::now(),
                state: Mutex::new(FakeState {
                    streams: HashMap::new(),
                    page_size: 10_000,
                    errors: VecDeque::new(),
                    live_refusals: VecDeque::new(),
                    live_greeting: Vec::new(),
                    calls: Vec::new(),
                    live_calls: Vec::new(),
                    sessions: Vec::new(),
                }),
            })
        }

        fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
            self.state.lock().unwrap()
        }

        /// A line is ingested: stored for GetLogEvents and pushed to open sessions that cover it.
        fn log(&self, stream: &str, timestamp: i64, message: &str) {
            let event = raw(timestamp, message);
            let mut state = self.state();
            state
                .streams
                .entry(stream.to_string())
                .or_default()
                .push(event.clone());
            for session in &state.sessions {
                if session.is_open() && session.streams.iter().any(|s| s == stream) {
                    let update = LiveTailUpdate {
                        events: vec![(stream.to_string(), event.clone())],
                        sampled: false,
                    };
                    let _ = session.updates.send(Ok(update));
                }
            }
        }

        fn create_stream(&self, stream: &str) {
            self.state().streams.entry(stream.to_string()).or_default();
        }

        fn fail_next(&self, errors: impl IntoIterator<Item = CloudError>) {
            self.state().errors.extend(errors);
        }

        /// Seconds since the fake was made, of each GetLogEvents call.
        fn call_times(&self) -> Vec<f64> {
            let state = self.state();
            state.calls.iter().map(|(at, _)| at.as_secs_f64()).collect()
        }

        fn calls(&self) -> Vec<LogQuery> {
            let state = self.state();
            state.calls.iter().map(|(_, query)| query.clone()).collect()
        }

        fn open_sessions(&self) -> usize {
            self.state().sessions.iter().filter(|s| s.is_open()).count()
        }
    }

    #[async_trait]
    impl Cloud for FakeCloud {
        async fn list_tasks(&self, _: &Scope) -> Result<Vec<Task>, CloudError> {
            unreachable!("the tail does not list tasks")
        }

        async fn describe_tasks(&self, _: &[String]) -> Result<Vec<Task>, CloudError> {
            unreachable!("the tail does not describe tasks")
        }

        async fn describe_task_definition(&self, _: &str) -> Result<TaskDefinition, CloudError> {
            unreachable!("the tail does not describe task definitions")
        }

        async fn run_task(&self, _: &RunRequest) -> Result<RunOutcome, CloudError> {
            unreachable!("the tail does not run tasks")
        }

        async fn stop_task(&self, _: &str, _: &str) -> Result<(), CloudError> {
            unreachable!("the tail does not stop tasks")
        }

        async fn tag_task(&self, _: &str, _: &BTreeMap<String, String>) -> Result<(), CloudError> {
            unreachable!("the tail does not tag tasks")
        }

        async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError> {
            let mut state = self.state();
            state.calls.push((self.started.elapsed(), query.clone()));
            if let Some(error) = state.errors.pop_front() {
                return Err(error);
            }
            let Some(events) = state.streams.get(&query.stream.stream) else {
                return Err(CloudError::NoLogStream {
                    group: query.stream.group.clone(),
                    stream: query.stream.stream.clone(),
                });
            };
            let limit = query.limit.map_or(usize::MAX, |l| l as usize);
            let (start, end) = if let Some(token) = &query.next_token {
                let start: usize = token.parse().unwrap();
                (start, start + limit.min(state.page_size))
            } else if !query.start_from_head {
                (events.len().saturating_sub(limit), events.len())
            } else {
                let start = query.start_time.map_or(0, |time| {
                    events
                        .iter()
                        .position(|e| e.timestamp >= time)
                        .unwrap_or(events.len())
                });
                (start, start + limit.min(state.page_size))
            };
            let end = end.min(events.len());
            Ok(LogPage {
                events: events[start..end].to_vec(),
                next_forward_token: Some(end.to_string()),
            })
        }

        async fn start_live_tail(
            &self,
            group: &str,
            streams: &[String],
        ) -> Result<LiveTail, CloudError> {
            let mut state = self.state();
            state.live_calls.push(self.started.elapsed());
            if let Some(error) = state.live_refusals.pop_front() {
                return Err(error);
            }
            let (tx, mut rx) = mpsc::unbounded_channel();
            if !state.live_greeting.is_empty() {
                let update = LiveTailUpdate {
                    events: state.live_greeting.clone(),
                    sampled: false,
                };
                tx.send(Ok(update)).unwrap();
            }
            state.sessions.push(FakeSession {
                group: group.to_string(),
                streams: streams.to_vec(),
                opened_at: self.started.elapsed(),
                updates: tx,
            });
            let updates = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
            Ok(Box::pin(updates))
        }

        fn describe_endpoint(&self) -> String {
            "fake".into()
        }
    }

    fn raw(timestamp: i64, message: &str) -> RawLogEvent {
        RawLogEvent {
            timestamp,
            ingestion_time: timestamp + 5,
            message: message.to_string(),
        }
    }

    fn source(index: u16, stream: &str) -> TailSource {
        TailSource {
            index,
            container: format!("container-{index}"),
            stream: LogStreamRef {
                group: GROUP.into(),
                stream: stream.into(),
            },
            creates_group: false,
        }
    }

    fn spec(sources: Vec<TailSource>, prefer_live: bool) -> TailSpec {
        TailSpec {
            sources,
            since: None,
            backfill_limit: 100,
            follow: true,
            prefer_live,
            timing: TailTiming::default(),
        }
    }

    fn start(cloud: &Arc<FakeCloud>, spec: TailSpec) -> (TailHandle, mpsc::Receiver<TailMessage>) {
        let (tx, rx) = mpsc::channel(10_000);
        let cloud: Arc<dyn Cloud> = cloud.clone();
        (spawn_tail(cloud, spec, tx), rx)
    }

    fn drain(rx: &mut mpsc::Receiver<TailMessage>) -> Vec<TailMessage> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    fn lines(messages: &[TailMessage]) -> Vec<(u16, i64, String)> {
        messages
            .iter()
            .filter_map(|m| match m {
                TailMessage::Events(events) => Some(events),
                _ => None,
            })
            .flatten()
            .map(|e| (e.source, e.timestamp, e.message.clone()))
            .collect()
    }

    fn healths(messages: &[TailMessage]) -> Vec<StreamHealth> {
        messages
            .iter()
            .filter_map(|m| match m {
                TailMessage::Health { health, .. } => Some(health.clone()),
                _ => None,
            })
            .collect()
    }

    fn polling(seconds: u64) -> StreamHealth {
        StreamHealth::Polling {
            interval: Duration::from_secs(seconds),
        }
    }

    fn gaps(times: &[f64]) -> Vec<f64> {
        times.windows(2).map(|w| w[1] - w[0]).collect()
    }

    async fn sleep_secs(seconds: f64) {
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    }

    fn throttled() -> CloudError {
        CloudError::Throttled {
            action: "logs:GetLogEvents".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn polling_slows_down_when_idle_and_speeds_up_on_new_lines() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(7, "a")], false));

        sleep_secs(30.5).await;
        assert_eq!(cloud.call_times(), [0.0, 1.0, 3.0, 7.0, 15.0, 25.0]);
        let backfill = &cloud.calls()[0];
        assert!(!backfill.start_from_head);
        assert_eq!(backfill.limit, Some(100));
        let poll = &cloud.calls()[1];
        assert_eq!(poll.next_token.as_deref(), Some("1"));
        assert!(poll.start_from_head);
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(7, 1_000, "hello".to_string())]);
        assert!(messages.contains(&TailMessage::BackfillDone));
        assert_eq!(
            healths(&messages),
            [
                StreamHealth::Starting,
                polling(1),
                polling(2),
                polling(4),
                polling(8),
                polling(10)
            ]
        );

        cloud.log("a", 2_000, "again");
        sleep_secs(10.0).await;
        // Found at 35 s, then back to one second, then slowing down again.
        assert_eq!(gaps(&cloud.call_times()[5..]), [10.0, 1.0, 2.0]);
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(7, 2_000, "again".to_string())]);
        assert_eq!(healths(&messages), [polling(1), polling(2), polling(4)]);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_backs_off_up_to_the_ceiling_and_recovers() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));
        sleep_secs(0.5).await;
        cloud.fail_next((0..7).map(|_| throttled()));

        sleep_secs(200.0).await;
        // Throttled at 1, 3, 7, 15, 31, 63 and 123 s; 183 s succeeds, then polling resumes.
        assert_eq!(
            gaps(&cloud.call_times()[1..]),
            [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 2.0, 4.0, 8.0]
        );
        let retries: Vec<u64> = healths(&drain(&mut rx))
            .iter()
            .filter_map(|h| match h {
                StreamHealth::Throttled { retry_in } => Some(retry_in.as_secs()),
                _ => None,
            })
            .collect();
        // Health goes out on change only: the second 60 s wait is not repeated.
        assert_eq!(retries, [2, 4, 8, 16, 32, 60]);

        cloud.log("a", 2_000, "after the storm");
        sleep_secs(20.0).await;
        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [(0, 2_000, "after the storm".to_string())]
        );
        assert_eq!(healths(&messages)[0], polling(1));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_say_reconnecting_with_the_attempt_and_never_stop() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));
        sleep_secs(0.5).await;
        let unreachable = CloudError::Unreachable {
            endpoint: "logs.eu-west-1.amazonaws.com".into(),
            detail: "connection reset".into(),
        };
        cloud.fail_next([unreachable.clone(), unreachable]);
        cloud.log("a", 2_000, "still here");

        sleep_secs(10.0).await;
        let messages = drain(&mut rx);
        let attempts: Vec<u32> = healths(&messages)
            .iter()
            .filter_map(|h| match h {
                StreamHealth::Reconnecting { attempt, reason } => {
                    assert!(reason.contains("connection reset"), "{reason}");
                    Some(*attempt)
                }
                _ => None,
            })
            .collect();
        assert_eq!(attempts, [1, 2]);
        // Failed at 1 and 3 s, recovered at 7 s with a line, idle at 8 and 10 s.
        assert_eq!(cloud.call_times(), [0.0, 1.0, 3.0, 7.0, 8.0, 10.0]);
        let healths = healths(&messages);
        assert_eq!(
            healths[healths.len() - 3..],
            [polling(1), polling(2), polling(4)]
        );
        assert_eq!(
            lines(&messages),
            [(0, 1_000, "hello".into()), (0, 2_000, "still here".into())]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_does_not_exist_yet_is_awaited_quietly() {
        let cloud = FakeCloud::new();
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));

        sleep_secs(7.0).await;
        assert_eq!(cloud.call_times(), [0.0, 3.0, 6.0]);
        let messages = drain(&mut rx);
        assert_eq!(
            messages,
            [
                TailMessage::Health {
                    health: StreamHealth::Starting,
                    last_event_at: None
                },
                TailMessage::BackfillDone,
                TailMessage::Health {
                    health: StreamHealth::WaitingForStream,
                    last_event_at: None
                },
            ]
        );

        cloud.log("a", 5_000, "first");
        cloud.log("a", 5_001, "second");
        sleep_secs(3.0).await;
        let found = &cloud.calls()[3];
        assert!(found.start_from_head && found.start_time.is_none() && found.next_token.is_none());
        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [(0, 5_000, "first".into()), (0, 5_001, "second".into())]
        );
        assert_eq!(
            messages.last(),
            Some(&TailMessage::Health {
                health: polling(1),
                last_event_at: Some(5_001)
            })
        );
    }

    fn denied() -> CloudError {
        CloudError::AccessDenied {
            action: "logs:GetLogEvents".into(),
            detail: "not authorized".into(),
        }
    }

    fn missing_group() -> CloudError {
        CloudError::NotFound {
            what: format!("log group {GROUP}"),
            detail: "check awslogs-group".into(),
        }
    }

    fn unreachable() -> CloudError {
        CloudError::Unreachable {
            endpoint: "logs.eu-west-1.amazonaws.com".into(),
            detail: "connection reset".into(),
        }
    }

    /// The reason of the tail's last word, when it stopped on an error.
    fn failure(messages: &[TailMessage]) -> Option<String> {
        match healths(messages).last() {
            Some(StreamHealth::Failed { reason }) => Some(reason.clone()),
            _ => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_follow_a_lasting_error_ends_the_tail_with_its_reason() {
        let undecodable = CloudError::Service {
            action: "logs:GetLogEvents".into(),
            code: "UnknownError".into(),
            message: "invalid escape at line 1".into(),
        };
        let invalid = CloudError::Invalid {
            action: "logs:GetLogEvents".into(),
            detail: "1 validation error detected".into(),
        };
        for (error, says) in [
            (denied(), "ask for logs:GetLogEvents"),
            (missing_group(), "log group /ecs/app not found"),
            (invalid, "validation error"),
            (undecodable, "invalid escape"),
        ] {
            let cloud = FakeCloud::new();
            cloud.log("a", 1_000, "hello");
            cloud.fail_next([error]);
            let mut once = spec(vec![source(0, "a")], false);
            once.follow = false;
            let (handle, mut rx) = start(&cloud, once);
            sleep_secs(600.0).await;

            assert!(handle.is_finished(), "{says}: the tail still runs");
            assert_eq!(cloud.call_times(), [0.0], "{says}: asked again");
            let messages = drain(&mut rx);
            let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
            assert!(reason.contains("container-0"), "{reason}");
            assert!(reason.contains(says), "{reason}");
            assert!(!messages.contains(&TailMessage::BackfillDone));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_follow_trouble_on_the_way_is_retried_a_few_times_then_reported() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud.fail_next((0..10).map(|_| unreachable()));
        let mut once = spec(vec![source(0, "a")], false);
        once.follow = false;
        let (handle, mut rx) = start(&cloud, once);
        sleep_secs(600.0).await;

        assert!(handle.is_finished());
        assert_eq!(cloud.call_times(), [0.0, 2.0, 6.0, 14.0]);
        let messages = drain(&mut rx);
        let attempts: Vec<u32> = healths(&messages)
            .iter()
            .filter_map(|h| match h {
                StreamHealth::Reconnecting { attempt, .. } => Some(*attempt),
                _ => None,
            })
            .collect();
        assert_eq!(attempts, [1, 2, 3], "each retry is said");
        let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
        assert!(reason.contains("after 4 tries"), "{reason}");
        assert!(reason.contains("connection reset"), "{reason}");

        // Trouble that passes within the tries is no failure.
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud.fail_next([unreachable(), unreachable()]);
        let mut once = spec(vec![source(0, "a")], false);
        once.follow = false;
        let (_handle, mut rx) = start(&cloud, once);
        sleep_secs(600.0).await;
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(0, 1_000, "hello".into())]);
        assert_eq!(healths(&messages).last(), Some(&StreamHealth::Ended));
    }

    #[tokio::test(start_paused = true)]
    async fn a_follow_stops_on_a_lasting_error_but_not_on_a_missing_stream() {
        for error in [denied(), missing_group()] {
            let cloud = FakeCloud::new();
            cloud.log("a", 1_000, "hello");
            let (handle, mut rx) = start(&cloud, spec(vec![source(0, "a"), source(1, "b")], false));
            sleep_secs(10.0).await;
            assert!(!handle.is_finished(), "stream b is awaited quietly");
            let asked = cloud.call_times().len();
            cloud.fail_next([error.clone()]);
            sleep_secs(600.0).await;

            assert!(handle.is_finished(), "{error}: the follow still runs");
            assert_eq!(cloud.call_times().len(), asked + 1, "{error}: asked again");
            let messages = drain(&mut rx);
            assert_eq!(lines(&messages), [(0, 1_000, "hello".into())]);
            let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
            assert!(reason.contains(&error.to_string()), "{reason}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_that_awslogs_creates_is_awaited_like_a_stream() {
        let cloud = FakeCloud::new();
        cloud.fail_next((0..3).map(|_| missing_group()));
        let mut created = source(0, "a");
        created.creates_group = true;
        let (handle, mut rx) = start(&cloud, spec(vec![created], false));
        sleep_secs(7.0).await;
        assert_eq!(cloud.call_times(), [0.0, 3.0, 6.0]);
        cloud.log("a", 5_000, "first");
        sleep_secs(3.0).await;

        assert!(!handle.is_finished());
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(0, 5_000, "first".into())]);
        assert!(
            !healths(&messages).iter().any(|h| matches!(
                h,
                StreamHealth::Reconnecting { .. } | StreamHealth::Failed { .. }
            )),
            "{messages:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn live_tail_covers_a_stream_that_appears_later_without_polling() {
        let cloud = FakeCloud::new();
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        sleep_secs(30.0).await;
        assert_eq!(cloud.call_times(), [0.0], "only the backfill asked");
        assert_eq!(
            healths(&drain(&mut rx)),
            [StreamHealth::Starting, StreamHealth::WaitingForStream]
        );

        cloud.log("a", 31_000, "up");
        sleep_secs(1.0).await;
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(0, 31_000, "up".into())]);
        assert_eq!(healths(&messages), [StreamHealth::Live { sampled: false }]);
        assert_eq!(cloud.call_times().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_seam_between_backfill_and_live_tail_delivers_each_line_once() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "old");
        cloud.log("a", 2_000, "at the seam");
        // The session opens just as this line is ingested: it is in both.
        cloud.state().live_greeting = vec![("a".into(), raw(2_000, "at the seam"))];
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        sleep_secs(1.0).await;
        cloud.log("a", 3_000, "new");
        sleep_secs(1.0).await;

        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [
                (0, 1_000, "old".into()),
                (0, 2_000, "at the seam".into()),
                (0, 3_000, "new".into())
            ]
        );
        let done = messages
            .iter()
            .position(|m| *m == TailMessage::BackfillDone);
        assert_eq!(done, Some(2), "backfill, then done, then live lines");
        assert_eq!(
            healths(&messages),
            [
                StreamHealth::Starting,
                StreamHealth::Live { sampled: false }
            ]
        );
        assert_eq!(cloud.call_times().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn live_tail_is_renewed_before_three_hours_without_duplicates() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        let renew_after = TailTiming::default().live_renew_after.as_secs_f64();

        sleep_secs(renew_after + 1.0).await;
        assert_eq!(cloud.state().live_calls.len(), 2);
        assert_eq!(
            cloud.state().sessions[1].opened_at,
            TailTiming::default().live_renew_after
        );
        assert_eq!(cloud.open_sessions(), 2, "the old one overlaps the new one");
        cloud.log("a", 10_000_000, "during the overlap");

        sleep_secs(10.0).await;
        assert!(!cloud.state().sessions[0].is_open(), "old session closed");
        assert!(cloud.state().sessions[1].is_open());
        cloud.log("a", 10_020_000, "after the overlap");
        sleep_secs(1.0).await;

        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [
                (0, 1_000, "hello".into()),
                (0, 10_000_000, "during the overlap".into()),
                (0, 10_020_000, "after the overlap".into())
            ]
        );
        assert_eq!(
            healths(&messages),
            [
                StreamHealth::Starting,
                StreamHealth::Live { sampled: false }
            ]
        );
        assert_eq!(cloud.call_times().len(), 1, "no polling while live");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_live_tail_falls_back_to_polling_for_good() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud
            .state()
            .live_refusals
            .push_back(CloudError::AccessDenied {
                action: "logs:StartLiveTail".into(),
                detail: "not authorized".into(),
            });
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        sleep_secs(0.5).await;
        cloud.log("a", 2_000, "polled");
        sleep_secs(600.0).await;

        assert_eq!(cloud.state().live_calls.len(), 1, "not asked again");
        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [(0, 1_000, "hello".into()), (0, 2_000, "polled".into())]
        );
        // Polling for good is no trouble: nothing says "reconnecting".
        let healths = healths(&messages);
        assert_eq!(healths[..2], [StreamHealth::Starting, polling(1)]);
        assert_eq!(healths.last(), Some(&polling(10)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_live_tail_is_retried_and_then_replaces_polling() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud
            .state()
            .live_refusals
            .push_back(CloudError::Throttled {
                action: "logs:StartLiveTail".into(),
            });
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        // Logged after the poll at 1 s and before the session opens at 2 s: only the
        // catch-up poll can see it.
        sleep_secs(1.5).await;
        cloud.log("a", 1_500, "before live");
        sleep_secs(1.0).await;

        assert_eq!(
            cloud.state().live_calls,
            [Duration::ZERO, Duration::from_secs(2)]
        );
        assert_eq!(cloud.call_times(), [0.0, 1.0, 2.0]);
        cloud.log("a", 3_000, "live");
        sleep_secs(30.0).await;
        assert_eq!(cloud.call_times().len(), 3, "no polling once live");
        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [
                (0, 1_000, "hello".into()),
                (0, 1_500, "before live".into()),
                (0, 3_000, "live".into())
            ]
        );
        assert_eq!(
            healths(&messages).last(),
            Some(&StreamHealth::Live { sampled: false })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lines_are_delivered_exactly_once_when_polling_rereads_what_live_tail_sent() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        sleep_secs(1.0).await;
        cloud.log("a", 5_000, "live one");
        // A program really printing the same line twice in one millisecond.
        cloud.log("a", 5_000, "twice");
        cloud.log("a", 5_000, "twice");
        sleep_secs(1.0).await;

        // The session breaks; polling re-reads from shortly before the last line.
        let session = cloud.state().sessions.remove(0);
        session
            .updates
            .send(Err(CloudError::Service {
                action: "logs:StartLiveTail".into(),
                code: "SessionStreamingException".into(),
                message: "stream broke".into(),
            }))
            .unwrap();
        drop(session);
        cloud.log("a", 6_000, "while polling");
        sleep_secs(1.0).await;
        let reread = &cloud.calls()[1];
        assert_eq!(reread.start_time, Some(5_000 - RESUME_OVERLAP_MS));

        sleep_secs(5.0).await;
        assert_eq!(cloud.open_sessions(), 1, "reconnected");
        cloud.log("a", 9_000, "live again");
        sleep_secs(20.0).await;

        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [
                (0, 1_000, "hello".into()),
                (0, 5_000, "live one".into()),
                (0, 5_000, "twice".into()),
                (0, 5_000, "twice".into()),
                (0, 6_000, "while polling".into()),
                (0, 9_000, "live again".into()),
            ]
        );
        let healths = healths(&messages);
        assert!(
            healths.iter().any(|h| matches!(h, StreamHealth::Reconnecting { attempt: 1, reason } if reason.contains("stream broke"))),
            "{healths:?}"
        );
        assert!(healths.contains(&polling(1)));
        assert_eq!(healths.last(), Some(&StreamHealth::Live { sampled: false }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_just_ends_is_reconnected_with_growing_backoff() {
        let cloud = FakeCloud::new();
        cloud.create_stream("a");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        let mut ended = Vec::new();
        for _ in 0..3 {
            while cloud.open_sessions() == 0 {
                sleep_secs(0.25).await;
            }
            sleep_secs(0.5).await;
            cloud.state().sessions.clear();
            ended.push(cloud.started.elapsed().as_secs_f64());
        }
        sleep_secs(20.0).await;
        let opened: Vec<f64> = cloud
            .state()
            .live_calls
            .iter()
            .map(Duration::as_secs_f64)
            .collect();
        let waits: Vec<f64> = ended.iter().zip(&opened[1..]).map(|(e, o)| o - e).collect();
        assert_eq!(waits, [2.0, 4.0, 8.0]);
        assert_eq!(opened.len(), 4);
        assert_eq!(cloud.open_sessions(), 1);
        let healths = healths(&drain(&mut rx));
        let attempts: Vec<u32> = healths
            .iter()
            .filter_map(|h| match h {
                StreamHealth::Reconnecting { attempt, .. } => Some(*attempt),
                _ => None,
            })
            .collect();
        assert_eq!(attempts, [1, 2, 3]);
        assert_eq!(healths.last(), Some(&StreamHealth::Live { sampled: false }));
        // Polled only between sessions: backfill, then the re-read and the catch-up each time.
        assert!(
            cloud.call_times().len() <= 1 + 3 * 4,
            "{:?}",
            cloud.call_times()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_handle_stops_polling_and_closes_live_tail() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud.log("b", 1_000, "hello");
        let sources = vec![source(0, "a"), {
            let mut other = source(1, "b");
            other.stream.group = "/ecs/other".into();
            other
        }];
        cloud
            .state()
            .live_refusals
            .push_back(CloudError::Refused("no live tail".into()));
        let (handle, _rx) = start(&cloud, spec(sources, true));
        sleep_secs(5.0).await;
        assert_eq!(cloud.open_sessions(), 1, "one group live, the other polled");
        let calls = cloud.call_times().len();
        assert!(calls > 2, "polling ran: {calls}");

        drop(handle);
        sleep_secs(120.0).await;
        assert_eq!(cloud.call_times().len(), calls);
        assert_eq!(cloud.open_sessions(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_tail_ends_when_the_receiver_is_gone() {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        let (handle, rx) = start(&cloud, spec(vec![source(0, "a")], false));
        sleep_secs(5.0).await;
        drop(rx);
        sleep_secs(1.0).await;
        assert!(handle.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn a_backfill_since_pages_to_the_end_and_merges_streams_by_time() {
        let cloud = FakeCloud::new();
        cloud.state().page_size = 2;
        for (ts, line) in [
            (100, "a0"),
            (200, "a1"),
            (300, "a2"),
            (400, "a3"),
            (500, "a4"),
        ] {
            cloud.log("a", ts, line);
        }
        for (ts, line) in [(150, "b0"), (250, "b1"), (450, "b2")] {
            cloud.log("b", ts, line);
        }
        let mut spec = spec(vec![source(0, "a"), source(1, "b"), source(2, "c")], true);
        spec.since = Some(200);
        spec.follow = false;
        let (handle, mut rx) = start(&cloud, spec);
        sleep_secs(1.0).await;

        let messages = drain(&mut rx);
        let expected = [
            (0, 200, "a1"),
            (1, 250, "b1"),
            (0, 300, "a2"),
            (0, 400, "a3"),
            (1, 450, "b2"),
            (0, 500, "a4"),
        ]
        .map(|(source, ts, line)| (source, ts, line.to_string()));
        assert_eq!(lines(&messages), expected);
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[2], TailMessage::BackfillDone);
        assert_eq!(
            messages[3],
            TailMessage::Health {
                health: StreamHealth::Ended,
                last_event_at: Some(500)
            }
        );
        assert!(handle.is_finished());
        assert!(
            cloud.state().live_calls.is_empty(),
            "no Live Tail without follow"
        );

        let calls = cloud.calls();
        let a: Vec<_> = calls.iter().filter(|q| q.stream.stream == "a").collect();
        assert_eq!(a[0].start_time, Some(200));
        assert!(a[0].start_from_head);
        // Pages of two from "1": tokens 3, 5, then 5 again marks the end.
        let tokens: Vec<_> = a[1..]
            .iter()
            .map(|q| q.next_token.clone().unwrap())
            .collect();
        assert_eq!(tokens, ["3", "5"]);
        assert_eq!(calls.len(), 3 + 2 + 1, "a: 3 pages, b: 2 pages, c: missing");
    }

    #[tokio::test(start_paused = true)]
    async fn live_tail_opens_one_session_per_group_and_hundred_streams() {
        let cloud = FakeCloud::new();
        let mut sources: Vec<TailSource> = (0..150)
            .map(|i| source(i, &format!("web/app/{i}")))
            .collect();
        sources.push(TailSource {
            index: 150,
            container: "worker".into(),
            stream: LogStreamRef {
                group: "/ecs/worker".into(),
                stream: "worker/app/1".into(),
            },
            creates_group: false,
        });
        let (_handle, _rx) = start(&cloud, spec(sources, true));
        sleep_secs(1.0).await;

        let state = cloud.state();
        let sessions: Vec<(&str, usize)> = state
            .sessions
            .iter()
            .map(|s| (s.group.as_str(), s.streams.len()))
            .collect();
        assert_eq!(sessions, [(GROUP, 100), (GROUP, 50), ("/ecs/worker", 1)]);
        assert_eq!(state.sessions[1].streams[0], "web/app/100");
    }

    #[tokio::test(start_paused = true)]
    async fn live_lines_map_to_their_source_and_report_sampling() {
        let cloud = FakeCloud::new();
        cloud.create_stream("a");
        cloud.create_stream("b");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(4, "a"), source(9, "b")], true));
        sleep_secs(1.0).await;
        let update = LiveTailUpdate {
            events: vec![
                ("b".into(), raw(2_000, "from b")),
                ("a".into(), raw(1_000, "from a")),
                ("unknown".into(), raw(1_500, "not ours")),
            ],
            sampled: true,
        };
        cloud.state().sessions[0].updates.send(Ok(update)).unwrap();
        sleep_secs(1.0).await;

        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [(4, 1_000, "from a".into()), (9, 2_000, "from b".into())]
        );
        assert_eq!(
            messages.last(),
            Some(&TailMessage::Health {
                health: StreamHealth::Live { sampled: true },
                last_event_at: Some(2_000)
            })
        );
    }

    #[test]
    fn dedupe_forgets_events_long_before_the_newest() {
        let mut dedupe = Dedupe::new(1_000, 60_000);
        // Ten minutes of a line a second.
        for ts in (0..600_000).step_by(1_000) {
            assert!(dedupe.admit(1, 0, &raw(ts, "tick")));
        }
        assert_eq!(dedupe.seen.len(), 61, "a minute's worth is kept, not ten");
        assert!(
            !dedupe.admit(2, 0, &raw(590_000, "tick")),
            "in the window: a copy"
        );
        assert!(
            dedupe.admit(2, 0, &raw(500_000, "tick")),
            "out of it: forgotten"
        );
    }

    #[test]
    fn dedupe_forgets_the_oldest_events_beyond_its_capacity() {
        let mut dedupe = Dedupe::new(3, DEDUPE_WINDOW_MS);
        for ts in 0..5 {
            assert!(dedupe.admit(1, 0, &raw(ts, "x")));
        }
        assert_eq!(dedupe.seen.len(), 3);
        assert!(!dedupe.admit(2, 0, &raw(4, "x")), "recent: remembered");
        assert!(dedupe.admit(2, 0, &raw(0, "x")), "oldest: forgotten");
        assert!(dedupe.admit(2, 1, &raw(4, "x")), "another source");
        assert!(dedupe.admit(2, 0, &raw(4, "y")), "another message");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_renewal_keeps_the_old_session_and_tries_again() {
        let cloud = FakeCloud::new();
        cloud.create_stream("a");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
        sleep_secs(1.0).await;
        cloud.state().live_refusals.push_back(CloudError::Timeout {
            action: "logs:StartLiveTail".into(),
        });
        let renew_after = TailTiming::default().live_renew_after.as_secs_f64();

        sleep_secs(renew_after).await;
        assert_eq!(cloud.open_sessions(), 1, "the first session still runs");
        assert!(cloud.state().sessions[0].is_open());
        sleep_secs(2.0).await;
        let opened: Vec<f64> = cloud
            .state()
            .live_calls
            .iter()
            .map(Duration::as_secs_f64)
            .collect();
        assert_eq!(opened, [0.0, renew_after, renew_after + 2.0]);
        cloud.log("a", 1_000, "seen once");
        sleep_secs(10.0).await;
        assert_eq!(cloud.open_sessions(), 1);
        assert!(cloud.state().sessions[1].is_open(), "the successor remains");
        let messages = drain(&mut rx);
        assert_eq!(lines(&messages), [(0, 1_000, "seen once".into())]);
        assert_eq!(cloud.call_times().len(), 1, "no polling meanwhile");
    }
}
