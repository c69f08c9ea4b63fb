//! The help overlay. It keeps nothing of its own: what it shows comes from the keymap, and
//! the first key closes it, without doing anything else.

use super::Outcome;
use super::keymap::Key;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Help;

impl Help {
    pub(crate) fn key(self, _key: Key) -> Outcome<()> {
        Outcome::Cancelled
    }
}

#[cfg(test)]
mod tests;
