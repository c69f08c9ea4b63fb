//! What a log tail is asked to follow and what it reports, as plain data. The tail itself
//! (backfill, Live Tail, polling) runs in `ondeck-engine`.

use std::time::Duration;

use crate::model::LogStreamRef;

/// One container's log stream, and the index the caller knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailSource {
    pub index: u16,
    pub container: String,
    pub stream: LogStreamRef,
    /// awslogs creates the group when the container starts (`awslogs-create-group`): until
    /// then a missing group is as normal as a missing stream.
    pub creates_group: bool,
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
    pub when_full: WhenFull,
}

/// What the tail does with new lines while its receiver's channel is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Wait for room: every line arrives, however slow the reader (`ondeck logs` into a pipe).
    Wait,
    /// Drop them and say how many with [`TailMessage::Dropped`]: a dashboard that falls behind
    /// must not slow the tail nor queue lines without end.
    DropAndCount,
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
    /// An error that asking again would not mend (no permission, no such log group, an
    /// answer that cannot be read): the tail has stopped.
    Failed {
        reason: String,
    },
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
    /// This many lines were dropped since the last such message, because the channel was full.
    Dropped { lines: u64 },
    /// One source cannot be read for a reason that asking again would not mend; the others go
    /// on. `reason` names the container and the fix. The tail fails once every source stopped.
    SourceStopped { source: u16, reason: String },
}
