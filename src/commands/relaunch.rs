//! `ondeck relaunch`: what is left of an instance destroyed, and its template launched again
//! under the same name, env overrides and time to live.

use super::confirm::Confirmation;
use super::launch::wait_for_running;
use super::{Failure, target};
use ondeck_engine::ops::{self, OpsContext};

pub(super) async fn relaunch(
    ctx: &OpsContext,
    name: &str,
    yes: bool,
    wait: bool,
    all_owners: bool,
) -> Result<(), Failure> {
    let (instance, label) = target(ctx, name, all_owners, "relaunch an instance").await?;
    let plan = ops::relaunch_plan(ctx, &instance.id(), all_owners).await?;
    if !yes {
        Confirmation::new("relaunch", &instance, ctx).ask("relaunch", &label)?;
    }
    let progress = |step: String| eprintln!("{step}");
    let launched = ops::relaunch(ctx, &plan, &progress).await?;
    for warning in &launched.exec_warnings {
        eprintln!("warning: {warning}");
    }
    eprintln!("{label} launched again");
    if wait {
        wait_for_running(ctx, &launched.id, &label, all_owners).await?;
    }
    Ok(())
}
