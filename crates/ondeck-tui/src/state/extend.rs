//! How long to extend an instance, or the marked ones, by: asked on every `e`, prefilled with
//! the template's ttl, read by the same parser as a template's `ttl`.

use chrono::Duration;

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::instances::expiry::{format_ttl, parse_ttl};
use ondeck_core::instances::identity::InstanceId;

/// What the field holds when the instance's template has no ttl (or is not in the profile).
const WITHOUT_TTL: Duration = Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtendDialog {
    /// In the order the table shows them; never empty.
    pub(crate) targets: Vec<InstanceId>,
    pub(crate) by: LineInput,
    /// Why the last enter was refused; cleared by the next edit.
    pub(crate) error: Option<String>,
}

impl ExtendDialog {
    pub(crate) fn new(targets: Vec<InstanceId>, ttl: Option<Duration>) -> ExtendDialog {
        assert!(!targets.is_empty(), "an extend is for some instance");
        ExtendDialog {
            targets,
            by: LineInput::from(format_ttl(ttl.unwrap_or(WITHOUT_TTL)).as_str()),
            error: None,
        }
    }

    /// Enter takes the duration if it reads as one, else says why and stays open with the
    /// text as typed; esc leaves.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<Duration> {
        match key.code {
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter => match parse_ttl(self.by.text()) {
                Ok(by) => Outcome::Done(by),
                Err(why) => {
                    self.error = Some(why);
                    Outcome::Open
                }
            },
            _ => {
                if self.by.key(key) {
                    self.error = None;
                }
                Outcome::Open
            }
        }
    }

    /// Pasted text is typed into the field; a pasted newline does not submit it.
    pub(crate) fn paste(&mut self, text: &str) {
        self.by.paste(text);
        self.error = None;
    }
}

#[cfg(test)]
mod tests;
