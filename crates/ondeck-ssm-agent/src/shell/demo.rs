//! The demo's container: a shell that knows `ls`, `env`, `hostname` and `exit`, over the
//! environment the container was given, so a newcomer can try a shell without AWS.

use super::{Commands, Container, LineShell, Started, is_shell, one_shot_line, split_words};

const KNOWN: [&str; 4] = ["ls", "env", "hostname", "exit"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoContainer {
    pub hostname: String,
    /// `NAME=value` pairs, listed by `env` in this order.
    pub env: Vec<(String, String)>,
    /// What `ls` lists.
    pub files: Vec<String>,
    pub prompt: String,
}

impl DemoContainer {
    pub fn new(hostname: &str, env: Vec<(String, String)>) -> Self {
        DemoContainer {
            hostname: hostname.to_string(),
            env,
            files: ["app", "bin", "etc", "tmp", "usr", "var"]
                .map(String::from)
                .to_vec(),
            prompt: "$ ".into(),
        }
    }

    fn commands(&self) -> DemoCommands {
        DemoCommands {
            container: self.clone(),
        }
    }
}

impl Container for DemoContainer {
    fn start(&self, command: &str) -> Started {
        let Some(line) = one_shot_line(command) else {
            return Started::Terminal(Box::new(LineShell::new(&self.prompt, self.commands())));
        };
        let program = split_words(&line).into_iter().next().unwrap_or_default();
        if !KNOWN.contains(&program.as_str()) && !is_shell(&program) {
            return Started::Missing(program);
        }
        let (output, exit) = self.commands().run(&line);
        let status = match exit {
            Some(code) => code,
            None if output.ends_with(b": not found\n") => 127,
            None => 0,
        };
        Started::Finished { output, status }
    }
}

/// The interpreter behind the demo's shell.
#[derive(Debug, Clone)]
pub struct DemoCommands {
    container: DemoContainer,
}

impl Commands for DemoCommands {
    fn run(&mut self, line: &str) -> (Vec<u8>, Option<i32>) {
        let words = split_words(line);
        let Some((program, args)) = words.split_first() else {
            return (Vec::new(), None);
        };
        let container = &self.container;
        match program.as_str() {
            "ls" => {
                let mut files = container.files.clone();
                files.sort();
                let listing = files.join("  ");
                let output = if listing.is_empty() {
                    String::new()
                } else {
                    format!("{listing}\n")
                };
                (output.into_bytes(), None)
            }
            "env" => {
                let output: String = container
                    .env
                    .iter()
                    .map(|(name, value)| format!("{name}={value}\n"))
                    .collect();
                (output.into_bytes(), None)
            }
            "hostname" => (format!("{}\n", container.hostname).into_bytes(), None),
            "exit" => {
                let code = args.first().and_then(|n| n.parse().ok()).unwrap_or(0);
                (Vec::new(), Some(code))
            }
            other => (
                format!(
                    "{other}: not found (this demo shell knows {})\n",
                    KNOWN.join(", ")
                )
                .into_bytes(),
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
