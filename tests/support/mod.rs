//! Test support owned by the suite: moto's AWS-API server on loopback, fixtures created through
//! the real SDK, and a fault-injecting HTTP proxy.
#![allow(dead_code)] // each test binary uses a different part of the support code

pub mod proxy;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, LogConfiguration, LogDriver, NetworkMode, PortMapping,
};
use ondeck_core::config::{Profile, Template, TemplateKind, TemplateSource};

pub const REGION: &str = "us-east-1";

pub struct Moto {
    pub endpoint: String,
    pub subnets: Vec<String>,
    pub security_group: String,
    // Dropping the handle closes the server's stdin, which stops it.
    _server: Mutex<Child>,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has moto: `ONDECK_TEST_PYTHON`, else the repo's `.venv`, else `python3`.
fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("ONDECK_TEST_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = repo_root().join(".venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// The one moto server of this test binary, started on first use. Fails loudly — never skips.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        // SAFETY: set once, before any SDK client of this process exists; std serializes
        // its own environment access.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::remove_var("AWS_PROFILE");
        }
        let script = repo_root().join("tests/support/moto_server.py");
        let mut child = Command::new(python())
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start moto ({err}); run `bash .ci/run` once, or \
                     `python3 -m venv .venv && .venv/bin/pip install 'moto[server]==5.2.5'`"
                )
            });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("moto's first line");
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "moto did not start (is moto[server] installed for {}?); got {line:?}",
                python().display()
            )
        });
        Moto {
            endpoint: ready["endpoint"].as_str().expect("endpoint").to_string(),
            subnets: ready["subnets"]
                .as_array()
                .expect("subnets")
                .iter()
                .map(|s| s.as_str().expect("subnet").to_string())
                .collect(),
            security_group: ready["security_group"].as_str().expect("sg").to_string(),
            _server: Mutex::new(child),
        }
    })
}

impl Moto {
    pub async fn sdk_config(&self, endpoint: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(
                aws_smithy_http_client::Builder::new()
                    .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                        aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                    ))
                    .build_https(),
            )
            .region(aws_config::Region::new(REGION))
            .endpoint_url(endpoint)
            .load()
            .await
    }

    pub async fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config(&self.endpoint).await)
    }

    pub async fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk_config(&self.endpoint).await)
    }

    /// A fresh cluster with the task definitions `web` (web + api) and `worker` (worker),
    /// and a profile for `owner` with templates `stack` (web) and `pair` (web + worker).
    /// A cluster per test keeps tests apart on one server.
    pub async fn cluster(&self, cluster: &str, owner: &str) -> Profile {
        let ecs = self.ecs().await;
        ecs.create_cluster()
            .cluster_name(cluster)
            .send()
            .await
            .expect("CreateCluster");
        register(&ecs, "web", &[("web", 8080), ("api", 3000)]).await;
        register(&ecs, "worker", &[("worker", 9000)]).await;
        self.profile(cluster, owner, &self.endpoint)
    }

    /// A profile on `cluster` talking to `endpoint` (moto itself, or a proxy in front of it).
    pub fn profile(&self, cluster: &str, owner: &str, endpoint: &str) -> Profile {
        let template = |name: &str, defs: &[&str]| Template {
            exec: None,
            shell: None,
            exec_container: None,
            links: Default::default(),
            name: name.to_string(),
            description: Some(format!("{name} for tests")),
            source: TemplateSource::TaskDefinitions(defs.iter().map(|d| d.to_string()).collect()),
            size: None,
            env: BTreeMap::new(),
            ttl: None,
            spot: false,
            kind: Default::default(),
        };
        // Service-backed: one ECS service per task definition.
        let kept = Template {
            kind: TemplateKind::Service,
            ttl: Some(chrono::Duration::hours(4)),
            ..template("kept", &["web", "worker"])
        };
        Profile {
            name: "test".into(),
            aws_profile: None,
            region: REGION.into(),
            endpoint_url: Some(endpoint.to_string()),
            cluster: cluster.into(),
            owner: owner.into(),
            subnets: self.subnets.clone(),
            security_groups: vec![self.security_group.clone()],
            assign_public_ip: false,
            templates: BTreeMap::from([
                ("stack".to_string(), template("stack", &["web"])),
                ("pair".to_string(), template("pair", &["web", "worker"])),
                ("kept".to_string(), kept),
            ]),
            refresh_busy_secs: 2,
            refresh_steady_secs: 30,
            log_buffer_lines: 50_000,
            exec_client: Default::default(),
            execution_role_arn: None,
            task_role_arn: None,
            log_group: "/ondeck/test".into(),
            log_stream_prefix: "ondeck".into(),
            prices: None,
        }
    }
}

async fn register(ecs: &aws_sdk_ecs::Client, family: &str, containers: &[(&str, i32)]) {
    let mut request = ecs
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("512")
        .memory("1024");
    for (name, port) in containers {
        request = request.container_definitions(
            ContainerDefinition::builder()
                .name(*name)
                .image(format!("example/{name}:1"))
                .memory(256)
                .essential(true)
                .port_mappings(PortMapping::builder().container_port(*port).build())
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", format!("/ecs/{family}"))
                        .options("awslogs-region", REGION)
                        .options("awslogs-stream-prefix", "ecs")
                        .build()
                        .expect("log configuration"),
                )
                .build(),
        );
    }
    request.send().await.expect("RegisterTaskDefinition");
}

/// A cluster name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", fastrand::u32(..))
}

/// A config file for the binary: profile `test` on `cluster`, via `endpoint`.
pub fn config_file(
    dir: &std::path::Path,
    moto: &Moto,
    cluster: &str,
    owner: &str,
    endpoint: &str,
) -> PathBuf {
    let text = format!(
        r#"default_profile = "test"

[profiles.test]
region = "{REGION}"
endpoint_url = "{endpoint}"
cluster = "{cluster}"
owner = "{owner}"
subnets = ["{}"]
security_groups = ["{}"]

[profiles.test.templates.stack]
description = "web and api"
task_definitions = ["web"]

[profiles.test.templates.pair]
task_definitions = ["web", "worker"]
ttl = "2h"

[profiles.test.templates.kept]
description = "kept running by ECS services"
kind = "service"
task_definitions = ["worker"]
ttl = "2h"
"#,
        moto.subnets[0], moto.security_group
    );
    let path = dir.join(format!("{owner}.toml"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// The ondeck binary with a config, its own state dir and moto's credentials.
pub fn ondeck(config: &std::path::Path, state: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ondeck"));
    command
        .env("ONDECK_CONFIG", config)
        .env("ONDECK_STATE_DIR", state)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("ONDECK_PROFILE")
        .stdin(Stdio::null());
    command
}
