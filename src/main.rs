//! Wiring only: command line → config → backend → a subcommand or the dashboard.

use std::process::ExitCode;

mod cli;
mod commands;
mod connect;
mod runtime;

use clap::Parser;
use cli::Cli;
use commands::Failure;
use ondeck_core::logs::sanitize::printable;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log_guard = init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            say(&format!("ondeck: cannot start its runtime: {err}"));
            return ExitCode::from(1);
        }
    };
    let outcome = match &cli.command {
        Some(command) => runtime.block_on(commands::run(&cli.global, command)),
        None => commands::dashboard_options(cli.global, cli.select, cli.all_owners).and_then(
            |options| {
                runtime
                    .block_on(runtime::dashboard(options))
                    .map_err(|err| Failure::Failed(format!("{err:#}")))
            },
        ),
    };
    // Don't wait for stray background calls (a Live Tail, a slow retry) on the way out.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(failure) => {
            // Messages quote names, tags and reasons from AWS: each line is cleaned for the
            // terminal like every other text ondeck prints.
            let lines: Vec<_> = failure.message().lines().map(printable).collect();
            say(&format!("ondeck: {}", lines.join("\n")));
            failure.exit_code()
        }
    }
}

/// ondeck's own log goes to a file in the state dir, never to the terminal. It is optional:
/// when the file cannot be opened (a state dir left root-owned by `sudo ondeck`, a read-only
/// file), say so once and run on without it.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = ondeck_core::config::state_dir();
    let path = dir.join("ondeck.log");
    let opened = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
    });
    let file = match opened {
        Ok(file) => file,
        Err(err) => {
            say(&format!(
                "ondeck: cannot write its log to {} ({err}); running without it",
                path.display()
            ));
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("ONDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("ondeck=info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// A last word on stderr; a terminal that is already gone must not turn it into a panic.
fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}
