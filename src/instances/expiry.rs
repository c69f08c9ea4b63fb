//! Time to live: parsing durations such as `90m`, `8h`, `2d`.

use chrono::Duration;

/// `90m`, `8h`, `2d`, `1h30m` → a duration.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: i64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration like 90m, 8h or 2d"))?;
        number.clear();
        total += match c {
            'm' => Duration::minutes(value),
            'h' => Duration::hours(value),
            'd' => Duration::days(value),
            _ => return Err(format!("`{text}` is not a duration like 90m, 8h or 2d")),
        };
    }
    if !number.is_empty() || total <= Duration::zero() {
        return Err(format!("`{text}` is not a duration like 90m, 8h or 2d"));
    }
    Ok(total)
}
