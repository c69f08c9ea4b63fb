//! The health the tail reports for the status line, sent only when it changes.

use super::{Stop, Tail};
use ondeck_core::tail::{StreamHealth, TailMessage};

impl Tail {
    pub(super) fn current_health(&self) -> StreamHealth {
        if let Some(trouble) = &self.trouble {
            return trouble.clone();
        }
        if !self.streams.iter().any(|s| s.exists && s.stopped.is_none()) {
            return StreamHealth::WaitingForStream;
        }
        let polled = (0..self.streams.len())
            .filter(|&i| {
                self.streams[i].exists && self.streams[i].stopped.is_none() && !self.is_live(i)
            })
            .map(|i| self.streams[i].interval)
            .min();
        match polled {
            Some(interval) => StreamHealth::Polling { interval },
            None => StreamHealth::Live {
                sampled: self
                    .plans
                    .iter()
                    .filter_map(|plan| plan.current.as_ref())
                    .any(|session| session.sampled),
            },
        }
    }

    pub(super) async fn refresh_health(&mut self) -> Result<(), Stop> {
        let health = self.current_health();
        self.set_health(health).await
    }

    pub(super) async fn set_health(&mut self, health: StreamHealth) -> Result<(), Stop> {
        if self.health.as_ref() == Some(&health) {
            return Ok(());
        }
        self.health = Some(health.clone());
        self.send(TailMessage::Health {
            health,
            last_event_at: self.last_event_at,
        })
        .await
    }
}
