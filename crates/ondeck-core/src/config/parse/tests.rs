use std::path::Path;

use super::rules::check_task_definition;
use super::sections::PROFILE_KEYS;
use super::*;

#[test]
fn nearest_key_is_suggested_only_when_close() {
    assert_eq!(suggest("subnet", PROFILE_KEYS), Some("subnets"));
    assert_eq!(suggest("regoin", PROFILE_KEYS), Some("region"));
    assert_eq!(suggest("Region", PROFILE_KEYS), Some("region"));
    assert_eq!(suggest("colour", PROFILE_KEYS), None);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
}

#[test]
fn task_definition_references() {
    for good in [
        "web",
        "web:1",
        "my_app-2:123",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
    ] {
        assert_eq!(check_task_definition(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "web:0",
        "web:",
        "web:x",
        "web:-1",
        "we b",
        "web.app:1",
        "arn:aws:ecs:us-east-1:1:task/web:1",
        "arn:aws:ecs:us-east-1:1:task-definition/web",
        "arn:aws:s3:us-east-1:1:task-definition/web:1",
        "arn:aws",
    ] {
        assert!(check_task_definition(bad).is_err(), "{bad}");
    }
    assert!(check_task_definition(&"a".repeat(256)).is_err());
    assert!(check_task_definition(&"a".repeat(255)).is_ok());
}

const MINIMAL: &str = r#"
[profiles.dev]
region = "us-east-1"
cluster = "c"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
"#;

#[test]
fn owner_defaults_to_the_login_name_made_safe() {
    let config = parse_with_login(Path::new("c.toml"), MINIMAL, Some("john.doe")).unwrap();
    assert_eq!(config.profiles["dev"].owner, "john-doe");
}

#[test]
fn without_a_login_name_the_owner_must_be_set() {
    let error = parse_with_login(Path::new("c.toml"), MINIMAL, None).unwrap_err();
    assert_eq!(error.key.as_deref(), Some("profiles.dev.owner"));
    assert_eq!((error.line, error.column), (Some(2), Some(1)));
    assert!(error.message.contains("set `owner"), "{}", error.message);
}

#[test]
fn the_problem_nearest_the_top_is_reported() {
    let text = format!("{MINIMAL}assign_public_ip = 1\nrefresh_busy_secs = 0\n");
    let text = text.replace("region = \"us-east-1\"", "region = \"US\"");
    let error = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap_err();
    assert_eq!(error.key.as_deref(), Some("profiles.dev.region"));
    assert_eq!((error.line, error.column), (Some(3), Some(10)));
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = format!(
        "{MINIMAL}[profiles.dev.templates.web]\ntask_definitions = [\"web\"]\nenv = {{ \"é\" = {{ A = 1 }} }}\n"
    );
    let error = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap_err();
    assert_eq!(
        error.key.as_deref(),
        Some("profiles.dev.templates.web.env.é.A")
    );
    assert_eq!((error.line, error.column), (Some(9), Some(21)));
}

#[test]
fn role_arns() {
    for good in [
        "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "arn:aws-us-gov:iam::123456789012:role/service-role/ondeck+dev@team",
    ] {
        assert_eq!(super::rules::check_role_arn(good), Ok(()), "{good}");
    }
    for bad in [
        "ecsTaskExecutionRole",
        "arn:aws:iam:us-east-1:123456789012:role/x",
        "arn:aws:iam::12345:role/x",
        "arn:aws:iam::123456789012:user/x",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/has space",
        "arn:azure:iam::123456789012:role/x",
    ] {
        assert!(super::rules::check_role_arn(bad).is_err(), "{bad}");
    }
}
