//! `ondeck pause` / `ondeck resume`: a service-backed instance scaled to zero and back.

use super::confirm::Confirmation;
use super::launch::wait_for_running;
use super::{Failure, instance_ref, label};
use ondeck_engine::ops::{self, OpsContext, OpsError};

pub(super) async fn pause(
    ctx: &OpsContext,
    name: &str,
    all_owners: bool,
    yes: bool,
) -> Result<(), Failure> {
    if ctx.read_only {
        return Err(OpsError::ReadOnly("pause an instance".into()).into());
    }
    let wanted = instance_ref(name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let label = label(&instance, &ctx.profile.owner);
    if !yes && instance.foreign_note(&ctx.profile.owner).is_some() {
        Confirmation::new("pause", &instance, ctx).ask("pause", &label)?;
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
    if ctx.read_only {
        return Err(OpsError::ReadOnly("resume an instance".into()).into());
    }
    let wanted = instance_ref(name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let label = label(&instance, &ctx.profile.owner);
    if !yes && instance.foreign_note(&ctx.profile.owner).is_some() {
        Confirmation::new("resume", &instance, ctx).ask("resume", &label)?;
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
