//! The one line-editing input behind every text field of the dashboard: the table's filter,
//! the command line, the launch dialog's fields, the confirmation's typed name and the log
//! search. Readline's keys, and pasted text that cannot end the line.

use super::keymap::{Key, KeyCode};

/// A line of text with a cursor. The cursor is a byte offset, always on a character boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineInput {
    text: String,
    cursor: usize,
}

impl LineInput {
    pub(crate) fn new() -> LineInput {
        LineInput::default()
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text before the cursor, the character under it (none at the end) and the rest.
    pub(crate) fn split_at_cursor(&self) -> (&str, Option<char>, &str) {
        let (before, from) = self.text.split_at(self.cursor);
        let mut chars = from.chars();
        let under = chars.next();
        (before, under, chars.as_str())
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Applies an editing key; false when `key` is not one (enter, esc, tab …), which is
    /// then the caller's to handle.
    pub(crate) fn key(&mut self, key: Key) -> bool {
        match key.code {
            KeyCode::Char(c) if !key.ctrl && !key.alt => self.insert(c),
            KeyCode::Char('a') if key.ctrl => self.cursor = 0,
            KeyCode::Char('e') if key.ctrl => self.cursor = self.text.len(),
            KeyCode::Char('u') if key.ctrl => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('k') if key.ctrl => self.text.truncate(self.cursor),
            KeyCode::Char('w') if key.ctrl => {
                let start = self.word_start();
                self.text.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.len(),
            KeyCode::Left => self.cursor = self.previous_boundary(),
            KeyCode::Right => self.cursor = self.next_boundary(),
            KeyCode::Backspace => {
                let start = self.previous_boundary();
                self.text.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Delete => {
                let end = self.next_boundary();
                self.text.drain(self.cursor..end);
            }
            _ => return false,
        }
        true
    }

    /// Inserts pasted text at the cursor as one line: line breaks and tabs become spaces (a
    /// pasted newline must never submit what is being typed), other control characters go.
    pub(crate) fn paste(&mut self, pasted: &str) {
        let one_line = pasted.replace("\r\n", "\n");
        for c in one_line.chars() {
            match c {
                '\n' | '\r' | '\t' => self.insert(' '),
                c if c.is_control() => {}
                c => self.insert(c),
            }
        }
    }

    fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    fn previous_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(at, _)| at)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// Where ctrl-w deletes back to: over the spaces before the cursor, then over the word.
    fn word_start(&self) -> usize {
        let before = &self.text[..self.cursor];
        let word_end = before.trim_end().len();
        before[..word_end]
            .char_indices()
            .rfind(|(_, c)| c.is_whitespace())
            .map_or(0, |(at, space)| at + space.len_utf8())
    }
}

impl From<&str> for LineInput {
    fn from(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.len(),
        }
    }
}

#[cfg(test)]
mod tests;
