//! `ondeck pause` / `ondeck resume`: a service-backed instance scaled to zero and back.

use super::confirm::Confirmation;
use super::launch::wait_for_running;
use super::{Failure, target};
use ondeck_engine::ops::{self, OpsContext};

pub(super) async fn pause(
    ctx: &OpsContext,
    name: &str,
    all_owners: bool,
    yes: bool,
) -> Result<(), Failure> {
    let (instance, label) = target(ctx, name, all_owners, "pause an instance").await?;
    if !yes {
        Confirmation::new("pause", &instance, ctx).ask_if_foreign("pause", &label)?;
    }
    match ops::pause(ctx, &instance.id(), all_owners).await? {
        0 => eprintln!("{label} is already paused"),
        _ => eprintln!("{label} is pausing: its tasks stop, and it costs $0/h until resumed"),
    }
    Ok(())
}

pub(super) async fn resume(
    ctx: &OpsContext,
    name: &str,
    wait: bool,
    all_owners: bool,
    yes: bool,
) -> Result<(), Failure> {
    let (instance, label) = target(ctx, name, all_owners, "resume an instance").await?;
    if !yes {
        Confirmation::new("resume", &instance, ctx).ask_if_foreign("resume", &label)?;
    }
    match ops::resume(ctx, &instance.id(), all_owners).await? {
        0 => eprintln!("{label} was not paused"),
        _ => eprintln!("{label} is resuming"),
    }
    if wait {
        wait_for_running(ctx, &instance.id(), &label, all_owners).await?;
    }
    Ok(())
}
