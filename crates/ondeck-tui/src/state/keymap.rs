//! Keys and the commands they name. The keymap is data: defaults here, overrides from config.

use std::collections::BTreeMap;
use std::fmt;

/// Key codes are the config's: a key written in `[keymap]` and a key pressed are one type.
pub use ondeck_core::config::KeyCode;
use ondeck_core::config::KeySpec;

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

/// Everything a key can ask for in the instances view. Names match the config's `[keymap]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Quit,
    Help,
    Refresh,
    Filter,
    CommandLine,
    Launch,
    Destroy,
    Extend,
    CopyEndpoint,
    Logs,
    Timeline,
    Detail,
    Profiles,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Sort,
    LogAll,
    LogFollow,
    LogSearch,
    LogNextMatch,
    LogPrevMatch,
    LogFilter,
    LogLevel,
    LogTimestamps,
    LogWrap,
    LogJson,
    LogSince,
    LogSave,
    LogCopy,
    LogFullScreen,
    LogClose,
}

/// Where a command's keys apply. The log pane has keys of its own that may reuse instance keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Instances,
    LogPane,
}

impl Command {
    /// In the order the help overlay lists them.
    pub const ALL: [Command; 37] = [
        Command::Up,
        Command::Down,
        Command::Top,
        Command::Bottom,
        Command::PageUp,
        Command::PageDown,
        Command::NextPane,
        Command::PrevPane,
        Command::Detail,
        Command::Timeline,
        Command::Logs,
        Command::Filter,
        Command::Sort,
        Command::Refresh,
        Command::CopyEndpoint,
        Command::Launch,
        Command::Destroy,
        Command::Extend,
        Command::Profiles,
        Command::CommandLine,
        Command::Help,
        Command::Quit,
        Command::LogAll,
        Command::LogFollow,
        Command::LogSearch,
        Command::LogNextMatch,
        Command::LogPrevMatch,
        Command::LogFilter,
        Command::LogLevel,
        Command::LogTimestamps,
        Command::LogWrap,
        Command::LogJson,
        Command::LogSince,
        Command::LogSave,
        Command::LogCopy,
        Command::LogFullScreen,
        Command::LogClose,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Refresh => "refresh",
            Command::Filter => "filter",
            Command::CommandLine => "command",
            Command::Launch => "launch",
            Command::Destroy => "destroy",
            Command::Extend => "extend",
            Command::CopyEndpoint => "copy_endpoint",
            Command::Logs => "logs",
            Command::Timeline => "timeline",
            Command::Detail => "detail",
            Command::Profiles => "profiles",
            Command::Up => "up",
            Command::Down => "down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::NextPane => "next_pane",
            Command::PrevPane => "prev_pane",
            Command::Sort => "sort",
            Command::LogAll => "log_all",
            Command::LogFollow => "log_follow",
            Command::LogSearch => "log_search",
            Command::LogNextMatch => "log_next_match",
            Command::LogPrevMatch => "log_prev_match",
            Command::LogFilter => "log_filter",
            Command::LogLevel => "log_level",
            Command::LogTimestamps => "log_timestamps",
            Command::LogWrap => "log_wrap",
            Command::LogJson => "log_json",
            Command::LogSince => "log_since",
            Command::LogSave => "log_save",
            Command::LogCopy => "log_copy",
            Command::LogFullScreen => "log_full_screen",
            Command::LogClose => "log_close",
        }
    }

    /// Log pane commands are named `log_*`, which is how the config tells them apart too.
    pub fn context(self) -> Context {
        if ondeck_core::config::is_log_pane_command(self.name()) {
            Context::LogPane
        } else {
            Context::Instances
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Short enough for two help columns on an 80-column terminal.
    pub fn description(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "this help",
            Command::Refresh => "refresh now",
            Command::Filter => "filter (esc clears)",
            Command::CommandLine => "command line",
            Command::Launch => "launch an instance",
            Command::Destroy => "destroy selected",
            Command::Extend => "extend time to live",
            Command::CopyEndpoint => "copy endpoint",
            Command::Logs => "container logs",
            Command::Timeline => "state timeline",
            Command::Detail => "tasks and containers",
            Command::Profiles => "switch profile",
            Command::Up => "move up",
            Command::Down => "move down",
            Command::Top => "first row",
            Command::Bottom => "last row",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::NextPane => "focus next pane",
            Command::PrevPane => "focus previous pane",
            Command::Sort => "cycle sort order",
            Command::LogAll => "all containers",
            Command::LogFollow => "follow new lines",
            Command::LogSearch => "search",
            Command::LogNextMatch => "next match",
            Command::LogPrevMatch => "previous match",
            Command::LogFilter => "hide non-matching",
            Command::LogLevel => "cycle level filter",
            Command::LogTimestamps => "timestamps",
            Command::LogWrap => "wrap long lines",
            Command::LogJson => "pretty JSON",
            Command::LogSince => "since: tail … 24h",
            Command::LogSave => "save to a file",
            Command::LogCopy => "copy selected line",
            Command::LogFullScreen => "full screen",
            Command::LogClose => "close logs",
        }
    }

    /// Changes something in AWS; refused (and hidden from help) in read-only mode.
    pub fn is_write(self) -> bool {
        matches!(self, Command::Launch | Command::Destroy | Command::Extend)
    }

    fn default_keys(self) -> Vec<Key> {
        use KeyCode::*;
        match self {
            Command::Quit => vec![Key::char('q')],
            Command::Help => vec![Key::char('?')],
            Command::Refresh => vec![Key::char('r'), Key::ctrl('r')],
            Command::Filter => vec![Key::char('/')],
            Command::CommandLine => vec![Key::char(':')],
            Command::Launch => vec![Key::char('n')],
            Command::Destroy => vec![Key::ctrl('d')],
            Command::Extend => vec![Key::char('e')],
            Command::CopyEndpoint => vec![Key::char('y')],
            Command::Logs => vec![Key::plain(Enter), Key::char('L')],
            Command::Timeline => vec![Key::char('t')],
            Command::Detail => vec![Key::char('d')],
            Command::Profiles => vec![Key::char('p')],
            Command::Up => vec![Key::char('k'), Key::plain(Up)],
            Command::Down => vec![Key::char('j'), Key::plain(Down)],
            Command::Top => vec![Key::char('g'), Key::plain(Home)],
            Command::Bottom => vec![Key::char('G'), Key::plain(End)],
            Command::PageUp => vec![Key::plain(PageUp), Key::ctrl('b')],
            Command::PageDown => vec![Key::plain(PageDown), Key::ctrl('f')],
            Command::NextPane => vec![Key::plain(Tab)],
            Command::PrevPane => vec![Key::plain(BackTab)],
            Command::Sort => vec![Key::char('s')],
            Command::LogAll => vec![Key::char('0'), Key::char('a')],
            Command::LogFollow => vec![Key::char('f')],
            Command::LogSearch => vec![Key::char('/')],
            Command::LogNextMatch => vec![Key::char('n')],
            Command::LogPrevMatch => vec![Key::char('N')],
            Command::LogFilter => vec![Key::char('F')],
            Command::LogLevel => vec![Key::char('v')],
            Command::LogTimestamps => vec![Key::char('T')],
            Command::LogWrap => vec![Key::char('w')],
            Command::LogJson => vec![Key::char('J')],
            Command::LogSince => vec![Key::char('s')],
            Command::LogSave => vec![Key::char('S')],
            Command::LogCopy => vec![Key::char('y')],
            Command::LogFullScreen => vec![Key::char('z')],
            Command::LogClose => vec![Key::char('q'), Key::plain(Esc)],
        }
    }
}

