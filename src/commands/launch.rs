//! `ondeck launch`: start an instance from a template, and with `--wait` see it running.

use super::output::{emit, emit_json};
use super::{Failure, WAIT_LIMIT, WAIT_POLL};
use ondeck_core::instances::InstanceState;
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::TaskState;
use ondeck_engine::ops::{self, LaunchRequest, OpsContext, OpsError};

pub(super) async fn launch(
    ctx: &OpsContext,
    request: &LaunchRequest,
    wait: bool,
    json: bool,
) -> Result<(), Failure> {
    let launched = ops::launch(ctx, request).await?;
    let name = printable(&launched.id.name);
    for warning in &launched.exec_warnings {
        eprintln!("warning: {warning}");
    }
    if launched.recovered {
        eprintln!("resumed an interrupted launch of {name}: no second instance was started");
    }
    if json {
        let body = serde_json::json!({
            "name": name,
            "launch": launched.id.launch,
            "recovered": launched.recovered,
            "exec_warnings": launched.exec_warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "task_arns": launched.tasks.iter().map(|t| t.task_arn.clone()).collect::<Vec<_>>(),
            "service_arns": launched.services.iter().map(|s| s.arn.clone()).collect::<Vec<_>>(),
        });
        emit_json(body.to_string());
    } else {
        emit(&format!("{name}\n"));
    }
    if !wait {
        return Ok(());
    }
    if !launched.services.is_empty() {
        // A service starts its tasks itself, after the launch: they are found by listing.
        return wait_for_running(ctx, &launched.id, &name, false).await;
    }
    // The launched tasks themselves, by ARN: a listing can miss a task that stopped before
    // the first look, and under a reused name it also holds the old launch's tasks.
    let arns: Vec<String> = launched.tasks.iter().map(|t| t.task_arn.clone()).collect();
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        let tasks = ctx
            .cloud
            .describe_tasks(&arns)
            .await
            .map_err(OpsError::from)?;
        if let Some(stopped) = tasks
            .iter()
            .find(|task| task.last_status == TaskState::Stopped || task.desired_status == "STOPPED")
        {
            return Err(Failure::Failed(format!(
                "{name} stopped: {}",
                stopped
                    .stopped_reason
                    .as_deref()
                    .or(stopped.stop_code.as_deref())
                    .unwrap_or("no reason given")
            )));
        }
        if tasks.len() == arns.len()
            && tasks
                .iter()
                .all(|task| task.last_status == TaskState::Running)
        {
            eprintln!("{name} is RUNNING");
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{name} did not reach RUNNING within 15 minutes"
            )));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

/// Until the instance `id` is RUNNING, saying each state it passes through; a restart is said
/// and waited out, FAILED or STOPPED ends the wait with the reason.
pub(super) async fn wait_for_running(
    ctx: &OpsContext,
    id: &InstanceId,
    label: &str,
    all_owners: bool,
) -> Result<(), Failure> {
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    let mut said = None;
    loop {
        let snapshot = ops::refresh(ctx, all_owners).await?;
        let state = snapshot.find(id).map(|instance| {
            let crash = instance.last_crash().map(|(_, why)| why);
            (instance.state.clone(), crash)
        });
        match &state {
            Some((InstanceState::Lifecycle(TaskState::Running), _)) => {
                eprintln!("{label} is RUNNING");
                return Ok(());
            }
            Some((state @ (InstanceState::Failed | InstanceState::Degraded), crash)) => {
                let why = crash.as_deref().unwrap_or("no reason given");
                return Err(Failure::Failed(format!(
                    "{label} is {state}: {}",
                    printable(why)
                )));
            }
            Some((state, _)) if state.is_final() => {
                return Err(Failure::Failed(format!("{label} is {state}")));
            }
            None => {}
            Some((state, crash)) if said.as_ref() != Some(state) => {
                match (state, crash) {
                    (InstanceState::Restarting, Some(why)) => {
                        eprintln!("{label} is RESTARTING ({})", printable(why))
                    }
                    _ => eprintln!("{label} is {state}…"),
                }
                said = Some(state.clone());
            }
            Some(_) => {}
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{label} did not reach RUNNING within 15 minutes"
            )));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}
