//! The AWS boundary against a real AWS-API server: ondeck's operations through the real SDK
//! clients over HTTP to moto.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ondeck_aws::SdkCloud;
use ondeck_core::CloudError;
use ondeck_core::config::Profile;
use ondeck_core::instances::InstanceState;
use ondeck_core::instances::identity::{InstanceId, InstanceRef};
use ondeck_core::model::{TaskState, tags};
use ondeck_engine::ops::{self, LaunchRequest, OpsContext, OpsError};
use support::proxy::{Fault, Proxy};

async fn context(profile: Profile, state_dir: &std::path::Path) -> OpsContext {
    let cloud = SdkCloud::connect(&profile).await;
    OpsContext::new(Arc::new(cloud), profile, state_dir.to_path_buf(), false)
}

/// `ondeck destroy NAME`: the instance the name means, then that one destroyed.
async fn destroy(ctx: &OpsContext, name: &str, all_owners: bool) -> Result<usize, OpsError> {
    let wanted = InstanceRef::parse(name).expect("a valid reference");
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let destroyed = ops::destroy(ctx, &instance.id(), all_owners).await?;
    Ok(destroyed.tasks_stopped)
}

fn anas(name: &str) -> InstanceId {
    InstanceId {
        owner: "ana".into(),
        name: name.into(),
        launch: String::new(),
    }
}

fn request(template: &str, name: &str) -> LaunchRequest {
    LaunchRequest {
        template: template.into(),
        name: Some(name.into()),
        ..LaunchRequest::default()
    }
}

#[tokio::test]
async fn launch_list_destroy_round_trip() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.cluster(&support::unique("round"), "ana").await;
    let ctx = context(profile, state.path()).await;

    let launched = ops::launch(&ctx, &request("pair", "demo-1")).await.unwrap();
    assert_eq!(launched.id.name, "demo-1");
    assert_eq!(launched.tasks.len(), 2, "one task per task definition");
    assert!(!launched.recovered);

    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    assert_eq!(snapshot.instances.len(), 1);
    let instance = &snapshot.instances[0];
    assert_eq!(instance.name, "demo-1");
    assert_eq!(instance.owner, "ana");
    assert_eq!(instance.template, "pair");
    assert_eq!(instance.tasks.len(), 2);
    assert_eq!(instance.state, InstanceState::Lifecycle(TaskState::Running));
    for task in &instance.tasks {
        assert_eq!(task.started_by.as_deref(), Some("ondeck/ana"));
        assert_eq!(task.tag(tags::OWNER), Some("ana"));
        assert!(task.tag(tags::LAUNCH_TOKEN).is_some());
    }
    assert_eq!(
        snapshot.definitions.len(),
        2,
        "both task definitions described"
    );
    assert!(
        std::fs::read_dir(state.path().join("launches"))
            .unwrap()
            .next()
            .is_none(),
        "a confirmed launch leaves no intent behind"
    );

    assert_eq!(destroy(&ctx, "demo-1", false).await.unwrap(), 2);
    let after = ops::refresh(&ctx, false).await.unwrap();
    let instance = after
        .find(&launched.id)
        .expect("stopped instance still listed");
    assert!(instance.tasks.iter().all(|t| t.desired_status == "STOPPED"));
    for task in &instance.tasks {
        assert_eq!(
            task.stopped_reason.as_deref(),
            Some("ondeck: destroyed by ana")
        );
    }
    assert!(!matches!(instance.state, InstanceState::Failed));
    assert_eq!(
        destroy(&ctx, "demo-1", false).await.unwrap(),
        0,
        "destroying twice stops nothing more"
    );
}

#[tokio::test]
async fn names_are_unique_among_live_instances() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.cluster(&support::unique("names"), "ana").await;
    let ctx = context(profile, state.path()).await;
    ops::launch(&ctx, &request("stack", "same")).await.unwrap();
    let err = ops::launch(&ctx, &request("stack", "same"))
        .await
        .unwrap_err();
    assert_eq!(err, OpsError::NameTaken("same".into()));

    let generated = ops::launch(
        &ctx,
        &LaunchRequest {
            template: "stack".into(),
            ..LaunchRequest::default()
        },
    )
    .await
    .unwrap();
    assert!(
        generated.id.name.starts_with("stack-"),
        "{}",
        generated.id.name
    );
    assert_eq!(ops::refresh(&ctx, false).await.unwrap().instances.len(), 2);
}