/// Which command each key names, per context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<(Context, Key), Command>,
}

/// A config override named a command that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCommand(pub String);

impl fmt::Display for UnknownCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = Command::ALL.iter().map(|c| c.name()).collect();
        write!(
            f,
            "unknown command `{}` in [keymap]; known commands: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownCommand {}

impl Default for Keymap {
    fn default() -> Keymap {
        let bindings = Command::ALL
            .into_iter()
            .flat_map(|command| {
                command
                    .default_keys()
                    .into_iter()
                    .map(move |key| ((command.context(), key), command))
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with each named command rebound to the given key. A rebound command loses
    /// its default keys, and the key is taken from whatever command of the same context had it
    /// before.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, Key)>,
    ) -> Result<Keymap, UnknownCommand> {
        let mut keymap = Keymap::default();
        let mut rebound: BTreeMap<Command, Vec<Key>> = BTreeMap::new();
        for (name, key) in overrides {
            let command = Command::from_name(name).ok_or_else(|| UnknownCommand(name.into()))?;
            rebound.entry(command).or_default().push(key);
        }
        keymap
            .bindings
            .retain(|_, command| !rebound.contains_key(command));
        for (command, keys) in rebound {
            for key in keys {
                keymap.bindings.insert((command.context(), key), command);
            }
        }
        Ok(keymap)
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
    fn command_names_are_the_ones_the_config_accepts() {
        let names: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
        let mut ours = names.clone();
        ours.sort_unstable();
        let mut theirs = ondeck_core::config::COMMANDS.to_vec();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn config_key_specs_bind_commands() {
        let spec: KeySpec = "ctrl-x".parse().unwrap();
        let keymap = Keymap::with_overrides([("destroy", Key::from(spec))]).unwrap();
        assert_eq!(keymap.command(Key::ctrl('x')), Some(Command::Destroy));
    }

    #[test]
    fn default_keys_do_not_collide() {
        let mut seen = BTreeMap::new();
        for command in Command::ALL {
            for key in command.default_keys() {
                if let Some(other) = seen.insert((command.context(), key), command) {
                    panic!("{key} bound to {} and {}", other.name(), command.name());
                }
            }
        }
    }

    #[test]
    fn overrides_replace_the_defaults_of_that_command() {
        let keymap = Keymap::with_overrides([("destroy", Key::char('x'))]).unwrap();
        assert_eq!(keymap.command(Key::char('x')), Some(Command::Destroy));
        assert_eq!(keymap.command(Key::ctrl('d')), None);
        assert_eq!(keymap.keys_for(Command::Destroy), vec![Key::char('x')]);
    }

    #[test]
    fn an_override_takes_the_key_from_its_previous_command() {
        let keymap = Keymap::with_overrides([("refresh", Key::char('q'))]).unwrap();
        assert_eq!(keymap.command(Key::char('q')), Some(Command::Refresh));
        assert!(keymap.keys_for(Command::Quit).is_empty());
    }

    #[test]
    fn log_pane_keys_may_reuse_instance_keys() {
        let keymap = Keymap::default();
        assert_eq!(keymap.command(Key::char('s')), Some(Command::Sort));
        assert_eq!(
            keymap.command_in(Context::LogPane, Key::char('s')),
            Some(Command::LogSince)
        );
        let keymap = Keymap::with_overrides([("log_since", Key::char('x'))]).unwrap();
        assert_eq!(keymap.command(Key::char('s')), Some(Command::Sort));
        assert_eq!(keymap.command_in(Context::LogPane, Key::char('s')), None);
        assert_eq!(
            keymap.command_in(Context::LogPane, Key::char('x')),
            Some(Command::LogSince)
        );
    }

    #[test]
    fn unknown_command_names_are_rejected_with_the_known_ones() {
        let err = Keymap::with_overrides([("explode", Key::char('x'))]).unwrap_err();
        assert!(err.to_string().contains("explode"));
        assert!(err.to_string().contains("copy_endpoint"));
    }
}
