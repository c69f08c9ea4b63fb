//! Compose files as templates: each file under tests/fixtures/compose/invalid/ is refused with
//! exactly the findings in its `.expected` file; the files under valid/ become the task
//! definitions asserted below, with the warnings in their `.expected` file.

use std::path::{Path, PathBuf};

use ondeck_templates::Converted;
use ondeck_templates::compose::{self, ComposeSource, Variables};
use ondeck_templates::hash::content_hash;
use ondeck_templates::model::{
    DependencyCondition, PortMapping, Protocol, TaskDefinition, TemplateContext,
};
use ondeck_templates::problem::Problem;
use ondeck_templates::size::TaskSize;

fn context() -> TemplateContext {
    TemplateContext {
        profile: "dev".into(),
        template: "shop".into(),
        region: "eu-west-1".into(),
        log_group: "/ondeck/dev".into(),
        stream_prefix: "ondeck".into(),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ondeck-exec".into()),
        task_role_arn: None,
    }
}

fn variables() -> Variables {
    Variables::from([("POSTGRES_USER".to_string(), "shop".to_string())])
}

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new("tests/fixtures/compose").join(kind).join(name)
}

fn convert(path: &Path) -> Result<Converted, Vec<Problem>> {
    let text = std::fs::read_to_string(path).expect("fixture");
    let read_file = |path: &Path| std::fs::read_to_string(path);
    let source = ComposeSource {
        path,
        text: &text,
        variables: &variables(),
        active_profiles: &[],
        read_file: &read_file,
    };
    compose::convert(&source, &context(), None)
}

fn lines(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("{problem}\n"))
        .collect()
}

