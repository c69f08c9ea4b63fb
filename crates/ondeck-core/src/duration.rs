//! Reading written durations ("90m", "1h30m", "30s"): one parser, and the policy of each option
//! that takes one (which units, what bounds, how its errors read).

use chrono::Duration;

/// What a duration is for: its name in errors, the hint that ends them, and whether seconds
/// are a unit it takes.
pub(crate) struct DurationRule {
    /// "a time to live", "a time back": read after "is not" and "too fine for".
    pub what: &'static str,
    pub hint: &'static str,
    pub takes_seconds: bool,
}

const SINCE: DurationRule = DurationRule {
    what: "a time back",
    hint: "write a number and a unit: s (seconds), m (minutes), h (hours) or d (days), alone \
           or combined, e.g. 30s, 15m, 2h, 1d, 1h30m",
    takes_seconds: true,
};

/// How far back to read logs: "30s", "15m", "2h", "1d", combined as in "1h30m". Zero is refused:
/// it reads nothing.
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let since = parse_duration(text, &SINCE)?;
    if since.is_zero() {
        return Err(format!("`{}` is zero; give at least 1s", text.trim()));
    }
    Ok(since)
}

/// Numbers with units, each unit once, spaces between parts allowed. Zero is the caller's to
/// refuse or not; overflow is refused here.
pub(crate) fn parse_duration(text: &str, rule: &DurationRule) -> Result<Duration, String> {
    let DurationRule { what, hint, .. } = rule;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("empty value for {what}; {hint}"));
    }
    let too_long = || format!("`{trimmed}` is far too long for {what}");
    let mut total_seconds: i64 = 0;
    let mut seen_units = Vec::new();
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(format!("`{trimmed}` is not {what}; {hint}"));
        }
        let number: i64 = rest[..digits_end].parse().map_err(|_| too_long())?;
        let mut after_number = rest[digits_end..].chars();
        let unit = after_number.next().map(|c| c.to_ascii_lowercase());
        let seconds_per_unit = match unit {
            Some('s') if rule.takes_seconds => 1,
            Some('m') => 60,
            Some('h') => 3_600,
            Some('d') => 86_400,
            Some('s') => {
                return Err(format!(
                    "`{trimmed}`: seconds are too fine for {what}; {hint}"
                ));
            }
            Some(other) => {
                return Err(format!("`{trimmed}` has an unknown unit `{other}`; {hint}"));
            }
            None => return Err(format!("`{trimmed}` lacks a unit; {hint}")),
        };
        let unit = unit.unwrap_or_default();
        if seen_units.contains(&unit) {
            return Err(format!("`{trimmed}` names `{unit}` twice; {hint}"));
        }
        seen_units.push(unit);
        total_seconds = number
            .checked_mul(seconds_per_unit)
            .and_then(|seconds| total_seconds.checked_add(seconds))
            .filter(|&seconds| Duration::try_seconds(seconds).is_some())
            .ok_or_else(too_long)?;
        rest = after_number.as_str().trim_start();
    }
    Ok(Duration::seconds(total_seconds))
}

#[cfg(test)]
mod tests;
