//! `ondeck extend`: push an instance's expiry out.

use chrono::{Offset, Utc};

use super::confirm::Confirmation;
use super::output::emit;
use super::{Failure, target};
use ondeck_core::format;
use ondeck_core::instances::expiry;
use ondeck_engine::ops::{self, OpsContext, OpsError};

pub(super) async fn extend(
    ctx: &OpsContext,
    name: &str,
    by: Option<chrono::Duration>,
    all_owners: bool,
    yes: bool,
) -> Result<(), Failure> {
    let (instance, label) = target(ctx, name, all_owners, "extend an instance").await?;
    if !instance.is_wanted() {
        return Err(OpsError::NotLive {
            name: label,
            state: instance.state.to_string(),
        }
        .into());
    }
    if !yes && instance.foreign_note(&ctx.profile.owner).is_some() {
        let action = match by {
            Some(by) => format!("extend by {}", expiry::format_remaining(by)),
            None => "extend".to_string(),
        };
        Confirmation::new(&action, &instance, ctx).ask("extend", &label)?;
    }
    let until = ops::extend(ctx, &instance.id(), by, all_owners).await?;
    // The dashboard's forms: local time to the minute, and what is left.
    let now = Utc::now();
    let offset = chrono::Local::now().offset().fix();
    emit(&format!(
        "{label} now expires at {} (in {})\n",
        format::stamp(until, offset),
        format::remaining(until, now)
    ));
    Ok(())
}
