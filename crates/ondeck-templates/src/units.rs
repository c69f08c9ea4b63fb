//! Durations, memory sizes and CPU counts as compose files and templates write them.

/// A duration in compose's notation (`1m30s`, `10s`, `1h`, `250ms`, `1.5s`) as whole seconds,
/// since ECS health checks and stop timeouts count whole seconds.
pub fn parse_seconds(text: &str) -> Result<u32, String> {
    const FORMAT: &str = "write a number and a unit: h, m, s or ms, e.g. \"30s\" or \"1m30s\"";
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("is empty; {FORMAT}"));
    }
    let mut nanos: u128 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() {
            return Err(format!("`{trimmed}` is not a duration; {FORMAT}"));
        }
        let after = &rest[number_end..];
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_end];
        let unit_nanos: u128 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" => 1_000,
            "ns" => 1,
            "" => return Err(format!("`{trimmed}` lacks a unit; {FORMAT}")),
            other => {
                return Err(format!(
                    "`{trimmed}` has an unknown unit `{other}`; {FORMAT}"
                ));
            }
        };
        nanos += scaled(number, unit_nanos)
            .ok_or_else(|| format!("`{trimmed}` is not a duration; {FORMAT}"))?;
        rest = &after[unit_end..];
    }
    if !nanos.is_multiple_of(1_000_000_000) {
        return Err(format!(
            "`{trimmed}` is not a whole number of seconds, and ECS counts these in seconds"
        ));
    }
    u32::try_from(nanos / 1_000_000_000).map_err(|_| format!("`{trimmed}` is far too long"))
}

/// `number × unit` for a decimal `number` such as `1.5`, exactly, in the unit's integer grain.
fn scaled(number: &str, unit: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut total = whole.checked_mul(unit)?;
    let mut place = unit;
    for digit in fraction.chars() {
        place /= 10;
        total += u128::from(digit.to_digit(10)?) * place;
    }
    Some(total)
}

/// A compose memory size (`512M`, `1g`, `1.5gb`, `268435456`) in whole MiB, rounded up.
pub fn parse_memory_mib(text: &str) -> Result<u32, String> {
    const FORMAT: &str = "write a number and a unit: b, k, m or g, e.g. \"512M\" or \"2g\"";
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let unit_bytes: u128 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "`{trimmed}` has an unknown unit `{other}`; {FORMAT}"
            ));
        }
    };
    let bytes = scaled(number, unit_bytes)
        .ok_or_else(|| format!("`{trimmed}` is not a memory size; {FORMAT}"))?;
    let mib = bytes.div_ceil(1 << 20);
    u32::try_from(mib).map_err(|_| format!("`{trimmed}` is far more than any Fargate task holds"))
}

/// A CPU count (`0.5`, `2`) in ECS CPU units (1024 per vCPU), to the nearest unit.
pub fn parse_cpus(text: &str) -> Result<u32, String> {
    let trimmed = text.trim();
    match trimmed.parse::<f64>() {
        Ok(cpus) if cpus.is_finite() && cpus > 0.0 && cpus <= 16.0 => {
            Ok((cpus * 1024.0).round() as u32)
        }
        Ok(_) => Err(format!(
            "`{trimmed}` CPUs is outside what a Fargate task has (more than 0, at most 16)"
        )),
        Err(_) => Err(format!(
            "`{trimmed}` is not a number of CPUs; write e.g. 0.5 or 2"
        )),
    }
}

#[cfg(test)]
mod tests;
