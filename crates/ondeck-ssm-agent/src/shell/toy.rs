//! The default container: the commands the data-channel tests need.
//!
//! `echo ARGS`, `printf TEXT` (escapes `\n \r \t \\ \e \xHH`, no `%` formats), `emit N`
//! (exactly N bytes of `abc…z` repeated, no newline), `stty size` (`ROWS COLS` of the last
//! resize), `hostname`, `true`, `false`, `exit [N]`. Anything else: `sh: 1: NAME: not found`,
//! status 127.

use super::{Commands, Container, LineShell, Started, is_shell, one_shot_line, split_words};

/// A container with the toy commands and the shell programs named in `shells`; starting any
/// other shell fails as a missing binary does.
#[derive(Debug, Clone)]
pub struct ToyContainer {
    pub prompt: String,
    pub hostname: String,
    pub shells: Vec<String>,
}

impl Default for ToyContainer {
    fn default() -> Self {
        ToyContainer {
            prompt: "$ ".into(),
            hostname: "ip-10-0-0-1.ec2.internal".into(),
            shells: ["/bin/sh", "sh", "/bin/bash", "bash"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Container for ToyContainer {
    fn start(&self, command: &str) -> Started {
        let program = split_words(command).into_iter().next().unwrap_or_default();
        let known = if is_shell(&program) {
            self.shells.contains(&program)
        } else {
            is_builtin(&program)
        };
        if !known {
            return Started::Missing(program);
        }
        let commands = ToyCommands::new(&self.hostname);
        match one_shot_line(command) {
            Some(line) => {
                let (output, status) = commands.run_alone(&line);
                Started::Finished { output, status }
            }
            None => Started::Terminal(Box::new(LineShell::new(&self.prompt, commands))),
        }
    }
}

fn is_builtin(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(
        name,
        "echo" | "printf" | "emit" | "stty" | "hostname" | "true" | "false"
    )
}

#[derive(Debug, Clone)]
pub struct ToyCommands {
    hostname: String,
    size: Option<(u32, u32)>,
}

impl ToyCommands {
    pub fn new(hostname: &str) -> Self {
        ToyCommands {
            hostname: hostname.to_string(),
            size: None,
        }
    }

    /// The status a command line ends with when run on its own, as `sh -c` would.
    pub fn run_alone(&self, line: &str) -> (Vec<u8>, i32) {
        let words = split_words(line);
        let (output, exit) = self.clone().run(line);
        let status = match (exit, words.first().map(String::as_str)) {
            (Some(code), _) => code,
            (None, Some("false")) => 1,
            (None, Some(program)) if output.starts_with(format!("sh: 1: {program}").as_bytes()) => {
                127
            }
            _ => 0,
        };
        (output, status)
    }
}

impl Commands for ToyCommands {
    fn run(&mut self, line: &str) -> (Vec<u8>, Option<i32>) {
        let words = split_words(line);
        let Some((program, args)) = words.split_first() else {
            return (Vec::new(), None);
        };
        match program.as_str() {
            "echo" => (format!("{}\n", args.join(" ")).into_bytes(), None),
            "printf" => (unescape(&args.join(" ")), None),
            "emit" => match args.first().and_then(|n| n.parse::<usize>().ok()) {
                Some(count) => ((0..count).map(|i| b'a' + (i % 26) as u8).collect(), None),
                None => (b"emit: usage: emit COUNT\n".to_vec(), None),
            },
            "stty" if args.first().map(String::as_str) == Some("size") => match self.size {
                Some((cols, rows)) => (format!("{rows} {cols}\n").into_bytes(), None),
                None => (
                    b"stty: 'standard input': Inappropriate ioctl for device\n".to_vec(),
                    None,
                ),
            },
            "hostname" => (format!("{}\n", self.hostname).into_bytes(), None),
            "true" | "false" => (Vec::new(), None),
            "exit" => {
                let code = args
                    .first()
                    .and_then(|n| n.parse::<i32>().ok())
                    .unwrap_or(0);
                (Vec::new(), Some(code))
            }
            other => (format!("sh: 1: {other}: not found\n").into_bytes(), None),
        }
    }

    fn resize(&mut self, cols: u32, rows: u32) {
        self.size = Some((cols, rows));
    }
}

fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        i += 1;
        match bytes[i] {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'e' => out.push(0x1b),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(value) => {
                        out.push(value);
                        i += 2;
                    }
                    None => out.extend_from_slice(b"\\x"),
                }
            }
            other => out.extend_from_slice(&[b'\\', other]),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
