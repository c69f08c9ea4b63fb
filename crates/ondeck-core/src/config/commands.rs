//! The dashboard's commands, listed once: the names `[keymap]` accepts, what help says of
//! each, and their default keys. A new command is one line here.

use super::keys::KeySpec;

/// Where a command's keys apply. The log pane has keys of its own that may reuse instance keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Instances,
    LogPane,
}

macro_rules! commands {
    ($($command:ident $name:literal [$($key:literal),+] $description:literal,)+) => {
        /// Everything a key can ask for in the dashboard.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $($command,)+
        }

        impl Command {
            /// In the order the help overlay lists them.
            pub const ALL: [Command; [$($name),+].len()] = [$(Command::$command),+];

            /// The names `[keymap]` accepts, in the order of [`Command::ALL`].
            pub const NAMES: [&'static str; [$($name),+].len()] = [$($name),+];

            /// The command's name in `[keymap]`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$command => $name,)+
                }
            }

            /// Short enough for two help columns on an 80-column terminal.
            pub fn description(self) -> &'static str {
                match self {
                    $(Command::$command => $description,)+
                }
            }

            /// The keys bound when the config names no other, written as in `[keymap]`.
            fn default_key_specs(self) -> &'static [&'static str] {
                match self {
                    $(Command::$command => &[$($key),+],)+
                }
            }
        }
    };
}

commands! {
    Up "up" ["k", "up"] "move up",
    Down "down" ["j", "down"] "move down",
    Top "top" ["g", "home"] "first row",
    Bottom "bottom" ["G", "end"] "last row",
    PageUp "page_up" ["pgup", "ctrl-b"] "page up",
    PageDown "page_down" ["pgdn", "ctrl-f"] "page down",
    NextPane "next_pane" ["tab"] "focus next pane",
    PrevPane "prev_pane" ["backtab"] "focus previous pane",
    Detail "detail" ["d"] "tasks and containers",
    Timeline "timeline" ["t"] "state timeline",
    Logs "logs" ["enter", "L"] "container logs",
    Filter "filter" ["/"] "filter (esc clears)",
    Shell "shell" ["s"] "shell in a container",
    Sort "sort" ["S"] "cycle sort order",
    ShowStopped "show_stopped" ["h"] "all stopped/failed",
    Mark "mark" ["space"] "mark row (esc clears)",
    Refresh "refresh" ["r"] "refresh now",
    CopyEndpoint "copy_endpoint" ["y"] "copy endpoint",
    Forward "forward" ["F"] "forward a port",
    NextItem "next_item" ["]"] "next link/forward/container",
    PrevItem "prev_item" ["["] "previous link/forward/container",
    CopyLink "copy_link" ["o"] "copy selected link",
    CloseForward "close_forward" ["x"] "close selected forward",
    Launch "launch" ["n"] "launch an instance",
    Destroy "destroy" ["ctrl-d"] "destroy selected",
    Extend "extend" ["e"] "extend time to live",
    Pause "pause" ["P"] "pause (scale to 0)",
    Resume "resume" ["R"] "resume paused",
    Relaunch "relaunch" ["ctrl-r"] "relaunch failed/stopped",
    Profiles "profiles" ["p"] "switch profile",
    CommandLine "command" [":"] "command line",
    Help "help" ["?"] "this help",
    Quit "quit" ["q"] "quit",
    LogAll "log_all" ["0", "a"] "all containers",
    LogFollow "log_follow" ["f"] "follow new lines",
    LogSearch "log_search" ["/"] "search",
    LogNextMatch "log_next_match" ["n"] "next match",
    LogPrevMatch "log_prev_match" ["N"] "previous match",
    LogFilter "log_filter" ["F"] "hide non-matching",
    LogLevel "log_level" ["v"] "cycle level filter",
    LogTimestamps "log_timestamps" ["T"] "timestamps",
    LogWrap "log_wrap" ["w"] "wrap long lines",
    LogLeft "log_left" ["left", "h"] "scroll left (wrap off)",
    LogRight "log_right" ["right", "l"] "scroll right (wrap off)",
    LogJson "log_json" ["J"] "pretty JSON",
    LogSince "log_since" ["s"] "since: tail … 24h",
    LogSave "log_save" ["S"] "save to a file",
    LogCopy "log_copy" ["y"] "copy selected line",
    LogFullScreen "log_full_screen" ["z"] "full screen",
    LogClose "log_close" ["q", "esc"] "close logs",
}

impl Command {
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Log pane commands are named `log_*`: their keys apply only while it has the focus.
    pub fn context(self) -> Context {
        if self.name().starts_with("log_") {
            Context::LogPane
        } else {
            Context::Instances
        }
    }

