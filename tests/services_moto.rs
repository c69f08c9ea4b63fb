//! Service-backed instances (`kind = "service"`) against a real AWS-API server: CreateService,
//! UpdateService, DeleteService and DescribeServices through the real SDK clients to moto,
//! with a proxy in front to see what was sent and to lose answers. moto's services start no
//! tasks, so what tasks do (crashes, replacements, the seam in the logs) is tested against the
//! simulated cluster instead.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ecs::types::ServiceField;
use ondeck_aws::SdkCloud;
use ondeck_core::config::Profile;
use ondeck_core::instances::InstanceState;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::model::{TaskState, tags};
use ondeck_engine::ops::{self, LaunchRequest, OpsContext, OpsError};
use support::proxy::{Fault, Proxy};

async fn context(profile: Profile, state_dir: &std::path::Path) -> OpsContext {
    let cloud = SdkCloud::connect(&profile).await;
    OpsContext::new(Arc::new(cloud), profile, state_dir.to_path_buf(), false)
}

/// A launch of `template` named `name`.
fn named(template: &str, name: &str) -> LaunchRequest {
    LaunchRequest {
        template: template.into(),
        name: Some(name.into()),
        ..LaunchRequest::default()
    }
}

/// A launch of the service-backed template.
fn kept(name: &str) -> LaunchRequest {
    named("kept", name)
}

/// The services of `cluster` as moto describes them: name → (status, desired count, tags).
async fn services_on_server(
    cluster: &str,
) -> BTreeMap<String, (String, i32, BTreeMap<String, String>)> {
    let ecs = support::moto().ecs().await;
    let arns = ecs
        .list_services()
        .cluster(cluster)
        .send()
        .await
        .expect("ListServices")
        .service_arns()
        .to_vec();
    if arns.is_empty() {
        return BTreeMap::new();
    }
    let described = ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(arns))
        .include(ServiceField::Tags)
        .send()
        .await
        .expect("DescribeServices");
    described
        .services()
        .iter()
        .map(|service| {
            let tags = service
                .tags()
                .iter()
                .filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string())))
                .collect();
            (
                service.service_name().unwrap_or_default().to_string(),
                (
                    service.status().unwrap_or_default().to_string(),
                    service.desired_count(),
                    tags,
                ),
            )
        })
        .collect()
}

async fn find(ctx: &OpsContext, id: &InstanceId) -> ondeck_core::instances::Instance {
    ops::refresh(ctx, false)
        .await
        .unwrap()
        .find(id)
        .cloned()
        .expect("the instance is listed")
}

#[tokio::test]
async fn a_service_backed_launch_creates_one_tagged_service_per_task_definition() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svc");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    proxy.record("CreateService");
    let profile = moto.profile(&cluster, "ana", &proxy.endpoint);
    let subnets = profile.subnets.clone();
    let ctx = context(profile, state.path()).await;

    let launched = ops::launch(&ctx, &kept("jobs")).await.unwrap();
    assert!(launched.tasks.is_empty(), "a service starts its own tasks");
    let mut names: Vec<&str> = launched.services.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["ondeck-ana-jobs-web", "ondeck-ana-jobs-worker"]);
    assert_eq!(proxy.count("RunTask"), 0);

    let on_server = services_on_server(&cluster).await;
    assert_eq!(on_server.len(), 2);
    for (name, (status, desired, tags)) in &on_server {
        assert_eq!((status.as_str(), *desired), ("ACTIVE", 1), "{name}");
        assert_eq!(tags.get(tags::OWNER).map(String::as_str), Some("ana"));
        assert_eq!(tags.get(tags::INSTANCE).map(String::as_str), Some("jobs"));
        assert_eq!(tags.get(tags::TEMPLATE).map(String::as_str), Some("kept"));
        assert_eq!(tags.get(tags::TTL).map(String::as_str), Some("4h"));
        assert!(tags.contains_key(tags::EXPIRES_AT), "{name}");
        let token = &tags[tags::LAUNCH_TOKEN];
        assert!(token.starts_with(&launched.id.launch), "{token}");
    }
    // What moto does not keep, checked as sent.
    let sent = proxy.recorded("CreateService");
    assert_eq!(sent.len(), 2);
    for body in &sent {
        assert_eq!(body["desiredCount"], 1);
        assert_eq!(body["launchType"], "FARGATE");
        assert_eq!(body["propagateTags"], "SERVICE");
        assert_eq!(
            body["enableExecuteCommand"], false,
            "no task role: no ECS Exec"
        );
        assert_eq!(
            body["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
            serde_json::json!(subnets)
        );
        assert_eq!(
            body["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"],
            true
        );
        let token = body["clientToken"].as_str().unwrap();
        assert!(token.len() <= 36, "{token}");
    }

    let instance = find(&ctx, &launched.id).await;
    assert_eq!(instance.template, "kept");
    assert_eq!(instance.services.len(), 2);
    assert!(instance.is_owned_by("ana"), "{:?}", instance.disputed_by());
    assert!(instance.is_wanted());
    assert_eq!(
        instance.state,
        InstanceState::Lifecycle(TaskState::Provisioning),
        "no task runs yet"
    );
    assert_eq!(
        ops::launch(&ctx, &kept("jobs")).await.unwrap_err(),
        OpsError::NameTaken("jobs".into()),
        "a service-backed name is taken while its services are kept"
    );
}

