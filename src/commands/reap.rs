//! `ondeck reap`: destroy my instances whose expiry has passed.

use chrono::{DateTime, Utc};

use super::Failure;
use super::output::emit;
use ondeck_core::format;
use ondeck_core::instances::{Instance, expiry};
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::{self, OpsContext, OpsError, Snapshot};

/// Expired instances of mine that still run: the ones `reap` destroys.
fn reapable(snapshot: &Snapshot, owner: &str, now: DateTime<Utc>) -> Vec<Instance> {
    snapshot
        .instances
        .iter()
        .filter(|instance| instance.is_owned_by(owner))
        .filter(|instance| !instance.state.is_final())
        .filter(|instance| {
            instance
                .tasks
                .iter()
                .any(|task| task.desired_status != "STOPPED")
        })
        .filter(|instance| {
            instance
                .expires_at
                .is_some_and(|at| expiry::is_expired(at, now))
        })
        .cloned()
        .collect()
}

pub(super) async fn reap(ctx: &OpsContext, dry_run: bool) -> Result<(), Failure> {
    if ctx.read_only && !dry_run {
        return Err(OpsError::ReadOnly("reap expired instances".into()).into());
    }
    let snapshot = ops::refresh(ctx, false).await?;
    let now = Utc::now();
    let expired = reapable(&snapshot, &ctx.profile.owner, now);
    if expired.is_empty() {
        eprintln!(
            "nothing to reap: no instance of {} has expired",
            ctx.profile.owner
        );
        return Ok(());
    }
    let mut failed = Vec::new();
    for instance in &expired {
        let ago = instance
            .expires_at
            .map(|at| format::remaining(at, now))
            .unwrap_or_default();
        let shown = printable(&instance.name);
        if dry_run {
            emit(&format!("would destroy {shown} ({ago})\n"));
            continue;
        }
        match ops::destroy(ctx, &instance.id(), false).await {
            Ok(_) => emit(&format!(
                "destroyed {} ({ago})\n",
                printable(&instance.name)
            )),
            Err(err) => failed.push(format!("{}: {err}", instance.name)),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(failed.join("; ")))
    }
}
