//! The scriptable subcommands, on the same core as the dashboard.

mod config_check;
mod confirm;
mod destroy;
mod doctor;
mod exec;
mod extend;
mod forward;
mod init;
mod launch;
mod list;
mod logs;
mod output;
mod pause;
mod profiles;
mod reap;
mod relaunch;
mod templates;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::cli::{Command, ConfigCommand, GlobalArgs, TemplatesCommand};
use ondeck_aws::SdkCloud;
use ondeck_core::config::{self, Config, ConfigError, Profile};
use ondeck_core::instances::identity::InstanceRef;
use ondeck_core::instances::{Instance, expiry, owner_from_login};
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::{self, LaunchRequest, OpsError};
use ondeck_sim::{DemoCloud, demo_config, demo_task_definitions};

use crate::runtime::Connected;

/// How `--wait` polls, and for how long at most.
const WAIT_POLL: StdDuration = StdDuration::from_secs(2);
const WAIT_LIMIT: StdDuration = StdDuration::from_secs(15 * 60);

/// Why a command ended badly, and its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Exit 1: the operation failed.
    Failed(String),
    /// Exit 2: usage or config error.
    Usage(String),
    /// The remote command's own exit code (`ondeck exec`), with nothing to say.
    Exit(u8),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Failed(_) => ExitCode::from(1),
            Failure::Usage(_) => ExitCode::from(2),
            Failure::Exit(code) => ExitCode::from(*code),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Failed(message) | Failure::Usage(message) => message,
            Failure::Exit(_) => "",
        }
    }
}

