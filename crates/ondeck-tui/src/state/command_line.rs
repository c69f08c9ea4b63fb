//! The `:` command line: typing it (with tab completion and ↑/↓ through earlier lines), and
//! what a line asks for.

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};

/// Lines kept for ↑; the oldest go first.
pub(crate) const HISTORY_LINES: usize = 50;

/// The commands a line starts with, as tab completes them.
const COMMANDS: [&str; 5] = ["destroy", "help", "launch", "profile", "quit"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CommandLine {
    pub(crate) input: LineInput,
    /// Earlier lines, oldest first, as the line opened.
    history: Vec<String>,
    /// The earlier line ↑ brought back; none while typing a new one.
    recalled: Option<usize>,
    /// What was typed before the first ↑, given back by ↓ past the newest line.
    draft: String,
    /// What the last tab could complete to, when it was more than one.
    pub(crate) matches: Vec<String>,
}

/// The words tab offers after a command: `launch` templates, `destroy` instances,
/// `profile` profiles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Completions {
    pub(crate) templates: Vec<String>,
    pub(crate) instances: Vec<String>,
    pub(crate) profiles: Vec<String>,
}

/// What a submitted line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineCommand {
    /// An empty line.
    Nothing,
    Quit,
    Help,
    /// `launch` alone: the launch dialog.
    LaunchDialog,
    Launch {
        template: String,
        name: Option<String>,
    },
    /// `destroy` alone: the selected instance, confirmed as `ctrl-d` does.
    DestroySelected,
    /// `destroy NAME`, NAME as the CLI takes it (`OWNER/NAME` for another owner's).
    Destroy(String),
    /// `profile` alone: the profile switcher.
    ProfilePicker,
    Profile(String),
}

impl CommandLine {
    pub(crate) fn new(history: &[String]) -> CommandLine {
        CommandLine {
            history: history.to_vec(),
            ..CommandLine::default()
        }
    }

    /// Esc, or backspace on an empty line, leaves it; enter submits the line; ↑/↓ walk the
    /// earlier lines.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<String> {
        self.matches.clear();
        match key.code {
            KeyCode::Esc => Outcome::Cancelled,
            KeyCode::Enter => Outcome::Done(self.input.text().to_string()),
            KeyCode::Backspace if self.input.is_empty() => Outcome::Cancelled,
            KeyCode::Up => {
                let older = match self.recalled {
                    None => self.history.len().checked_sub(1),
                    Some(at) => Some(at.saturating_sub(1)),
                };
                if let Some(at) = older {
                    if self.recalled.is_none() {
                        self.draft = self.input.text().to_string();
                    }
                    self.recalled = Some(at);
                    self.input = LineInput::from(self.history[at].as_str());
                }
                Outcome::Open
            }
            KeyCode::Down => {
                if let Some(at) = self.recalled {
                    let newer = at + 1;
                    self.recalled = (newer < self.history.len()).then_some(newer);
                    let text = match self.recalled {
                        Some(at) => self.history[at].clone(),
                        None => std::mem::take(&mut self.draft),
                    };
                    self.input = LineInput::from(text.as_str());
                }
                Outcome::Open
            }
            _ => {
                self.input.key(key);
                Outcome::Open
            }
        }
    }

    /// Completes the word before the cursor: a command name first, then what that command
    /// takes. One match is completed with a space after it; several, as far as they agree,
    /// and are listed.
    pub(crate) fn complete(&mut self, words: &Completions) {
        let (before, _, after) = self.input.split_at_cursor();
        if !after.is_empty() {
            return;
        }
        let (head, word) = match before.rfind(' ') {
            Some(at) => before.split_at(at + 1),
            None => ("", before),
        };
        let candidates: Vec<&str> = match head.split_whitespace().collect::<Vec<_>>()[..] {
            [] => COMMANDS.to_vec(),
            ["launch"] => words.templates.iter().map(String::as_str).collect(),
            ["destroy"] => words.instances.iter().map(String::as_str).collect(),
            ["profile"] => words.profiles.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let found: Vec<&str> = candidates
            .into_iter()
            .filter(|candidate| candidate.starts_with(word))
            .collect();
        let completed = match found[..] {
            [] => return,
            [only] => format!("{head}{only} "),
            _ => {
                self.matches = found.iter().map(|m| m.to_string()).collect();
                format!("{head}{}", common_prefix(&found))
            }
        };
        self.input = LineInput::from(completed.as_str());
    }
}

/// The longest start all of `words` (at least one) share.
fn common_prefix<'a>(words: &[&'a str]) -> &'a str {
    let first = words[0];
    let shared = words[1..].iter().fold(first.len(), |shared, other| {
        let agree: usize = first
            .chars()
            .zip(other.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a.len_utf8())
            .sum();
        shared.min(agree)
    });
    &first[..shared]
}

/// Keeps `line` for ↑: not an empty line, nor the one just before it again.
pub(crate) fn remember(history: &mut Vec<String>, line: &str) {
    let line = line.trim();
    if line.is_empty() || history.last().is_some_and(|last| last == line) {
        return;
    }
    history.push(line.to_string());
    if history.len() > HISTORY_LINES {
        history.remove(0);
    }
}

/// The command a line names, or what to say about one that names none.
pub(crate) fn parse(line: &str) -> Result<LineCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    Ok(match words.as_slice() {
        [] => LineCommand::Nothing,
        // Editors' ways of leaving: there is nothing to write, so all of them quit.
        ["q" | "quit" | "q!" | "quit!" | "qa" | "qa!" | "wq" | "wq!" | "x" | "exit"] => {
            LineCommand::Quit
        }
        ["help" | "h" | "?"] => LineCommand::Help,
        ["w" | "w!"] => {
            return Err(
                "nothing to write: the dashboard keeps no file open; :q quits, S saves the logs"
                    .to_string(),
            );
        }
        ["launch"] => LineCommand::LaunchDialog,
        ["launch", template] | ["launch", template, _] => LineCommand::Launch {
            template: template.to_string(),
            name: words.get(2).map(|name| name.to_string()),
        },
        ["destroy"] => LineCommand::DestroySelected,
        ["destroy", name] => LineCommand::Destroy(name.to_string()),
        ["profile"] => LineCommand::ProfilePicker,
        ["profile", name] => LineCommand::Profile(name.to_string()),
        _ => {
            return Err(format!(
                "unknown command `:{line}`; try :launch [TEMPLATE [NAME]], :destroy [NAME], \
                 :profile [NAME], :help, :q (tab completes)"
            ));
        }
    })
}

#[cfg(test)]
mod tests;
