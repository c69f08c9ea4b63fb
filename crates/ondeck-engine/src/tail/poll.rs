//! GetLogEvents: the backfill before following, and the adaptive polling loop that follows
//! whatever Live Tail does not cover; errors judged, retried with backoff or reported.

use tokio::time::{Instant, sleep_until};

use super::{Cursor, Stop, Tail, backoff};
use ondeck_core::CloudError;
use ondeck_core::model::{LogPage, LogQuery, RawLogEvent};
use ondeck_core::tail::{StreamHealth, TailEvent, TailMessage};

/// Without follow, a read that keeps failing with errors worth retrying ends after this many
/// tries (the SDK has retried each one already).
const ONE_SHOT_ATTEMPTS: u32 = 4;

/// What a failed GetLogEvents means for the stream it was for.
enum Verdict {
    /// The stream (or a group awslogs will create) is not there yet: look again later.
    NotYet,
    /// Worth retrying with backoff.
    Retry,
    Stop(String),
}

impl Tail {
    /// One GetLogEvents per stream that is due, in one pass over the whole set.
    pub(super) async fn poll_due(&mut self) -> Result<(), Stop> {
        let mut batch = Vec::new();
        let mut ended = None;
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
                    Verdict::Stop(reason) => ended = self.stop_stream(i, reason).await?,
                },
            }
        }
        self.send_events(batch).await?;
        ended.map_or(Ok(()), |reason| Err(Stop::Failed(reason)))
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
