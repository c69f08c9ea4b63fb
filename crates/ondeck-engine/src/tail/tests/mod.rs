use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use ondeck_core::model::SessionGrant;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, RawLogEvent, RunOutcome, RunRequest, Scope, Task,
    TaskDefinition,
};
use ondeck_core::model::{Service, ServiceRequest};
use ondeck_core::{CloudError, LiveTail, LiveTailUpdate};

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
    /// The next log reads (GetLogEvents or FilterLogEvents) fail with these, in order.
    errors: VecDeque<CloudError>,
    /// Every read of these streams fails with this (a filter naming one of them too).
    broken: HashMap<String, CloudError>,
    /// The next StartLiveTail calls fail with these, in order; then sessions open.
    live_refusals: VecDeque<CloudError>,
    /// Pushed into every session as soon as it opens.
    live_greeting: Vec<(String, RawLogEvent)>,
    calls: Vec<(Duration, LogQuery)>,
    filters: Vec<(Duration, LogFilter)>,
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
                broken: HashMap::new(),
                live_refusals: VecDeque::new(),
                live_greeting: Vec::new(),
                calls: Vec::new(),
                filters: Vec::new(),
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

    fn break_stream(&self, stream: &str, error: CloudError) {
        self.state().broken.insert(stream.to_string(), error);
    }

    fn fail_next(&self, errors: impl IntoIterator<Item = CloudError>) {
        self.state().errors.extend(errors);
    }

    /// Seconds since the fake was made, of each GetLogEvents call.
    fn call_times(&self) -> Vec<f64> {
        let state = self.state();
        state.calls.iter().map(|(at, _)| at.as_secs_f64()).collect()
    }

    /// Seconds since the fake was made, of each FilterLogEvents call.
    fn filter_times(&self) -> Vec<f64> {
        let state = self.state();
        state
            .filters
            .iter()
            .map(|(at, _)| at.as_secs_f64())
            .collect()
    }

    /// Seconds since the fake was made, of every read: GetLogEvents and FilterLogEvents.
    fn read_times(&self) -> Vec<f64> {
        let mut times = self.call_times();
        times.extend(self.filter_times());
        times.sort_by(f64::total_cmp);
        times
    }

    fn filters(&self) -> Vec<LogFilter> {
        let state = self.state();
        state
            .filters
            .iter()
            .map(|(_, filter)| filter.clone())
            .collect()
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

    async fn tag_resource(&self, _: &str, _: &BTreeMap<String, String>) -> Result<(), CloudError> {
        unreachable!("the tail does not tag tasks")
    }
    async fn list_services(&self, _: &Scope) -> Result<Vec<Service>, CloudError> {
        Ok(Vec::new())
    }
    async fn create_service(&self, _: &ServiceRequest) -> Result<Service, CloudError> {
        unreachable!("the tail does not manage services")
    }
    async fn scale_service(&self, _: &str, _: i32) -> Result<(), CloudError> {
        unreachable!("the tail does not manage services")
    }
    async fn delete_service(&self, _: &str) -> Result<(), CloudError> {
        unreachable!("the tail does not manage services")
    }

    async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError> {
        let mut state = self.state();
        state.calls.push((self.started.elapsed(), query.clone()));
        if let Some(error) = state.errors.pop_front() {
            return Err(error);
        }
        if let Some(error) = state.broken.get(&query.stream.stream) {
            return Err(error.clone());
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

    async fn filter_log_events(&self, filter: &LogFilter) -> Result<FilteredPage, CloudError> {
        let mut state = self.state();
        state.filters.push((self.started.elapsed(), filter.clone()));
        assert!(
            !filter.streams.is_empty() && filter.streams.len() <= 100,
            "FilterLogEvents takes 1 to 100 stream names"
        );
        if let Some(error) = state.errors.pop_front() {
            return Err(error);
        }
        if let Some(error) = filter.streams.iter().find_map(|s| state.broken.get(s)) {
            return Err(error.clone());
        }
        // Streams that do not exist are left out, as CloudWatch does.
        let mut events: Vec<(String, RawLogEvent)> = filter
            .streams
            .iter()
            .filter_map(|name| state.streams.get(name).map(|events| (name, events)))
            .flat_map(|(name, events)| {
                events
                    .iter()
                    .filter(|e| filter.start_time.is_none_or(|start| e.timestamp >= start))
                    .map(|e| (name.clone(), e.clone()))
            })
            .collect();
        events.sort_by_key(|(_, e)| e.timestamp);
        let start: usize = filter.next_token.as_ref().map_or(0, |t| t.parse().unwrap());
        let end = (start + state.page_size).min(events.len());
        Ok(FilteredPage {
            events: events[start..end].to_vec(),
            next_token: (end < events.len()).then(|| end.to_string()),
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

    async fn execute_command(
        &self,
        _task_arn: &str,
        _container: &str,
        _command: &str,
    ) -> Result<SessionGrant, CloudError> {
        Err(CloudError::Refused("no shells in this test".into()))
    }

    async fn start_port_forward(
        &self,
        _task_arn: &str,
        _runtime_id: &str,
        _port: u16,
    ) -> Result<SessionGrant, CloudError> {
        Err(CloudError::Refused("no forwards in this test".into()))
    }

    async fn end_session(&self, _session_id: &str) -> Result<(), CloudError> {
        Ok(())
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
        when_full: WhenFull::Wait,
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

/// The tail's task has ended: it no longer holds the cloud it was given.
fn tail_ended(cloud: &Arc<FakeCloud>) -> bool {
    Arc::strong_count(cloud) == 1
}

mod added;
mod delivery;
mod live;
mod poll;
