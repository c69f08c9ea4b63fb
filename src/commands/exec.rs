//! `ondeck exec`: a shell (or one command) in a container of an instance, on this terminal.

use super::{Failure, instance_ref, label};
use crate::connect::raw::RawMode;
use crate::connect::shell::{TerminalIo, attach};
use crate::connect::{explain, target};
use ondeck_engine::ops::{self, OpsContext};

const DEFAULT_SHELL: &str = "/bin/sh";

pub(super) struct ExecArgs<'a> {
    pub(super) name: &'a str,
    pub(super) container: Option<&'a str>,
    pub(super) command: &'a [String],
    pub(super) all_owners: bool,
}

/// Ends with the remote command's exit code when the session reports one.
pub(super) async fn exec(ctx: &OpsContext, args: &ExecArgs<'_>) -> Result<(), Failure> {
    let wanted = instance_ref(args.name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, args.all_owners).await?;
    let template = ctx.profile.templates.get(&instance.template);
    let target = target::choose(&instance, template, args.container).map_err(Failure::Failed)?;
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
    let terminal = TerminalIo::stdio().map_err(|err| Failure::Failed(format!("{err:#}")))?;
    let raw = RawMode::enable()
        .map_err(|err| Failure::Failed(format!("cannot put the terminal in raw mode: {err}")))?;
    let outcome = tokio::select! {
        outcome = attach(&grant, terminal) => outcome,
        _ = terminated() => Err(anyhow::anyhow!("stopped by a signal")),
    };
    drop(raw);
    // The shell's session may outlive the channel on the AWS side: end it there too.
    let _ = ctx.cloud.end_session(&grant.session_id).await;
    match outcome {
        Ok(Some(0) | None) => Ok(()),
        Ok(Some(code)) => Err(Failure::Exit(u8::try_from(code).unwrap_or(1))),
        Err(err) => Err(Failure::Failed(format!(
            "shell in {label}/{}: {err:#}",
            target.container
        ))),
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
