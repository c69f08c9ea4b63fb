//! Sessions in an instance's containers, shared by `ondeck exec`, `ondeck forward` and the
//! dashboard: a shell attached to the terminal ([`shell::attach`]) and a local port carried to
//! a container's port ([`forward::Forward`]).

pub(crate) mod forward;
pub(crate) mod shell;

use ondeck_core::model::SessionGrant;
use ondeck_ssm::SessionParams;

fn session_params(grant: &SessionGrant) -> SessionParams {
    SessionParams {
        session_id: grant.session_id.clone(),
        stream_url: grant.stream_url.clone(),
        token: grant.token.clone(),
    }
}