#[tokio::test]
async fn env_overrides_are_refused_for_services_before_anything_is_created() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcenv");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let mut request = kept("envy");
    request.env = ops::parse_env(["web:DEBUG=1"]).unwrap();
    let err = ops::launch(&ctx, &request).await.unwrap_err();
    assert!(
        matches!(&err, OpsError::Refused(why) if why.contains("kind = \"service\"")),
        "{err}"
    );
    assert_eq!(proxy.count("CreateService"), 0);
    assert!(services_on_server(&cluster).await.is_empty());
}

#[tokio::test]
async fn a_lost_create_service_answer_still_creates_exactly_one_service() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svclost");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(Some("CreateService"), Fault::LoseAnswer, Some(1));
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;

    let launched = ops::launch(&ctx, &kept("once")).await.unwrap();
    assert_eq!(proxy.injected("CreateService"), 1, "the answer was lost");
    assert_eq!(launched.services.len(), 2);
    assert_eq!(
        proxy.count("CreateService"),
        2,
        "one per task definition: the lost one was found by name, not created again"
    );
    assert!(proxy.count("DescribeServices") >= 1);
    assert_eq!(services_on_server(&cluster).await.len(), 2);
}

#[tokio::test]
async fn a_launch_whose_look_fails_after_a_lost_answer_is_resumed_not_repeated() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcresume");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    // The answer is lost and the look by name fails: the launch gives up, intent kept …
    proxy.inject(Some("CreateService"), Fault::LoseAnswer, Some(1));
    proxy.inject(Some("DescribeServices"), Fault::Reset, None);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    assert!(ops::launch(&ctx, &kept("later")).await.is_err());
    assert_eq!(proxy.count("CreateService"), 1, "no blind retry");
    proxy.clear();

    // … and the retry finds the service by its token and creates only the second one.
    let resumed = ops::launch(&ctx, &kept("later")).await.unwrap();
    assert!(resumed.recovered);
    assert_eq!(proxy.count("CreateService"), 2);
    let on_server = services_on_server(&cluster).await;
    assert_eq!(on_server.len(), 2, "{on_server:?}");
    let tokens: Vec<&str> = on_server
        .values()
        .map(|(_, _, tags)| tags[tags::LAUNCH_TOKEN].as_str())
        .collect();
    assert!(tokens.iter().all(|t| t.starts_with(&resumed.id.launch)));
}

#[tokio::test]
async fn pause_and_resume_scale_every_service_and_keep_the_instance() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcpause");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    proxy.record("UpdateService");
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let launched = ops::launch(&ctx, &kept("night")).await.unwrap();
    let expires = find(&ctx, &launched.id).await.expires_at;

    assert_eq!(ops::pause(&ctx, &launched.id, false).await.unwrap(), 2);
    let on_server = services_on_server(&cluster).await;
    assert!(on_server.values().all(|(status, desired, tags)| {
        status == "ACTIVE" && *desired == 0 && tags.contains_key(tags::PAUSED_AT)
    }));
    let paused = find(&ctx, &launched.id).await;
    assert_eq!(paused.state, InstanceState::Paused);
    assert!(paused.is_wanted(), "a paused instance keeps its name");
    assert_eq!(paused.expires_at, expires, "and its expiry");
    assert!(paused.paused_since().is_some());
    assert_eq!(
        ops::pause(&ctx, &launched.id, false).await.unwrap(),
        0,
        "pausing twice scales nothing"
    );

    assert_eq!(ops::resume(&ctx, &launched.id, false).await.unwrap(), 2);
    assert!(
        services_on_server(&cluster)
            .await
            .values()
            .all(|(_, desired, _)| *desired == 1)
    );
    let sent: Vec<i64> = proxy
        .recorded("UpdateService")
        .iter()
        .map(|body| body["desiredCount"].as_i64().unwrap())
        .collect();
    assert_eq!(sent, [0, 0, 1, 1]);
    let resumed = find(&ctx, &launched.id).await;
    assert_ne!(resumed.state, InstanceState::Paused);
    assert_eq!(resumed.paused_since(), None);
}

