//! `exec_client = "plugin"`: AWS's session-manager-plugin speaks the data channel instead of
//! ondeck. It is started directly with the arguments the AWS CLI would give it, never through
//! the AWS CLI: the session JSON, the region, the operation, a profile name (none), the
//! StartSession request JSON and the SSM endpoint.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use ondeck_core::model::SessionGrant;
use serde_json::json;

const PLUGIN: &str = "session-manager-plugin";

/// The plugin on PATH, or an error saying how to get it or do without it.
pub(crate) fn find_plugin() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(PLUGIN))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            anyhow!(
                "exec_client = \"plugin\" but {PLUGIN} is not on PATH; install AWS's Session \
                 Manager plugin, or set exec_client = \"native\" to use ondeck's own client"
            )
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Where the plugin's session runs: the StartSession target and the SSM endpoint.
pub(crate) struct PluginSession<'a> {
    pub(crate) grant: &'a SessionGrant,
    pub(crate) region: &'a str,
    /// `ecs:<cluster>_<task-id>_<runtime-id>`
    pub(crate) target: String,
    /// The profile's endpoint_url, else SSM's regional endpoint.
    pub(crate) endpoint: String,
}

impl PluginSession<'_> {
    fn arguments(&self) -> Vec<String> {
        let session = json!({
            "SessionId": self.grant.session_id,
            "StreamUrl": self.grant.stream_url,
            "TokenValue": self.grant.token,
        });
        let request = json!({ "Target": self.target });
        vec![
            session.to_string(),
            self.region.to_string(),
            "StartSession".to_string(),
            String::new(),
            request.to_string(),
            self.endpoint.clone(),
        ]
    }
}

/// Runs the plugin on this terminal until it exits (it handles raw mode and resizes itself).
/// Its exit status is returned; it does not carry the remote command's.
pub(crate) async fn run(plugin: &Path, session: &PluginSession<'_>) -> Result<Option<i32>> {
    let status = tokio::process::Command::new(plugin)
        .args(session.arguments())
        .status()
        .await
        .with_context(|| format!("cannot start {}", plugin.display()))?;
    Ok(status.code())
}

/// `ecs:<cluster>_<task-id>_<runtime-id>`, the cluster by name also when given as an ARN.
pub(crate) fn ecs_target(cluster: &str, task_arn: &str, runtime_id: &str) -> String {
    let cluster = cluster.rsplit('/').next().unwrap_or(cluster);
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    format!("ecs:{cluster}_{task_id}_{runtime_id}")
}

/// SSM's endpoint for the plugin: the profile's endpoint_url, else the regional one.
pub(crate) fn ssm_endpoint(region: &str, endpoint_url: Option<&str>) -> String {
    endpoint_url.map_or_else(
        || format!("https://ssm.{region}.amazonaws.com"),
        str::to_string,
    )
}
