//! The runner's log tails: messages come back as actions, and streams added to a running tail
//! reach it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tokio::sync::mpsc::UnboundedReceiver;

use super::*;
use ondeck_core::fixtures::profile;
use ondeck_core::model::{
    FilteredPage, LogFilter, LogPage, LogQuery, LogStreamRef, RawLogEvent, RunOutcome, RunRequest,
    Scope, Task, TaskDefinition,
};
use ondeck_core::model::{Service, ServiceRequest};
use ondeck_core::{Cloud, CloudError, LiveTail};
use ondeck_engine::tail::{TailTiming, WhenFull};

/// Every stream holds one line, its own name; nothing else is offered.
struct NamedStreams;

fn logs_only<T>() -> Result<T, CloudError> {
    Err(CloudError::Refused("logs only".into()))
}

#[async_trait]
impl Cloud for NamedStreams {
    async fn list_tasks(&self, _: &Scope) -> Result<Vec<Task>, CloudError> {
        logs_only()
    }
    async fn describe_tasks(&self, _: &[String]) -> Result<Vec<Task>, CloudError> {
        logs_only()
    }
    async fn describe_task_definition(&self, _: &str) -> Result<TaskDefinition, CloudError> {
        logs_only()
    }
    async fn run_task(&self, _: &RunRequest) -> Result<RunOutcome, CloudError> {
        logs_only()
    }
    async fn stop_task(&self, _: &str, _: &str) -> Result<(), CloudError> {
        logs_only()
    }
    async fn tag_resource(&self, _: &str, _: &BTreeMap<String, String>) -> Result<(), CloudError> {
        logs_only()
    }
    async fn list_services(&self, _: &Scope) -> Result<Vec<Service>, CloudError> {
        Ok(Vec::new())
    }
    async fn create_service(&self, _: &ServiceRequest) -> Result<Service, CloudError> {
        logs_only()
    }
    async fn scale_service(&self, _: &str, _: i32) -> Result<(), CloudError> {
        logs_only()
    }
    async fn delete_service(&self, _: &str) -> Result<(), CloudError> {
        logs_only()
    }
    async fn get_log_events(&self, query: &LogQuery) -> Result<LogPage, CloudError> {
        // The line on the first read, nothing after it.
        let events = match query.next_token {
            Some(_) => Vec::new(),
            None => vec![RawLogEvent {
                timestamp: 1_000,
                ingestion_time: 1_000,
                message: query.stream.stream.clone(),
            }],
        };
        Ok(LogPage {
            events,
            next_forward_token: Some("end".into()),
        })
    }
    async fn filter_log_events(&self, _: &LogFilter) -> Result<FilteredPage, CloudError> {
        Ok(FilteredPage::default())
    }
    async fn start_live_tail(&self, _: &str, _: &[String]) -> Result<LiveTail, CloudError> {
        logs_only()
    }
    async fn execute_command(&self, _: &str, _: &str, _: &str) -> Result<SessionGrant, CloudError> {
        logs_only()
    }
    async fn start_port_forward(
        &self,
        _: &str,
        _: &str,
        _: u16,
    ) -> Result<SessionGrant, CloudError> {
        logs_only()
    }
    async fn end_session(&self, _: &str) -> Result<(), CloudError> {
        Ok(())
    }
}

fn source(index: u16, stream: &str) -> TailSource {
    TailSource {
        index,
        container: format!("container-{index}"),
        stream: LogStreamRef {
            group: "/ecs/web".into(),
            stream: stream.into(),
        },
        creates_group: false,
    }
}

/// The lines of tail `tail_id` that arrive until there are `count`, as (source, message).
async fn lines(
    runner: &Runner,
    inbox: &mut UnboundedReceiver<Action>,
    tail_id: TailId,
    count: usize,
) -> Vec<(u16, String)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let action = tokio::time::timeout(Duration::from_secs(60), inbox.recv())
            .await
            .expect("tail messages keep coming")
            .expect("the runner is up");
        if let Action::Tail {
            tail_id: id,
            message,
        } = action
        {
            runner.tail_message_taken();
            assert_eq!(id, tail_id);
            if let TailMessage::Events(events) = message {
                seen.extend(events.into_iter().map(|e| (e.source, e.message)));
            }
        }
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn streams_added_to_a_running_tail_are_read_by_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = OpsContext::new(
        Arc::new(NamedStreams),
        profile("dev"),
        dir.path().to_path_buf(),
        false,
    );
    let (actions, mut inbox) = unbounded_channel();
    let factory: CloudFactory =
        Arc::new(|_: Profile| Box::pin(async { anyhow::bail!("one profile only") }));
    let mut runner = Runner::new(ctx, factory, actions, Timeouts::default());
    runner.run(Effect::StartTail {
        tail_id: 3,
        spec: TailSpec {
            sources: vec![source(0, "ecs/api/t1")],
            since: None,
            backfill_limit: 100,
            follow: true,
            prefer_live: true,
            timing: TailTiming::default(),
            when_full: WhenFull::DropAndCount,
        },
    });
    let first = lines(&runner, &mut inbox, 3, 1).await;
    assert_eq!(first, [(0, "ecs/api/t1".to_string())]);

    runner.run(Effect::AddTailSources {
        tail_id: 3,
        sources: vec![source(1, "ecs/api/t2")],
    });
    let added = lines(&runner, &mut inbox, 3, 1).await;
    assert_eq!(
        added,
        [(1, "ecs/api/t2".to_string())],
        "only the new stream, and the first is not read again"
    );
    assert_eq!(runner.tail_count(), 1, "still the one tail");
}
