//! Shapes moto cannot produce — several containers, timestamps, pagination, `failures[]`,
//! expired credentials, access denied — answered by recorded-style responses.
use std::collections::BTreeMap;

use aws_credential_types::Credentials;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use ecs::operation::describe_tasks::DescribeTasksOutput;
use ecs::operation::list_tasks::ListTasksOutput;
use ecs::operation::run_task::RunTaskOutput;
use ecs::types::{Attachment, Failure, KeyValuePair as Detail};

use futures::StreamExt;

use super::*;
use ondeck_core::model::{NetworkConfig, TaskState};

fn profile() -> Profile {
    Profile {
        name: "dev".into(),
        aws_profile: Some("dev-sso".into()),
        region: "eu-west-1".into(),
        endpoint_url: None,
        cluster: "review".into(),
        owner: "ana".into(),
        subnets: vec!["subnet-1".into()],
        security_groups: vec!["sg-1".into()],
        assign_public_ip: false,
        templates: BTreeMap::new(),
        refresh_busy_secs: 2,
        refresh_steady_secs: 30,
        log_buffer_lines: 1000,
        exec_client: Default::default(),
        execution_role_arn: None,
        task_role_arn: None,
        log_group: "/ondeck/dev".into(),
        log_stream_prefix: "ondeck".into(),
        prices: None,
    }
}

