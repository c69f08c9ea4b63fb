//! The scriptable subcommands, on the same core as the dashboard.

mod logs;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Offset, Utc};
use serde::Serialize;

use crate::cli::{Command, ConfigCommand, GlobalArgs};
use ondeck_aws::SdkCloud;
use ondeck_core::Cloud;
use ondeck_core::config::{self, Config, ConfigError, Profile};
use ondeck_core::instances::identity::InstanceRef;
use ondeck_core::instances::{Instance, cost, expiry, owner_from_login};
use ondeck_core::logs::sanitize::{escape_json_for_terminal, printable};
use ondeck_core::model::{Container, TaskState};
use ondeck_engine::ops::{self, LaunchRequest, OpsContext, OpsError, Snapshot};
use ondeck_sim::{DemoCloud, demo_config};

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
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Failed(_) => ExitCode::from(1),
            Failure::Usage(_) => ExitCode::from(2),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Failed(message) | Failure::Usage(message) => message,
        }
    }
}

impl From<OpsError> for Failure {
    fn from(err: OpsError) -> Self {
        match err {
            OpsError::UnknownTemplate { .. }
            | OpsError::InvalidName(_)
            | OpsError::UnknownContainer { .. }
            | OpsError::TooLarge(_) => Failure::Usage(err.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure::Usage(err.to_string())
    }
}

/// Print to stdout; a closed pipe (`ondeck list | head`) ends the output quietly.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// The config in effect: the demo's built-in one, or the file.
pub fn load_config(global: &GlobalArgs) -> Result<Config, ConfigError> {
    if global.demo {
        return Ok(demo_config(&owner_from_login(
            &config::login_name().unwrap_or_else(|| "me".into()),
        )));
    }
    config::load(&config::resolve_path(global.config.as_deref()))
}

/// The backend for a profile. The demo keeps its simulated cluster for the process's lifetime.
pub async fn connect(global: &GlobalArgs, profile: &Profile) -> Arc<dyn Cloud> {
    if global.demo {
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
    } else {
        Arc::new(SdkCloud::connect(profile).await)
    }
}

/// ondeck's own state; the demo's is kept apart so it never mixes with real launches.
pub fn state_dir(global: &GlobalArgs) -> std::path::PathBuf {
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
    Ok(crate::runtime::DashboardOptions {
        config,
        profile,
        read_only,
        select,
        all_owners,
        state_dir,
        cloud_factory: Arc::new(move |profile: Profile| {
            let global = Arc::clone(&global);
            Box::pin(async move { Ok(connect(&global, &profile).await) })
        }),
    })
}

pub async fn run(global: &GlobalArgs, command: &Command) -> Result<(), Failure> {
    let config = load_config(global)?;
    match command {
        Command::Profiles => {
            emit(&profiles_table(&config));
            return Ok(());
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let profile = config.profile(global.profile.as_deref())?;
            emit(&format!(
                "{}: ok\n{}",
                config.path.display(),
                describe_profile(profile)
            ));
            return Ok(());
        }
        _ => {}
    }
    let profile = config.profile(global.profile.as_deref())?.clone();
    let cloud = connect(global, &profile).await;
    let ctx = OpsContext::new(cloud, profile, state_dir(global), global.read_only);
    match command {
        Command::List { all_owners, json } => list(&ctx, *all_owners, *json).await,
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
                env: parse_env(env)?,
                ttl: ttl
                    .as_deref()
                    .map(expiry::parse_ttl)
                    .transpose()
                    .map_err(|err| Failure::Usage(format!("--ttl: {err}")))?,
            };
            launch(&ctx, &request, *wait, *json).await
        }
        Command::Destroy {
            name,
            yes,
            wait,
            all_owners,
        } => destroy(&ctx, name, *yes, *wait, *all_owners).await,
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
            extend(&ctx, name, by, *all_owners, *yes).await
        }
        Command::Reap { dry_run } => reap(&ctx, *dry_run).await,
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
                .map(expiry::parse_ttl)
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
        Command::Profiles | Command::Config { .. } => unreachable!("handled above"),
    }
}

