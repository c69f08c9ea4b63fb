//! `ondeck forward`: local ports carried to a container's ports until ctrl-c or SIGTERM,
//! which close every forward and end its session on the AWS side.

use std::net::{IpAddr, SocketAddr};

use super::{Failure, instance_ref, label};
use crate::connect::forward::{Forward, ForwardSpec};
use crate::connect::{explain, target};
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::{self, OpsContext, OpsError};

/// How often the forwards are looked at for connections the container refused.
const REFUSED_LOOK: std::time::Duration = std::time::Duration::from_millis(500);

pub(super) struct ForwardArgs<'a> {
    pub(super) name: &'a str,
    pub(super) container: Option<&'a str>,
    pub(super) ports: &'a [String],
    pub(super) address: IpAddr,
    pub(super) all_owners: bool,
}

/// `[LOCAL:]REMOTE`: (local, remote); a local port 0 or absent means a free one.
pub(super) fn parse_port_pair(text: &str) -> Result<(u16, u16), String> {
    let port = |part: &str| {
        part.parse::<u16>()
            .map_err(|_| format!("`{text}`: ports are numbers 0-65535, written [LOCAL:]REMOTE"))
    };
    let (local, remote) = match text.split_once(':') {
        Some((local, remote)) => (port(local)?, port(remote)?),
        None => (0, port(text)?),
    };
    if remote == 0 {
        return Err(format!("`{text}`: the remote port cannot be 0"));
    }
    Ok((local, remote))
}

pub(super) async fn forward(ctx: &OpsContext, args: &ForwardArgs<'_>) -> Result<(), Failure> {
    // A session runs commands in the container as the user: more than looking.
    if ctx.read_only {
        return Err(OpsError::ReadOnly("forward ports to a container".into()).into());
    }
    let pairs = args
        .ports
        .iter()
        .map(|text| parse_port_pair(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::Usage)?;
    let wanted = instance_ref(args.name)?;
    let (instance, snapshot) = ops::resolve(ctx, &wanted, args.all_owners).await?;
    let template = ctx.profile.templates.get(&instance.template);
    let target = target::choose(&instance, &snapshot.definitions, template, args.container)
        .map_err(Failure::Failed)?;
    let label = label(&instance, &ctx.profile.owner);
    let mut forwards = Vec::new();
    for (local, remote) in pairs {
        let spec = ForwardSpec {
            task_arn: target.task_arn.clone(),
            runtime_id: target.runtime_id.clone(),
            remote_port: remote,
            bind: SocketAddr::new(args.address, local),
        };
        match Forward::open(ctx.cloud.clone(), &spec).await {
            Ok(forward) => {
                println!(
                    "{} → {}:{remote}",
                    shown(forward.local_addr()),
                    printable(&target.container)
                );
                // Scripts read the addresses as they come.
                let _ = std::io::Write::flush(&mut std::io::stdout());
                forwards.push(forward);
            }
            Err(err) => {
                close_all(forwards).await;
                let detail = match err {
                    crate::connect::forward::ForwardError::Cloud(cloud) => explain(&cloud),
                    other => other.to_string(),
                };
                return Err(Failure::Failed(format!("forward to {label}: {detail}")));
            }
        }
    }
    eprintln!("forwarding; ctrl-c to stop");
    let outcome = {
        let stop = stop_signal();
        let dropped = async {
            let ends: Vec<_> = forwards.iter().map(|f| Box::pin(f.ended())).collect();
            futures::future::select_all(ends).await.0
        };
        tokio::pin!(stop, dropped);
        let mut refused_seen = vec![0; forwards.len()];
        let mut look = tokio::time::interval(REFUSED_LOOK);
        loop {
            tokio::select! {
                () = &mut stop => break Ok(()),
                ended = &mut dropped => break Err(ended.err().map_or_else(
                    || "a forward's session ended".to_string(),
                    |err| format!("a forward's session dropped: {err}"),
                )),
                _ = look.tick() => {
                    for (forward, seen) in forwards.iter().zip(refused_seen.iter_mut()) {
                        let refused = forward.stats().connections_refused;
                        if refused > *seen {
                            *seen = refused;
                            eprintln!(
                                "ondeck: nothing listens on port {} in {}: the connection was refused \
                                 there; check the port, or wait for the service to start",
                                forward.remote_port(),
                                printable(&target.container)
                            );
                        }
                    }
                }
            }
        }
    };
    close_all(forwards).await;
    outcome.map_err(|err| {
        Failure::Failed(format!(
            "{err}; every forward is closed, run it again to reconnect"
        ))
    })
}

/// `localhost:PORT` for the loopback address, else the address itself.
fn shown(addr: SocketAddr) -> String {
    if addr.ip().is_loopback() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    }
}

async fn close_all(forwards: Vec<Forward>) {
    for forward in forwards {
        let stats = forward.stats();
        eprintln!(
            "closed {} → port {}: {} bytes sent, {} received, {} connection(s)",
            shown(forward.local_addr()),
            forward.remote_port(),
            stats.bytes_to_remote,
            stats.bytes_from_remote,
            stats.connections_total
        );
        let session = forward.session_id().to_string();
        if let Err(err) = forward.close().await {
            eprintln!("ondeck: session {session} may stay open until it times out: {err}");
        }
    }
}

async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(test)]
mod tests;
