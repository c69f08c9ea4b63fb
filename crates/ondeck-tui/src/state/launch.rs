//! The launch dialog: pick a template, optionally name the instance and override env vars.

use std::collections::BTreeMap;

use super::keymap::{Key, KeyCode};
use ondeck_core::config::Profile;
use ondeck_core::ops::LaunchRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchField {
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
pub struct TemplateChoice {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchDialog {
    pub templates: Vec<TemplateChoice>,
    pub cursor: usize,
    pub name: String,
    pub env: String,
    pub focus: LaunchField,
    /// Why the last confirm was not accepted.
    pub error: Option<String>,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogOutcome {
    Open,
    Cancelled,
    Submit(LaunchRequest),
}

impl LaunchDialog {
    pub fn new(profile: &Profile) -> LaunchDialog {
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
            name: String::new(),
            env: String::new(),
            focus: LaunchField::Template,
            error: None,
        }
    }

    pub fn key(&mut self, key: Key) -> DialogOutcome {
        match key.code {
            KeyCode::Esc => return DialogOutcome::Cancelled,
            KeyCode::Tab => self.focus = self.focus.step(true),
            KeyCode::BackTab => self.focus = self.focus.step(false),
            KeyCode::Enter if self.focus == LaunchField::Confirm => {
                return match self.request() {
                    Ok(request) => DialogOutcome::Submit(request),
                    Err(why) => {
                        self.error = Some(why);
                        DialogOutcome::Open
                    }
                };
            }
            KeyCode::Enter => self.focus = self.focus.step(true),
            _ => self.edit(key),
        }
        DialogOutcome::Open
    }

    fn edit(&mut self, key: Key) {
        let text = match self.focus {
            LaunchField::Template => {
                let last = self.templates.len().saturating_sub(1);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => self.cursor = (self.cursor + 1).min(last),
                    _ => {}
                }
                return;
            }
            LaunchField::Name => &mut self.name,
            LaunchField::Env => &mut self.env,
            LaunchField::Confirm => return,
        };
        match key.code {
            KeyCode::Char(c) if !key.ctrl && !key.alt => text.push(c),
            KeyCode::Backspace => {
                text.pop();
            }
            _ => {}
        }
    }

    fn request(&self) -> Result<LaunchRequest, String> {
        let template = self
            .templates
            .get(self.cursor)
            .ok_or("this profile has no templates; add one under [profiles.NAME.templates]")?;
        let name = self.name.trim();
        Ok(LaunchRequest {
            template: template.name.clone(),
            name: (!name.is_empty()).then(|| name.to_string()),
            env: parse_env(&self.env)?,
            ttl: None,
        })
    }
}

/// `api:LOG_LEVEL=debug worker:THREADS=4` → container → variable → value.
pub fn parse_env(text: &str) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let mut env: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in text.split_whitespace() {
        let parsed = item.split_once(':').and_then(|(container, assignment)| {
            let (key, value) = assignment.split_once('=')?;
            (!container.is_empty() && !key.is_empty()).then_some((container, key, value))
        });
        let Some((container, key, value)) = parsed else {
            return Err(format!(
                "`{item}` is not container:KEY=VALUE (e.g. api:LOG_LEVEL=debug)"
            ));
        };
        env.entry(container.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_parse_per_container() {
        let env = parse_env("api:A=1  api:B=x=y worker:C=").unwrap();
        assert_eq!(env["api"]["A"], "1");
        assert_eq!(env["api"]["B"], "x=y");
        assert_eq!(env["worker"]["C"], "");
        assert!(parse_env("api=1").unwrap_err().contains("api=1"));
        assert!(parse_env(":A=1").is_err());
    }
}
