//! `ondeck logs`: an instance's container logs for scripts and terminals, on the same tail
//! engine as the log pane. Every line is sanitized before it is printed.

use std::io::Write;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;

use super::Failure;
use ondeck_core::instances::identity::InstanceRef;
use ondeck_core::logs::line::{format_line, labels_lines, line_time};
use ondeck_core::logs::sanitize::sanitize;
use ondeck_core::logs::sources::log_sources;
use ondeck_engine::ops::{self, OpsContext};
use ondeck_engine::tail::{StreamHealth, TailMessage, TailSpec, TailTiming, WhenFull, spawn_tail};

/// Lines per stream shown when no `--since` is given.
const TAIL_LINES: i32 = 100;

pub struct LogsArgs<'a> {
    pub name: &'a str,
    pub containers: &'a [String],
    pub since: Option<chrono::Duration>,
    pub follow: bool,
    pub json: bool,
    pub all_owners: bool,
}

pub async fn logs(ctx: &OpsContext, args: &LogsArgs<'_>) -> Result<(), Failure> {
    let wanted = InstanceRef::parse(args.name).map_err(Failure::Usage)?;
    let (instance, snapshot) = ops::resolve(ctx, &wanted, args.all_owners).await?;
    let mut found = log_sources(&instance, &snapshot.definitions);
    for unreadable in &found.unreadable {
        note(unreadable);
    }
    if !args.containers.is_empty() {
        let known: Vec<String> = found.sources.iter().map(|s| s.container.clone()).collect();
        if let Some(unknown) = args.containers.iter().find(|c| !known.contains(c)) {
            return Err(Failure::Usage(format!(
                "instance {} has no container `{unknown}` with readable logs; containers: {}",
                args.name,
                known.join(", ")
            )));
        }
        let keep: Vec<bool> = found
            .sources
            .iter()
            .map(|source| args.containers.contains(&source.container))
            .collect();
        let mut index = 0;
        found.sources.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        let mut index = 0;
        found.labels.retain(|_| {
            index += 1;
            keep[index - 1]
        });
    }
    if found.sources.is_empty() {
        return Err(Failure::Failed(format!(
            "instance {} has no container logs ondeck can read",
            args.name
        )));
    }
    // The labels are indexed by the sources' original indexes; keep that mapping.
    let labels: std::collections::HashMap<u16, String> = found
        .sources
        .iter()
        .zip(&found.labels)
        .map(|(source, label)| (source.index, label.clone()))
        .collect();
    let spec = TailSpec {
        sources: found.sources,
        since: args
            .since
            .map(|since| (Utc::now() - since).timestamp_millis()),
        backfill_limit: TAIL_LINES,
        follow: args.follow,
        prefer_live: true,
        timing: TailTiming::default(),
        // A pipe that reads slowly gets every line, later.
        when_full: WhenFull::Wait,
    };
    let (tx, mut rx) = mpsc::channel(64);
    let _tail = spawn_tail(Arc::clone(&ctx.cloud), spec, tx);
    let show_label = labels_lines(labels.len());
    // Trouble was reported on stderr: say so too when lines flow again.
    let mut troubled = false;
    loop {
        let message = tokio::select! {
            message = rx.recv() => message,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(message) = message else {
            return Ok(());
        };
        match message {
            TailMessage::Events(events) => {
                let mut out = String::new();
                for event in events {
                    let label = labels.get(&event.source).map(String::as_str).unwrap_or("?");
                    let text = sanitize(&event.message).text;
                    if args.json {
                        let line = serde_json::json!({
                            "timestamp": event.timestamp,
                            "time": line_time(event.timestamp),
                            "container": label,
                            "message": text,
                        });
                        out.push_str(&line.to_string());
                    } else {
                        out.push_str(&format_line(
                            event.timestamp,
                            show_label.then_some(label),
                            &text,
                        ));
                    }
                    out.push('\n');
                }
                let mut stdout = std::io::stdout().lock();
                if stdout
                    .write_all(out.as_bytes())
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    // The reader went away (`| head`): nothing left to do.
                    return Ok(());
                }
            }
            TailMessage::Health { health, .. } => match health {
                StreamHealth::Ended => return Ok(()),
                StreamHealth::Failed { reason } => {
                    return Err(Failure::Failed(sanitize(&reason).text));
                }
                StreamHealth::Reconnecting { attempt, reason } => {
                    troubled = true;
                    note(&format!("retrying (attempt {attempt}): {reason}"));
                }
                StreamHealth::Throttled { retry_in } => {
                    troubled = true;
                    note(&format!(
                        "CloudWatch is throttling; retrying in {}s",
                        retry_in.as_secs().max(1)
                    ));
                }
                StreamHealth::Live { .. }
                | StreamHealth::Polling { .. }
                | StreamHealth::WaitingForStream
                    if troubled =>
                {
                    troubled = false;
                    note("reading logs again");
                }
                StreamHealth::Starting
                | StreamHealth::Live { .. }
                | StreamHealth::Polling { .. }
                | StreamHealth::WaitingForStream => {}
            },
            // The other containers go on; this one is said once, with its fix.
            TailMessage::SourceStopped { reason, .. } => note(&reason),
            // Waiting for room, the tail drops nothing here.
            TailMessage::BackfillDone | TailMessage::Dropped { .. } => {}
        }
    }
}

/// A line on stderr about the tail, with AWS's words made safe; a closed stderr is no reason
/// to stop.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "ondeck: {}", sanitize(text).text);
}
