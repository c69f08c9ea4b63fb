//! Plain line prompts: a question, the default in brackets, numbered choices.

use std::io::{self, BufRead, Write};

use ondeck_core::logs::sanitize::printable;

pub(super) struct Prompter<R, W> {
    input: R,
    output: W,
}

/// The user ended the input (ctrl-d) before answering.
#[derive(Debug)]
pub(super) struct Cancelled;

impl From<io::Error> for Cancelled {
    fn from(_: io::Error) -> Self {
        Cancelled
    }
}

impl<R: BufRead, W: Write> Prompter<R, W> {
    pub(super) fn new(input: R, output: W) -> Prompter<R, W> {
        Prompter { input, output }
    }

    pub(super) fn say(&mut self, text: &str) -> Result<(), Cancelled> {
        writeln!(self.output, "{text}")?;
        Ok(())
    }

    /// The prompt, then one trimmed line of answer (maybe empty).
    fn read_answer(&mut self, prompt: &str) -> Result<String, Cancelled> {
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            return Err(Cancelled);
        }
        Ok(line.trim().to_string())
    }

    /// One line of answer; an empty one takes the default. Without a default it asks again.
    pub(super) fn ask(
        &mut self,
        question: &str,
        default: Option<&str>,
    ) -> Result<String, Cancelled> {
        let prompt = match default {
            Some(default) => format!("{question} [{}]: ", printable(default)),
            None => format!("{question}: "),
        };
        loop {
            let answer = self.read_answer(&prompt)?;
            if !answer.is_empty() {
                return Ok(answer);
            }
            if let Some(default) = default {
                return Ok(default.to_string());
            }
        }
    }

    /// Pick one of `options` by number, or type a value of one's own; the first is the default.
    pub(super) fn choose(
        &mut self,
        question: &str,
        options: &[String],
    ) -> Result<String, Cancelled> {
        for (index, option) in options.iter().enumerate() {
            writeln!(self.output, "  {}) {}", index + 1, printable(option))?;
        }
        let answer = self.ask(question, options.first().map(|_| "1"))?;
        Ok(match answer.parse::<usize>() {
            Ok(number) if (1..=options.len()).contains(&number) => options[number - 1].clone(),
            _ => answer,
        })
    }

    /// Several values, separated by commas or spaces.
    pub(super) fn ask_list(
        &mut self,
        question: &str,
        default: &[String],
    ) -> Result<Vec<String>, Cancelled> {
        let joined = default.join(", ");
        let answer = self.ask(question, (!default.is_empty()).then_some(joined.as_str()))?;
        Ok(answer
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::to_string)
            .collect())
    }

    pub(super) fn confirm(&mut self, question: &str, default: bool) -> Result<bool, Cancelled> {
        let prompt = format!("{question} [{}]: ", if default { "Y/n" } else { "y/N" });
        loop {
            match self.read_answer(&prompt)?.to_ascii_lowercase().as_str() {
                "" => return Ok(default),
                "y" | "yes" => return Ok(true),
                "n" | "no" => return Ok(false),
                _ => {}
            }
        }
    }
}
