//! `ondeck exec`: a shell (or one command) in a container of an instance, on this terminal.

use super::{Failure, instance_ref, label};
use crate::connect::plugin::{self, PluginSession};
use crate::connect::raw::RawMode;
use crate::connect::shell::{TerminalIo, attach};
use crate::connect::{explain, target};
use ondeck_core::config::ExecClient;
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::SessionGrant;
use ondeck_core::ops::connect::NoShell;
use ondeck_engine::ops::{self, OpsContext, OpsError};

const DEFAULT_SHELL: &str = "/bin/sh";

pub(super) struct ExecArgs<'a> {
    pub(super) name: &'a str,
    pub(super) container: Option<&'a str>,
    pub(super) command: &'a [String],
    pub(super) all_owners: bool,
}

/// Ends with the remote command's exit code when the session reports one.
pub(super) async fn exec(ctx: &OpsContext, args: &ExecArgs<'_>) -> Result<(), Failure> {
    // A session runs commands in the container as the user: more than looking.
    if ctx.read_only {
        return Err(OpsError::ReadOnly("open a shell in a container".into()).into());
    }
    // Found before any session opens, so that a missing plugin leaves nothing behind.
    let plugin = match ctx.profile.exec_client {
        ExecClient::Native => None,
        ExecClient::Plugin => {
            Some(plugin::find_plugin().map_err(|err| Failure::Usage(format!("{err:#}")))?)
        }
    };
    let wanted = instance_ref(args.name)?;
    let (instance, snapshot) = ops::resolve(ctx, &wanted, args.all_owners).await?;
    let template = ctx.profile.templates.get(&instance.template);
    let target = target::choose(&instance, &snapshot.definitions, template, args.container)
        .map_err(Failure::Failed)?;
    let command = if args.command.is_empty() {
        template
            .and_then(|t| t.shell.clone())
            .unwrap_or_else(|| DEFAULT_SHELL.to_string())
    } else {
        shlex::try_join(args.command.iter().map(String::as_str))
            .map_err(|err| Failure::Usage(format!("the command cannot be quoted: {err}")))?
    };
    let grant = ctx
        .cloud
        .execute_command(&target.task_arn, &target.container, &command)
        .await
        .map_err(|err| Failure::Failed(explain(&err)))?;
    let label = label(&instance, &ctx.profile.owner);
    let outcome = match &plugin {
        None => native(&grant, &command).await,
        Some(plugin) => {
            let session = PluginSession {
                grant: &grant,
                region: &ctx.profile.region,
                target: plugin::ecs_target(
                    &ctx.profile.cluster,
                    &target.task_arn,
                    &target.runtime_id,
                ),
                endpoint: plugin::ssm_endpoint(
                    &ctx.profile.region,
                    ctx.profile.endpoint_url.as_deref(),
                ),
            };
            plugin::run(plugin, &session).await
        }
    };
    // The shell's session may outlive the channel on the AWS side: end it there too.
    let _ = ctx.cloud.end_session(&grant.session_id).await;
    match outcome {
        Ok(Some(0) | None) => Ok(()),
        Ok(Some(code)) => Err(Failure::Exit(u8::try_from(code).unwrap_or(1))),
        Err(err) => match err.downcast_ref::<NoShell>() {
            Some(missing) => Err(Failure::Failed(format!(
                "cannot run {} in {label}/{}: {missing}",
                printable(&command),
                target.container
            ))),
            None => Err(Failure::Failed(format!(
                "shell in {label}/{}: {err:#}",
                target.container
            ))),
        },
    }
}

/// ondeck's own client on this terminal, raw for as long as the session runs.
async fn native(grant: &SessionGrant, command: &str) -> anyhow::Result<Option<i32>> {
    let terminal = TerminalIo::stdio()?;
    let _raw = RawMode::enable()
        .map_err(|err| anyhow::anyhow!("cannot put the terminal in raw mode: {err}"))?;
    tokio::select! {
        outcome = attach(grant, terminal, Some(command)) => outcome,
        () = terminated() => Err(anyhow::anyhow!("stopped by a signal")),
    }
}

/// SIGTERM or SIGHUP: the session ends and the terminal is restored.
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}
