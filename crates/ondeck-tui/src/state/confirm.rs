//! The question before a write on one instance. For one of mine a typed `y` is enough; for
//! someone else's the dialog says whose it is, and only the instance's name typed out goes on.

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::instances::Instance;
use ondeck_core::instances::identity::InstanceId;

/// The write waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Guarded {
    Destroy,
    /// By how long the extend dialog was told.
    Extend {
        by: chrono::Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirm {
    pub(crate) action: Guarded,
    pub(crate) target: InstanceId,
    pub(crate) tasks: usize,
    /// Why this is someone else's instance (see [`Instance::foreign_note`]); then the name
    /// must be typed.
    pub(crate) foreign: Option<String>,
    /// What has been typed so far.
    pub(crate) typed: LineInput,
}

impl Confirm {
    pub(crate) fn new(action: Guarded, instance: &Instance, me: &str) -> Confirm {
        Confirm {
            action,
            target: instance.id(),
            tasks: instance.tasks.len(),
            foreign: instance.foreign_note(me),
            typed: LineInput::new(),
        }
    }

    pub(crate) fn key(&mut self, key: Key) -> Outcome<()> {
        if self.foreign.is_none() {
            return if key == Key::char('y') || key == Key::char('Y') {
                Outcome::Done(())
            } else {
                Outcome::Cancelled
            };
        }
        match key.code {
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter if self.typed.text() == self.target.name => Outcome::Done(()),
            KeyCode::Enter => Outcome::Cancelled,
            _ => {
                self.typed.key(key);
                Outcome::Open
            }
        }
    }

    /// A pasted name is typed, and still waits for enter. One of mine takes a key, not a
    /// paste: the paste does nothing.
    pub(crate) fn paste(&mut self, text: &str) {
        if self.foreign.is_some() {
            self.typed.paste(text);
        }
    }
}

#[cfg(test)]
mod tests;
