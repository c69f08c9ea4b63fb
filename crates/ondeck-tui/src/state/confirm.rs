//! The question before a write on one instance or on the marked ones. For mine a typed `y` is
//! enough; for someone else's the dialog says whose it is, and only the names of those typed
//! out go on.

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::instances::Instance;
use ondeck_core::instances::expiry::format_ttl;
use ondeck_core::instances::identity::InstanceId;

/// A write on an instance: what a confirmation asks about, and what a request out does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Guarded {
    Destroy,
    /// By how long the extend dialog was told.
    Extend {
        by: chrono::Duration,
    },
    /// Its services scaled to zero.
    Pause,
    /// Its services scaled back to one task each.
    Resume,
    /// What is left destroyed and `template` launched again under the same name.
    Relaunch {
        template: String,
    },
}

impl Guarded {
    /// The word for it in prompts and messages: "destroy", "pause".
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            Guarded::Destroy => "destroy",
            Guarded::Extend { .. } => "extend",
            Guarded::Pause => "pause",
            Guarded::Resume => "resume",
            Guarded::Relaunch { .. } => "relaunch",
        }
    }

    /// What the status line says while it is out: "destroying a…", "extending a by 8h…".
    pub(crate) fn under_way(&self, label: &str) -> String {
        match self {
            Guarded::Destroy => format!("destroying {label}…"),
            Guarded::Extend { by } => format!("extending {label} by {}…", format_ttl(*by)),
            Guarded::Pause => format!("pausing {label}…"),
            Guarded::Resume => format!("resuming {label}…"),
            Guarded::Relaunch { .. } => format!("relaunching {label}…"),
        }
    }
}

/// One instance the write is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) id: InstanceId,
    pub(crate) tasks: usize,
    /// Why this is someone else's instance (see [`Instance::foreign_note`]); then its name
    /// must be typed.
    pub(crate) foreign: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirm {
    pub(crate) action: Guarded,
    /// In the order the table shows them; never empty.
    pub(crate) targets: Vec<Target>,
    /// What has been typed so far.
    pub(crate) typed: LineInput,
}

impl Confirm {
    pub(crate) fn new<'a>(
        action: Guarded,
        instances: impl IntoIterator<Item = &'a Instance>,
        me: &str,
    ) -> Confirm {
        let targets: Vec<Target> = instances
            .into_iter()
            .map(|instance| Target {
                id: instance.id(),
                tasks: instance.tasks.len(),
                foreign: instance.foreign_note(me),
            })
            .collect();
        assert!(!targets.is_empty(), "a confirmation is for some instance");
        Confirm {
            action,
            targets,
            typed: LineInput::new(),
        }
    }

    /// The names of someone else's instances among the targets, separated by spaces: what
    /// must be typed. `None` when all are mine and a `y` does.
    pub(crate) fn names_to_type(&self) -> Option<String> {
        let names: Vec<&str> = self
            .targets
            .iter()
            .filter(|target| target.foreign.is_some())
            .map(|target| target.id.name.as_str())
            .collect();
        (!names.is_empty()).then(|| names.join(" "))
    }

    pub(crate) fn key(&mut self, key: Key) -> Outcome<()> {
        let Some(names) = self.names_to_type() else {
            return if key == Key::char('y') || key == Key::char('Y') {
                Outcome::Done(())
            } else {
                Outcome::Cancelled
            };
        };
        match key.code {
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter if self.typed.text() == names => Outcome::Done(()),
            KeyCode::Enter => Outcome::Cancelled,
            _ => {
                self.typed.key(key);
                Outcome::Open
            }
        }
    }

    /// A pasted name is typed, and still waits for enter. Mine take a key, not a paste: the
    /// paste does nothing.
    pub(crate) fn paste(&mut self, text: &str) {
        if self.names_to_type().is_some() {
            self.typed.paste(text);
        }
    }
}

#[cfg(test)]
mod tests;
