//! `env_file` / `.env` files: `KEY=value` lines as compose reads them.

use super::interpolate::{Variables, interpolate};

/// One variable of an env file, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvLine {
    pub line: usize,
    pub name: String,
    /// `None` for a bare `NAME`: the value comes from the environment ondeck runs in.
    pub value: Option<String>,
}

/// A problem on one line of an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileError {
    pub line: usize,
    pub message: String,
}

/// Parses `text`: `NAME=value`, `export NAME=value`, `NAME='literal'`, `NAME="with \n escapes"`,
/// bare `NAME`, `# comments` and blank lines. Unquoted and double-quoted values are
/// interpolated from `variables` and the lines above; a quoted value must close on its line.
pub fn parse(text: &str, variables: &Variables) -> Result<Vec<EnvLine>, EnvFileError> {
    let mut known = variables.clone();
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |message: String| EnvFileError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let entry = trimmed
            .strip_prefix("export ")
            .map_or(trimmed, str::trim_start);
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim_start())),
            None => (entry, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(error(format!(
                "`{trimmed}` is not `NAME=value`; names have no spaces"
            )));
        }
        let value = match value {
            None => None,
            Some(value) => Some(parse_value(value, &known).map_err(error)?),
        };
        if let Some(value) = &value {
            known.insert(name.to_string(), value.clone());
        }
        lines.push(EnvLine {
            line,
            name: name.to_string(),
            value,
        });
    }
    Ok(lines)
}

fn parse_value(value: &str, known: &Variables) -> Result<String, String> {
    if let Some(body) = value.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or("the single quote is not closed on this line")?;
        check_trailing(&body[end + 1..])?;
        return Ok(body[..end].to_string());
    }
    if let Some(body) = value.strip_prefix('"') {
        let mut unescaped = String::new();
        let mut chars = body.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    check_trailing(&body[index + 1..])?;
                    return expand(&unescaped, known);
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => unescaped.push('\n'),
                    Some('t') => unescaped.push('\t'),
                    Some('r') => unescaped.push('\r'),
                    Some(other) => unescaped.push(other),
                    None => break,
                },
                other => unescaped.push(other),
            }
        }
        return Err("the double quote is not closed on this line".into());
    }
    // Unquoted: a ` #` starts a comment.
    let value = value.find(" #").map_or(value, |comment| &value[..comment]);
    expand(value.trim_end(), known)
}

fn check_trailing(after_quote: &str) -> Result<(), String> {
    let after = after_quote.trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err(format!(
            "`{after}` follows the closing quote; put a comment after `#`"
        ))
    }
}

fn expand(value: &str, known: &Variables) -> Result<String, String> {
    interpolate(value, known).map(|interpolated| interpolated.text)
}

#[cfg(test)]
mod tests;
