//! Live Tail: sessions of up to 100 streams per group, renewed before CloudWatch ends them,
//! reconnected with backoff, with polling covering their streams while they are down.

use std::collections::HashMap;
use std::task::Poll;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

use super::{Cursor, Stop, Tail, backoff};
use ondeck_core::tail::{StreamHealth, TailSource};
use ondeck_core::{CloudError, LiveTail, LiveTailUpdate};

/// StartLiveTail accepts at most this many stream names.
const MAX_STREAMS_PER_SESSION: usize = 100;

/// How long a renewed session's predecessor stays open, so nothing falls between the two.
const RENEWAL_OVERLAP: Duration = Duration::from_secs(5);

pub(super) struct Session {
    pub(super) channel: u64,
    pub(super) updates: LiveTail,
    pub(super) sampled: bool,
    /// How many of the plan's names it was opened with: names added later wait for the next.
    pub(super) covers: usize,
}

/// Live Tail for up to 100 streams of one group.
pub(super) struct LivePlan {
    pub(super) group: String,
    pub(super) names: Vec<String>,
    pub(super) members: HashMap<String, usize>,
    pub(super) current: Option<Session>,
    /// The session being replaced, closed at `retire_at`.
    pub(super) retiring: Option<(Session, Instant)>,
    pub(super) renew_at: Option<Instant>,
    pub(super) reconnect_at: Option<Instant>,
    pub(super) failures: u32,
}

/// What a Live Tail session yields next; `None` when it ended.
pub(super) type SessionItem = Option<Result<LiveTailUpdate, CloudError>>;

pub(super) enum Wakeup {
    /// (plan, session channel, item)
    Live(usize, u64, SessionItem),
    Timer,
    /// Sources to follow as well.
    Added(Vec<TailSource>),
}

impl LivePlan {
    fn new(group: String) -> LivePlan {
        LivePlan {
            group,
            names: Vec::new(),
            members: HashMap::new(),
            current: None,
            retiring: None,
            renew_at: None,
            reconnect_at: None,
            failures: 0,
        }
    }
}

impl Tail {
    /// Gives the streams `from..` to Live Tail, by log group and at most 100 per session: a
    /// plan of their group with room takes them and is renewed to cover them (its streams stay
    /// live meanwhile), otherwise a new plan is connected.
    pub(super) async fn cover_live(&mut self, from: usize) -> Result<(), Stop> {
        let first_new = self.plans.len();
        let mut grown = Vec::new();
        for i in from..self.streams.len() {
            let group = self.streams[i].stream.group.clone();
            let name = self.streams[i].stream.stream.clone();
            let has_it = |plan: &LivePlan| plan.group == group && plan.members.contains_key(&name);
            let has_room =
                |plan: &LivePlan| plan.group == group && plan.names.len() < MAX_STREAMS_PER_SESSION;
            let p = match self.plans.iter().position(has_it) {
                Some(p) => p,
                None => match self.plans.iter().rposition(has_room) {
                    Some(p) => p,
                    None => {
                        self.plans.push(LivePlan::new(group));
                        self.plans.len() - 1
                    }
                },
            };
            let plan = &mut self.plans[p];
            let place = match plan.names.iter().position(|n| *n == name) {
                Some(place) => place,
                None => {
                    plan.names.push(name.clone());
                    if p < first_new && !grown.contains(&p) {
                        grown.push(p);
                    }
                    plan.names.len() - 1
                }
            };
            plan.members.insert(name, i);
            self.streams[i].plan = Some((p, place));
        }
        for p in first_new..self.plans.len() {
            self.connect(p).await?;
        }
        for p in grown {
            // Without a session the plan reconnects with every name, or is polled for good.
            if self.plans[p].current.is_some() {
                self.renew(p).await;
            }
        }
        Ok(())
    }

    async fn open_session(&mut self, p: usize) -> Result<Session, CloudError> {
        let plan = &self.plans[p];
        let covers = plan.names.len();
        let updates = self.cloud.start_live_tail(&plan.group, &plan.names).await?;
        let channel = self.new_channel();
        Ok(Session {
            channel,
            updates,
            sampled: false,
            covers,
        })
    }

    /// The streams of plan `p` at these places among its names.
    fn members_at(&self, p: usize, places: std::ops::Range<usize>) -> Vec<usize> {
        (0..self.streams.len())
            .filter(|&i| {
                self.streams[i]
                    .plan
                    .is_some_and(|(q, place)| q == p && places.contains(&place))
            })
            .collect()
    }

    /// Open a plan's session when it has none (at start, or to reconnect).
    pub(super) async fn connect(&mut self, p: usize) -> Result<(), Stop> {
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
    pub(super) async fn renew(&mut self, p: usize) {
        let now = Instant::now();
        match self.open_session(p).await {
            Ok(session) => {
                let covers = session.covers;
                let plan = &mut self.plans[p];
                let old = plan.current.replace(session);
                let covered = old.as_ref().map_or(0, |old| old.covers);
                plan.retiring = old.map(|old| (old, now + RENEWAL_OVERLAP));
                plan.failures = 0;
                plan.renew_at = Some(now + self.timing.live_renew_after);
                // Streams it covers first were polled until now: once more for what was logged
                // before the session began.
                for i in self.members_at(p, covered..covers) {
                    self.streams[i].catch_up = true;
                    self.streams[i].next_poll = now;
                }
            }
            Err(error) => {
                let plan = &mut self.plans[p];
                plan.failures += 1;
                plan.renew_at = Some(now + backoff(&self.timing, plan.failures));
                tracing::debug!(group = %plan.group, %error, "Live Tail renewal failed");
            }
        }
    }

    pub(super) async fn on_update(
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

    pub(super) async fn on_session_lost(
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
            let covered = older.covers;
            plan.current = Some(older);
            plan.failures += 1;
            plan.renew_at = Some(now + backoff(&self.timing, plan.failures));
            // Streams only the successor covered are polled again.
            for i in self.members_at(p, covered..usize::MAX) {
                self.resume_polling(i, now);
            }
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
        if let Some(last) = self.streams[i].last_timestamp {
            self.streams[i].cursor = Cursor::Start(Some(self.reread_from(last)));
        }
        let stream = &mut self.streams[i];
        stream.catch_up = false;
        stream.interval = self.timing.poll_min;
        stream.next_poll = now;
    }
}

/// The next item of any open session, as a [`Wakeup::Live`].
pub(super) fn poll_sessions(
    plans: &mut [LivePlan],
    cx: &mut std::task::Context<'_>,
) -> Poll<Wakeup> {
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
