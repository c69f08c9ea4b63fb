//! GetLogEvents: the backfill before following, and the adaptive polling loop that follows
//! whatever Live Tail does not cover; errors judged, retried with backoff or reported.

use std::collections::HashMap;

use tokio::time::{Instant, sleep_until};

use super::{Cursor, Stop, Tail, backoff};
use ondeck_core::CloudError;
use ondeck_core::model::{LogFilter, LogPage, LogQuery, RawLogEvent};
use ondeck_core::tail::{StreamHealth, TailEvent, TailMessage};

/// Without follow, a read that keeps failing with errors worth retrying ends after this many
/// tries (the SDK has retried each one already).
const ONE_SHOT_ATTEMPTS: u32 = 4;

/// FilterLogEvents takes at most this many stream names.
const MAX_FILTER_STREAMS: usize = 100;

/// Pages one poll reads of a filter at most; a flood goes on at the next poll.
const MAX_FILTER_PAGES: usize = 10;

/// What a failed GetLogEvents means for the stream it was for.
enum Verdict {
    /// The stream (or a group awslogs will create) is not there yet: look again later.
    NotYet,
    /// Worth retrying with backoff.
    Retry,
    Stop(String),
}

impl Tail {
    /// One FilterLogEvents per log group whose turn it is, then one GetLogEvents per stream
    /// that is polled on its own and due, in one pass.
    pub(super) async fn poll_due(&mut self) -> Result<(), Stop> {
        let mut batch = Vec::new();
        let mut ended = None;
        if self.filter_due(&mut batch).await {
            ended = self.poll_streams_due(&mut batch).await?;
        }
        self.send_events(batch).await?;
        ended.map_or(Ok(()), |reason| Err(Stop::Failed(reason)))
    }