fn parse_env(specs: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, Failure> {
    let mut env: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for spec in specs {
        let parsed = spec.split_once(':').and_then(|(container, assignment)| {
            let (key, value) = assignment.split_once('=')?;
            (!container.is_empty() && !key.is_empty()).then_some((container, key, value))
        });
        let Some((container, key, value)) = parsed else {
            return Err(Failure::Usage(format!(
                "--env `{spec}`: write CONTAINER:KEY=VALUE, e.g. --env api:LOG_LEVEL=debug"
            )));
        };
        env.entry(container.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
    }
    Ok(env)
}

async fn list(ctx: &OpsContext, all_owners: bool, json: bool) -> Result<(), Failure> {
    let snapshot = ops::refresh(ctx, all_owners).await?;
    let now = Utc::now();
    if json {
        let rows: Vec<InstanceJson> = snapshot
            .instances
            .iter()
            .map(|instance| InstanceJson::new(instance, &snapshot, &ctx.profile, now))
            .collect();
        let json = serde_json::to_string_pretty(&rows).expect("instances serialize");
        emit(&format!("{}\n", escape_json_for_terminal(json)));
    } else {
        emit(&instances_table(&snapshot, &ctx.profile, all_owners, now));
    }
    Ok(())
}

async fn launch(
    ctx: &OpsContext,
    request: &LaunchRequest,
    wait: bool,
    json: bool,
) -> Result<(), Failure> {
    let launched = ops::launch(ctx, request).await?;
    let name = printable(&launched.id.name);
    if launched.recovered {
        eprintln!("resumed an interrupted launch of {name}: no second instance was started");
    }
    if json {
        let body = serde_json::json!({
            "name": name,
            "launch": launched.id.launch,
            "recovered": launched.recovered,
            "task_arns": launched.tasks.iter().map(|t| t.task_arn.clone()).collect::<Vec<_>>(),
        });
        emit(&format!("{}\n", escape_json_for_terminal(body.to_string())));
    } else {
        emit(&format!("{name}\n"));
    }
    if !wait {
        return Ok(());
    }
    // The launched tasks themselves, by ARN: a listing can miss a task that stopped before
    // the first look, and under a reused name it also holds the old launch's tasks.
    let arns: Vec<String> = launched.tasks.iter().map(|t| t.task_arn.clone()).collect();
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        let tasks = ctx
            .cloud
            .describe_tasks(&arns)
            .await
            .map_err(OpsError::from)?;
        if let Some(stopped) = tasks
            .iter()
            .find(|task| task.last_status == TaskState::Stopped || task.desired_status == "STOPPED")
        {
            return Err(Failure::Failed(format!(
                "{name} stopped: {}",
                stopped
                    .stopped_reason
                    .as_deref()
                    .or(stopped.stop_code.as_deref())
                    .unwrap_or("no reason given")
            )));
        }
        if tasks.len() == arns.len()
            && tasks
                .iter()
                .all(|task| task.last_status == TaskState::Running)
        {
            eprintln!("{name} is RUNNING");
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{name} did not reach RUNNING within 15 minutes"
            )));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

/// What a person must answer before ondeck acts on an instance: `y` for one of theirs; for
/// someone else's, the instance's name typed out, after being told whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Confirmation {
    question: String,
    typed_name: Option<String>,
}

impl Confirmation {
    /// `action` is the verb phrase ("destroy", "extend by 2h").
    fn new(action: &str, instance: &Instance, ctx: &OpsContext) -> Confirmation {
        let tasks = match instance.tasks.len() {
            1 => "1 task".to_string(),
            count => format!("{count} tasks"),
        };
        let place = format!(
            "{tasks}; profile {}, cluster {}",
            ctx.profile.name, ctx.profile.cluster
        );
        let mut verb = action.to_string();
        if let Some(first) = verb.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        // Owner and name come from tags anyone with TagResource could write.
        let name = printable(&instance.name);
        match instance.foreign_note(&ctx.profile.owner) {
            None => Confirmation {
                question: format!("{verb} instance {name} ({place})? [y/N] "),
                typed_name: None,
            },
            Some(note) => Confirmation {
                question: format!(
                    "{verb} {}'s instance {name} ({place})?\nCareful: {}.\n\
                     Type its name, {name}, to {action} it: ",
                    printable(&instance.owner),
                    printable(&note)
                ),
                typed_name: Some(instance.name.clone()),
            },
        }
    }

    fn accepts(&self, answer: &str) -> bool {
        let answer = answer.trim();
        match &self.typed_name {
            Some(name) => answer == name,
            None => matches!(answer, "y" | "Y" | "yes"),
        }
    }

