//! The `:` command line: typing it, and what a line asks for.

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CommandLine {
    pub(crate) input: LineInput,
}

/// What a submitted line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineCommand {
    /// An empty line.
    Nothing,
    Quit,
    Launch {
        template: String,
        name: Option<String>,
    },
    /// `destroy NAME`, NAME as the CLI takes it (`OWNER/NAME` for another owner's).
    Destroy(String),
    Profile(String),
}

impl CommandLine {
    /// Esc, or backspace on an empty line, leaves it; enter submits the line.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<String> {
        match key.code {
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter => Outcome::Done(self.input.text().to_string()),
            KeyCode::Backspace if self.input.is_empty() => Outcome::Cancelled,
            _ => {
                self.input.key(key);
                Outcome::Open
            }
        }
    }
}

/// The command a line names, or what to say about one that names none.
pub(crate) fn parse(line: &str) -> Result<LineCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    Ok(match words.as_slice() {
        [] => LineCommand::Nothing,
        ["q" | "quit"] => LineCommand::Quit,
        ["launch", template] | ["launch", template, _] => LineCommand::Launch {
            template: template.to_string(),
            name: words.get(2).map(|name| name.to_string()),
        },
        ["destroy", name] => LineCommand::Destroy(name.to_string()),
        ["profile", name] => LineCommand::Profile(name.to_string()),
        _ => {
            return Err(format!(
                "unknown command `:{line}`; try :launch TEMPLATE [NAME], :destroy NAME, :profile NAME, :q"
            ));
        }
    })
}

#[cfg(test)]
mod tests;
