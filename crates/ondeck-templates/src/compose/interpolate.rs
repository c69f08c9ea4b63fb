//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:?message}`, `${VAR?message}`, `${VAR:+other}`, `${VAR+other}`, and `$$` for `$`.

use std::collections::BTreeMap;

/// The variables interpolation reads: the environment `ondeck` runs in, with the project's
/// `.env` file under it (the environment wins, as in compose).
pub type Variables = BTreeMap<String, String>;

/// The text with its variables substituted, and the names of variables that were not set and
/// had no default (compose substitutes an empty string for those, and warns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpolated {
    pub text: String,
    pub unset: Vec<String>,
}

pub fn interpolate(text: &str, variables: &Variables) -> Result<Interpolated, String> {
    let mut unset = Vec::new();
    let text = substitute(text, variables, &mut unset)?;
    let mut seen = std::collections::BTreeSet::new();
    unset.retain(|name| seen.insert(name.clone()));
    Ok(Interpolated { text, unset })
}

fn substitute(
    text: &str,
    variables: &Variables,
    unset: &mut Vec<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(braced) = after.strip_prefix('{') {
            let close = matching_brace(braced).ok_or_else(|| {
                format!("`${{` is not closed in `{text}`; write `$${{` for a literal `${{`")
            })?;
            out.push_str(&braced_value(&braced[..close], variables, unset)?);
            rest = &braced[close + 1..];
        } else {
            let name_end = name_length(after);
            if name_end == 0 {
                return Err(format!(
                    "`$` in `{text}` does not start a variable; write `$$` for a literal `$`"
                ));
            }
            out.push_str(&lookup(&after[..name_end], variables, unset));
            rest = &after[name_end..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Length of the variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn name_length(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(text.len(), |(index, _)| index)
}

/// Index of the `}` closing a `${`, allowing nested `${…}` in defaults.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'$' if bytes.get(index + 1) == Some(&b'{') => {
                depth += 1;
                index += 1;
            }
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
        index += 1;
    }
    None
}

fn lookup(name: &str, variables: &Variables, unset: &mut Vec<String>) -> String {
    match variables.get(name) {
        Some(value) => value.clone(),
        None => {
            unset.push(name.to_string());
            String::new()
        }
    }
}

fn braced_value(
    inner: &str,
    variables: &Variables,
    unset: &mut Vec<String>,
) -> Result<String, String> {
    let name_end = name_length(inner);
    let name = &inner[..name_end];
    if name.is_empty() {
        return Err(format!("`${{{inner}}}` does not name a variable"));
    }
    let operator = &inner[name_end..];
    let value = variables.get(name);
    let set_and_non_empty = value.is_some_and(|value| !value.is_empty());
    let (rule, argument) = [":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find_map(|rule| {
            operator
                .strip_prefix(rule)
                .map(|argument| (*rule, argument))
        })
        .unwrap_or(("", operator));
    match rule {
        "" if argument.is_empty() => Ok(lookup(name, variables, unset)),
        "" => Err(format!(
            "`${{{inner}}}` is not a variable reference; use `${{{name}:-default}}` and the like"
        )),
        ":-" if !set_and_non_empty => substitute(argument, variables, unset),
        "-" if value.is_none() => substitute(argument, variables, unset),
        ":?" if !set_and_non_empty => Err(required(name, argument)),
        "?" if value.is_none() => Err(required(name, argument)),
        ":+" if set_and_non_empty => substitute(argument, variables, unset),
        "+" if value.is_some() => substitute(argument, variables, unset),
        ":+" | "+" => Ok(String::new()),
        _ => Ok(value.cloned().unwrap_or_default()),
    }
}

fn required(name: &str, message: &str) -> String {
    if message.is_empty() {
        format!("the variable {name} must be set")
    } else {
        format!("the variable {name} must be set: {message}")
    }
}

#[cfg(test)]
mod tests;
