//! `ondeck config check` through the real binary on the configs under
//! tests/fixtures/config/check: each run's exit code, stdout and stderr must be exactly its
//! sibling `.expected` (the fixture folder written as DIR). These configs parse; what is
//! wrong is found by converting their container and compose templates.
//! `ONDECK_BLESS=1 cargo test --test config_fixtures_check` rewrites the `.expected` files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ONDECK: &str = env!("CARGO_BIN_EXE_ondeck");

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/check")
}

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture folder")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// `ondeck --config PATH config check` with nothing of the caller's settings, as the
/// `.expected` text.
fn config_check(config: &Path) -> (Option<i32>, String) {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(ONDECK)
        .args(["--config", config.to_str().unwrap(), "config", "check"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("USER", "tester")
        .env("HOME", state.path())
        .env("ONDECK_STATE_DIR", state.path())
        .stdin(Stdio::null())
        .output()
        .expect("ondeck runs");
    let text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output
            .status
            .code()
            .map_or("by signal".into(), |code| code.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    )
    .replace(&fixture_dir().display().to_string(), "DIR");
    (output.status.code(), text)
}

#[test]
fn config_check_reports_every_template_problem_with_where_and_the_fix() {
    let files = fixtures();
    assert!(files.len() >= 6, "expected check fixtures, found {files:?}");
    let bless = std::env::var_os("ONDECK_BLESS").is_some();
    let mut mismatches = Vec::new();
    for path in files {
        let (code, actual) = config_check(&path);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &actual).expect("write .expected");
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            ));
        }
        // Bad config is exit 2; a config that only earns warnings is fine.
        let valid = actual.contains("--- stdout\nDIR/");
        assert_eq!(code, Some(if valid { 0 } else { 2 }), "{actual}");
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn refused_compose_keys_are_each_named_with_line_and_service() {
    let (code, said) = config_check(&fixture_dir().join("compose_refused.toml"));
    assert_eq!(code, Some(2), "{said}");
    for (line, service, key) in [
        (3, "web", "build"),
        (9, "agent", "privileged"),
        (10, "agent", "network_mode"),
        (11, "agent", "volumes"),
        (13, "agent", "links"),
    ] {
        let located = format!("DIR/compose_refused.yml:{line}:");
        let found = said.lines().any(|text| {
            text.contains(&located)
                && text.contains(&format!("service `{service}`"))
                && text.contains(key)
        });
        assert!(found, "no line for {service}.{key} at line {line}:\n{said}");
    }
}

/// The example's commented block starting at `header`, uncommented: up to the first blank
/// line.
fn uncommented_example(example: &str, header: &str) -> String {
    let start = example
        .find(&format!("# {header}\n"))
        .unwrap_or_else(|| panic!("config.example.toml shows `{header}`"));
    example[start..]
        .lines()
        .take_while(|line| !line.is_empty())
        .map(|line| {
            line.strip_prefix("# ")
                .unwrap_or(line.trim_start_matches('#'))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_examples_container_and_compose_templates_register_as_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = fs::read_to_string(root.join("config.example.toml")).unwrap();
    let shop = uncommented_example(&example, "[profiles.dev.templates.shop]");
    let site = uncommented_example(&example, "[profiles.dev.templates.site]");
    for key in ondeck_templates::toml_template::CONTAINER_KEYS
        .iter()
        .chain(ondeck_templates::toml_template::HEALTH_KEYS)
    {
        assert!(
            shop.contains(&format!("{key} = ")) || shop.contains(&format!(" {key} = ")),
            "the containers example does not show `{key}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("deploy")).unwrap();
    fs::write(
        dir.path().join("deploy/docker-compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .unwrap();
    let path = dir.path().join("config.toml");
    let text = format!("{example}\n{shop}\n\n{site}\n");
    fs::write(&path, &text).unwrap();
    let config = ondeck_core::config::parse_with_login(&path, &text, Some("tester"))
        .unwrap_or_else(|error| panic!("{error}"));
    let dev = &config.profiles["dev"];
    let convert = |name: &str| {
        ondeck_engine::templates::template_task_definition(&config, dev, &dev.templates[name])
            .unwrap_or_else(|problems| panic!("{problems:#?}"))
            .task_definition
    };
    let shop = convert("shop");
    assert_eq!(shop.family, "ondeck-dev-shop");
    assert_eq!((shop.size.cpu, shop.size.memory), (1024, 2048));
    assert_eq!(shop.containers.len(), 3);
    assert_eq!(
        shop.task_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ondeck-dev-task")
    );
    let site = convert("site");
    assert_eq!((site.size.cpu, site.size.memory), (512, 1024));
    assert_eq!(
        site.containers[0].log_configuration.awslogs_group,
        "/ondeck/dev"
    );
}