fn cloud(rules: &[&Rule]) -> SdkCloud {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = ecs::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("a", "b", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let logs = logs_client(MockResponseInterceptor::new());
    SdkCloud::from_clients(ecs::Client::from_conf(config), logs, &profile())
}

fn logs_client(interceptor: MockResponseInterceptor) -> logs::Client {
    logs::Client::from_conf(
        logs::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("a", "b", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .build(),
    )
}

fn error_response(status: u16, kind: &str, message: &str) -> Response {
    Response::new(
        StatusCode::try_from(status).expect("status"),
        SdkBody::from(format!(r#"{{"__type":"{kind}","message":"{message}"}}"#)),
    )
}

fn sdk_task(arn: &str) -> ecs::types::Task {
    let container = |name: &str, status: &str| {
        ecs::types::Container::builder()
            .name(name)
            .last_status(status)
            .health_status(ecs::types::HealthStatus::Healthy)
            .build()
    };
    ecs::types::Task::builder()
        .task_arn(arn)
        .task_definition_arn("arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:7")
        .last_status("RUNNING")
        .desired_status("RUNNING")
        .containers(container("web", "RUNNING"))
        .containers(container("api", "RUNNING"))
        .containers(container("db", "PENDING"))
        .tags(Tag::builder().key(tags::INSTANCE).value("shop-1").build())
        .tags(Tag::builder().key(tags::OWNER).value("ana").build())
        .created_at(aws_smithy_types::DateTime::from_secs(1_700_000_000))
        .started_at(aws_smithy_types::DateTime::from_secs(1_700_000_030))
        .attachments(
            Attachment::builder()
                .details(
                    Detail::builder()
                        .name("privateIPv4Address")
                        .value("10.0.1.23")
                        .build(),
                )
                .build(),
        )
        .build()
}

#[tokio::test]
async fn every_page_is_listed_and_described_in_batches_of_100() {
    let arns: Vec<String> = (0..150)
        .map(|i| format!("arn:aws:ecs:eu-west-1:123456789012:task/review/t{i:03}"))
        .collect();
    let (first, second) = (arns[..100].to_vec(), arns[100..].to_vec());
    let page_one = mock!(ecs::Client::list_tasks)
        .match_requests(|r| {
            r.desired_status() == Some(&DesiredStatus::Running) && r.next_token().is_none()
        })
        .then_output(move || {
            ListTasksOutput::builder()
                .set_task_arns(Some(first.clone()))
                .next_token("page-2")
                .build()
        });
    let page_two = mock!(ecs::Client::list_tasks)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(move || {
            ListTasksOutput::builder()
                .set_task_arns(Some(second.clone()))
                .build()
        });
    let stopped = mock!(ecs::Client::list_tasks)
        .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
        .then_output(|| ListTasksOutput::builder().build());
    let describe = mock!(ecs::Client::describe_tasks)
        .match_requests(|r| {
            r.cluster() == Some("review")
                && r.tasks().len() <= DESCRIBE_BATCH
                && r.include() == [TaskField::Tags]
        })
        .then_compute_output(|r| {
            DescribeTasksOutput::builder()
                .set_tasks(Some(r.tasks().iter().map(|arn| sdk_task(arn)).collect()))
                .build()
        });
    let cloud = cloud(&[&page_one, &page_two, &stopped, &describe]);
    let tasks = cloud
        .list_tasks(&Scope::StartedBy("ondeck/ana".into()))
        .await
        .unwrap();
    assert_eq!(tasks.len(), 150);
    assert_eq!(page_two.num_calls(), 1, "the second page was read");
    assert_eq!(
        describe.num_calls(),
        2,
        "150 tasks in two DescribeTasks calls"
    );
    let task = &tasks[0];
    assert_eq!(task.containers.len(), 3);
    assert_eq!(task.containers[2].last_status, "PENDING");
    assert_eq!(task.containers[0].health.as_deref(), Some("HEALTHY"));
    assert_eq!(task.private_ip.as_deref(), Some("10.0.1.23"));
    assert_eq!(task.task_definition(), "shop:7");
    assert_eq!(task.tag(tags::INSTANCE), Some("shop-1"));
    assert_eq!(
        task.times.started_at.map(|at| at.timestamp()),
        Some(1_700_000_030)
    );
    assert_eq!(
        cloud.log_group_arn("/ecs/shop").as_deref(),
        Some("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop")
    );
}

#[tokio::test]
async fn a_steady_refresh_costs_two_requests_and_still_sees_stops() {
    let arn = |i: u32| format!("arn:aws:ecs:eu-west-1:123456789012:task/review/t{i}");
    let running_calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let calls = running_calls.clone();
    let running = mock!(ecs::Client::list_tasks)
        .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Running))
        .then_compute_output(move |_| {
            // Two tasks for two refreshes, then t2 stops.
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let arns = if n < 2 {
                vec![arn(1), arn(2)]
            } else {
                vec![arn(1)]
            };
            ListTasksOutput::builder().set_task_arns(Some(arns)).build()
        });
    let stopped = mock!(ecs::Client::list_tasks)
        .match_requests(|r| r.desired_status() == Some(&DesiredStatus::Stopped))
        .then_output(|| ListTasksOutput::builder().build());
    let describe = mock!(ecs::Client::describe_tasks).then_compute_output(move |r| {
        let tasks = r
            .tasks()
            .iter()
            .map(|requested| {
                let mut task = sdk_task(requested);
                if requested.ends_with("t2")
                    && running_calls.load(std::sync::atomic::Ordering::SeqCst) > 2
                {
                    task.last_status = Some("STOPPED".into());
                    task.desired_status = Some("STOPPED".into());
                    task.stopped_reason = Some("Essential container in task exited".into());
                }
                task
            })
            .collect();
        DescribeTasksOutput::builder()
            .set_tasks(Some(tasks))
            .build()
    });
    let cloud = cloud(&[&running, &stopped, &describe]);
    let scope = Scope::StartedBy("ondeck/ana".into());

    cloud.list_tasks(&scope).await.unwrap();
    assert_eq!(
        (
            running.num_calls(),
            stopped.num_calls(),
            describe.num_calls()
        ),
        (1, 1, 1)
    );
    cloud.list_tasks(&scope).await.unwrap();
    assert_eq!(
        (
            running.num_calls(),
            stopped.num_calls(),
            describe.num_calls()
        ),
        (2, 1, 2),
        "steady: ListTasks(RUNNING) and DescribeTasks only"
    );
    let tasks = cloud.list_tasks(&scope).await.unwrap();
    assert_eq!(
        stopped.num_calls(),
        2,
        "the running set changed: stopped tasks listed again"
    );
    let t2 = tasks
        .iter()
        .find(|t| t.task_arn.ends_with("t2"))
        .expect("the stopped task is still described");
    assert_eq!(t2.last_status, TaskState::Stopped);
    assert_eq!(
        t2.stopped_reason.as_deref(),
        Some("Essential container in task exited")
    );
}

fn run_request() -> RunRequest {
    RunRequest {
        enable_exec: false,
        task_definition: "shop:7".into(),
        network: NetworkConfig {
            subnets: vec!["subnet-1".into()],
            security_groups: vec!["sg-1".into()],
            assign_public_ip: false,
        },
        started_by: "ondeck/ana".into(),
        tags: BTreeMap::from([(tags::INSTANCE.to_string(), "shop-1".to_string())]),
        env: BTreeMap::new(),
        client_token: "abc-0".into(),
        spot: false,
    }
}

#[tokio::test]
async fn run_task_failures_come_back_verbatim() {
    let run = mock!(ecs::Client::run_task)
        .match_requests(|r| {
            r.client_token() == Some("abc-0") && r.started_by() == Some("ondeck/ana")
        })
        .then_output(|| {
            RunTaskOutput::builder()
                .failures(
                    Failure::builder()
                        .arn("arn:aws:ecs:eu-west-1:123456789012:container-instance/x")
                        .reason("RESOURCE:ENI")
                        .detail("no free ENI in subnet-1")
                        .build(),
                )
                .build()
        });
    let outcome = cloud(&[&run]).run_task(&run_request()).await.unwrap();
    assert!(outcome.tasks.is_empty());
    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(
        outcome.failures[0].to_string(),
        "RESOURCE:ENI (arn:aws:ecs:eu-west-1:123456789012:container-instance/x): no free ENI in subnet-1"
    );
}

#[tokio::test]
async fn expired_credentials_name_the_sso_login() {
    let expired = mock!(ecs::Client::list_tasks).then_http_response(|| {
        error_response(
            400,
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
    });
    let err = cloud(&[&expired])
        .list_tasks(&Scope::AllOwners)
        .await
        .unwrap_err();
    assert!(matches!(err, CloudError::Credentials { .. }), "{err:?}");
    assert!(
        err.to_string().contains("aws sso login --profile dev-sso"),
        "{err}"
    );
}

#[tokio::test]
async fn access_denied_names_the_action() {
    let denied = mock!(ecs::Client::run_task).then_http_response(|| {
        error_response(
            400,
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/dev/ana is not authorized to perform: ecs:RunTask",
        )
    });
    let err = cloud(&[&denied])
        .run_task(&run_request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CloudError::AccessDenied { action, .. } if action == "ecs:RunTask"),
        "{err:?}"
    );
    assert!(err.to_string().contains("ecs:RunTask"), "{err}");
}

/// GetLogEvents of `/ecs/shop` `ecs/web/t1`, answered by `response`.
async fn read_log_stream(response: fn() -> Response) -> CloudError {
    let answer = mock!(logs::Client::get_log_events).then_http_response(response);
    let logs = logs_client(MockResponseInterceptor::new().with_rule(&answer));
    let cloud = SdkCloud::from_clients(cloud(&[]).ecs, logs, &profile());
    let query = LogQuery {
        stream: ondeck_core::model::LogStreamRef {
            group: "/ecs/shop".into(),
            stream: "ecs/web/t1".into(),
        },
        start_time: None,
        next_token: None,
        start_from_head: true,
        limit: None,
    };
    cloud.get_log_events(&query).await.unwrap_err()
}

#[tokio::test]
async fn a_denied_log_read_asks_for_the_logs_permission() {
    let err = read_log_stream(|| {
        error_response(400, "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/dev/ana is not authorized to perform: logs:GetLogEvents")
    })
    .await;
    assert!(
        matches!(&err, CloudError::AccessDenied { action, .. } if action == "logs:GetLogEvents"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("ask for logs:GetLogEvents in your IAM policy"),
        "{message}"
    );
    assert!(!message.contains("ecs:"), "{message}");
}

#[tokio::test]
async fn a_missing_log_stream_is_told_apart_from_a_missing_group() {
    let stream = read_log_stream(|| {
        error_response(
            400,
            "ResourceNotFoundException",
            "The specified log stream does not exist.",
        )
    })
    .await;
    assert_eq!(
        stream,
        CloudError::NoLogStream {
            group: "/ecs/shop".into(),
            stream: "ecs/web/t1".into()
        }
    );
    let group = read_log_stream(|| {
        error_response(
            400,
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
    })
    .await;
    assert!(
        matches!(&group, CloudError::NotFound { what, .. } if what == "log group /ecs/shop"),
        "{group:?}"
    );
    assert!(!group.is_transient());
}

#[tokio::test]
async fn bad_subnets_and_clusters_point_at_the_profile_key() {
    let subnet = mock!(ecs::Client::run_task).then_http_response(|| {
        error_response(400, "InvalidParameterException", "Error retrieving subnet information for [subnet-1]: The subnet ID 'subnet-1' does not exist")
    });
    let err = cloud(&[&subnet])
        .run_task(&run_request())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("subnet-1") && err.to_string().contains("`subnets`"),
        "{err}"
    );

    let cluster = mock!(ecs::Client::list_tasks).then_http_response(|| {
        error_response(400, "ClusterNotFoundException", "Cluster not found.")
    });
    let err = cloud(&[&cluster])
        .list_tasks(&Scope::AllOwners)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cluster `review` not found (fix `cluster` in the profile)"
    );
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_says_throttled() {
    let throttled = mock!(ecs::Client::list_tasks)
        .then_http_response(|| error_response(400, "ThrottlingException", "Rate exceeded"));
    let err = cloud(&[&throttled])
        .list_tasks(&Scope::AllOwners)
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
}

/// One event-stream frame as CloudWatch Logs sends it.
fn frame(message_type: &str, kind: &str, payload: &str) -> Vec<u8> {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    let kind_header = if message_type == "exception" {
        ":exception-type"
    } else {
        ":event-type"
    };
    let message = Message::new(payload.as_bytes().to_vec())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.to_string().into()),
        ))
        .add_header(Header::new(
            kind_header,
            HeaderValue::String(kind.to_string().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ));
    let mut bytes = Vec::new();
    aws_smithy_eventstream::frame::write_message_to(&message, &mut bytes).expect("frame");
    bytes
}

#[tokio::test]
async fn live_tail_frames_become_updates_and_a_session_end_an_error() {
    let mut body = frame(
        "event",
        "sessionStart",
        r#"{"sessionId":"s-1","logGroupIdentifiers":["/ecs/shop"]}"#,
    );
    body.extend(frame(
        "event",
        "sessionUpdate",
        r#"{"sessionMetadata":{"sampled":false},"sessionResults":[
            {"logStreamName":"ecs/web/t1","message":"GET / 200","timestamp":1700000000000,"ingestionTime":1700000000100},
            {"logStreamName":"ecs/api/t1","message":"\u001b[31mboom\u001b[0m","timestamp":1700000000001,"ingestionTime":1700000000101}
        ]}"#,
    ));
    body.extend(frame(
        "event",
        "sessionUpdate",
        r#"{"sessionMetadata":{"sampled":true},"sessionResults":[
            {"logStreamName":"ecs/web/t1","message":"busy","timestamp":1700000000002,"ingestionTime":1700000000102}
        ]}"#,
    ));
    body.extend(frame(
        "exception",
        "SessionTimeoutException",
        r#"{"message":"The session has timed out"}"#,
    ));
    let tail = mock!(logs::Client::start_live_tail)
        .match_requests(|r| {
            r.log_group_identifiers() == ["arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/shop"]
                && r.log_stream_names().len() == 100
        })
        .then_http_response(move || {
            Response::new(
                StatusCode::try_from(200).expect("200"),
                SdkBody::from(body.clone()),
            )
        });
    let logs = logs_client(MockResponseInterceptor::new().with_rule(&tail));
    let ecs = cloud(&[]).ecs;
    let cloud = SdkCloud::from_clients(ecs, logs, &profile());
    *cloud.account_id.lock().expect("account lock") = Some("123456789012".into());
    // More streams than one session takes: the first 100 are asked for.
    let streams: Vec<String> = (0..150).map(|n| format!("ecs/web/t{n}")).collect();

    let mut updates = cloud.start_live_tail("/ecs/shop", &streams).await.unwrap();
    let first = updates.next().await.expect("an update").expect("events");
    assert!(!first.sampled);
    let seen: Vec<(&str, i64, &str)> = first
        .events
        .iter()
        .map(|(stream, event)| (stream.as_str(), event.timestamp, event.message.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("ecs/web/t1", 1_700_000_000_000, "GET / 200"),
            ("ecs/api/t1", 1_700_000_000_001, "\u{1b}[31mboom\u{1b}[0m"),
        ]
    );
    assert_eq!(first.events[0].1.ingestion_time, 1_700_000_000_100);
    let second = updates.next().await.expect("an update").expect("events");
    assert!(second.sampled, "the sampled flag is carried");
    assert_eq!(second.events.len(), 1);
    let ended = updates.next().await.expect("the session's end");
    assert!(
        ended.is_err(),
        "a timed-out session is an error the tail renews from"
    );
    assert_eq!(tail.num_calls(), 1);
}
