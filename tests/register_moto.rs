//! ondeck's own task definitions against moto through the SDK: registered from a TOML
//! template and from a compose file, only when their content changed, with their log group.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ondeck_aws::SdkCloud;
use ondeck_core::config::Profile;
use ondeck_engine::ops::{self, LaunchRequest, OpsContext};
use ondeck_engine::register::{Registration, ensure_registered, registration};
use ondeck_templates::hash::{HASH_TAG, content_hash};
use ondeck_templates::model::{TaskDefinition, TemplateContext};
use ondeck_templates::registry::Registry;
use ondeck_templates::{compose, toml_template};
use support::proxy::Proxy;

fn context(profile: &str, template: &str) -> TemplateContext {
    TemplateContext {
        profile: profile.into(),
        template: template.into(),
        region: support::REGION.into(),
        log_group: format!("/ondeck/{profile}"),
        stream_prefix: template.into(),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
        task_role_arn: None,
    }
}

/// `[profiles.<profile>.templates.shop]` with two containers; `web` runs `web_image`.
fn toml_shop(profile: &str, web_image: &str) -> TaskDefinition {
    let text = format!(
        r#"
[profiles.{profile}.templates.shop]
cpu = 512
memory = 1024
[profiles.{profile}.templates.shop.containers.web]
image = "{web_image}"
ports = [8080]
memory = 256
env = {{ API_URL = "http://localhost:3000" }}
depends_on = {{ api = "HEALTHY" }}
[profiles.{profile}.templates.shop.containers.api]
image = "ghcr.io/acme/api:2.0"
ports = [3000]
memory = 256
health = {{ command = "curl -f http://localhost:3000/health", interval = "10s" }}
"#
    );
    toml_template::read_template(Path::new("ondeck.toml"), &text, &context(profile, "shop"))
        .expect("a valid template")
        .task_definition
}

async fn registry(profile_name: &str, proxy: &Proxy) -> SdkCloud {
    let moto = support::moto();
    let mut profile: Profile = moto.profile("unused", "ana", &proxy.endpoint);
    profile.name = profile_name.into();
    SdkCloud::connect(&profile).await
}

fn quiet(_: String) {}

#[tokio::test]
async fn a_toml_template_registers_once_then_again_when_an_image_changes() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    let profile = support::unique("reg");
    let cloud = registry(&profile, &proxy).await;
    let wanted = toml_shop(&profile, "ghcr.io/acme/web:1.4");
    let family = format!("ondeck-{profile}-shop");
    assert_eq!(cloud.registered(&family).await.unwrap(), None);

    let first = ensure_registered(&cloud, &wanted, &quiet).await.unwrap();
    assert!(first.newly_registered);
    assert_eq!(first.registered.revision, 1);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 1);
    assert_eq!(proxy.count("CreateLogGroup"), 1);
    let groups = moto
        .logs()
        .await
        .describe_log_groups()
        .log_group_name_prefix(format!("/ondeck/{profile}"))
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1, "the log group was created");

    // What ECS holds reads back as what was registered, hash tag included.
    let found = cloud
        .registered(&family)
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(
        found.content_hash.as_deref(),
        Some(content_hash(&wanted).as_str())
    );
    assert_eq!(found.task_definition, wanted);
    let tags = moto
        .ecs()
        .await
        .list_tags_for_resource()
        .resource_arn(&found.arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tags().iter().any(|tag| tag.key() == Some(HASH_TAG)));

    let again = ensure_registered(&cloud, &wanted, &quiet).await.unwrap();
    assert!(!again.newly_registered);
    assert_eq!(again.registered.arn, first.registered.arn);
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        1,
        "nothing registered"
    );
    // An existing log group is fine.
    assert_eq!(proxy.count("CreateLogGroup"), 2);

    let changed = toml_shop(&profile, "ghcr.io/acme/web:1.5");
    let (before, _) = registration(&cloud, &changed).await.unwrap();
    assert_eq!(
        before,
        Registration::Changed {
            revision: 1,
            next: 2
        }
    );
    let second = ensure_registered(&cloud, &changed, &quiet).await.unwrap();
    assert!(second.newly_registered);
    assert_eq!(second.registered.revision, 2);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 2);
    let (after, _) = registration(&cloud, &changed).await.unwrap();
    assert_eq!(after, Registration::UpToDate { revision: 2 });
}

