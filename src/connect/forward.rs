//! A local port carried to a container's port: the listener is bound first (a taken port
//! fails before any session is opened), then SSM StartSession, then every accepted
//! connection goes through the session's data channel.

use std::net::SocketAddr;
use std::sync::Arc;

use ondeck_core::Cloud;
use ondeck_core::CloudError;
use ondeck_ssm::{ChannelOptions, ForwardStats, PortForward, SessionError};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What to forward: `bind` (port 0 = a free one) to `remote_port` of one container of a task.
#[derive(Debug, Clone)]
pub(crate) struct ForwardSpec {
    pub(crate) task_arn: String,
    pub(crate) runtime_id: String,
    pub(crate) remote_port: u16,
    pub(crate) bind: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ForwardError {
    #[error("local port {0} is taken; choose another (LOCAL:REMOTE) or 0 for a free one")]
    PortTaken(SocketAddr),
    #[error("cannot listen on {addr}: {detail}")]
    Bind { addr: SocketAddr, detail: String },
    #[error("{0}")]
    Cloud(#[from] CloudError),
    #[error("cannot open the forward to port {port}: {error}")]
    Channel { port: u16, error: SessionError },
}

/// A running forward. It ends when [`Forward::close`] is called or the session drops
/// ([`Forward::ended`]); either way the listener is gone with it.
pub(crate) struct Forward {
    local: SocketAddr,
    remote_port: u16,
    session_id: String,
    session: Arc<PortForward>,
    serving: JoinHandle<()>,
    cloud: Arc<dyn Cloud>,
}

impl Forward {
    pub(crate) async fn open(
        cloud: Arc<dyn Cloud>,
        spec: &ForwardSpec,
    ) -> Result<Forward, ForwardError> {
        let listener = TcpListener::bind(spec.bind)
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AddrInUse => ForwardError::PortTaken(spec.bind),
                _ => ForwardError::Bind {
                    addr: spec.bind,
                    detail: error.to_string(),
                },
            })?;
        let local = listener.local_addr().map_err(|error| ForwardError::Bind {
            addr: spec.bind,
            detail: error.to_string(),
        })?;
        let grant = cloud
            .start_port_forward(&spec.task_arn, &spec.runtime_id, spec.remote_port)
            .await?;
        let session =
            match PortForward::connect(&super::session_params(&grant), &ChannelOptions::default())
                .await
            {
                Ok(session) => Arc::new(session),
                Err(error) => {
                    // The session exists on the AWS side: don't leave it idling.
                    let _ = cloud.end_session(&grant.session_id).await;
                    return Err(ForwardError::Channel {
                        port: spec.remote_port,
                        error,
                    });
                }
            };
        let serving = tokio::spawn({
            let session = session.clone();
            async move {
                let _ = session.serve(listener).await;
            }
        });
        Ok(Forward {
            local,
            remote_port: spec.remote_port,
            session_id: grant.session_id,
            session,
            serving,
            cloud,
        })
    }

    /// The address actually bound (the free port chosen for port 0).
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn remote_port(&self) -> u16 {
        self.remote_port
    }

    pub(crate) fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Bytes both ways and connections open, for the list of forwards.
    pub(crate) fn stats(&self) -> ForwardStats {
        self.session.stats()
    }

    /// Resolves when the session is over without [`Forward::close`]: the error says why it
    /// dropped.
    pub(crate) async fn ended(&self) -> Result<(), SessionError> {
        self.session.ended().await.map(|_| ())
    }

    /// Stops accepting, ends the port session and terminates it on the AWS side.
    pub(crate) async fn close(self) -> Result<(), CloudError> {
        self.serving.abort();
        let _ = self.session.close().await;
        self.cloud.end_session(&self.session_id).await
    }
}

impl Drop for Forward {
    // A forward let go without `close` stops accepting at once.
    fn drop(&mut self) {
        self.serving.abort();
    }
}

#[cfg(test)]
mod tests;
