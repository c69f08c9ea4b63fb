//! `ondeck init`, the real binary against moto: from flags for scripts, interactively in a
//! pseudo-terminal, and never over an existing file. What it writes passes `config check`.

mod pty;
mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, LaunchType, NetworkConfiguration};
use pty::PtyBuilder;

const SHORT: Duration = Duration::from_secs(20);

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ondeck(config: &Path, dir: &Path, args: &[&str]) -> Output {
    support::ondeck(config, &dir.join("state"))
        .args(args)
        .output()
        .expect("run ondeck")
}

#[tokio::test]
async fn init_from_flags_writes_a_config_that_check_and_doctor_accept() {
    let moto = support::moto();
    let cluster = support::unique("init-flags");
    moto.cluster(&cluster, "ana").await;
    let _ = moto
        .logs()
        .await
        .create_log_group()
        .log_group_name("/ecs/web")
        .send()
        .await;
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist yet, as ~/.config/ondeck on a new machine.
    let config = dir.path().join("xdg/ondeck/config.toml");
    let out = ondeck(
        &config,
        dir.path(),
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
            "--subnet",
            &moto.subnets[1],
            "--security-group",
            &moto.security_group,
            "--owner",
            "bo",
            "--template-from",
            "web",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("wrote {}", config.display())),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("`ondeck doctor`, then `ondeck launch web`"),
        "{}",
        stdout(&out)
    );
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains(&format!("cluster = \"{cluster}\"")),
        "{written}"
    );
    assert!(
        written.contains("[profiles.dev.templates.web]"),
        "{written}"
    );
    assert!(
        written.contains("task_definitions = [\"web\"]"),
        "{written}"
    );
    assert!(
        written.lines().filter(|l| l.starts_with('#')).count() >= 8,
        "commented: {written}"
    );

    let check = ondeck(&config, dir.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("owner             bo"),
        "{}",
        stdout(&check)
    );
    let doctor = ondeck(&config, dir.path(), &["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
}

#[test]
fn init_never_overwrites_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# mine\n").unwrap();
    let out = ondeck(
        &config,
        dir.path(),
        &[
            "init",
            "--region",
            "us-east-1",
            "--cluster",
            "c",
            "--subnet",
            "subnet-1",
            "--security-group",
            "sg-1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("already exists") && said.contains("--config PATH"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");
}

#[test]
fn init_without_a_terminal_names_the_flags_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let out = ondeck(
        &config,
        dir.path(),
        &["init", "--region", "us-east-1", "--cluster", "c"],
    );
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("--subnet, --security-group"), "{said}");
    assert!(!config.exists());
}

#[tokio::test]
async fn interactive_init_offers_the_clusters_networking_and_families() {
    let moto = support::moto();
    let cluster = support::unique("init-pty");
    moto.cluster(&cluster, "ana").await;
    moto.ecs()
        .await
        .create_service()
        .cluster(&cluster)
        .service_name("shop")
        .task_definition("web")
        .desired_count(0)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets(&moto.subnets[1])
                        .security_groups(&moto.security_group)
                        .assign_public_ip(AssignPublicIp::Enabled)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let mut pty = PtyBuilder::new(160, 50, dir.path())
        .env("ONDECK_CONFIG", &config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", support::REGION)
        .spawn_ondeck(&["init", "--endpoint-url", &moto.endpoint]);

    // The region's default comes from the environment.
    pty.wait_for_text("AWS region [us-east-1]: ", SHORT);
    pty.send_keys("\r");
    pty.wait_for_text("Cluster (number or name) [1]: ", SHORT);
    assert!(
        pty.screen_text().contains(&cluster),
        "{}",
        pty.screen_text()
    );
    pty.send_keys(format!("{cluster}\r"));
    // The networking of the service already in the cluster is the default.
    pty.wait_for_text("service shop runs in", SHORT);
    pty.wait_for_text(
        &format!("Subnets (comma-separated) [{}]: ", moto.subnets[1]),
        SHORT,
    );
    pty.send_keys("\r");
    pty.wait_for_text(
        &format!(
            "Security groups (comma-separated) [{}]: ",
            moto.security_group
        ),
        SHORT,
    );
    pty.send_keys("\r");
    pty.wait_for_text("(public subnets without a NAT gateway)? [Y/n]: ", SHORT);
    pty.send_keys("\r");
    pty.wait_for_text("Owner of your instances [ana]: ", SHORT);
    pty.send_keys("\r");
    pty.wait_for_text("Template (number, family or compose file) [1]: ", SHORT);
    assert!(
        pty.screen_text().contains(") worker"),
        "{}",
        pty.screen_text()
    );
    pty.send_keys("worker\r");
    pty.wait_for_text("next: `ondeck doctor`, then `ondeck launch worker`", SHORT);
    let status = pty.wait_for_end(SHORT);
    assert!(status.success(), "{}", pty.screen_text());

    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains(&format!("cluster = \"{cluster}\"")),
        "{written}"
    );
    assert!(
        written.contains(&format!("subnets = [\"{}\"]", moto.subnets[1])),
        "{written}"
    );
    assert!(written.contains("assign_public_ip = true"), "{written}");
    assert!(written.contains("owner = \"ana\""), "{written}");
    let check = ondeck(&config, dir.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[tokio::test]
async fn init_from_a_compose_file_writes_a_compose_template_doctor_accepts() {
    let moto = support::moto();
    let cluster = support::unique("init-compose");
    moto.cluster(&cluster, "ana").await;
    let dir = tempfile::tempdir().unwrap();
    let compose = dir.path().join("shop/docker-compose.yml");
    std::fs::create_dir_all(compose.parent().unwrap()).unwrap();
    std::fs::write(
        &compose,
        "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n  api:\n    image: example/api:2\n",
    )
    .unwrap();
    let config = dir.path().join("config.toml");
    let out = ondeck(
        &config,
        dir.path(),
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
            "--template-from",
            compose.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains("[profiles.dev.templates.shop]"),
        "{written}"
    );
    assert!(
        written.contains(&format!("compose = {:?}", compose.to_str().unwrap())),
        "{written}"
    );
    let check = ondeck(&config, dir.path(), &["config", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let doctor = ondeck(&config, dir.path(), &["doctor"]);
    let text = stdout(&doctor);
    assert!(
        text.lines()
            .any(|l| l.starts_with("✓ template shop: registers ") && l.contains("api, web")),
        "{text}"
    );
    assert!(
        text.contains("✓ log group /ondeck/dev: does not exist yet; ondeck creates it"),
        "{text}"
    );
    assert_eq!(doctor.status.code(), Some(0), "{text}");
}
