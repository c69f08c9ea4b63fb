//! The poller: which requests are out, when the next refresh is due, how far it backs off
//! after failures, a refresh asked for while one is out, and launches shown before ListTasks
//! has them. Answers are matched by request id, so one nobody waits for is dropped.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use super::RequestId;
use super::confirm::Guarded;
use ondeck_core::Backoff;
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::model::TaskState;

/// How long a launched instance is shown from RunTask's answer before ListTasks must have it.
const OPTIMISTIC_GRACE_SECS: i64 = 120;
/// The longest the poller waits after failures in a row.
const MAX_REFRESH_BACKOFF_SECS: u64 = 300;
/// Right after the user did something, the next refresh is this soon; each refresh after
/// waits twice as long, back to the steady cadence (3 s, 6, 12, 24, then steady): what was
/// launched from another terminal shows within seconds of looking, an idle dashboard costs
/// no more than before.
const ACTIVE_REFRESH_SECS: u64 = 3;

/// A request sent and not yet answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InFlight {
    Refresh,
    Launch {
        template: String,
    },
    /// A write on one instance (destroy, extend, pause, resume, relaunch); `label` names it
    /// in the answer's message.
    Write {
        action: Guarded,
        target: InstanceId,
        label: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Poller {
    in_flight: BTreeMap<RequestId, InFlight>,
    /// A refresh was asked for while one was in flight.
    refresh_pending: bool,
    next_refresh_at: Option<DateTime<Utc>>,
    /// Refreshes that failed in a row: the poller backs off while AWS throttles or is down.
    failed_refreshes: u32,
    /// When the refresh now out was sent.
    refresh_sent_at: Option<DateTime<Utc>>,
    /// Launched instances ListTasks has not shown yet, with when RunTask answered.
    optimistic: Vec<(Instance, DateTime<Utc>)>,
    /// Refreshes since the user last did something, while the cadence is still quickened by
    /// it; `None` once it is back to steady.
    since_activity: Option<u32>,
    next_id: u64,
}

impl Default for Poller {
    /// Nothing out, and the first refresh due at once.
    fn default() -> Poller {
        Poller {
            in_flight: BTreeMap::new(),
            refresh_pending: false,
            next_refresh_at: Some(DateTime::<Utc>::MIN_UTC),
            failed_refreshes: 0,
            refresh_sent_at: None,
            optimistic: Vec::new(),
            since_activity: None,
            next_id: 1,
        }
    }
}

impl Poller {
    /// A fresh id, for a request or a log tail.
    pub(crate) fn issue_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Sends a write (launch, destroy, extend): its answer is awaited under the id returned.
    pub(crate) fn send(&mut self, asked: InFlight) -> RequestId {
        let req = self.issue_id();
        self.in_flight.insert(req, asked);
        req
    }

    /// The id for a refresh sent at `now`, unless one is out: then it is sent once that one
    /// answers (see [`Poller::take_pending_refresh`]).
    pub(crate) fn send_refresh(&mut self, now: DateTime<Utc>) -> Option<RequestId> {
        if self.refresh_in_flight() {
            self.refresh_pending = true;
            return None;
        }
        let req = self.send(InFlight::Refresh);
        self.refresh_sent_at = Some(now);
        self.next_refresh_at = None;
        Some(req)
    }

    /// The request `req` stood for, if it is still awaited; it is awaited no longer.
    pub(crate) fn take_answered(&mut self, req: RequestId) -> Option<InFlight> {
        self.in_flight.remove(&req)
    }

    /// Awaits `req` again (an answer of the wrong kind for it cannot be its own).
    pub(crate) fn keep_waiting(&mut self, req: RequestId, asked: InFlight) {
        self.in_flight.insert(req, asked);
    }

    pub(crate) fn take_pending_refresh(&mut self) -> bool {
        std::mem::take(&mut self.refresh_pending)
    }

    pub(crate) fn refresh_in_flight(&self) -> bool {
        self.in_flight.values().any(|f| *f == InFlight::Refresh)
    }

    /// A write is out: the status bar says we are waiting.
    pub(crate) fn write_in_flight(&self) -> bool {
        self.in_flight.values().any(|f| *f != InFlight::Refresh)
    }

    /// The write on `id` sent and not yet answered, if any: one at a time per instance.
    pub(crate) fn write_on(&self, id: &InstanceId) -> Option<&Guarded> {
        self.in_flight.values().find_map(|asked| match asked {
            InFlight::Write { action, target, .. } if target == id => Some(action),
            _ => None,
        })
    }

    /// The refresh is due at `now` and none is out.
    pub(crate) fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        !self.refresh_in_flight() && self.next_refresh_at.is_some_and(|due| now >= due)
    }

    #[cfg(test)]
    pub(crate) fn next_refresh_at(&self) -> Option<DateTime<Utc>> {
        self.next_refresh_at
    }

    /// A routine refresh is mentioned only once it is slow: a quick one changes nothing on
    /// screen, so an idle dashboard writes nothing to the terminal.
    pub(crate) fn waiting(&self, now: DateTime<Utc>) -> bool {
        self.write_in_flight()
            || (self.refresh_in_flight()
                && self
                    .refresh_sent_at
                    .is_some_and(|sent| now - sent >= Duration::seconds(1)))
    }

    /// The "waiting for AWS" indicator was on screen for the refresh answered at `at`.
    pub(crate) fn waiting_was_shown(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.refresh_sent_at
            .is_some_and(|sent| at.max(now) - sent >= Duration::seconds(1))
    }

    /// A refresh answered: a failure counts towards the backoff, a success ends it.
    pub(crate) fn refresh_answered(&mut self, ok: bool) {
        if ok {
            self.failed_refreshes = 0;
        } else {
            self.failed_refreshes += 1;
        }
    }

    /// Sets when the next refresh is due, counted `from` the last answer: the profile's busy
    /// or steady cadence, backed off after failures.
    pub(crate) fn schedule_next_refresh(
        &mut self,
        from: DateTime<Utc>,
        busy: bool,
        busy_secs: u64,
        steady_secs: u64,
    ) {
        let secs = if busy { busy_secs } else { steady_secs };
        // Each failure in a row doubles the wait (2 s → 4 s → … at most 5 min), so a throttled
        // or unreachable AWS is not hammered; the first good answer restores the cadence.
        let backoff = Backoff::new(
            StdDuration::from_secs(secs.max(1)),
            StdDuration::from_secs(MAX_REFRESH_BACKOFF_SECS.max(secs)),
        );
        let mut wait = backoff.delay(self.failed_refreshes);
        // After the user's activity the wait starts short and doubles, by the same policy, up
        // to the cadence; failures take precedence, so a struggling AWS is not hammered.
        if let Some(refreshes) = self.since_activity.filter(|_| self.failed_refreshes == 0) {
            let quickened = Backoff::new(
                StdDuration::from_secs(ACTIVE_REFRESH_SECS),
                StdDuration::from_secs(secs.max(1)),
            )
            .delay(refreshes);
            wait = wait.min(quickened);
            self.since_activity =
                (quickened < StdDuration::from_secs(secs)).then_some(refreshes + 1);
        }
        self.next_refresh_at =
            Some(from + Duration::from_std(wait).unwrap_or(Duration::seconds(secs as i64)));
    }

    /// The user did something at `now` (a key, a launch): the next refresh comes within
    /// seconds, and the cadence eases back to steady from there.
    pub(crate) fn note_activity(&mut self, now: DateTime<Utc>) {
        let soon = now + Duration::seconds(ACTIVE_REFRESH_SECS as i64);
        // The refresh due soon is the first short wait; one out now is answered first.
        self.since_activity = Some(match self.next_refresh_at.as_mut() {
            Some(due) => {
                *due = (*due).min(soon);
                1
            }
            None => 0,
        });
    }

    /// Shows `instance`, launched at `at`, until ListTasks has it or its grace runs out.
    pub(crate) fn show_launched(&mut self, instance: Instance, at: DateTime<Utc>) {
        self.optimistic.push((instance, at));
    }

    pub(crate) fn optimistic(&self) -> impl Iterator<Item = &Instance> {
        self.optimistic.iter().map(|(instance, _)| instance)
    }

    /// Anything of `owner`'s still changing by itself (a launch shown before it is listed, a
    /// write out, a task on its way up or down): poll at the busy cadence.
    pub(crate) fn busy(&self, instances: &[Instance], owner: &str) -> bool {
        !self.optimistic.is_empty()
            || self.write_in_flight()
            || instances
                .iter()
                .filter(|instance| instance.owner == owner)
                .flat_map(|instance| &instance.tasks)
                .any(|task| {
                    task.last_status.is_transitional()
                        || (task.desired_status == "STOPPED"
                            && task.last_status != TaskState::Stopped)
                })
    }

    /// Drops launched rows past their grace at `now`; true when one went.
    pub(crate) fn expire_optimistic(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.optimistic.len();
        self.optimistic.retain(|(_, launched_at)| {
            now - *launched_at < Duration::seconds(OPTIMISTIC_GRACE_SECS)
        });
        self.optimistic.len() != before
    }

    /// Drops launched rows the snapshot lists: from now on the listed instance is the row.
    pub(crate) fn drop_listed(&mut self, listed: &[Instance]) {
        let listed: Vec<InstanceId> = listed.iter().map(Instance::id).collect();
        self.optimistic
            .retain(|(instance, _)| !listed.contains(&instance.id()));
    }

    /// Another profile: its answers must match nothing here, and nothing of this one is shown.
    pub(crate) fn forget_requests(&mut self) {
        self.optimistic.clear();
        self.in_flight.clear();
        self.refresh_pending = false;
    }
}

#[cfg(test)]
mod tests;