#[tokio::test]
async fn pausing_a_task_backed_instance_is_refused_with_the_way_out() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcrefuse");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let launched = ops::launch(&ctx, &named("stack", "plain")).await.unwrap();
    let err = ops::pause(&ctx, &launched.id, false).await.unwrap_err();
    let said = err.to_string();
    assert!(said.contains("runs as ECS tasks"), "{said}");
    assert!(said.contains("kind = \"service\""), "{said}");
    assert_eq!(proxy.count("UpdateService"), 0);
}

#[tokio::test]
async fn destroy_scales_to_zero_and_deletes_every_service() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcdestroy");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    proxy.record("DeleteService");
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let launched = ops::launch(&ctx, &kept("gone")).await.unwrap();

    let destroyed = ops::destroy(&ctx, &launched.id, false).await.unwrap();
    assert_eq!(destroyed.services_deleted, 2);
    assert_eq!(proxy.count("UpdateService"), 2, "scaled to zero first");
    assert!(
        proxy
            .recorded("DeleteService")
            .iter()
            .all(|body| body["force"] == true)
    );
    assert!(
        services_on_server(&cluster)
            .await
            .values()
            .all(|(status, _, _)| status == "INACTIVE")
    );
    let after = find(&ctx, &launched.id).await;
    assert_eq!(after.state, InstanceState::Lifecycle(TaskState::Stopped));
    assert!(!after.is_wanted());
    let again = ops::destroy(&ctx, &launched.id, false).await.unwrap();
    assert!(again.is_nothing(), "destroying twice deletes nothing more");
}

#[tokio::test]
async fn relaunch_brings_back_the_same_name_template_and_ttl() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcrelaunch");
    moto.cluster(&cluster, "ana").await;
    let ctx = context(moto.profile(&cluster, "ana", &moto.endpoint), state.path()).await;
    let mut first = kept("phoenix");
    first.ttl = Some(chrono::Duration::hours(2));
    let launched = ops::launch(&ctx, &first).await.unwrap();

    let plan = ops::relaunch_plan(&ctx, &launched.id, false).await.unwrap();
    assert_eq!(plan.request.template, "kept");
    assert_eq!(plan.request.name.as_deref(), Some("phoenix"));
    assert_eq!(
        plan.request.ttl,
        Some(chrono::Duration::hours(2)),
        "the ttl it was given, not the template's"
    );
    let steps = std::sync::Mutex::new(Vec::new());
    let progress = |step: String| steps.lock().unwrap().push(step);
    let again = ops::relaunch(&ctx, &plan, &progress).await.unwrap();
    assert_eq!(again.id.name, "phoenix");
    assert_ne!(again.id.launch, launched.id.launch, "a new launch");
    assert!(
        steps
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.contains("launching")),
        "{steps:?}"
    );

    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    // ECS reuses an INACTIVE service's name: the old launch is gone or history.
    assert!(
        snapshot
            .find(&launched.id)
            .is_none_or(|old| !old.is_wanted())
    );
    let new = snapshot.find(&again.id).expect("the new launch is listed");
    assert!(new.is_wanted());
    assert_eq!(new.services.len(), 2);
    assert!(
        new.services
            .iter()
            .all(|s| s.tag(tags::TTL) == Some("2h") && s.is_active())
    );
}

#[tokio::test]
async fn relaunch_of_a_task_backed_instance_keeps_its_env_overrides() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("taskrelaunch");
    moto.cluster(&cluster, "ana").await;
    let ctx = context(moto.profile(&cluster, "ana", &moto.endpoint), state.path()).await;
    let request = LaunchRequest {
        env: ops::parse_env(["api:FEATURE=on", "web:DEBUG=1"]).unwrap(),
        ..named("stack", "envied")
    };
    let launched = ops::launch(&ctx, &request).await.unwrap();
    let plan = ops::relaunch_plan(&ctx, &launched.id, false).await.unwrap();
    assert_eq!(
        plan.request.env, request.env,
        "read back from DescribeTasks"
    );
    let again = ops::relaunch(&ctx, &plan, &|_| {}).await.unwrap();
    let instance = find(&ctx, &again.id).await;
    assert_eq!(instance.tasks.len(), 1);
    assert_eq!(instance.tasks[0].env_overrides, request.env);
    let old = find(&ctx, &launched.id).await;
    assert!(old.tasks.iter().all(|t| t.desired_status == "STOPPED"));
}

