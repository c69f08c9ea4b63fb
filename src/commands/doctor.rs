//! `ondeck doctor`: is this machine, this account and this profile ready to launch? One line
//! per check, ✓ or ✗ with the fix; exit 0 only when every check passes. `config check
//! --online` runs the template checks alone.

mod checks;
mod templates;

use std::path::Path;

use ondeck_aws::SdkInspector;
use ondeck_core::config::{Config, Profile};
use ondeck_core::logs::sanitize::printable;
use serde::Serialize;

use super::Failure;
use super::output::{emit, emit_json};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Check {
    check: String,
    ok: bool,
    detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

impl Check {
    fn pass(check: impl Into<String>, detail: String) -> Check {
        Check {
            check: check.into(),
            ok: true,
            detail,
            fix: None,
        }
    }

    fn fail(check: impl Into<String>, detail: String, fix: String) -> Check {
        Check {
            check: check.into(),
            ok: false,
            detail,
            fix: Some(fix),
        }
    }

    /// `✓ name: detail` or `✗ name: detail → fix`, made printable: details quote AWS.
    fn line(&self) -> String {
        let mark = if self.ok { '✓' } else { '✗' };
        let fix = self
            .fix
            .as_deref()
            .map(|fix| format!(" → {fix}"))
            .unwrap_or_default();
        printable(&format!("{mark} {}: {}{fix}", self.check, self.detail)).into_owned()
    }
}

async fn inspector(profile: &Profile) -> SdkInspector {
    SdkInspector::connect(
        &profile.region,
        profile.aws_profile.as_deref(),
        profile.endpoint_url.as_deref(),
    )
    .await
}

pub(super) async fn doctor(
    config: &Config,
    profile: &Profile,
    state_dir: &Path,
    json: bool,
) -> Result<(), Failure> {
    let inspector = inspector(profile).await;
    let (credentials, identity) = checks::credentials(&inspector, profile).await;
    let mut all = vec![credentials, checks::region(profile, &identity)];
    all.push(checks::cluster(&inspector, profile).await);
    all.extend(templates::templates(&inspector, config, profile).await);
    all.extend(checks::network(&inspector, profile).await);
    all.push(checks::state_dir(state_dir));
    all.extend(checks::terminal());
    report(&all, json)
}

/// `config check --online`: the templates against the account.
pub(super) async fn template_checks(config: &Config, profile: &Profile) -> Result<(), Failure> {
    let inspector = inspector(profile).await;
    report(
        &templates::templates(&inspector, config, profile).await,
        false,
    )
}

fn report(checks: &[Check], json: bool) -> Result<(), Failure> {
    let ok = checks.iter().all(|check| check.ok);
    if json {
        emit_json(serde_json::json!({ "ok": ok, "checks": checks }).to_string());
    } else {
        let mut text: String = checks.iter().map(|check| check.line() + "\n").collect();
        let failed = checks.iter().filter(|check| !check.ok).count();
        if failed > 0 {
            text.push_str(&format!("{failed} of {} checks failed\n", checks.len()));
        }
        emit(&text);
    }
    if ok { Ok(()) } else { Err(Failure::Exit(1)) }
}