    /// The polled streams of a group, found and read together.
    pub(super) fn filter_members<'a>(&'a self, group: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.streams.len())
            .filter(move |&i| self.streams[i].stream.group == group && self.filtered(i))
    }

    /// The groups' FilterLogEvents, each at most once per its interval: the interval stays
    /// short however long the streams are quiet, because one request covers all of them.
    /// False when a call failed in a way worth retrying: the whole set waits then.
    async fn filter_due(&mut self, batch: &mut Vec<TailEvent>) -> bool {
        let active: Vec<usize> = (0..self.groups.len())
            .filter(|&g| self.filter_members(&self.groups[g].group).next().is_some())
            .collect();
        // Several groups share the budget of one request per interval.
        let interval = self.timing.poll_min * active.len().max(1) as u32;
        for g in active {
            if self.groups[g].next_poll > Instant::now() {
                continue;
            }
            let members: Vec<usize> = self.filter_members(&self.groups[g].group).collect();
            match self.filter_group(g, &members, batch).await {
                Ok(()) => {
                    self.recovered();
                    self.groups[g].next_poll = Instant::now() + interval;
                    for &i in &members {
                        self.streams[i].interval = interval;
                    }
                }
                Err(error) if error.is_transient() => {
                    // The quota is per account: one failure pauses the whole set.
                    self.failed(&error);
                    return false;
                }
                Err(error) => {
                    tracing::debug!(group = %self.groups[g].group, %error,
                        "FilterLogEvents failed for good, reading stream by stream");
                    self.groups[g].per_stream = true;
                    let now = Instant::now();
                    for &i in &members {
                        self.streams[i].next_poll = now;
                    }
                }
            }
        }
        true
    }

    /// Reads a group's new lines: from shortly before the newest line its streams have
    /// delivered (lines reach CloudWatch seconds late; the overlap is deduplicated), page by
    /// page up to a bound; a poll that stops early goes on from its newest line next time.
    async fn filter_group(
        &mut self,
        g: usize,
        members: &[usize],
        batch: &mut Vec<TailEvent>,
    ) -> Result<(), CloudError> {
        // One answer, one dedupe channel: the pages of a filter never overlap each other.
        let channel = self.new_channel();
        // FilterLogEvents takes at most 100 stream names.
        for chunk in members.chunks(MAX_FILTER_STREAMS) {
            let newest = chunk
                .iter()
                .filter_map(|&i| self.streams[i].last_timestamp)
                .max();
            let by_name: HashMap<String, usize> = chunk
                .iter()
                .map(|&i| (self.streams[i].stream.stream.clone(), i))
                .collect();
            let mut filter = LogFilter {
                group: self.groups[g].group.clone(),
                streams: chunk
                    .iter()
                    .map(|&i| self.streams[i].stream.stream.clone())
                    .collect(),
                start_time: newest.map(|last| self.reread_from(last)).or(self.since),
                next_token: None,
            };
            for _ in 0..MAX_FILTER_PAGES {
                let page = self.cloud.filter_log_events(&filter).await;
                let page = page.inspect_err(|error| {
                    tracing::debug!(group = %filter.group, %error, "FilterLogEvents failed");
                })?;
                for (name, event) in page.events {
                    if let Some(&i) = by_name.get(&name) {
                        self.admit(i, channel, event, batch);
                    }
                }
                filter.next_token = page.next_token;
                if filter.next_token.is_none() {
                    break;
                }
            }
        }
        for &i in members {
            // Should the stream be read alone later (a Live Tail gap, a failed filter), it
            // reads on from here instead of from its backfill.
            if let Some(last) = self.streams[i].last_timestamp {
                self.streams[i].cursor = Cursor::Start(Some(self.reread_from(last)));
            }
        }
        Ok(())
    }

    /// One GetLogEvents per stream polled on its own that is due; idle ones slow down. The
    /// reason to end the tail when a lasting error stopped the last stream.
    async fn poll_streams_due(
        &mut self,
        batch: &mut Vec<TailEvent>,
    ) -> Result<Option<String>, Stop> {
        let mut ended = None;
        for i in 0..self.streams.len() {
            if !self.needs_poll(i) || self.filtered(i) || self.streams[i].next_poll > Instant::now()
            {
                continue;
            }
            match self.read_page(i).await {
                Ok(page) => {
                    self.recovered();
                    let flowing = !page.events.is_empty();
                    self.accept_page(i, page, batch);
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
                        self.failed(&error);
                        break;
                    }
                    Verdict::Stop(reason) => ended = self.stop_stream(i, reason).await?,
                },
            }
        }
        Ok(ended)
    }

    /// Read what was there before the tail started, merge it across streams, send it.
    pub(super) async fn backfill(&mut self) -> Result<(), Stop> {
        self.read_history(0).await?;
        self.send(TailMessage::BackfillDone).await
    }

    /// Read what the streams `from..` held before they were followed, merged across them.
    pub(super) async fn read_history(&mut self, from: usize) -> Result<(), Stop> {
        let mut batch = Vec::new();
        let mut ended = None;
        for i in from..self.streams.len() {
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
                        Verdict::Stop(reason) if !self.follow => {
                            self.send_events(batch).await?;
                            return Err(Stop::Failed(reason));
                        }
                        Verdict::Stop(reason) => {
                            ended = self.stop_stream(i, reason).await?;
                            break;
                        }
                    },
                }
            }
        }
        self.send_events(batch).await?;
        ended.map_or(Ok(()), |reason| Err(Stop::Failed(reason)))
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

    pub(super) fn admit(
        &mut self,
        i: usize,
        channel: u64,
        event: RawLogEvent,
        batch: &mut Vec<TailEvent>,
    ) {
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

    /// One stream's lasting error stops reading it alone: the containers that can be read go
    /// on, told which one stopped and why. The reason to end the tail when none is left.
    async fn stop_stream(&mut self, i: usize, reason: String) -> Result<Option<String>, Stop> {
        self.streams[i].stopped = Some(reason.clone());
        if self.streams.iter().all(|s| s.stopped.is_some()) {
            return Ok(Some(reason));
        }
        let source = self.streams[i].source;
        self.send(TailMessage::SourceStopped { source, reason })
            .await?;
        Ok(None)
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
}
