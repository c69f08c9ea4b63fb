//! A toy shell behind a pretend terminal: it echoes what is typed, turns `\n` into `\r\n` on
//! output, and runs a handful of commands.
//!
//! Commands: `echo ARGS`, `printf TEXT` (escapes `\n \r \t \\ \e \xHH`, no `%` formats),
//! `emit N` (exactly N bytes of `abc…z` repeated, no newline), `stty size` (`ROWS COLS` of the
//! last resize), `hostname`, `true`, `false`, `exit [N]`. Anything else: `sh: 1: NAME: not found`,
//! status 127. Ctrl-C drops the line; Ctrl-D on an empty line exits 0.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Output(Vec<u8>),
    Exit(i32),
}

#[derive(Debug, Clone)]
pub struct ToyShell {
    prompt: String,
    hostname: String,
    line: Vec<u8>,
    size: Option<(u32, u32)>,
}

/// Programs a command line can start, the way the agent would find them in the container.
pub fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh")
}

impl ToyShell {
    pub fn new(prompt: &str, hostname: &str) -> Self {
        ToyShell {
            prompt: prompt.to_string(),
            hostname: hostname.to_string(),
            line: Vec::new(),
            size: None,
        }
    }

    pub fn prompt(&self) -> Vec<u8> {
        self.prompt.as_bytes().to_vec()
    }

    pub fn resize(&mut self, cols: u32, rows: u32) {
        self.size = Some((cols, rows));
    }

    /// Typed bytes in, terminal output and an exit out.
    pub fn input(&mut self, bytes: &[u8]) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut echo = Vec::new();
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => {
                    echo.extend_from_slice(b"\r\n");
                    let line = std::mem::take(&mut self.line);
                    let (output, exit) = self.run(&String::from_utf8_lossy(&line));
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

    /// Runs one command line: its output (with `\n` line ends) and, for `exit`, the code.
    pub fn run(&self, line: &str) -> (Vec<u8>, Option<i32>) {
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

    /// The status a command line ends with when run on its own, as `sh -c` would.
    pub fn run_alone(&self, line: &str) -> (Vec<u8>, i32) {
        let words = split_words(line);
        let (output, exit) = self.run(line);
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
