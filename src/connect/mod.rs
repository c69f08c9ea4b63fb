//! Sessions in an instance's containers, shared by `ondeck exec`, `ondeck forward` and the
//! dashboard: a shell attached to the terminal ([`shell::attach`]) and a local port carried to
//! a container's port ([`forward::Forward`]).

pub(crate) mod forward;
pub(crate) mod plugin;
pub(crate) mod raw;
pub(crate) mod shell;
pub(crate) mod target;

use ondeck_core::model::SessionGrant;
use ondeck_ssm::SessionParams;

fn session_params(grant: &SessionGrant) -> SessionParams {
    SessionParams {
        session_id: grant.session_id.clone(),
        stream_url: grant.stream_url.clone(),
        token: grant.token.clone(),
    }
}

/// A refused ExecuteCommand or StartSession, with what to do where AWS's words don't say it.
pub(crate) fn explain(error: &ondeck_core::CloudError) -> String {
    let text = error.to_string();
    if text.contains("TargetNotConnected") {
        format!(
            "{text}\nThe container's exec agent cannot reach Session Manager: the task role needs \
             the ssmmessages:* actions (see assets/task-role-policy.json) and the task a route to \
             the ssmmessages endpoint; relaunch after fixing either."
        )
    } else if text.contains("execute command was not enabled") {
        format!(
            "{text}\nRelaunch with exec (`exec = true` in the template), or wait for the agent."
        )
    } else {
        text
    }
}
