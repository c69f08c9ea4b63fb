//! Shells and port forwards into demo containers, through the real data channel client.

use std::time::Duration as StdDuration;

use ondeck_core::model::SessionGrant;
use ondeck_ssm::{ChannelOptions, PortForward, SessionParams, Shell, ShellEvent, ShellOutput};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn params(grant: &SessionGrant) -> SessionParams {
    SessionParams {
        session_id: grant.session_id.clone(),
        stream_url: grant.stream_url.clone(),
        token: grant.token.clone(),
    }
}

/// Reads output until it contains `wanted`, or fails after a generous deadline.
async fn read_until(output: &mut ShellOutput, wanted: &str) -> String {
    let mut seen = String::new();
    let reading = async {
        while !seen.contains(wanted) {
            match output.next().await {
                ShellEvent::Stdout(bytes) | ShellEvent::Stderr(bytes) => {
                    seen.push_str(&String::from_utf8_lossy(&bytes))
                }
                ShellEvent::Notice(_) => {}
                ShellEvent::Ended(outcome) => panic!("ended before {wanted:?}: {outcome:?}"),
            }
        }
    };
    if tokio::time::timeout(StdDuration::from_secs(20), reading)
        .await
        .is_err()
    {
        panic!("no {wanted:?} in {seen:?}");
    }
    seen
}

async fn ended(output: &mut ShellOutput) {
    let waiting = async {
        loop {
            if let ShellEvent::Ended(_) = output.next().await {
                return;
            }
        }
    };
    tokio::time::timeout(StdDuration::from_secs(20), waiting)
        .await
        .expect("the session ends");
}

fn agent_record(cloud: &DemoCloud, session_id: &str) -> ondeck_ssm_agent::SessionRecord {
    cloud
        .shared
        .sessions
        .get()
        .expect("the agent started")
        .agent
        .session(session_id)
        .expect("the agent knows the session")
        .record()
}

#[test]
fn running_tasks_report_exec_agents_and_runtime_ids() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    assert!(task.exec_enabled);
    for container in &task.containers {
        assert_eq!(container.exec_agent.as_deref(), Some("RUNNING"));
        let runtime_id = container.runtime_id.as_deref().unwrap();
        assert!(runtime_id.starts_with(&format!("{}-", task.task_id())));
    }
    let ids: HashSet<_> = task.containers.iter().map(|c| &c.runtime_id).collect();
    assert_eq!(ids.len(), task.containers.len(), "one runtime id each");
    let destroyed = initial_task(&cloud, "nightly-etl");
    assert!(
        destroyed
            .containers
            .iter()
            .all(|c| c.exec_agent.as_deref() == Some("STOPPED"))
    );
}

#[test]
fn a_task_launched_without_exec_has_no_agent_and_refuses_a_shell() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::minutes(5));
    let task = find(&cloud, &task.task_arn).unwrap();
    assert_eq!(task.last_status, TaskState::Running);
    assert!(!task.exec_enabled);
    assert!(task.containers.iter().all(|c| c.exec_agent.is_none()));
    let refused = block_on(cloud.execute_command(&task.task_arn, "api", "/bin/sh")).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("execute command was not enabled")
    );
}

#[test]
fn a_shell_waits_for_the_agent_to_run() {
    let (cloud, clock) = demo(1.0);
    let mut launch = request("web-stack", "");
    launch.enable_exec = true;
    let task = block_on(cloud.run_task(&launch)).unwrap().tasks.remove(0);
    assert_eq!(task.containers[0].exec_agent.as_deref(), Some("PENDING"));
    let early = block_on(cloud.execute_command(&task.task_arn, "api", "/bin/sh")).unwrap_err();
    assert!(
        matches!(early, CloudError::Invalid { ref action, .. } if action == "ecs:ExecuteCommand")
    );
    clock.advance(Duration::minutes(5));
    assert!(block_on(cloud.execute_command(&task.task_arn, "api", "/bin/sh")).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_runs_in_the_container_with_its_name_and_env() {
    let (cloud, clock) = demo(1.0);
    let mut launch = request("web-stack", "");
    launch.enable_exec = true;
    launch.env = BTreeMap::from([(
        "api".to_string(),
        BTreeMap::from([("GREETING".to_string(), "launch-override".to_string())]),
    )]);
    let task = cloud.run_task(&launch).await.unwrap().tasks.remove(0);
    clock.advance(Duration::minutes(5));
    let grant = cloud
        .execute_command(&task.task_arn, "api", "/bin/sh")
        .await
        .unwrap();
    let Shell { input, mut output } = Shell::connect(&params(&grant), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, "$ ").await;
    input.write(&b"hostname\r"[..]).await.unwrap();
    read_until(&mut output, &format!("api-{}", task.task_id())).await;
    input.write(&b"env\r"[..]).await.unwrap();
    read_until(&mut output, "GREETING=launch-override").await;
    input.write(&b"exit\r"[..]).await.unwrap();
    ended(&mut output).await;
    let record = agent_record(&cloud, &grant.session_id);
    assert!(
        String::from_utf8_lossy(&record.input).contains("hostname"),
        "the agent saw the keys"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_session_closes_a_live_shell() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let grant = cloud
        .execute_command(&task.task_arn, "db", "/bin/sh")
        .await
        .unwrap();
    let Shell { input, mut output } = Shell::connect(&params(&grant), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, "$ ").await;
    cloud.end_session(&grant.session_id).await.unwrap();
    ended(&mut output).await;
    assert!(agent_record(&cloud, &grant.session_id).terminated_by_api);
    drop(input);
}

async fn http_get(forward: &PortForward) -> String {
    let mut stream = forward.open_stream().unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(StdDuration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("an answer or a close")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_port_reaches_the_stand_in_service_of_that_container() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let db = task.containers.iter().find(|c| c.name == "db").unwrap();
    let grant = cloud
        .start_port_forward(&task.task_arn, db.runtime_id.as_deref().unwrap(), 5432)
        .await
        .unwrap();
    let forward = PortForward::connect(&params(&grant), &ChannelOptions::default())
        .await
        .unwrap();
    let answer = http_get(&forward).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer.ends_with(&crate::connect::stand_in_body("db", 5432)),
        "{answer}"
    );
    cloud.end_session(&grant.session_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_the_container_does_not_serve_connects_to_nothing() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let web = task.containers.iter().find(|c| c.name == "web").unwrap();
    // 5432 is served, but by the db container, not by web.
    let grant = cloud
        .start_port_forward(&task.task_arn, web.runtime_id.as_deref().unwrap(), 5432)
        .await
        .unwrap();
    let forward = PortForward::connect(&params(&grant), &ChannelOptions::default())
        .await
        .unwrap();
    assert_eq!(http_get(&forward).await, "");
    let record = agent_record(&cloud, &grant.session_id);
    assert!(record.connect_failures >= 1, "{record:?}");
}

#[test]
fn a_forward_to_an_unknown_container_is_not_connected() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let refused =
        block_on(cloud.start_port_forward(&task.task_arn, "no-such-runtime", 5432)).unwrap_err();
    assert!(
        matches!(refused, CloudError::Service { ref code, .. } if code == "TargetNotConnected"),
        "{refused:?}"
    );
}
