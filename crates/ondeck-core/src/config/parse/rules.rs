//! Rules for single values that need no document: endpoint URLs, names, task definition
//! references and role ARNs.

const MAX_FAMILY_LEN: usize = 255;

/// Why `text` is no URL the SDK could send requests to, if it is not. The text is used as
/// written, so it must already be what the SDK takes: ASCII, without spaces.
pub(super) fn endpoint_problem(text: &str) -> Option<String> {
    if !text.starts_with("http://") && !text.starts_with("https://") {
        return Some("it does not start with http:// or https://".into());
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it has spaces or control characters".into());
    }
    if !text.is_ascii() {
        return Some("write the host in its ASCII (xn--) form".into());
    }
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(err) => return Some(err.to_string()),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Some("it has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "it holds a user name or password; credentials come from the AWS profile".into(),
        );
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some("it has a query or a fragment".into());
    }
    None
}

pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `family`, `family:revision` or a task definition ARN; Err says what is wrong.
pub(super) fn check_task_definition(reference: &str) -> Result<(), &'static str> {
    if reference.starts_with("arn:") {
        let parts: Vec<&str> = reference.splitn(6, ':').collect();
        let [_, partition, service, region, account, resource] = parts[..] else {
            return Err("is not a task definition ARN");
        };
        if partition.is_empty() || service != "ecs" || region.is_empty() || account.is_empty() {
            return Err("is not a task definition ARN");
        }
        let Some(family_revision) = resource.strip_prefix("task-definition/") else {
            return Err("is an ARN of something other than a task definition");
        };
        if !family_revision.contains(':') {
            return Err("is an ARN without a revision");
        }
        return check_family_revision(family_revision);
    }
    check_family_revision(reference)
}

fn check_family_revision(text: &str) -> Result<(), &'static str> {
    let (family, revision) = match text.split_once(':') {
        Some((family, revision)) => (family, Some(revision)),
        None => (text, None),
    };
    if family.is_empty() || family.len() > MAX_FAMILY_LEN || !is_plain_name(family) {
        return Err("has a family name that is not 1-255 letters, digits, - or _");
    }
    match revision.map(str::parse::<u32>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err("has a revision that is not a whole number of 1 or more"),
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/NAME`; Err says what is wrong.
pub(super) fn check_role_arn(arn: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts[..] else {
        return Err("is not an IAM role ARN");
    };
    if !partition.starts_with("aws") {
        return Err("has no AWS partition (aws, aws-cn, aws-us-gov)");
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err("has an account that is not 12 digits");
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c);
    match resource.strip_prefix("role/") {
        None => Err("is an ARN of something other than a role"),
        Some(name) if name.is_empty() || !name.chars().all(name_char) => {
            Err("has a role name that is not letters, digits and + = , . @ _ - /")
        }
        Some(_) => Ok(()),
    }
}
