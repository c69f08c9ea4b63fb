//! The help overlay. What it shows comes from the keymap; it keeps only how far its list is
//! scrolled on a screen too small for all of it. ↑↓ (and j k) scroll; any other key closes it,
//! without doing anything else.

use super::Outcome;
use super::keymap::{Key, KeyCode};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Help {
    /// The first row of the list shown; render keeps the last row on screen.
    pub(crate) top: usize,
}

/// More than the help can ever list: the bound of the scroll (render stops at the end).
const MOST_ROWS: usize = 64;

impl Help {
    pub(crate) fn key(&mut self, key: Key) -> Outcome<()> {
        if key.ctrl || key.alt {
            return Outcome::Cancelled;
        }
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.top = (self.top + 1).min(MOST_ROWS);
                Outcome::Open
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.top = self.top.saturating_sub(1);
                Outcome::Open
            }
            _ => Outcome::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests;
