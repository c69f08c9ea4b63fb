//! What runs behind a shell session's pretend terminal.
//!
//! A session's command is started in a [`Container`]: it names a program the container lacks
//! ([`Started::Missing`]), runs once to completion ([`Started::Finished`]), or gives an
//! interactive [`Terminal`]. [`LineShell`] is the usual terminal: it echoes what is typed,
//! turns `\n` into `\r\n` on output, handles Ctrl-C, Ctrl-D and backspace, and hands each
//! line to a [`Commands`] interpreter. Two containers come with the crate: [`ToyContainer`]
//! (the default; commands tests need) and [`DemoContainer`] (`ls`, `env`, `hostname`, `exit`
//! over a container's environment). Tests may bring their own.

use std::fmt::Debug;

mod demo;
mod toy;

pub use demo::DemoContainer;
pub use toy::ToyContainer;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Output(Vec<u8>),
    Exit(i32),
}

/// An interactive program behind the pretend terminal.
pub trait Terminal: Send {
    /// What it prints when it starts (a prompt, say).
    fn start(&mut self) -> Vec<u8>;
    /// Typed bytes in; terminal output and, at the end, an exit out.
    fn input(&mut self, bytes: &[u8]) -> Vec<Effect>;
    /// The client's terminal changed size.
    fn resize(&mut self, cols: u32, rows: u32);
}

/// How a session's command started.
pub enum Started {
    Terminal(Box<dyn Terminal>),
    /// It ran to completion at once: its output (`\n` line ends) and exit status.
    Finished {
        output: Vec<u8>,
        status: i32,
    },
    /// The container has no such program (the agent then reports that it cannot start it).
    Missing(String),
}

/// The pretend container a shell session's command runs in.
pub trait Container: Send + Sync + Debug {
    fn start(&self, command: &str) -> Started;
}

/// A command interpreter behind a [`LineShell`].
pub trait Commands: Send {
    /// Runs one command line: its output (`\n` line ends) and, for `exit`, the code.
    fn run(&mut self, line: &str) -> (Vec<u8>, Option<i32>);
    fn resize(&mut self, _cols: u32, _rows: u32) {}
}

/// A line-at-a-time terminal in front of a command interpreter.
#[derive(Debug, Clone)]
pub struct LineShell<C> {
    prompt: String,
    line: Vec<u8>,
    commands: C,
}

impl<C: Commands> LineShell<C> {
    pub fn new(prompt: &str, commands: C) -> Self {
        LineShell {
            prompt: prompt.to_string(),
            line: Vec::new(),
            commands,
        }
    }
}

impl<C: Commands> Terminal for LineShell<C> {
    fn start(&mut self) -> Vec<u8> {
        self.prompt.as_bytes().to_vec()
    }

    fn input(&mut self, bytes: &[u8]) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut echo = Vec::new();
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => {
                    echo.extend_from_slice(b"\r\n");
                    let line = std::mem::take(&mut self.line);
                    let (output, exit) = self.commands.run(&String::from_utf8_lossy(&line));
                    echo.extend(onlcr(&output));
                    if let Some(code) = exit {
                        effects.push(Effect::Output(std::mem::take(&mut echo)));
                        effects.push(Effect::Exit(code));
                        return effects;
                    }
                    echo.extend_from_slice(self.prompt.as_bytes());
                }
                0x03 => {
                    self.line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    echo.extend_from_slice(self.prompt.as_bytes());
                }
                0x04 if self.line.is_empty() => {
                    echo.extend_from_slice(b"exit\r\n");
                    effects.push(Effect::Output(echo));
                    effects.push(Effect::Exit(0));
                    return effects;
                }
                0x7f | 0x08 => {
                    if self.line.pop().is_some() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                other => {
                    self.line.push(other);
                    echo.push(other);
                }
            }
        }
        if !echo.is_empty() {
            effects.push(Effect::Output(echo));
        }
        effects
    }

    fn resize(&mut self, cols: u32, rows: u32) {
        self.commands.resize(cols, rows);
    }
}

/// Programs a command line can start as an interactive shell.
pub fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh")
}

/// The line a command runs once: the script of `sh -c '…'`, else the command itself; None
/// when the command is an interactive shell.
pub fn one_shot_line(command: &str) -> Option<String> {
    let words = split_words(command);
    let program = words.first().map(String::as_str).unwrap_or_default();
    if !is_shell(program) {
        return Some(command.to_string());
    }
    (words.get(1).map(String::as_str) == Some("-c")).then(|| words[2..].join(" "))
}

/// `\n` to `\r\n`, as a terminal's output processing does.
pub fn onlcr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &byte in bytes {
        if byte == b'\n' {
            out.push(b'\r');
        }
        out.push(byte);
    }
    out
}

/// Whitespace-separated words; single and double quotes group.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests;
