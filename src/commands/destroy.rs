//! `ondeck destroy`: stop every task of an instance, after a confirmation.

use super::confirm::Confirmation;
use super::{Failure, WAIT_LIMIT, WAIT_POLL, target};
use ondeck_core::model::TaskState;
use ondeck_engine::ops::{self, OpsContext, OpsError};

pub(super) async fn destroy(
    ctx: &OpsContext,
    name: &str,
    yes: bool,
    wait: bool,
    all_owners: bool,
) -> Result<(), Failure> {
    let (instance, label) = target(ctx, name, all_owners, "destroy an instance").await?;
    if !yes {
        Confirmation::new("destroy", &instance, ctx).ask("destroy", &label)?;
    }
    let destroyed = ops::destroy(ctx, &instance.id(), all_owners).await?;
    if destroyed.is_nothing() {
        eprintln!("{label} is already stopping");
    } else {
        eprintln!("{label}: {}", destroyed.summary());
    }
    if !wait {
        return Ok(());
    }
    let arns: Vec<String> = instance.tasks.iter().map(|t| t.task_arn.clone()).collect();
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        // Tasks ECS no longer describes have long stopped.
        let tasks = ctx
            .cloud
            .describe_tasks(&arns)
            .await
            .map_err(OpsError::from)?;
        if tasks
            .iter()
            .all(|task| task.last_status == TaskState::Stopped)
        {
            eprintln!("{label} is STOPPED");
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{label} did not stop within 15 minutes"
            )));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}