#[tokio::test]
async fn a_compose_file_registers_once_then_again_when_an_image_changes() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    let profile = support::unique("compose");
    let cloud = registry(&profile, &proxy).await;
    let fixture = support::repo_root().join("tests/fixtures/register/docker-compose.yml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let convert = |text: &str| {
        let read_file = |path: &Path| std::fs::read_to_string(path);
        compose::convert(
            &compose::ComposeSource {
                path: &fixture,
                text,
                variables: &Default::default(),
                active_profiles: &[],
                read_file: &read_file,
            },
            &context(&profile, "shop"),
            None,
        )
        .expect("a valid compose file")
        .task_definition
    };
    let wanted = convert(&text);
    assert_eq!(wanted.containers.len(), 2);

    let first = ensure_registered(&cloud, &wanted, &quiet).await.unwrap();
    assert!((first.newly_registered, first.registered.revision) == (true, 1));
    assert_eq!(first.registered.task_definition, wanted);
    let again = ensure_registered(&cloud, &wanted, &quiet).await.unwrap();
    assert!(!again.newly_registered);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 1);

    let changed = convert(&text.replace("web:1.4", "web:1.5"));
    let second = ensure_registered(&cloud, &changed, &quiet).await.unwrap();
    assert!((second.newly_registered, second.registered.revision) == (true, 2));
    assert_eq!(proxy.count("RegisterTaskDefinition"), 2);
}

#[tokio::test]
async fn launching_a_container_template_registers_first_and_once() {
    let moto = support::moto();
    let proxy = Proxy::start(&moto.endpoint);
    let cluster = support::unique("shop");
    let profile_name = support::unique("launch");
    let state = tempfile::tempdir().unwrap();
    let mut profile = moto.cluster(&cluster, "ana").await;
    profile.endpoint_url = Some(proxy.endpoint.clone());
    profile.name = profile_name.clone();
    let mut shop = profile.templates["stack"].clone();
    shop.name = "shop".into();
    shop.source = ondeck_core::config::TemplateSource::Containers;
    profile.templates.insert("shop".into(), shop);
    let cloud = Arc::new(SdkCloud::connect(&profile).await);
    let built = BTreeMap::from([(
        "shop".to_string(),
        Ok(toml_shop(&profile_name, "ghcr.io/acme/web:1.4")),
    )]);
    let ctx = OpsContext::new(cloud.clone(), profile, state.path().to_path_buf(), false)
        .with_registry(cloud, built);

    let first = ops::launch(&ctx, &launch_request("shop", "one"))
        .await
        .unwrap();
    assert_eq!(first.tasks.len(), 1, "one task holds both containers");
    assert_eq!(proxy.count("RegisterTaskDefinition"), 1);
    let family = format!("ondeck-{profile_name}-shop:1");
    assert!(first.tasks[0].task_definition_arn.ends_with(&family));

    let second = ops::launch(&ctx, &launch_request("shop", "two"))
        .await
        .unwrap();
    assert_eq!(second.tasks.len(), 1);
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        1,
        "nothing new registered"
    );
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    let running: Vec<&str> = snapshot
        .instances
        .iter()
        .filter(|instance| instance.is_wanted())
        .map(|instance| instance.name.as_str())
        .collect();
    assert_eq!(running, ["one", "two"]);
}

fn launch_request(template: &str, name: &str) -> LaunchRequest {
    LaunchRequest {
        template: template.into(),
        name: Some(name.into()),
        ..LaunchRequest::default()
    }
}