#[tokio::test]
async fn a_listing_describes_only_my_services_and_all_owners_sees_everyones() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcscope");
    moto.cluster(&cluster, "ana").await;
    let bob = context(moto.profile(&cluster, "bob", &moto.endpoint), state.path()).await;
    ops::launch(&bob, &kept("bobs")).await.unwrap();

    let proxy = Proxy::start(&moto.endpoint);
    let ana = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let mine = ops::refresh(&ana, false).await.unwrap();
    assert!(mine.instances.is_empty(), "{:?}", mine.instances);
    assert_eq!(proxy.count("ListServices"), 1);
    assert_eq!(
        proxy.count("DescribeServices"),
        0,
        "another owner's services are not even described"
    );

    let everyone = ops::refresh(&ana, true).await.unwrap();
    let theirs: Vec<_> = everyone
        .instances
        .iter()
        .map(|i| i.id().to_string())
        .collect();
    assert_eq!(theirs, ["bob/bobs"]);
    assert!(everyone.instances[0].is_owned_by("bob"));
    let id = everyone.instances[0].id();
    let refused = ops::pause(&ana, &id, false).await.unwrap_err();
    assert!(
        matches!(
            refused,
            OpsError::NotYours { .. } | OpsError::NoSuchInstance { .. }
        ),
        "{refused}"
    );
    assert_eq!(
        proxy.count("UpdateService"),
        0,
        "never touched without --all-owners"
    );
    // A relaunch launches as ana: bob's instance would come back as hers.
    let refused = ops::relaunch_plan(&ana, &id, true).await.unwrap_err();
    assert!(refused.to_string().contains("bobs is bob's"), "{refused}");
}

#[tokio::test]
async fn services_are_looked_for_once_unless_the_profile_or_the_cluster_has_some() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svclook");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let mut tasks_only = moto.profile(&cluster, "ana", &proxy.endpoint);
    tasks_only.templates.remove("kept");
    let ctx = context(tasks_only.clone(), state.path()).await;
    for _ in 0..3 {
        ops::refresh(&ctx, false).await.unwrap();
    }
    assert_eq!(
        proxy.count("ListServices"),
        1,
        "without service-backed templates or services, only the first look asks"
    );

    // A service-backed instance launched from another config (or a template since removed)
    // is found by the first look and listed from then on.
    let other = context(moto.profile(&cluster, "ana", &moto.endpoint), state.path()).await;
    ops::launch(&other, &kept("elsewhere")).await.unwrap();
    let fresh = context(tasks_only, state.path()).await;
    for _ in 0..3 {
        let snapshot = ops::refresh(&fresh, false).await.unwrap();
        assert_eq!(snapshot.instances.len(), 1);
    }
    assert_eq!(proxy.count("ListServices"), 1 + 3);
}

#[tokio::test]
async fn a_service_that_is_gone_is_not_found_with_what_to_do() {
    let moto = support::moto();
    let cluster = support::unique("svcgone");
    moto.cluster(&cluster, "ana").await;
    let cloud = SdkCloud::connect(&moto.profile(&cluster, "ana", &moto.endpoint)).await;
    let err = ondeck_core::Cloud::scale_service(&cloud, "ondeck-ana-nope-web", 0)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("refresh"), "{err}");
}

#[tokio::test]
async fn a_task_beside_a_service_is_listed_once_whatever_the_server_filters() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcbeside");
    moto.cluster(&cluster, "ana").await;
    let ctx = context(moto.profile(&cluster, "ana", &moto.endpoint), state.path()).await;
    ops::launch(&ctx, &kept("kept-a")).await.unwrap();
    let plain = ops::launch(&ctx, &named("stack", "plain")).await.unwrap();
    // moto answers ListTasks(serviceName) with every task of the cluster.
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    let instance = snapshot.find(&plain.id).unwrap();
    assert_eq!(instance.tasks.len(), 1, "{:?}", instance.tasks);
}

#[tokio::test]
async fn a_deployment_the_circuit_breaker_gave_up_on_is_failed_with_its_reason() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("svcbreaker");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let launched = ops::launch(&ctx, &kept("broken")).await.unwrap();
    assert_ne!(find(&ctx, &launched.id).await.state, InstanceState::Failed);

    // What ECS answers once the breaker has stopped the rollout (moto's stay IN_PROGRESS).
    proxy.rewrite("DescribeServices", |answer| {
        for service in answer["services"].as_array_mut().unwrap() {
            let primary = &mut service["deployments"][0];
            assert_eq!(primary["status"], "PRIMARY");
            primary["rolloutState"] = "FAILED".into();
            primary["rolloutStateReason"] =
                "ECS deployment circuit breaker: tasks failed to start.".into();
        }
    });
    let failed = find(&ctx, &launched.id).await;
    assert_eq!(failed.state, InstanceState::Failed);
    assert_eq!(
        failed.services[0].rollout_failed.as_deref(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );
    assert!(
        failed.is_wanted(),
        "its services are still there to destroy or relaunch"
    );
}
