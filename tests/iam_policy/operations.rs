//! Which AWS operations the SDK adapter calls, read from its source.

use std::collections::{BTreeMap, BTreeSet};

use super::read;

/// The SSM operations are signed JSON calls (`self.call("StartSession", …)`) in this file.
const SSM_CALLS: &str = "crates/ondeck-aws/src/ssm.rs";

/// `RunTask` from `run_task`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The SDK adapter's code without its tests: every `.rs` file under crates/ondeck-aws/src
/// except `tests.rs`, each cut at its first `#[cfg(test)]`.
fn adapter_code() -> String {
    fn walk(dir: &std::path::Path, code: &mut String) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, code);
            } else if path.extension().is_some_and(|ext| ext == "rs")
                && path.file_name().is_some_and(|name| name != "tests.rs")
            {
                let source = std::fs::read_to_string(&path)
                    .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                code.push_str(source.split("#[cfg(test)]").next().unwrap_or_default());
                code.push('\n');
            }
        }
    }
    let mut code = String::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(ADAPTER_DIR),
        &mut code,
    );
    code
}

const ADAPTER_DIR: &str = "crates/ondeck-aws/src";

/// IAM actions of every operation the SDK adapter sends, e.g. `ecs:RunTask`: the SDK client
/// fields of `SdkCloud`, their crates' IAM service prefixes, and each `self.<field>.<op>(`
/// outside the tests. Every `.send()` must belong to one of them, so that a call made some
/// other way cannot slip past.
pub(super) fn operations_called() -> BTreeSet<String> {
    let code = adapter_code();
    let code = code.as_str();
    let prefix_of_crate = |krate: &str| match krate {
        "aws_sdk_ecs" => "ecs",
        "aws_sdk_cloudwatchlogs" => "logs",
        other => panic!("which IAM service prefix does {other} use? add it here"),
    };
    // `use aws_sdk_ecs as ecs;`
    let aliases: BTreeMap<&str, &str> = code
        .lines()
        .filter_map(|line| line.trim().strip_prefix("use aws_sdk_"))
        .filter_map(|rest| rest.trim_end_matches(';').split_once(" as "))
        .map(|(krate, alias)| (alias.trim(), krate.trim()))
        .collect();
    // `ecs: ecs::Client,` inside `pub struct SdkCloud { … }`.
    let body = code
        .split_once("pub struct SdkCloud {")
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .expect("struct SdkCloud in crates/ondeck-aws/src");
    let clients: BTreeMap<String, &str> = body
        .lines()
        .filter_map(|line| line.trim().trim_end_matches(',').split_once(": "))
        .filter_map(|(field, ty)| {
            let alias = ty.strip_suffix("::Client")?;
            let krate = aliases
                .get(alias)
                .map_or_else(|| alias.to_string(), |krate| format!("aws_sdk_{krate}"));
            Some((field.to_string(), prefix_of_crate(&krate)))
        })
        .collect();
    assert!(
        !clients.is_empty(),
        "no SDK client fields found in SdkCloud"
    );

    let flat: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut operations = BTreeSet::new();
    let mut calls = 0;
    for (field, prefix) in &clients {
        let receiver = format!("self.{field}.");
        for (at, _) in flat.match_indices(&receiver) {
            let rest = &flat[at + receiver.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if rest[name.len()..].starts_with('(') && name != "clone" {
                operations.insert(format!("{prefix}:{}", pascal_case(&name)));
                calls += 1;
            }
        }
    }
    let sends = flat.matches(".send()").count();
    assert_eq!(
        calls, sends,
        "crates/ondeck-aws/src sends {sends} requests but {calls} start with `self.<client>.<operation>(`: \
         call the SDK through the client fields so this test sees every operation"
    );
    operations.extend(ssm_operations_called());
    operations.extend(ec2_operations_called(&flat));
    operations
}

/// `ec2:DescribeSubnets` from `self.ec2_item("DescribeSubnets", …)`, the signed EC2 reads.
/// (STS GetCallerIdentity needs no permission.)
fn ec2_operations_called(flat: &str) -> BTreeSet<String> {
    let operations: BTreeSet<String> = flat
        .split("self.ec2_item(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(operation, _)| format!("ec2:{operation}"))
        .collect();
    assert_eq!(
        flat.matches("QueryService::Ec2,").count(),
        1,
        "EC2 calls go through `ec2_item` so that this test sees each of them"
    );
    operations
}

/// `ssm:StartSession` from `self.call("StartSession", …)` in the SSM calls, outside tests.
fn ssm_operations_called() -> BTreeSet<String> {
    let source = read(SSM_CALLS);
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let flat: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let operations: BTreeSet<String> = flat
        .split("self.call(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(operation, _)| format!("ssm:{operation}"))
        .collect();
    assert!(
        !operations.is_empty(),
        "no `self.call(\"Operation\", …)` found in {SSM_CALLS}: the reading of it is broken"
    );
    operations
}