    /// Changes something in AWS, or opens a session into a container; refused (and hidden
    /// from help) in read-only mode.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Command::Launch
                | Command::Destroy
                | Command::Extend
                | Command::Pause
                | Command::Resume
                | Command::Relaunch
                | Command::Shell
                | Command::Forward
        )
    }

    /// The keys bound when the config names no other.
    pub fn default_keys(self) -> Vec<KeySpec> {
        self.default_key_specs()
            .iter()
            .map(|spec| spec.parse().expect("default keys are valid key specs"))
            .collect()
    }
}

/// Overrides that would take a key from a command the config leaves alone: `filter = "n"`
/// would silently leave `launch` without its `n`. Each is given as its index in `overrides`
/// and the message, with the fix, to report there. A command that is itself rebound gives
/// its defaults up, so taking them is fine.
pub fn taken_defaults(overrides: &[(Command, KeySpec)]) -> Vec<(usize, String)> {
    let rebound: Vec<Command> = overrides.iter().map(|(command, _)| *command).collect();
    overrides
        .iter()
        .enumerate()
        .filter_map(|(at, (command, spec))| {
            let owner = Command::ALL.into_iter().find(|other| {
                other != command
                    && other.context() == command.context()
                    && !rebound.contains(other)
                    && other.default_keys().contains(spec)
            })?;
            Some((
                at,
                format!(
                    "`{spec}` is the default key of `{}`, which would be left without it; pick \
                     another key for `{}`, or bind `{}` to another key as well",
                    owner.name(),
                    command.name(),
                    owner.name()
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_name_their_command() {
        for command in Command::ALL {
            assert_eq!(Command::from_name(command.name()), Some(command));
        }
        let mut names = Command::NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Command::ALL.len());
    }

    #[test]
    fn every_default_key_spec_parses() {
        for command in Command::ALL {
            for spec in command.default_key_specs() {
                assert!(
                    spec.parse::<KeySpec>().is_ok(),
                    "{}: {spec}",
                    command.name()
                );
            }
        }
    }

    fn spec(text: &str) -> KeySpec {
        text.parse().expect("a key spec")
    }

    #[test]
    fn an_override_may_not_take_the_default_of_a_command_left_alone() {
        let taken = taken_defaults(&[(Command::Filter, spec("n"))]);
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, 0);
        assert!(
            taken[0].1.starts_with("`n` is the default key of `launch`"),
            "{}",
            taken[0].1
        );
        assert!(taken[0].1.contains("pick another key for `filter`"));
        let taken = taken_defaults(&[(Command::Quit, spec("x")), (Command::Up, spec("j"))]);
        let owners: Vec<(usize, bool)> = taken
            .iter()
            .map(|(at, why)| {
                (
                    *at,
                    why.contains("`down`") || why.contains("`close_forward`"),
                )
            })
            .collect();
        assert_eq!(owners, vec![(0, true), (1, true)]);
    }

    #[test]
    fn taking_the_key_of_a_rebound_command_or_of_another_context_is_fine() {
        // launch moves away from `n`, so filter may have it.
        assert!(
            taken_defaults(&[(Command::Filter, spec("n")), (Command::Launch, spec("N"))])
                .is_empty()
        );
        // `n` in the log pane is next match's; the instances' launch is not touched.
        assert!(taken_defaults(&[(Command::LogFollow, spec("e"))]).is_empty());
        assert!(
            taken_defaults(&[(Command::Sort, spec("S")), (Command::Help, spec("f1"))]).is_empty()
        );
    }

    #[test]
    fn relaunch_has_ctrl_r_and_refresh_keeps_r() {
        assert_eq!(Command::Relaunch.default_keys(), vec![spec("ctrl-r")]);
        assert_eq!(Command::Refresh.default_keys(), vec![spec("r")]);
        assert_eq!(Command::Pause.default_keys(), vec![spec("P")]);
        assert_eq!(Command::Resume.default_keys(), vec![spec("R")]);
        // `refresh = "R"` would leave resume without its key.
        let taken = taken_defaults(&[(Command::Refresh, spec("R"))]);
        assert!(
            taken[0].1.starts_with("`R` is the default key of `resume`"),
            "{taken:?}"
        );
        for command in [Command::Pause, Command::Resume, Command::Relaunch] {
            assert!(command.is_write(), "{}", command.name());
        }
    }

    #[test]
    fn log_pane_commands_are_the_log_ones() {
        assert_eq!(Command::LogSince.context(), Context::LogPane);
        assert_eq!(Command::Sort.context(), Context::Instances);
        assert_eq!(Command::Shell.context(), Context::Instances);
        assert_eq!(Command::Logs.context(), Context::Instances);
    }
}