#[tokio::test]
async fn other_owners_instances_are_invisible_and_protected() {
    let moto = support::moto();
    let cluster = support::unique("owners");
    let state = tempfile::tempdir().unwrap();
    let alice = context(moto.cluster(&cluster, "alice").await, state.path()).await;
    let bob = context(moto.profile(&cluster, "bob", &moto.endpoint), state.path()).await;
    ops::launch(&alice, &request("stack", "alices"))
        .await
        .unwrap();

    assert!(
        ops::refresh(&bob, false)
            .await
            .unwrap()
            .instances
            .is_empty()
    );
    let err = destroy(&bob, "alices", false).await.unwrap_err();
    assert_eq!(
        err,
        OpsError::NotYours {
            name: "alices".into(),
            owners: vec!["alice".into()]
        }
    );
    assert!(err.to_string().contains("--all-owners"));
    let alices = ops::refresh(&alice, false).await.unwrap();
    assert!(alices.instances[0].tasks[0].desired_status == "RUNNING");

    let everyone = ops::refresh(&bob, true).await.unwrap();
    assert_eq!(everyone.instances.len(), 1);
    // A bare name is always mine, --all-owners or not: another owner's is named as theirs.
    assert!(matches!(
        destroy(&bob, "alices", true).await.unwrap_err(),
        OpsError::NotYours { .. }
    ));
    assert_eq!(destroy(&bob, "alice/alices", true).await.unwrap(), 1);
}

#[tokio::test]
async fn read_only_refuses_every_write() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.cluster(&support::unique("ro"), "ana").await;
    let cloud = SdkCloud::connect(&profile).await;
    let ctx = OpsContext::new(Arc::new(cloud), profile, state.path().into(), true);
    let err = ops::launch(&ctx, &request("stack", "x")).await.unwrap_err();
    assert!(matches!(err, OpsError::ReadOnly(_)));
    assert!(err.to_string().contains("--read-only"));
    assert!(matches!(
        ops::destroy(&ctx, &anas("x"), false).await.unwrap_err(),
        OpsError::ReadOnly(_)
    ));
    assert!(
        ops::refresh(&ctx, false)
            .await
            .unwrap()
            .instances
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_task_definition_is_named_with_the_profile() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let mut profile = moto.cluster(&support::unique("td"), "ana").await;
    profile.templates.get_mut("stack").unwrap().source =
        ondeck_core::config::TemplateSource::TaskDefinitions(vec!["nope:7".into()]);
    let ctx = context(profile, state.path()).await;
    let err = ops::launch(&ctx, &request("stack", "x")).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, OpsError::Cloud(CloudError::NotFound { .. })),
        "{err:?}"
    );
    assert!(
        message.contains("nope:7") && message.contains("in profile test"),
        "{message}"
    );
}

#[tokio::test]
async fn unknown_cluster_says_fix_the_profile() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.profile("no-such-cluster", "ana", &moto.endpoint);
    let ctx = context(profile, state.path()).await;
    let err = ops::refresh(&ctx, false).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("no-such-cluster"), "{message}");
    assert!(message.contains("cluster"), "{message}");
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_on_its_own_and_names_it() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let ctx = context(moto.profile("c", "ana", &endpoint), state.path()).await;
    // A hang guard only: the connect timeout makes it fail on its own.
    let err = tokio::time::timeout(Duration::from_secs(120), ops::refresh(&ctx, false))
        .await
        .expect("refresh gives up on its own")
        .unwrap_err();
    assert!(
        matches!(err, OpsError::Cloud(CloudError::Unreachable { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains(&endpoint), "{err}");
}

#[tokio::test]
async fn a_lost_run_task_answer_still_launches_exactly_once() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("lost");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    proxy.inject(Some("RunTask"), Fault::LoseAnswer, Some(1));
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;

    let launched = ops::launch(&ctx, &request("stack", "once")).await.unwrap();
    assert_eq!(launched.tasks.len(), 1);
    assert_eq!(
        proxy.count("RunTask"),
        1,
        "the reconcile found the task; no second RunTask"
    );
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    let tasks: usize = snapshot.instances.iter().map(|i| i.tasks.len()).sum();
    assert_eq!(tasks, 1, "exactly one task on the server");
}

#[tokio::test]
async fn an_interrupted_launch_is_resumed_not_repeated() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("resume");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    // The RunTask answer is lost and the look that follows fails too: the launch gives up
    // with its intent still on disk, as if the process had died …
    proxy.inject(Some("RunTask"), Fault::LoseAnswer, None);
    proxy.inject(Some("DescribeTasks"), Fault::Reset, None);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let generated = LaunchRequest {
        template: "stack".into(),
        ..LaunchRequest::default()
    };
    assert!(ops::launch(&ctx, &generated).await.is_err());
    let runs_before = proxy.count("RunTask");
    assert_eq!(runs_before, 1, "no blind retry without a successful look");
    proxy.clear();

    // … and the user's retry (no --name) finds the intent, sees the task by tag, and stops there.
    let resumed = ops::launch(&ctx, &generated).await.unwrap();
    assert!(resumed.recovered);
    assert_eq!(proxy.count("RunTask"), runs_before, "no new RunTask");
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    assert_eq!(snapshot.instances.len(), 1);
    assert_eq!(snapshot.instances[0].name, resumed.id.name);
    assert_eq!(snapshot.instances[0].tasks.len(), 1);
}

