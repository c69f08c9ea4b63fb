//! Environment overrides as people write them: `CONTAINER:KEY=VALUE`, on the command line
//! (`--env`, repeated) and in the launch dialog (separated by spaces).

use std::collections::BTreeMap;

/// Items such as `api:LOG_LEVEL=debug` → container → variable → value. The value may be
/// empty or hold `=`; container and variable may not be empty. A bad item is named in the
/// error, with the form to write instead.
pub fn parse_env<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let mut env: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in items {
        let parsed = item.split_once(':').and_then(|(container, assignment)| {
            let (key, value) = assignment.split_once('=')?;
            (!container.is_empty() && !key.is_empty()).then_some((container, key, value))
        });
        let Some((container, key, value)) = parsed else {
            return Err(format!(
                "`{item}` is not CONTAINER:KEY=VALUE (e.g. api:LOG_LEVEL=debug)"
            ));
        };
        env.entry(container.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
    }
    Ok(env)
}

#[cfg(test)]
mod tests;
