//! A newcomer's path against moto, through the real binary: `ondeck init` from a compose
//! file, `ondeck doctor`, `ondeck launch`, then every container's logs in `ondeck logs` and in
//! the dashboard's log pane. No other tool is used.

mod pty;
mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use pty::PtyBuilder;
use serde_json::Value;

const SHORT: Duration = Duration::from_secs(20);

fn ondeck(config: &Path, state: &Path, args: &[&str]) -> Output {
    support::ondeck(config, state)
        .args(args)
        .output()
        .expect("run ondeck")
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn from_init_with_a_compose_file_to_both_containers_logs() {
    let moto = support::moto();
    let cluster = support::unique("newcomer");
    moto.cluster(&cluster, "ana").await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    // Each service sets mem_limit: moto answers RunTask with a 500 when a container has
    // neither memory nor memoryReservation, which Fargate itself allows.
    let compose = dir.path().join("shop/docker-compose.yml");
    std::fs::create_dir_all(compose.parent().unwrap()).unwrap();
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    mem_limit: 256m\n    depends_on: [api]\n  api:\n    image: example/api:2\n    mem_limit: 256m\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");

    ok(
        ondeck(
            &config,
            &state,
            &[
                "init",
                "--region",
                support::REGION,
                "--endpoint-url",
                &moto.endpoint,
                "--cluster",
                &cluster,
                "--subnet",
                &moto.subnets[0],
                "--security-group",
                &moto.security_group,
                "--owner",
                "ana",
                "--template-from",
                compose.to_str().unwrap(),
            ],
        ),
        "init",
    );
    let doctor = ok(ondeck(&config, &state, &["doctor"]), "doctor");
    assert!(!doctor.contains('✗'), "{doctor}");
    ok(
        ondeck(
            &config,
            &state,
            &["launch", "shop", "--name", "mine", "--wait"],
        ),
        "launch",
    );

    let listed: Value =
        serde_json::from_str(&ok(ondeck(&config, &state, &["list", "--json"]), "list")).unwrap();
    let instance = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|instance| instance["name"] == "mine")
        .unwrap_or_else(|| panic!("mine in {listed}"));
    assert_eq!(instance["state"], "RUNNING", "{instance}");
    let task_arn = instance["tasks"][0]["task_arn"]
        .as_str()
        .unwrap()
        .to_string();
    let task_id = task_arn.rsplit('/').next().unwrap().to_string();

    // What the awslogs driver would write: the group and prefix ondeck named at registration.
    let logs = moto.logs().await;
    let now = chrono::Utc::now().timestamp_millis();
    for container in ["web", "api"] {
        let stream = format!("ondeck/{container}/{task_id}");
        logs.create_log_stream()
            .log_group_name("/ondeck/dev")
            .log_stream_name(&stream)
            .send()
            .await
            .unwrap();
        logs.put_log_events()
            .log_group_name("/ondeck/dev")
            .log_stream_name(&stream)
            .log_events(
                InputLogEvent::builder()
                    .timestamp(now)
                    .message(format!("hello from {container}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    let printed = ok(
        ondeck(&config, &state, &["logs", "mine", "--since", "10m"]),
        "logs",
    );
    for container in ["web", "api"] {
        assert!(
            printed.lines().any(|line| line.contains(container)
                && line.contains(&format!("hello from {container}"))),
            "{printed}"
        );
    }

    std::fs::create_dir_all(&state).unwrap();
    let mut dashboard = PtyBuilder::new(120, 30, &state)
        .env("ONDECK_CONFIG", &config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck(&[]);
    dashboard.wait_for("mine RUNNING", SHORT, |screen| {
        screen
            .lines()
            .any(|line| line.contains("mine") && line.contains("RUNNING"))
    });
    dashboard.send_keys("\r");
    dashboard.wait_for("both containers' lines", SHORT, |screen| {
        screen.contains("hello from web") && screen.contains("hello from api")
    });
    // The first q closes the log pane, the second quits.
    dashboard.send_keys("q");
    dashboard.wait_for("the table alone", SHORT, |screen| {
        !screen.contains("hello from web")
    });
    dashboard.send_keys("q");
    assert!(dashboard.wait_for_end(SHORT).success());
}