    /// Ask on the terminal; without one, refuse and point at `--yes`.
    fn ask(&self, action: &str, label: &str) -> Result<(), Failure> {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(format!(
                "refusing to {action} {label} without a terminal to confirm on; pass --yes"
            )));
        }
        eprint!("{}", self.question);
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if self.accepts(&answer) {
            Ok(())
        } else {
            Err(Failure::Failed(format!("{label} left as it was")))
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

fn instance_ref(text: &str) -> Result<InstanceRef, Failure> {
    InstanceRef::parse(text).map_err(Failure::Usage)
}

async fn destroy(
    ctx: &OpsContext,
    name: &str,
    yes: bool,
    wait: bool,
    all_owners: bool,
) -> Result<(), Failure> {
    if ctx.read_only {
        return Err(OpsError::ReadOnly("destroy an instance".into()).into());
    }
    let wanted = instance_ref(name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let label = label(&instance, &ctx.profile.owner);
    if !yes {
        Confirmation::new("destroy", &instance, ctx).ask("destroy", &label)?;
    }
    let stopped = ops::destroy(ctx, &instance.id(), all_owners).await?;
    if stopped == 0 {
        eprintln!("{label} is already stopping");
    } else {
        eprintln!("{label}: asked {stopped} task(s) to stop");
    }
    if !wait {
        return Ok(());
    }
    let arns: Vec<String> = instance.tasks.iter().map(|t| t.task_arn.clone()).collect();
    let deadline = tokio::time::Instant::now() + WAIT_LIMIT;
    loop {
        // Tasks ECS no longer describes have long stopped.
        let tasks = ctx
            .cloud
            .describe_tasks(&arns)
            .await
            .map_err(OpsError::from)?;
        if tasks
            .iter()
            .all(|task| task.last_status == TaskState::Stopped)
        {
            eprintln!("{label} is STOPPED");
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{label} did not stop within 15 minutes"
            )));
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

async fn extend(
    ctx: &OpsContext,
    name: &str,
    by: Option<chrono::Duration>,
    all_owners: bool,
    yes: bool,
) -> Result<(), Failure> {
    if ctx.read_only {
        return Err(OpsError::ReadOnly("extend an instance".into()).into());
    }
    let wanted = instance_ref(name)?;
    let (instance, _) = ops::resolve(ctx, &wanted, all_owners).await?;
    let label = label(&instance, &ctx.profile.owner);
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
        ondeck_tui::ui::format::stamp(until, offset),
        ondeck_tui::ui::format::remaining(until, now)
    ));
    Ok(())
}

/// Expired instances of mine that still run: the ones `reap` destroys.
pub fn reapable(snapshot: &Snapshot, owner: &str, now: DateTime<Utc>) -> Vec<Instance> {
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

async fn reap(ctx: &OpsContext, dry_run: bool) -> Result<(), Failure> {
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
            .map(|at| expiry::format_remaining(at - now))
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

/// `list --json`: one object per instance, stable field names for scripts.
#[derive(Debug, Serialize)]
struct InstanceJson<'a> {
    name: &'a str,
    owner: &'a str,
    /// The launch token: tells apart instances of one name (`NAME@LAUNCH` takes its start).
    launch: &'a str,
    template: &'a str,
    state: &'a str,
    created_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    private_ips: &'a [String],
    endpoints: Vec<String>,
    cost_per_hour: Option<f64>,
    cost_so_far: Option<f64>,
    currency: Option<&'static str>,
    tasks: Vec<TaskJson<'a>>,
}

#[derive(Debug, Serialize)]
struct TaskJson<'a> {
    task_arn: &'a str,
    task_definition: &'a str,
    last_status: &'a str,
    desired_status: &'a str,
    stop_code: Option<&'a str>,
    stopped_reason: Option<&'a str>,
    containers: &'a [Container],
}

/// Money to four decimals: enough for per-hour rates, no float noise in JSON.
fn cents(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl<'a> InstanceJson<'a> {
    fn new(
        instance: &'a Instance,
        snapshot: &Snapshot,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Self {
        let cost = cost::instance_cost(
            instance,
            &snapshot.definitions,
            &profile.region,
            profile.prices,
            now,
        );
        InstanceJson {
            name: &instance.name,
            owner: &instance.owner,
            launch: &instance.launch,
            template: &instance.template,
            state: instance.state.as_str(),
            created_at: instance.created_at,
            expires_at: instance.expires_at,
            private_ips: &instance.private_ips,
            endpoints: ops::endpoints(instance, &snapshot.definitions)
                .iter()
                .map(ToString::to_string)
                .collect(),
            cost_per_hour: cost.map(|c| cents(c.per_hour)),
            cost_so_far: cost.map(|c| cents(c.so_far)),
            currency: cost.map(|c| c.currency),
            tasks: instance
                .tasks
                .iter()
                .map(|task| TaskJson {
                    task_arn: &task.task_arn,
                    task_definition: task.task_definition(),
                    last_status: task.last_status.as_str(),
                    desired_status: &task.desired_status,
                    stop_code: task.stop_code.as_deref(),
                    stopped_reason: task.stopped_reason.as_deref(),
                    containers: &task.containers,
                })
                .collect(),
        }
    }
}

/// "3m", "2h", "4d".
pub fn age(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(since) = since else {
        return "-".into();
    };
    let minutes = (now - since).num_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes}m"),
        60..=2879 => format!("{}h", minutes / 60),
        _ => format!("{}d", minutes / 1440),
    }
}