impl From<OpsError> for Failure {
    fn from(err: OpsError) -> Self {
        match err {
            OpsError::UnknownTemplate { .. }
            | OpsError::InvalidName(_)
            | OpsError::UnknownContainer { .. }
            | OpsError::TooLarge(_)
            | OpsError::Refused(_) => Failure::Usage(err.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure::Usage(err.to_string())
    }
}

/// The config in effect: the demo's built-in one, or the file.
fn load_config(global: &GlobalArgs) -> Result<Config, ConfigError> {
    if global.demo {
        return Ok(demo_config(&owner_from_login(
            &config::login_name().unwrap_or_else(|| "me".into()),
        )));
    }
    config::load(&config::resolve_path(global.config.as_deref()))
}

/// The backend for a profile, with the task definitions of its container and compose templates.
async fn connect(global: &GlobalArgs, config: &Config, profile: &Profile) -> Connected {
    if global.demo {
        let demo = demo_cloud(profile);
        return Connected {
            cloud: demo.clone(),
            registry: demo,
            built: demo_task_definitions(profile)
                .into_iter()
                .map(|(template, built)| (template, Ok(built)))
                .collect(),
        };
    }
    let built = templates::built_definitions(config, profile);
    let cloud = Arc::new(SdkCloud::connect(profile).await);
    Connected {
        cloud: cloud.clone(),
        registry: cloud,
        built,
    }
}

/// The demo keeps its simulated cluster for the process's lifetime.
fn demo_cloud(profile: &Profile) -> Arc<DemoCloud> {
    {
        let speed = std::env::var("ONDECK_DEMO_SPEED")
            .ok()
            .and_then(|speed| speed.parse().ok())
            .filter(|speed: &f64| *speed > 0.0)
            .unwrap_or(1.0);
        // Containers that print escape sequences, to see the log pane keep them off the terminal.
        let hostile = std::env::var_os("ONDECK_DEMO_HOSTILE").is_some_and(|v| v == "1");
        // A large quiet fleet on top of the usual few, for measuring the dashboard.
        let steady = std::env::var("ONDECK_DEMO_INSTANCES")
            .ok()
            .and_then(|count| count.parse().ok())
            .unwrap_or(0);
        Arc::new(
            DemoCloud::new(&profile.owner, speed)
                .with_hostile_lines(hostile)
                .with_steady_instances(&profile.owner, steady),
        )
    }
}

/// ondeck's own state; the demo's is kept apart so it never mixes with real launches.
fn state_dir(global: &GlobalArgs) -> std::path::PathBuf {
    let dir = config::state_dir();
    if global.demo { dir.join("demo") } else { dir }
}

/// Everything the dashboard needs: the config, the starting profile, and a way to connect
/// to any profile of it (the profile switcher builds new backends on the fly).
pub fn dashboard_options(
    global: GlobalArgs,
    select: Option<String>,
    all_owners: bool,
) -> Result<crate::runtime::DashboardOptions, Failure> {
    let select = select.as_deref().map(instance_ref).transpose()?;
    let config = load_config(&global)?;
    let profile = config.profile(global.profile.as_deref())?.name.clone();
    let state_dir = state_dir(&global);
    let read_only = global.read_only;
    let global = Arc::new(global);
    let factory_config = Arc::new(config.clone());
    Ok(crate::runtime::DashboardOptions {
        config,
        profile,
        read_only,
        select,
        all_owners,
        state_dir,
        fresh_journal: global.demo,
        cloud_factory: Arc::new(move |profile: Profile| {
            let global = Arc::clone(&global);
            let config = Arc::clone(&factory_config);
            Box::pin(async move { Ok(connect(&global, &config, &profile).await) })
        }),
    })
}

pub async fn run(global: &GlobalArgs, command: &Command) -> Result<(), Failure> {
    if let Command::Init(args) = command {
        return init::init(global, args).await;
    }
    let config = load_config(global)?;
    match command {
        Command::Profiles => {
            output::emit(&profiles::profiles_table(&config));
            return Ok(());
        }
        Command::Doctor { .. }
        | Command::Config {
            command: ConfigCommand::Check { online: true },
        } if global.demo => {
            return Err(Failure::Usage(
                "doctor and `config check --online` look at an AWS account; run them without \
                 --demo"
                    .into(),
            ));
        }
        Command::Config {
            command: ConfigCommand::Check { online },
        } => {
            let profile = config.profile(global.profile.as_deref())?;
            output::emit(&config_check::config_check(&config, profile)?);
            if *online {
                return doctor::template_checks(&config, profile).await;
            }
            return Ok(());
        }
        Command::Doctor { json } => {
            let profile = config.profile(global.profile.as_deref())?;
            return doctor::doctor(&config, profile, &state_dir(global), *json).await;
        }
        _ => {}
    }
    let profile = config.profile(global.profile.as_deref())?.clone();
    let ctx = connect(global, &config, &profile).await.context(
        profile,
        state_dir(global),
        global.read_only,
    );
    match command {
        Command::List { all_owners, json } => list::list(&ctx, *all_owners, *json).await,
        Command::Templates { command, json } => match command {
            None => templates::templates(&ctx, *json).await,
            Some(TemplatesCommand::Diff { template }) => {
                templates::templates_diff(&ctx, template).await
            }
        },
        Command::Launch {
            template,
            name,
            env,
            ttl,
            wait,
            json,
        } => {
            let request = LaunchRequest {
                template: template.clone(),
                name: name.clone(),
                env: ops::parse_env(env.iter().map(String::as_str))
                    .map_err(|err| Failure::Usage(format!("--env {err}")))?,
                ttl: ttl
                    .as_deref()
                    .map(expiry::parse_ttl)
                    .transpose()
                    .map_err(|err| Failure::Usage(format!("--ttl: {err}")))?,
                spot: None,
            };
            launch::launch(&ctx, &request, *wait, *json).await
        }
        Command::Destroy {
            name,
            yes,
            wait,
            all_owners,
        } => destroy::destroy(&ctx, name, *yes, *wait, *all_owners).await,
        Command::Extend {
            name,
            by,
            all_owners,
            yes,
        } => {
            let by = by
                .as_deref()
                .map(expiry::parse_ttl)
                .transpose()
                .map_err(|err| Failure::Usage(format!("--by: {err}")))?;
            extend::extend(&ctx, name, by, *all_owners, *yes).await
        }
        Command::Pause {
            name,
            all_owners,
            yes,
        } => pause::pause(&ctx, name, *all_owners, *yes).await,
        Command::Resume {
            name,
            wait,
            all_owners,
            yes,
        } => pause::resume(&ctx, name, *wait, *all_owners, *yes).await,
        Command::Relaunch {
            name,
            yes,
            wait,
            all_owners,
        } => relaunch::relaunch(&ctx, name, *yes, *wait, *all_owners).await,
        Command::Reap { dry_run, pause } => reap::reap(&ctx, *dry_run, *pause).await,
        Command::Logs {
            name,
            container,
            since,
            follow,
            json,
            all_owners,
        } => {
            let since = since
                .as_deref()
                .map(ondeck_core::duration::parse_since)
                .transpose()
                .map_err(|err| Failure::Usage(format!("--since: {err}")))?;
            logs::logs(
                &ctx,
                &logs::LogsArgs {
                    name,
                    containers: container,
                    since,
                    follow: *follow,
                    json: *json,
                    all_owners: *all_owners,
                },
            )
            .await
        }
        Command::Exec {
            name,
            container,
            all_owners,
            command,
        } => {
            exec::exec(
                &ctx,
                &exec::ExecArgs {
                    name,
                    container: container.as_deref(),
                    command,
                    all_owners: *all_owners,
                },
            )
            .await
        }
        Command::Forward {
            name,
            ports,
            container,
            address,
            all_owners,
        } => {
            forward::forward(
                &ctx,
                &forward::ForwardArgs {
                    name,
                    container: container.as_deref(),
                    ports,
                    address: *address,
                    all_owners: *all_owners,
                },
            )
            .await
        }
        Command::Profiles | Command::Config { .. } | Command::Init(_) | Command::Doctor { .. } => {
            unreachable!("handled above")
        }
    }
}

/// How the CLI names an instance back: its name, or `owner/name` when it is not mine; made
/// printable, since both come from tags.
fn label(instance: &Instance, me: &str) -> String {
    let label = if instance.is_owned_by(me) {
        instance.name.clone()
    } else {
        instance.id().to_string()
    };
    printable(&label).into_owned()
}

/// The instance a command that changes something names, with its label; refused first in
/// read-only mode (`what`: "pause an instance").
async fn target(
    ctx: &ops::OpsContext,
    name: &str,
    all_owners: bool,
    what: &str,
) -> Result<(Instance, String), Failure> {
    if ctx.read_only {
        return Err(OpsError::ReadOnly(what.into()).into());
    }
    let wanted = instance_ref(name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let label = label(&instance, &ctx.profile.owner);
    Ok((instance, label))
}

fn instance_ref(text: &str) -> Result<InstanceRef, Failure> {
    InstanceRef::parse(text).map_err(Failure::Usage)
}
