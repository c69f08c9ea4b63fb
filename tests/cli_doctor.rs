//! `ondeck doctor` and `ondeck config check --online`, the real binary against moto: a
//! healthy setup passes, and each broken one gives its ✗ line with the fix and exit 1.

mod pty;
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, LogConfiguration, LogDriver, NetworkMode,
};
use serde_json::Value;

struct Setup {
    dir: tempfile::TempDir,
    cluster: String,
}

impl Setup {
    /// A cluster with the `web` and `worker` task definitions and their log groups.
    async fn healthy(prefix: &str) -> Setup {
        let moto = support::moto();
        let cluster = support::unique(prefix);
        moto.cluster(&cluster, "ana").await;
        let logs = moto.logs().await;
        for group in ["/ecs/web", "/ecs/worker"] {
            // Another test may have made it already.
            let _ = logs.create_log_group().log_group_name(group).send().await;
        }
        Setup {
            dir: tempfile::tempdir().unwrap(),
            cluster,
        }
    }

    /// A config on `cluster` with `subnets`, and `templates` (TOML after the profile).
    fn config(&self, cluster: &str, subnets: &[&str], templates: &str) -> PathBuf {
        let moto = support::moto();
        let subnets: Vec<String> = subnets.iter().map(|s| format!("{s:?}")).collect();
        let text = format!(
            r#"[profiles.test]
region = "{}"
endpoint_url = "{}"
cluster = "{cluster}"
owner = "ana"
subnets = [{}]
security_groups = ["{}"]
{templates}"#,
            support::REGION,
            moto.endpoint,
            subnets.join(", "),
            moto.security_group
        );
        let path = self.dir.path().join(format!("{}.toml", fastrand::u32(..)));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn healthy_config(&self) -> PathBuf {
        let moto = support::moto();
        self.config(
            &self.cluster,
            &[&moto.subnets[0], &moto.subnets[1]],
            "[profiles.test.templates.pair]\ntask_definitions = [\"web\", \"worker\"]\n",
        )
    }

    fn run(&self, config: &Path, args: &[&str]) -> Output {
        support::ondeck(config, &self.dir.path().join("state"))
            .args(args)
            .output()
            .expect("run ondeck")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The line of check `name`, which must be there.
fn line<'a>(out: &'a str, mark: char, name: &str) -> &'a str {
    let prefix = format!("{mark} {name}");
    out.lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{out}"))
}

async fn register(family: &str, container: ContainerDefinition) {
    support::moto()
        .ecs()
        .await
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(container)
        .send()
        .await
        .expect("RegisterTaskDefinition");
}

fn awslogs(group: &str) -> LogConfiguration {
    LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", group)
        .options("awslogs-region", support::REGION)
        .options("awslogs-stream-prefix", "ecs")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_healthy_setup_passes_every_check() {
    let setup = Setup::healthy("doctor-ok").await;
    let out = setup.run(&setup.healthy_config(), &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        line(&text, '✓', "credentials").contains("account 123456789012"),
        "{text}"
    );
    assert!(line(&text, '✓', "region").contains("us-east-1"), "{text}");
    assert!(line(&text, '✓', "cluster").contains("ACTIVE"), "{text}");
    assert!(line(&text, '✓', "template pair: task definition web").contains("FARGATE, awsvpc"));
    line(&text, '✓', "template pair: task definition worker");
    line(&text, '✓', "log group /ecs/web");
    line(&text, '✓', "log group /ecs/worker");
    assert!(
        line(&text, '✓', "template pair: exec").contains("ssmmessages"),
        "{text}"
    );
    assert!(line(&text, '✓', "subnets").contains("us-east-1"), "{text}");
    assert!(
        line(&text, '✓', "security groups").contains("default"),
        "{text}"
    );
    line(&text, '✓', "state directory");
    assert!(!text.contains('✗'), "{text}");
    // Not a terminal: no terminal line.
    assert!(!text.contains("terminal"), "{text}");

    let out = setup.run(&setup.healthy_config(), &["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).expect("--json is JSON");
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.len() >= 9, "{report}");
    assert!(
        checks
            .iter()
            .all(|check| check["ok"] == true && check.get("fix").is_none())
    );

    let out = setup.run(&setup.healthy_config(), &["config", "check", "--online"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(": ok\n"), "{text}");
    line(&text, '✓', "template pair: task definition web");
    assert!(
        !text.contains("✓ credentials"),
        "only the template checks: {text}"
    );
}

#[tokio::test]
async fn a_missing_cluster_is_a_cross_with_how_to_create_it() {
    let setup = Setup::healthy("doctor-nocluster").await;
    let moto = support::moto();
    let config = setup.config("no-such-cluster", &[&moto.subnets[0]], "");
    let out = setup.run(&config, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let cross = line(&text, '✗', "cluster");
    assert!(
        cross.contains("`no-such-cluster` not found in us-east-1"),
        "{cross}"
    );
    assert!(
        cross.contains("→ create it (`aws ecs create-cluster --cluster-name no-such-cluster"),
        "{cross}"
    );
    line(&text, '✓', "credentials");
    assert!(text.contains("1 of "), "{text}");

    let out = setup.run(&config, &["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["ok"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["check"], "cluster");
    assert!(
        failed[0]["fix"]
            .as_str()
            .unwrap()
            .contains("create-cluster")
    );
}

#[tokio::test]
async fn a_task_definition_without_awslogs_is_a_cross_and_its_text_is_sanitized() {
    let setup = Setup::healthy("doctor-nolog").await;
    let family = support::unique("nolog");
    // moto, unlike ECS, takes any container name: an escape sequence must not reach a screen.
    register(
        &family,
        ContainerDefinition::builder()
            .name("app\x1b]0;owned\x07")
            .image("example/app:1")
            .essential(true)
            .build(),
    )
    .await;
    let moto = support::moto();
    let config = setup.config(
        &setup.cluster,
        &[&moto.subnets[0]],
        &format!("[profiles.test.templates.bare]\ntask_definitions = [\"{family}\"]\n"),
    );
    let out = setup.run(&config, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let cross = line(
        &text,
        '✗',
        &format!("template bare: task definition {family}"),
    );
    assert!(cross.contains("logs with nothing, not awslogs"), "{cross}");
    assert!(cross.contains("→ give container app"), "{cross}");
    assert!(cross.contains("awslogs-stream-prefix"), "{cross}");
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "{text:?}"
    );

    let out = setup.run(&config, &["config", "check", "--online"]);
    assert_eq!(out.status.code(), Some(1));
    line(
        &stdout(&out),
        '✗',
        &format!("template bare: task definition {family}"),
    );
}

#[tokio::test]
async fn a_missing_log_group_is_a_cross_with_the_command_that_creates_it() {
    let setup = Setup::healthy("doctor-nogroup").await;
    let family = support::unique("nogroup");
    let group = format!("/ecs/{family}");
    register(
        &family,
        ContainerDefinition::builder()
            .name("app")
            .image("example/app:1")
            .log_configuration(awslogs(&group))
            .build(),
    )
    .await;
    let moto = support::moto();
    let config = setup.config(
        &setup.cluster,
        &[&moto.subnets[0]],
        &format!("[profiles.test.templates.app]\ntask_definitions = [\"{family}\"]\n"),
    );
    let out = setup.run(&config, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    line(
        &text,
        '✓',
        &format!("template app: task definition {family}"),
    );
    let cross = line(&text, '✗', &format!("log group {group}"));
    assert!(cross.contains("does not exist in us-east-1"), "{cross}");
    assert!(
        cross.contains(&format!(
            "→ `aws logs create-log-group --log-group-name {group} --region us-east-1`"
        )),
        "{cross}"
    );
}

#[tokio::test]
async fn a_nonexistent_subnet_is_a_cross_naming_it() {
    let setup = Setup::healthy("doctor-nosubnet").await;
    let moto = support::moto();
    let config = setup.config(
        &setup.cluster,
        &[&moto.subnets[0], "subnet-0000000000dead"],
        "[profiles.test.templates.stack]\ntask_definitions = [\"web\"]\n",
    );
    let out = setup.run(&config, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let cross = line(&text, '✗', "subnets");
    assert!(
        cross.contains("subnet-0000000000dead not found in us-east-1"),
        "{cross}"
    );
    assert!(
        cross.contains("→ fix `subnets` of profile `test`"),
        "{cross}"
    );
    line(&text, '✓', "security groups");
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_every_aws_check_and_ends() {
    let setup = Setup::healthy("doctor-down").await;
    // A port nothing listens on: each call fails fast, none hangs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = setup.healthy_config();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&support::moto().endpoint, &dead);
    std::fs::write(&config, text).unwrap();
    let out = setup.run(&config, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        line(&text, '✗', "credentials").contains("cannot reach"),
        "{text}"
    );
    line(&text, '✗', "cluster");
    line(&text, '✓', "state directory");
}

/// On a terminal, doctor also reports its type, colours and size.
fn doctor_in_a_terminal(setup: &Setup, columns: u16, rows: u16) -> String {
    let state = setup.dir.path().join(format!("pty-{columns}x{rows}"));
    std::fs::create_dir_all(&state).unwrap();
    let mut pty = pty::PtyBuilder::new(columns, rows, &state)
        .env("ONDECK_CONFIG", setup.healthy_config())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck_then_stty(&["doctor"]);
    pty.wait_for_text("ondeck exited with ", std::time::Duration::from_secs(60));
    pty.wait_for_end(std::time::Duration::from_secs(20));
    pty.screen_text()
}

#[tokio::test]
async fn on_a_terminal_doctor_reports_its_colours_and_size() {
    let setup = Setup::healthy("doctor-pty").await;
    let screen = doctor_in_a_terminal(&setup, 200, 40);
    assert!(
        screen.contains("✓ terminal: xterm-256color, 256 colours, 200x40"),
        "{screen}"
    );
    assert!(screen.contains("ondeck exited with 0"), "{screen}");

    let screen = doctor_in_a_terminal(&setup, 45, 40);
    assert!(
        screen.contains("✗ terminal: xterm-256color, 256 colours, 45x40"),
        "{screen}"
    );
    assert!(screen.contains("ondeck exited with 1"), "{screen}");
}
