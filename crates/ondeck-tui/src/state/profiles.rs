//! The profile switcher: a list of the config's profiles, moved through with the keymap's
//! up and down.

use super::keymap::{Command, Key};
use super::{Outcome, choose_row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfilePicker {
    /// Index into the profiles, in their order.
    pub(crate) cursor: usize,
    count: usize,
}

impl ProfilePicker {
    /// On `current`'s line, or the first, among `names`.
    pub(crate) fn new<'a>(names: impl ExactSizeIterator<Item = &'a str>, current: &str) -> Self {
        let count = names.len();
        let mut names = names;
        ProfilePicker {
            cursor: names.position(|name| name == current).unwrap_or(0),
            count,
        }
    }

    /// `command` is what the keymap makes of `key`. Enter picks the profile at the cursor.
    pub(crate) fn key(&mut self, key: Key, command: Option<Command>) -> Outcome<usize> {
        choose_row(&mut self.cursor, self.count, key, command)
    }
}

#[cfg(test)]
mod tests;