fn expected(path: &Path) -> String {
    std::fs::read_to_string(path.with_extension("expected")).unwrap_or_default()
}

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/fixtures/compose").join(kind))
        .expect("fixture folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yml"))
        .map(|path| {
            Path::new("tests/fixtures/compose")
                .join(kind)
                .join(path.file_name().unwrap())
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn invalid_files_are_refused_with_their_expected_findings() {
    let paths = fixtures("invalid");
    assert!(paths.len() >= 10, "fixtures missing: {paths:?}");
    let mut mismatches = Vec::new();
    for path in paths {
        match convert(&path) {
            Ok(converted) => mismatches.push(format!(
                "{} was accepted as {:?}",
                path.display(),
                converted.task_definition.family
            )),
            Err(problems) => {
                let found = lines(&problems);
                if found != expected(&path) {
                    mismatches.push(format!(
                        "{}:\n--- found\n{found}--- expected\n{}",
                        path.display(),
                        expected(&path)
                    ));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn valid_files_warn_as_expected() {
    for path in fixtures("valid") {
        let converted = convert(&path)
            .unwrap_or_else(|problems| panic!("{} refused:\n{}", path.display(), lines(&problems)));
        assert_eq!(
            lines(&converted.warnings),
            expected(&path),
            "{}",
            path.display()
        );
    }
}

fn shop() -> TaskDefinition {
    convert(&fixture("valid", "shop.yml"))
        .expect("shop.yml converts")
        .task_definition
}

#[test]
fn services_become_containers_of_one_fargate_task() {
    let task = shop();
    assert_eq!(task.family, "ondeck-dev-shop");
    let names: Vec<&str> = task.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["api", "db", "migrate", "web"]);
    assert_eq!(
        task.execution_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ondeck-exec")
    );
    for container in &task.containers {
        assert_eq!(container.log_configuration.awslogs_group, "/ondeck/dev");
        assert_eq!(container.log_configuration.awslogs_region, "eu-west-1");
        assert_eq!(container.log_configuration.awslogs_stream_prefix, "ondeck");
    }
}

#[test]
fn the_task_size_is_the_smallest_that_holds_the_limits() {
    // cpu 0.5 + 0.25 = 768 units; memory 512 + 768 (api's reservation) = 1280 MiB.
    assert_eq!(
        shop().size,
        TaskSize {
            cpu: 1024,
            memory: 2048
        }
    );
    let minimal = convert(&fixture("valid", "minimal.yml"))
        .unwrap()
        .task_definition;
    assert_eq!(
        minimal.size,
        TaskSize {
            cpu: 256,
            memory: 512
        }
    );
}

#[test]
fn limits_and_reservations_become_container_cpu_and_memory() {
    let task = shop();
    let web = task.container("web").unwrap();
    assert_eq!(
        (web.cpu, web.memory, web.memory_reservation),
        (Some(512), Some(512), None)
    );
    let api = task.container("api").unwrap();
    assert_eq!(
        (api.cpu, api.memory, api.memory_reservation),
        (Some(256), Some(1024), Some(768))
    );
    assert_eq!(task.container("db").unwrap().memory, None);
}

#[test]
fn environment_merges_env_files_merge_keys_and_interpolation() {
    let task = shop();
    let web = task.container("web").unwrap();
    // The service's own `environment` replaces the merged one (YAML merges are shallow).
    assert_eq!(
        web.environment.get("LOG_LEVEL").map(String::as_str),
        Some("debug")
    );
    assert_eq!(web.environment.len(), 2);
    assert!(
        web.init_process_enabled,
        "init comes from the merged anchor"
    );
    assert_eq!(
        web.image, "ghcr.io/acme/web:1.4",
        "${{WEB_TAG:-1.4}} falls back to its default"
    );
    let api = task.container("api").unwrap();
    let env = |name: &str| api.environment.get(name).map(String::as_str);
    assert_eq!(
        env("DATABASE_URL"),
        Some("postgres://shop@localhost:5432/shop")
    );
    assert_eq!(
        env("CACHE_TTL"),
        Some("60"),
        "environment wins over env_file"
    );
    assert_eq!(
        env("VERSION"),
        Some("1.10"),
        "numbers keep their written form"
    );
    assert_eq!(env("FEATURES"), Some("search,cart"));
    let db = task.container("db").unwrap();
    assert_eq!(
        db.environment.get("POSTGRES_USER").map(String::as_str),
        Some("shop"),
        "taken from the variables"
    );
    assert_eq!(
        api.secrets.get("DB_PASSWORD").map(String::as_str),
        Some("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db")
    );
}

#[test]
fn commands_dependencies_and_health_checks() {
    let task = shop();
    let api = task.container("api").unwrap();
    assert_eq!(
        api.command.as_deref(),
        Some(&["serve".to_string(), "--port".into(), "3000".into()][..])
    );
    assert_eq!(
        api.entry_point.as_deref(),
        Some(
            &[
                "/docker-entrypoint.sh".to_string(),
                "--wait".into(),
                "db ready".into()
            ][..]
        )
    );
    let health = api.health_check.as_ref().unwrap();
    assert_eq!(
        health.command,
        [
            "CMD-SHELL",
            "curl -f http://localhost:3000/health || exit 1"
        ]
    );
    assert_eq!(
        (
            health.interval,
            health.timeout,
            health.retries,
            health.start_period
        ),
        (10, 3, 5, 90)
    );
    assert_eq!(api.stop_timeout, Some(20));
    assert_eq!(
        api.port_mappings,
        [PortMapping {
            container_port: 3000,
            protocol: Protocol::Tcp
        }]
    );
    let db = task.container("db").unwrap();
    assert_eq!(
        db.health_check.as_ref().unwrap().command,
        ["CMD-SHELL", "pg_isready -U postgres"]
    );
    assert_eq!(
        (
            db.capabilities_add.as_slice(),
            db.capabilities_drop.as_slice()
        ),
        (
            &["SYS_PTRACE".to_string()][..],
            &["NET_RAW".to_string()][..]
        )
    );
    let web = task.container("web").unwrap();
    assert_eq!(
        web.depends_on.get("api"),
        Some(&DependencyCondition::Healthy)
    );
    assert_eq!(
        web.depends_on.get("migrate"),
        Some(&DependencyCondition::Success)
    );
    assert_eq!(
        task.container("migrate").unwrap().depends_on.get("db"),
        Some(&DependencyCondition::Start)
    );
}

#[test]
fn a_service_others_wait_to_finish_is_not_essential() {
    let task = shop();
    let essential: Vec<(&str, bool)> = task
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.essential))
        .collect();
    assert_eq!(
        essential,
        [
            ("api", true),
            ("db", true),
            ("migrate", false),
            ("web", true)
        ]
    );
}

#[test]
fn the_same_services_written_differently_hash_the_same() {
    let reordered = convert(&fixture("valid", "reordered.yml"))
        .expect("reordered.yml")
        .task_definition;
    assert_eq!(reordered, shop());
    assert_eq!(content_hash(&reordered), content_hash(&shop()));
}

#[test]
fn services_of_inactive_profiles_are_left_out_and_active_ones_kept() {
    let path = fixture("valid", "warnings.yml");
    let without = convert(&path).unwrap().task_definition;
    assert!(without.container("debug").is_none());
    let text = std::fs::read_to_string(&path).unwrap();
    let read_file = |path: &Path| std::fs::read_to_string(path);
    let profiles = ["tools".to_string()];
    let source = ComposeSource {
        path: &path,
        text: &text,
        variables: &variables(),
        active_profiles: &profiles,
        read_file: &read_file,
    };
    let with = compose::convert(&source, &context(), None)
        .unwrap()
        .task_definition;
    assert_eq!(
        with.container("debug").map(|c| c.image.as_str()),
        Some("busybox")
    );
}

#[test]
fn a_size_asked_for_is_checked_and_must_hold_the_limits() {
    let path = fixture("valid", "shop.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let read_file = |path: &Path| std::fs::read_to_string(path);
    let source = ComposeSource {
        path: &path,
        text: &text,
        variables: &variables(),
        active_profiles: &[],
        read_file: &read_file,
    };
    let bigger = compose::convert(&source, &context(), Some((2048, 4096))).unwrap();
    assert_eq!(
        bigger.task_definition.size,
        TaskSize {
            cpu: 2048,
            memory: 4096
        }
    );
    let too_small = compose::convert(&source, &context(), Some((512, 1024))).unwrap_err();
    assert_eq!(
        lines(&too_small),
        "tests/fixtures/compose/valid/shop.yml:8:1: key `services`: the containers reserve 768 CPU units together, more than the task's 512; raise the task cpu or lower the containers' cpu\n\
         tests/fixtures/compose/valid/shop.yml:8:1: key `services`: the containers reserve 1280 MiB together, more than the task's 1024 MiB; raise the task memory or lower the containers' memory\n"
    );
    let invalid = compose::convert(&source, &context(), Some((1024, 1024))).unwrap_err();
    assert!(
        lines(&invalid).contains("cpu = 1024, memory = 1024 is not a Fargate task size"),
        "{}",
        lines(&invalid)
    );
}

#[test]
fn env_files_are_read_next_to_the_compose_file() {
    let path = Path::new("deploy/compose.yml");
    let text = "services:\n  web:\n    image: nginx\n    env_file: [web.env]\n";
    let read_file = |wanted: &Path| {
        assert_eq!(wanted, Path::new("deploy/web.env"));
        Ok("GREETING=hello\n".to_string())
    };
    let source = ComposeSource {
        path,
        text,
        variables: &Variables::new(),
        active_profiles: &[],
        read_file: &read_file,
    };
    let task = compose::convert(&source, &context(), None)
        .unwrap()
        .task_definition;
    assert_eq!(
        task.containers[0]
            .environment
            .get("GREETING")
            .map(String::as_str),
        Some("hello")
    );
}

#[test]
fn a_new_image_tag_from_the_environment_is_a_new_revision_and_a_one_line_diff() {
    let path = fixture("valid", "shop.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let read_file = |path: &Path| std::fs::read_to_string(path);
    let mut with_tag = variables();
    with_tag.insert("WEB_TAG".into(), "1.5".into());
    let source = ComposeSource {
        path: &path,
        text: &text,
        variables: &with_tag,
        active_profiles: &[],
        read_file: &read_file,
    };
    let wanted = compose::convert(&source, &context(), None)
        .unwrap()
        .task_definition;
    let registered = shop();
    assert_ne!(content_hash(&wanted), content_hash(&registered));
    assert_eq!(
        ondeck_templates::diff::render(&ondeck_templates::diff::diff(&registered, &wanted)),
        "~ web.image: \"ghcr.io/acme/web:1.4\" → \"ghcr.io/acme/web:1.5\"\n"
    );
}

#[test]
fn load_reads_the_file_and_says_when_it_cannot() {
    let task = compose::load(
        &fixture("valid", "shop.yml"),
        &variables(),
        &[],
        &context(),
        None,
    )
    .unwrap()
    .task_definition;
    assert_eq!(task, shop());
    let missing = compose::load(
        Path::new("deploy/nowhere.yml"),
        &variables(),
        &[],
        &context(),
        None,
    )
    .unwrap_err();
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0]
            .to_string()
            .starts_with("deploy/nowhere.yml: cannot read the compose file: "),
        "{}",
        missing[0]
    );
}