#[tokio::test]
async fn extend_writes_a_later_expiry_tag() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.cluster(&support::unique("extend"), "ana").await;
    let ctx = context(profile, state.path()).await;
    let mut launch = request("stack", "ext");
    launch.ttl = Some(chrono::Duration::hours(1));
    let launched = ops::launch(&ctx, &launch).await.unwrap();
    let before = ops::refresh(&ctx, false).await.unwrap().instances[0]
        .expires_at
        .expect("ttl written as a tag");
    let after = ops::extend(&ctx, &launched.id, Some(chrono::Duration::hours(2)), false)
        .await
        .unwrap();
    assert_eq!(after, before + chrono::Duration::hours(2));
    let listed = ops::refresh(&ctx, false).await.unwrap().instances[0].expires_at;
    assert_eq!(listed, Some(after));
}

#[tokio::test]
async fn an_intent_whose_instance_was_destroyed_is_not_resumed() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let cluster = support::unique("stale");
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    // The launch gives up with its intent on disk, its task running …
    proxy.inject(Some("RunTask"), Fault::LoseAnswer, None);
    proxy.inject(Some("DescribeTasks"), Fault::Reset, None);
    let ctx = context(moto.profile(&cluster, "ana", &proxy.endpoint), state.path()).await;
    let generated = LaunchRequest {
        template: "stack".into(),
        ..LaunchRequest::default()
    };
    assert!(ops::launch(&ctx, &generated).await.is_err());
    proxy.clear();
    // … and then the instance is destroyed.
    let old = ops::refresh(&ctx, false).await.unwrap().instances.remove(0);
    let destroyed = ops::destroy(&ctx, &old.id(), false).await.unwrap();
    assert_eq!(destroyed.tasks_stopped, 1);

    let launched = ops::launch(&ctx, &generated).await.unwrap();
    assert!(!launched.recovered, "a destroyed launch is not recovered");
    assert_ne!(launched.id, old.id());
    assert_eq!(proxy.count("RunTask"), 2, "a new task was started");
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    let new = snapshot.find(&launched.id).expect("the new instance");
    assert_eq!(new.state, InstanceState::Lifecycle(TaskState::Running));
}

#[tokio::test]
async fn a_launch_asking_for_spot_runs_on_fargate_spot_whatever_the_template_says() {
    let moto = support::moto();
    let state = tempfile::tempdir().unwrap();
    let profile = moto.cluster(&support::unique("spot"), "ana").await;
    assert!(
        !profile.templates["pair"].spot,
        "the template runs on demand"
    );
    let ctx = context(profile, state.path()).await;
    let spot = LaunchRequest {
        spot: Some(true),
        ..request("pair", "on-spot")
    };
    ops::launch(&ctx, &spot).await.unwrap();
    ops::launch(&ctx, &request("pair", "on-demand"))
        .await
        .unwrap();
    let snapshot = ops::refresh(&ctx, false).await.unwrap();
    let providers = |name: &str| -> Vec<Option<String>> {
        let instance = snapshot
            .instances
            .iter()
            .find(|instance| instance.name == name)
            .expect("listed");
        instance
            .tasks
            .iter()
            .map(|task| task.capacity_provider.clone())
            .collect()
    };
    assert_eq!(
        providers("on-spot"),
        vec![Some("FARGATE_SPOT".to_string()); 2]
    );
    assert!(
        providers("on-demand")
            .iter()
            .all(|provider| provider.as_deref() != Some("FARGATE_SPOT")),
        "{:?}",
        providers("on-demand")
    );
}
