//! The question before a write on one instance. For one of mine a typed `y` is enough; for
//! someone else's the dialog says whose it is, and only the instance's name typed out goes on.

use super::keymap::{Key, KeyCode};
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::InstanceId;

/// The write waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guarded {
    Destroy,
    /// By the template's ttl, `by` as the dialog shows it ("8h").
    Extend {
        by: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub action: Guarded,
    pub target: InstanceId,
    pub tasks: usize,
    /// Why this is someone else's instance (see [`Instance::foreign_note`]); then the name
    /// must be typed.
    pub foreign: Option<String>,
    /// What has been typed so far.
    pub typed: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Open,
    Cancelled,
    Confirmed,
}

impl Confirm {
    pub fn new(action: Guarded, instance: &Instance, me: &str) -> Confirm {
        Confirm {
            action,
            target: instance.id(),
            tasks: instance.tasks.len(),
            foreign: instance.foreign_note(me),
            typed: String::new(),
        }
    }

    pub fn key(&mut self, key: Key) -> ConfirmOutcome {
        if self.foreign.is_none() {
            return if key == Key::char('y') || key == Key::char('Y') {
                ConfirmOutcome::Confirmed
            } else {
                ConfirmOutcome::Cancelled
            };
        }
        match key.code {
            KeyCode::Esc => ConfirmOutcome::Cancelled,
            KeyCode::Enter if self.typed == self.target.name => ConfirmOutcome::Confirmed,
            KeyCode::Enter => ConfirmOutcome::Cancelled,
            KeyCode::Backspace => {
                self.typed.pop();
                ConfirmOutcome::Open
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                self.typed.push(c);
                ConfirmOutcome::Open
            }
            _ => ConfirmOutcome::Open,
        }
    }
}
