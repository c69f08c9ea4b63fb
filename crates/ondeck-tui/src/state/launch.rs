//! The launch dialog: pick a template, optionally name the instance and override env vars.

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::config::Profile;
use ondeck_core::ops::{LaunchRequest, parse_env};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaunchField {
    Template,
    Name,
    Env,
    Confirm,
}

impl LaunchField {
    const ORDER: [LaunchField; 4] = [
        LaunchField::Template,
        LaunchField::Name,
        LaunchField::Env,
        LaunchField::Confirm,
    ];

    fn step(self, forward: bool) -> LaunchField {
        let at = LaunchField::ORDER
            .iter()
            .position(|field| *field == self)
            .unwrap_or(0);
        let len = LaunchField::ORDER.len();
        let next = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        LaunchField::ORDER[next]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateChoice {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaunchDialog {
    pub(crate) templates: Vec<TemplateChoice>,
    pub(crate) cursor: usize,
    pub(crate) name: LineInput,
    pub(crate) env: LineInput,
    pub(crate) focus: LaunchField,
    /// Why the last confirm was not accepted.
    pub(crate) error: Option<String>,
}

impl LaunchDialog {
    pub(crate) fn new(profile: &Profile) -> LaunchDialog {
        LaunchDialog {
            templates: profile
                .templates
                .values()
                .map(|template| TemplateChoice {
                    name: template.name.clone(),
                    description: template.description.clone(),
                })
                .collect(),
            cursor: 0,
            name: LineInput::new(),
            env: LineInput::new(),
            focus: LaunchField::Template,
            error: None,
        }
    }

    /// Tab and enter step through the fields; enter on `[ Launch ]` submits.
    pub(crate) fn key(&mut self, key: Key) -> Outcome<LaunchRequest> {
        match key.code {
            KeyCode::Esc => return Outcome::Cancelled,
            KeyCode::Tab => self.focus = self.focus.step(true),
            KeyCode::BackTab => self.focus = self.focus.step(false),
            KeyCode::Enter if self.focus == LaunchField::Confirm => {
                return match self.request() {
                    Ok(request) => Outcome::Done(request),
                    Err(why) => {
                        self.error = Some(why);
                        Outcome::Open
                    }
                };
            }
            KeyCode::Enter => self.focus = self.focus.step(true),
            _ => self.edit(key),
        }
        Outcome::Open
    }

    /// Pasted text goes into the focused text field, on one line: it never moves the focus
    /// or submits.
    pub(crate) fn paste(&mut self, text: &str) {
        if let Some(field) = self.text_field() {
            field.paste(text);
        }
    }

    fn text_field(&mut self) -> Option<&mut LineInput> {
        match self.focus {
            LaunchField::Name => Some(&mut self.name),
            LaunchField::Env => Some(&mut self.env),
            LaunchField::Template | LaunchField::Confirm => None,
        }
    }

    fn edit(&mut self, key: Key) {
        match self.focus {
            LaunchField::Template => {
                let last = self.templates.len().saturating_sub(1);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => self.cursor = (self.cursor + 1).min(last),
                    _ => {}
                }
            }
            LaunchField::Name | LaunchField::Env => {
                if let Some(field) = self.text_field() {
                    field.key(key);
                }
            }
            LaunchField::Confirm => {}
        }
    }

    fn request(&self) -> Result<LaunchRequest, String> {
        let template = self
            .templates
            .get(self.cursor)
            .ok_or("this profile has no templates; add one under [profiles.NAME.templates]")?;
        let name = self.name.text().trim();
        Ok(LaunchRequest {
            template: template.name.clone(),
            name: (!name.is_empty()).then(|| name.to_string()),
            // Items separated by spaces: `api:LOG_LEVEL=debug worker:THREADS=4`.
            env: parse_env(self.env.text().split_whitespace())?,
            ttl: None,
        })
    }
}

#[cfg(test)]
mod tests;
