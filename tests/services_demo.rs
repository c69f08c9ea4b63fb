//! A refresh over the simulated cluster's service-backed instance, whoever's view it is.

use std::sync::Arc;

use ondeck_core::instances::InstanceState;
use ondeck_engine::ops::{self, OpsContext};
use ondeck_sim::{DemoCloud, demo_config};

fn context(state: &std::path::Path) -> OpsContext {
    as_owner(DemoCloud::new("ana", 1.0), "ana", state)
}

fn as_owner(cloud: DemoCloud, owner: &str, state: &std::path::Path) -> OpsContext {
    let profile = demo_config(owner).profiles["demo"].clone();
    OpsContext::new(Arc::new(cloud), profile, state.to_path_buf(), false)
}

#[tokio::test]
async fn every_task_of_a_service_backed_instance_is_listed_once_in_every_view() {
    let state = tempfile::tempdir().unwrap();
    let ctx = context(state.path());
    for all_owners in [false, true] {
        let snapshot = ops::refresh(&ctx, all_owners).await.unwrap();
        let workers = snapshot
            .instances
            .iter()
            .find(|instance| instance.name == "queue-workers")
            .expect("the demo's service-backed instance");
        let mut arns: Vec<&str> = workers.tasks.iter().map(|t| t.task_arn.as_str()).collect();
        let listed = arns.len();
        arns.sort();
        arns.dedup();
        assert_eq!(arns.len(), listed, "all_owners {all_owners}: {arns:?}");
        assert!(listed >= 1);
        assert_eq!(workers.tasks_expected(), 1);
        assert!(workers.tasks_running() <= 1, "all_owners {all_owners}");
        assert_ne!(workers.state, InstanceState::Failed);
    }
}

#[tokio::test]
async fn two_instances_that_meet_in_one_service_name_are_told_apart_with_the_way_out() {
    let cloud = DemoCloud::new("ana", 1.0);
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ana = as_owner(cloud.clone(), "ana", one.path());
    let ana_b = as_owner(cloud.clone(), "ana-b", two.path());
    let request = |name: &str| ops::LaunchRequest {
        template: "workers".into(),
        name: Some(name.into()),
        ..ops::LaunchRequest::default()
    };
    // ana + b-jobs and ana-b + jobs: both ondeck-ana-b-jobs-queue-worker.
    ops::launch(&ana, &request("b-jobs")).await.unwrap();
    let err = ops::launch(&ana_b, &request("jobs")).await.unwrap_err();
    let said = err.to_string();
    assert!(said.contains("ondeck-ana-b-jobs-queue-worker"), "{said}");
    assert!(said.contains("another instance name"), "{said}");
    let theirs = ops::refresh(&ana_b, false).await.unwrap();
    assert!(
        theirs.instances.iter().all(|i| i.name != "jobs"),
        "nothing of the refused launch is left"
    );
    let mine = ops::refresh(&ana, false).await.unwrap();
    assert!(
        mine.instances
            .iter()
            .any(|i| i.name == "b-jobs" && i.is_wanted())
    );
}

#[test]
fn destroy_wait_deletes_the_services_and_returns_when_their_tasks_are_stopped() {
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ondeck"))
        .args(["--demo", "destroy", "queue-workers", "--yes", "--wait"])
        .env("ONDECK_STATE_DIR", state.path())
        .env("ONDECK_DEMO_SPEED", "20")
        .env("USER", "ana")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("deleted 1 service"), "{said}");
    assert!(said.contains("queue-workers is STOPPED"), "{said}");
}
