//! Keys and the commands they name. The keymap is data: defaults here, overrides from config.

use std::collections::BTreeMap;
use std::fmt;

use ondeck_core::config::KeySpec;
/// Commands and key codes are the config's: a command named in `[keymap]` and the one a key
/// asks for, a key written there and a key pressed, are one type each.
pub use ondeck_core::config::{Command, Context, KeyCode};

/// A key as the dashboard sees it; the runtime converts terminal events into this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub const fn char(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
        }
    }
}

/// A key as the config file names it.
impl From<KeySpec> for Key {
    fn from(spec: KeySpec) -> Key {
        let code = spec.code;
        Key {
            code,
            ctrl: spec.ctrl,
            alt: spec.alt,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Backspace => f.write_str("backspace"),
        }
    }
}

/// Which command each key names, per context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<(Context, Key), Command>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        let bindings = Command::ALL
            .into_iter()
            .flat_map(|command| {
                command
                    .default_keys()
                    .into_iter()
                    .map(move |spec| ((command.context(), Key::from(spec)), command))
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with each named command rebound to the given key. A rebound command loses
    /// its default letters (`up = "i"` frees `k`) but keeps its named keys (↑ still moves up:
    /// an arrow is not what a user means to replace). The key is taken from whatever command
    /// of the same context had it before; the config refuses a key taken from a command it
    /// leaves alone (`config::taken_defaults`).
    pub fn with_overrides(overrides: impl IntoIterator<Item = (Command, Key)>) -> Keymap {
        let mut keymap = Keymap::default();
        let mut rebound: BTreeMap<Command, Vec<Key>> = BTreeMap::new();
        for (command, key) in overrides {
            rebound.entry(command).or_default().push(key);
        }
        keymap.bindings.retain(|(_, key), command| {
            let named = !matches!(key.code, KeyCode::Char(_)) && !key.ctrl && !key.alt;
            named || !rebound.contains_key(command)
        });
        for (command, keys) in rebound {
            for key in keys {
                keymap.bindings.insert((command.context(), key), command);
            }
        }
        keymap
    }

    /// The instances-view command of a key.
    pub fn command(&self, key: Key) -> Option<Command> {
        self.command_in(Context::Instances, key)
    }

    pub fn command_in(&self, context: Context, key: Key) -> Option<Command> {
        self.bindings.get(&(context, key)).copied()
    }

    /// The keys bound to a command, in a stable order.
    pub fn keys_for(&self, command: Command) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|(_, bound)| **bound == command)
            .map(|((_, key), _)| *key)
            .collect();
        // Plain keys before modified ones, as people read them first.
        keys.sort_by_key(|key| (key.ctrl || key.alt, matches!(key.code, KeyCode::Char(_))));
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_default_key_and_a_unique_name() {
        let keymap = Keymap::default();
        for command in Command::ALL {
            assert!(
                !keymap.keys_for(command).is_empty(),
                "{} unbound",
                command.name()
            );
            assert_eq!(Command::from_name(command.name()), Some(command));
        }
    }

    #[test]
    fn config_key_specs_bind_commands() {
        let spec: KeySpec = "ctrl-x".parse().unwrap();
        let keymap = Keymap::with_overrides([(Command::Destroy, Key::from(spec))]);
        assert_eq!(keymap.command(Key::ctrl('x')), Some(Command::Destroy));
    }

    #[test]
    fn default_keys_do_not_collide() {
        let mut seen = BTreeMap::new();
        for command in Command::ALL {
            for key in command.default_keys().into_iter().map(Key::from) {
                if let Some(other) = seen.insert((command.context(), key), command) {
                    panic!("{key} bound to {} and {}", other.name(), command.name());
                }
            }
        }
    }

    #[test]
    fn overrides_replace_the_defaults_of_that_command() {
        let keymap = Keymap::with_overrides([(Command::Destroy, Key::char('x'))]);
        assert_eq!(keymap.command(Key::char('x')), Some(Command::Destroy));
        assert_eq!(keymap.command(Key::ctrl('d')), None);
        assert_eq!(keymap.keys_for(Command::Destroy), vec![Key::char('x')]);
    }

    #[test]
    fn a_rebound_command_keeps_its_named_keys_and_the_others_keep_theirs() {
        let keymap = Keymap::with_overrides([(Command::Up, Key::char('i'))]);
        assert_eq!(keymap.command(Key::char('i')), Some(Command::Up));
        assert_eq!(keymap.command(Key::plain(KeyCode::Up)), Some(Command::Up));
        assert_eq!(
            keymap.command(Key::char('k')),
            None,
            "the letter is replaced"
        );
        assert_eq!(keymap.command(Key::char('j')), Some(Command::Down));
        assert_eq!(
            keymap.command(Key::plain(KeyCode::Down)),
            Some(Command::Down)
        );
        // A named key given to another command goes to it.
        let keymap = Keymap::with_overrides([(Command::Top, Key::plain(KeyCode::Up))]);
        assert_eq!(keymap.command(Key::plain(KeyCode::Up)), Some(Command::Top));
    }

    #[test]
    fn an_override_takes_the_key_from_its_previous_command() {
        let keymap = Keymap::with_overrides([(Command::Refresh, Key::char('q'))]);
        assert_eq!(keymap.command(Key::char('q')), Some(Command::Refresh));
        assert!(keymap.keys_for(Command::Quit).is_empty());
    }

    #[test]
    fn log_pane_keys_may_reuse_instance_keys() {
        let keymap = Keymap::default();
        assert_eq!(keymap.command(Key::char('s')), Some(Command::Shell));
        assert_eq!(
            keymap.command_in(Context::LogPane, Key::char('s')),
            Some(Command::LogSince)
        );
        let keymap = Keymap::with_overrides([(Command::LogSince, Key::char('x'))]);
        assert_eq!(keymap.command(Key::char('s')), Some(Command::Shell));
        assert_eq!(keymap.command_in(Context::LogPane, Key::char('s')), None);
        assert_eq!(
            keymap.command_in(Context::LogPane, Key::char('x')),
            Some(Command::LogSince)
        );
    }
}
