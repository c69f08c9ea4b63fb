use std::path::Path;

use super::rules::check_task_definition;
use super::schema::ProfileKey;
use super::*;
use crate::config::table_keys::TableKeys;

#[test]
fn nearest_key_is_suggested_only_when_close() {
    assert_eq!(suggest("subnet", ProfileKey::names()), Some("subnets"));
    assert_eq!(suggest("regoin", ProfileKey::names()), Some("region"));
    assert_eq!(suggest("Region", ProfileKey::names()), Some("region"));
    assert_eq!(suggest("colour", ProfileKey::names()), None);
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

#[test]
fn table_keys_are_the_serde_names_of_their_variants() {
    use super::schema::{PriceKey, TemplateKey, TopKey};
    assert_eq!(
        TopKey::names(),
        ["default_profile", "exec_client", "keymap", "profiles"]
    );
    assert_eq!(PriceKey::names(), ["vcpu_hour", "gb_hour"]);
    assert_eq!(ProfileKey::names().len(), 18);
    assert_eq!(ProfileKey::names()[0], "aws_profile");
    for name in TemplateKey::names() {
        let key = TemplateKey::from_name(name).expect("each name is a key");
        assert_eq!(key.name(), *name);
    }
    assert_eq!(
        TemplateKey::from_name("task_definitions"),
        Some(TemplateKey::TaskDefinitions)
    );
    assert_eq!(TemplateKey::from_name("TaskDefinitions"), None);
    assert_eq!(TemplateKey::from_name("environment"), None);
}

/// A config with `key` of one table set to a value no key takes (a date-time), the table's
/// other lines kept.
fn with_bad_value(table: &str, key: &str) -> String {
    let bad = format!("{key} = 1979-05-27T07:32:00Z");
    let section = |header: &str, lines: &[&str]| {
        let mut text = format!("{header}\n");
        for line in lines {
            if !line.starts_with(&format!("{key} =")) {
                text.push_str(line);
                text.push('\n');
            }
        }
        if header == table {
            text.push_str(&bad);
            text.push('\n');
        }
        text
    };
    let top = if table.is_empty() {
        format!("{bad}\n")
    } else {
        String::new()
    };
    if table.is_empty() && key == "profiles" {
        return top;
    }
    // A bad value for `prices` or `templates` replaces its table.
    let unless_replaced = |name: &str, text: String| {
        if table == "[profiles.dev]" && key == name {
            String::new()
        } else {
            text
        }
    };
    format!(
        "{top}{}{}{}",
        section(
            "[profiles.dev]",
            &[
                "region = \"us-east-1\"",
                "cluster = \"dev\"",
                "subnets = [\"subnet-0abc1234\"]",
                "security_groups = [\"sg-0abc1234\"]",
            ],
        ),
        unless_replaced(
            "prices",
            section(
                "[profiles.dev.prices]",
                &["vcpu_hour = 0.04", "gb_hour = 0.004"]
            )
        ),
        unless_replaced(
            "templates",
            section(
                "[profiles.dev.templates.web]",
                &["task_definitions = [\"web:3\"]"]
            )
        ),
    )
}

/// Every declared key is read: a bad value under it is reported at that key. A key added to
/// a table's enum but not read by the checker fails here.
#[test]
fn every_declared_key_is_read_and_checked() {
    use super::schema::{PriceKey, TemplateKey, TopKey};
    let tables: [(&str, &str, &[&str]); 4] = [
        ("", "", TopKey::names()),
        ("[profiles.dev]", "profiles.dev.", ProfileKey::names()),
        (
            "[profiles.dev.prices]",
            "profiles.dev.prices.",
            PriceKey::names(),
        ),
        (
            "[profiles.dev.templates.web]",
            "profiles.dev.templates.web.",
            TemplateKey::names(),
        ),
    ];
    for (table, prefix, keys) in tables {
        for key in keys {
            let text = with_bad_value(table, key);
            let error = parse_with_login(Path::new("c.toml"), &text, Some("tester")).expect_err(
                &format!("a date-time for {prefix}{key} is refused:\n{text}"),
            );
            assert_eq!(
                error.key.as_deref(),
                Some(format!("{prefix}{key}").as_str()),
                "{error}\n{text}"
            );
        }
    }
}

#[test]
fn a_template_kind_is_task_or_service() {
    let template = |extra: &str| {
        format!(
            "{MINIMAL}\n[profiles.dev.templates.jobs]\ntask_definitions = [\"worker\"]\n{extra}"
        )
    };
    let config = parse_with_login(Path::new("c.toml"), &template(""), Some("ana")).unwrap();
    assert_eq!(
        config.profiles["dev"].templates["jobs"].kind,
        crate::config::TemplateKind::Task
    );
    let text = template("kind = \"service\"\n");
    let config = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap();
    assert_eq!(
        config.profiles["dev"].templates["jobs"].kind,
        crate::config::TemplateKind::Service
    );

    let error = parse_with_login(
        Path::new("c.toml"),
        &template("kind = \"daemon\"\n"),
        Some("ana"),
    )
    .unwrap_err();
    assert_eq!(
        error.key.as_deref(),
        Some("profiles.dev.templates.jobs.kind")
    );
    assert_eq!(error.line, Some(10));
    assert!(error.message.contains("\"service\""), "{}", error.message);
}

#[test]
fn a_service_backed_template_refuses_env_it_could_not_apply() {
    let text = format!(
        "{MINIMAL}\n[profiles.dev.templates.jobs]\ntask_definitions = [\"worker\"]\n\
         kind = \"service\"\nenv.worker.DEBUG = \"1\"\n"
    );
    let error = parse_with_login(Path::new("c.toml"), &text, Some("ana")).unwrap_err();
    assert_eq!(
        error.key.as_deref(),
        Some("profiles.dev.templates.jobs.env")
    );
    assert_eq!(error.line, Some(11));
    assert!(
        error.message.contains("kind = \"task\""),
        "{}",
        error.message
    );
}
