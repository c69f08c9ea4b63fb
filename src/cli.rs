//! Command line: subcommands and flags. With no subcommand, ondeck opens the dashboard.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ondeck",
    version,
    about = "Launch, watch and destroy your on-demand instances on ECS Fargate",
    after_help = "With no command, ondeck opens the dashboard. Exit codes: 0 ok, 1 the operation failed, 2 usage or config error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Open the dashboard with this instance selected and its logs shown (NAME, or
    /// OWNER/NAME with --all-owners).
    #[arg(long, value_name = "INSTANCE")]
    pub select: Option<String>,

    /// Show every owner's instances in the dashboard.
    #[arg(long)]
    pub all_owners: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (default: ~/.config/ondeck/config.toml; also ONDECK_CONFIG).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Profile to use (default: default_profile in the config).
    #[arg(long, global = true, env = "ONDECK_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Refuse every change (launch, destroy, extend, reap).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Use a simulated cluster inside the process: no AWS account, no network.
    #[arg(long, global = true)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List my instances (or everyone's).
    List {
        #[arg(long)]
        all_owners: bool,
        /// A JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Launch an instance from a template of the profile; prints its name.
    Launch {
        template: String,
        /// Instance name (default: the template name and a short random suffix).
        #[arg(long)]
        name: Option<String>,
        /// Environment override for one container, repeatable.
        #[arg(long = "env", value_name = "CONTAINER:KEY=VALUE")]
        env: Vec<String>,
        /// Time to live (90m, 8h, 2d); overrides the template's ttl.
        #[arg(long)]
        ttl: Option<String>,
        /// Return when every task is RUNNING (exit 0) or one stopped (exit 1).
        #[arg(long)]
        wait: bool,
        #[arg(long)]
        json: bool,
    },
    /// Stop every task of an instance, after a confirmation.
    Destroy {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners); add @LAUNCH
        /// when `ondeck list` shows a name twice.
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// Do not ask (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Return when every task is STOPPED.
        #[arg(long)]
        wait: bool,
        /// Allow destroying another owner's instance.
        #[arg(long)]
        all_owners: bool,
    },
    /// Push an instance's expiry out.
    Extend {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// How much longer (default: the template's ttl).
        #[arg(long, value_name = "DURATION")]
        by: Option<String>,
        /// Allow extending another owner's instance.
        #[arg(long)]
        all_owners: bool,
        /// Do not ask before extending another owner's instance (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Scale a service-backed instance to zero: it keeps its name, settings and expiry and
    /// costs nothing until resumed.
    Pause {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// Allow pausing another owner's instance.
        #[arg(long)]
        all_owners: bool,
        /// Do not ask before pausing another owner's instance (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Bring a paused instance back: its services start their tasks again.
    Resume {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// Return when every task is RUNNING.
        #[arg(long)]
        wait: bool,
        /// Allow resuming another owner's instance.
        #[arg(long)]
        all_owners: bool,
        /// Do not ask before resuming another owner's instance (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Destroy what is left of an instance and launch its template again with the same name,
    /// env overrides and time to live, after a confirmation.
    Relaunch {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// Do not ask (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
        /// Return when every task is RUNNING.
        #[arg(long)]
        wait: bool,
        /// Allow relaunching another owner's instance.
        #[arg(long)]
        all_owners: bool,
    },
    /// Destroy my instances whose expiry has passed (for cron).
    Reap {
        /// List what would be destroyed (or paused); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Pause expired service-backed instances instead of destroying them; a paused one
        /// is left as it is (a plain `reap` destroys it).
        #[arg(long)]
        pause: bool,
    },
    /// Print an instance's container logs (sanitized), optionally following them.
    Logs {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// Only this container, repeatable.
        #[arg(long, short = 'c')]
        container: Vec<String>,
        /// Start this far back (30s, 10m, 1h, 2d); default: the last 100 lines per container.
        #[arg(long)]
        since: Option<String>,
        /// Keep printing new lines until interrupted.
        #[arg(long, short = 'f')]
        follow: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Allow reading another owner's instance.
        #[arg(long)]
        all_owners: bool,
    },
    /// A shell in a container of an instance (ECS Exec), or one command with `-- COMMAND…`;
    /// exits with the remote command's exit code when the session reports one.
    Exec {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// The container (default: the template's exec_container, else the only one).
        #[arg(long, short = 'c')]
        container: Option<String>,
        /// Allow a shell in another owner's instance.
        #[arg(long)]
        all_owners: bool,
        /// The command to run (default: the template's shell, else /bin/sh).
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Forward local ports to a container's ports until ctrl-c; prints each
    /// `localhost:PORT → container:REMOTE`.
    Forward {
        /// NAME for yours, OWNER/NAME for another owner's (with --all-owners).
        #[arg(value_name = "INSTANCE")]
        name: String,
        /// `[LOCAL:]REMOTE`, repeatable; LOCAL 0 or absent picks a free port.
        #[arg(value_name = "[LOCAL:]REMOTE", required = true)]
        ports: Vec<String>,
        /// The container (default: the template's exec_container, else the only one).
        #[arg(long, short = 'c')]
        container: Option<String>,
        /// Listen on this address instead of 127.0.0.1 (others on the network can then connect).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        address: std::net::IpAddr,
        /// Allow forwarding into another owner's instance.
        #[arg(long)]
        all_owners: bool,
    },
    /// The profile's templates: source, containers, size, $/h, TTL and registered revision.
    Templates {
        #[command(subcommand)]
        command: Option<TemplatesCommand>,
        /// A JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The profiles in the config file.
    Profiles,
    /// Write a starter config file (asks on a terminal for what the flags leave out).
    Init(InitArgs),
    /// Check credentials, region, cluster, templates, networking, state dir and terminal;
    /// one line each with the fix, exit 0 only when all pass.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Config file commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// What a launch of the template would register, or that its revision is current.
    Diff { template: String },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and print the resolved profile.
    Check {
        /// Also check the templates against the account (as `ondeck doctor` does).
        #[arg(long)]
        online: bool,
    },
}

/// `ondeck init`: the file goes to --config, else ONDECK_CONFIG, else the default path; the
/// profile is named by --profile, else `dev`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// AWS region of the cluster (default: AWS_REGION, else the AWS profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// ECS cluster, by name or ARN.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Subnet for the tasks, repeatable.
    #[arg(long = "subnet", value_name = "SUBNET")]
    pub subnets: Vec<String>,
    /// Security group for the tasks, repeatable.
    #[arg(long = "security-group", value_name = "GROUP")]
    pub security_groups: Vec<String>,
    /// Owner of the instances you launch (default: your login name).
    #[arg(long)]
    pub owner: Option<String>,
    /// The first template: a task definition family, or a compose file (.yml/.yaml).
    #[arg(long, value_name = "FAMILY|COMPOSE_FILE")]
    pub template_from: Option<String>,
    /// A profile in ~/.aws/config to take credentials from.
    #[arg(long)]
    pub aws_profile: Option<String>,
    /// Send every AWS call to this address (a local AWS emulator).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}
