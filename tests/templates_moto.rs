//! Container templates through the real binary against moto: `ondeck launch` registers the
//! task definition once, `ondeck templates` and `templates diff` say what a launch registers.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::proxy::Proxy;

/// A config whose profile `p<n>` has the two-container template `shop`, `web` on `web_image`.
/// Each container sets `memory`: moto 5.2.5 answers RunTask with a 500 when a container
/// definition has neither memory nor memoryReservation (it sums them for the task), which
/// Fargate itself allows.
fn config(dir: &Path, profile: &str, cluster: &str, endpoint: &str, web_image: &str) -> PathBuf {
    let moto = support::moto();
    let text = format!(
        r#"default_profile = "{profile}"

[profiles.{profile}]
region = "{region}"
endpoint_url = "{endpoint}"
cluster = "{cluster}"
owner = "ana"
subnets = ["{subnet}"]
security_groups = ["{group}"]

[profiles.{profile}.templates.shop]
cpu = 512
memory = 1024
ttl = "8h"
[profiles.{profile}.templates.shop.containers.web]
image = "{web_image}"
ports = [8080]
memory = 256
depends_on = {{ api = "START" }}
[profiles.{profile}.templates.shop.containers.api]
image = "ghcr.io/acme/api:2.0"
ports = [3000]
memory = 256

[profiles.{profile}.templates.stack]
task_definitions = ["web"]
"#,
        region = support::REGION,
        subnet = moto.subnets[0],
        group = moto.security_group,
    );
    let path = dir.join("ondeck.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(config: &Path, state: &Path, args: &[&str]) -> Output {
    let out = support::ondeck(config, state)
        .args(args)
        .output()
        .expect("run ondeck");
    assert!(
        out.status.success(),
        "ondeck {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn a_container_template_launches_once_registered_and_templates_say_so() {
    let moto = support::moto();
    let cluster = support::unique("tpl");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let profile = format!("p{}", fastrand::u32(..));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let v1 = config(
        dir.path(),
        &profile,
        &cluster,
        &proxy.endpoint,
        "ghcr.io/acme/web:1.4",
    );

    let listing = text(&run(&v1, &state, &["templates"]));
    assert!(listing.contains("not registered"), "{listing}");
    assert!(listing.contains("2 containers"), "{listing}");
    assert!(listing.contains("0.5 vCPU, 1 GB"), "{listing}");
    assert_eq!(proxy.count("RegisterTaskDefinition"), 0);

    run(&v1, &state, &["launch", "shop", "--name", "one"]);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 1);
    assert!(proxy.count("CreateLogGroup") >= 1);
    run(&v1, &state, &["launch", "shop", "--name", "two"]);
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        1,
        "a second launch registers nothing"
    );

    let listed: Value =
        serde_json::from_str(&text(&run(&v1, &state, &["list", "--json"]))).unwrap();
    let family = format!("ondeck-{profile}-shop:1");
    for name in ["one", "two"] {
        let instance = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|instance| instance["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {listed}"));
        assert_eq!(instance["state"], "RUNNING", "{instance}");
        let task = &instance["tasks"][0];
        assert!(
            task["task_definition"].as_str().unwrap().ends_with(&family),
            "{task}"
        );
    }

    let rows: Value =
        serde_json::from_str(&text(&run(&v1, &state, &["templates", "--json"]))).unwrap();
    let shop = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "shop")
        .unwrap();
    assert_eq!(shop["revision"], 1);
    assert_eq!(shop["registration"], "up to date");
    assert_eq!(shop["containers"], serde_json::json!(["api", "web"]));
    let cost = shop["cost_per_hour"].as_f64().unwrap();
    assert!(
        (cost - (0.5 * 0.04048 + 1.0 * 0.004445)).abs() < 1e-9,
        "{cost}"
    );
    let stack = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "stack")
        .unwrap();
    assert_eq!(stack["source"], "task definitions");
    assert_eq!(stack["containers"], serde_json::json!(["web", "api"]));
    let diff = text(&run(&v1, &state, &["templates", "diff", "shop"]));
    assert_eq!(diff, "no change: revision 1 is current\n");

    let v2 = config(
        dir.path(),
        &profile,
        &cluster,
        &proxy.endpoint,
        "ghcr.io/acme/web:1.5",
    );
    let listing = text(&run(&v2, &state, &["templates"]));
    assert!(
        listing.contains("revision 1, changed: next launch registers revision 2"),
        "{listing}"
    );
    let diff = text(&run(&v2, &state, &["templates", "diff", "shop"]));
    assert!(diff.contains("revision 1 → revision 2"), "{diff}");
    assert!(
        diff.contains(r#"~ web.image: "ghcr.io/acme/web:1.4" → "ghcr.io/acme/web:1.5""#),
        "{diff}"
    );
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        1,
        "diff registers nothing"
    );
    run(&v2, &state, &["launch", "shop", "--name", "three"]);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 2);
    let diff = text(&run(&v2, &state, &["templates", "diff", "shop"]));
    assert_eq!(diff, "no change: revision 2 is current\n");
}