fn instances_table(
    snapshot: &Snapshot,
    profile: &Profile,
    all_owners: bool,
    now: DateTime<Utc>,
) -> String {
    let mut rows = vec![{
        let mut header = vec![
            "NAME", "TEMPLATE", "STATE", "TASKS", "AGE", "EXPIRES", "$/H", "ENDPOINT",
        ];
        if all_owners {
            header.insert(1, "OWNER");
        }
        header.into_iter().map(String::from).collect::<Vec<_>>()
    }];
    for instance in &snapshot.instances {
        let cost = cost::instance_cost(
            instance,
            &snapshot.definitions,
            &profile.region,
            profile.prices,
            now,
        );
        let mut row = vec![
            printable(&instance.name).into_owned(),
            printable(&instance.template).into_owned(),
            instance.state.to_string(),
            format!("{}/{}", instance.tasks_running(), instance.tasks.len()),
            age(instance.created_at, now),
            instance
                .expires_at
                .map(|at| expiry::format_remaining(at - now))
                .unwrap_or_else(|| "-".into()),
            cost.map(|c| format!("{:.3}", c.per_hour))
                .unwrap_or_else(|| "-".into()),
            ops::endpoints(instance, &snapshot.definitions)
                .first()
                .map(|endpoint| printable(&endpoint.to_string()).into_owned())
                .unwrap_or_else(|| "-".into()),
        ];
        if all_owners {
            row.insert(1, printable(&instance.owner).into_owned());
        }
        rows.push(row);
    }
    if snapshot.instances.is_empty() {
        return format!(
            "no instances of {} in cluster {}; `ondeck launch TEMPLATE` starts one\n",
            if all_owners { "anyone" } else { &profile.owner },
            profile.cluster
        );
    }
    render_table(&rows)
}

fn render_table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|col| {
            rows.iter()
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

fn profiles_table(config: &Config) -> String {
    let mut rows = vec![
        ["PROFILE", "REGION", "CLUSTER", "OWNER", "TEMPLATES"]
            .map(String::from)
            .to_vec(),
    ];
    for (name, profile) in &config.profiles {
        let marker = if config.default_profile.as_deref() == Some(name) {
            "*"
        } else {
            ""
        };
        rows.push(vec![
            format!("{name}{marker}"),
            profile.region.clone(),
            profile.cluster.clone(),
            profile.owner.clone(),
            profile
                .templates
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    render_table(&rows)
}

fn describe_profile(profile: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "profile {}", profile.name);
    let _ = writeln!(
        out,
        "  aws_profile       {}",
        profile
            .aws_profile
            .as_deref()
            .unwrap_or("(default credentials)")
    );
    let _ = writeln!(out, "  region            {}", profile.region);
    if let Some(url) = &profile.endpoint_url {
        let _ = writeln!(out, "  endpoint_url      {url}");
    }
    let _ = writeln!(out, "  cluster           {}", profile.cluster);
    let _ = writeln!(
        out,
        "  owner             {} (startedBy {})",
        profile.owner,
        ondeck_core::instances::owner_key(&profile.owner)
    );
    let _ = writeln!(out, "  subnets           {}", profile.subnets.join(", "));
    let _ = writeln!(
        out,
        "  security_groups   {}",
        profile.security_groups.join(", ")
    );
    let _ = writeln!(out, "  assign_public_ip  {}", profile.assign_public_ip);
    let _ = writeln!(
        out,
        "  refresh           {}s busy, {}s steady",
        profile.refresh_busy_secs, profile.refresh_steady_secs
    );
    let _ = writeln!(out, "  log_buffer_lines  {}", profile.log_buffer_lines);
    for template in profile.templates.values() {
        let _ = writeln!(
            out,
            "  template {}: {}{}{}",
            template.name,
            template.task_definitions.join(" + "),
            template
                .ttl
                .map(|ttl| format!(", ttl {}", expiry::format_ttl(ttl)))
                .unwrap_or_default(),
            if template.spot { ", spot" } else { "" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn env_overrides_parse_and_bad_ones_explain_the_form() {
        let env = parse_env(&["api:A=1".into(), "api:B=x=y".into(), "web:C=".into()]).unwrap();
        assert_eq!(env["api"]["A"], "1");
        assert_eq!(env["api"]["B"], "x=y");
        assert_eq!(env["web"]["C"], "");
        let err = parse_env(&["api=1".into()]).unwrap_err();
        assert!(err.message().contains("CONTAINER:KEY=VALUE"));
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        let now = Utc::now();
        assert_eq!(age(Some(now - Duration::minutes(3)), now), "3m");
        assert_eq!(age(Some(now - Duration::hours(5)), now), "5h");
        assert_eq!(age(Some(now - Duration::days(4)), now), "4d");
        assert_eq!(age(None, now), "-");
    }
}
