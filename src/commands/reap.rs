//! `ondeck reap`: destroy my instances whose expiry has passed.

use chrono::{DateTime, Utc};

use super::Failure;
use super::output::emit;
use ondeck_core::format;
use ondeck_core::instances::{Instance, InstanceState, expiry};
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::{self, OpsContext, OpsError, Snapshot};

/// Expired instances of mine that are still kept (paused ones too): the ones `reap` acts on.
fn reapable(snapshot: &Snapshot, owner: &str, now: DateTime<Utc>) -> Vec<Instance> {
    snapshot
        .instances
        .iter()
        .filter(|instance| instance.is_owned_by(owner))
        .filter(|instance| instance.is_wanted())
        .filter(|instance| {
            instance
                .expires_at
                .is_some_and(|at| expiry::is_expired(at, now))
        })
        .cloned()
        .collect()
}

/// What `reap` does to one expired instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reaping {
    Destroy,
    Pause,
    /// `--pause` and already paused: its expiry is the owner's to act on.
    LeaveAlone,
}

fn reaping(instance: &Instance, pause: bool) -> Reaping {
    match (pause, instance.is_service_backed(), &instance.state) {
        (true, true, InstanceState::Paused) => Reaping::LeaveAlone,
        (true, true, _) => Reaping::Pause,
        _ => Reaping::Destroy,
    }
}

pub(super) async fn reap(ctx: &OpsContext, dry_run: bool, pause: bool) -> Result<(), Failure> {
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
        let reaping = reaping(instance, pause);
        if dry_run {
            match reaping {
                Reaping::Destroy => emit(&format!("would destroy {shown} ({ago})\n")),
                Reaping::Pause => emit(&format!("would pause {shown} ({ago})\n")),
                Reaping::LeaveAlone => emit(&format!("would leave {shown} paused ({ago})\n")),
            }
            continue;
        }
        let done = match reaping {
            Reaping::Destroy => ops::destroy(ctx, &instance.id(), false)
                .await
                .map(|_| format!("destroyed {shown} ({ago})\n")),
            Reaping::Pause => ops::pause(ctx, &instance.id(), false)
                .await
                .map(|_| format!("paused {shown} ({ago})\n")),
            Reaping::LeaveAlone => Ok(format!("left {shown} paused ({ago})\n")),
        };
        match done {
            Ok(said) => emit(&said),
            Err(err) => failed.push(format!("{shown}: {err}")),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(failed.join("; ")))
    }
}
