//! Config files under tests/fixtures/config: every valid/ file loads, every invalid/ file
//! fails with exactly the message in its sibling `.expected` (the file path written as FILE).
//! `ONDECK_BLESS=1 cargo test --test config_fixtures` rewrites the `.expected` files.

use std::fs;
use std::path::{Path, PathBuf};

use ondeck_core::config::{self, Command, KeyCode, KeySpec};

const LOGIN: Option<&str> = Some("tester");

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

fn parse_file(path: &Path) -> Result<config::Config, config::ConfigError> {
    let text = fs::read_to_string(path).expect("fixture is readable");
    config::parse_with_login(path, &text, LOGIN)
}

#[test]
fn valid_fixtures_load() {
    let files = fixtures("valid");
    assert!(files.len() >= 4, "expected valid fixtures, found {files:?}");
    for path in files {
        if let Err(error) = parse_file(&path) {
            panic!("{} should load, but: {error}", path.display());
        }
    }
}

#[test]
fn invalid_fixtures_fail_with_the_expected_message() {
    let files = fixtures("invalid");
    assert!(
        files.len() >= 15,
        "expected 15+ invalid fixtures, found {}",
        files.len()
    );
    let bless = std::env::var_os("ONDECK_BLESS").is_some();
    let mut mismatches = Vec::new();
    for path in files {
        let error = match parse_file(&path) {
            Ok(_) => {
                mismatches.push(format!("{}: loaded, but should fail", path.display()));
                continue;
            }
            Err(error) => error,
        };
        assert!(error.line.is_some() && error.column.is_some(), "{error}");
        let actual = error
            .to_string()
            .replace(&path.display().to_string(), "FILE");
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, format!("{actual}\n")).expect("write .expected");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected.trim_end() == actual => {}
            Ok(expected) => mismatches.push(format!(
                "{}:\n  expected: {}\n  actual:   {actual}",
                path.display(),
                expected.trim_end()
            )),
            Err(_) => mismatches.push(format!(
                "{}: no .expected file; the message is: {actual}",
                path.display()
            )),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn minimal_profile_gets_the_documented_defaults() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/valid/minimal.toml");
    let config = parse_file(&path).unwrap();
    assert_eq!(config.default_profile, None);
    assert!(config.keymap.is_empty());
    let profile = config.profile(None).expect("the only profile is chosen");
    assert_eq!(profile.name, "dev");
    assert_eq!(profile.owner, "tester");
    assert_eq!(profile.aws_profile, None);
    assert_eq!(profile.endpoint_url, None);
    assert!(!profile.assign_public_ip);
    assert_eq!(profile.refresh_busy_secs, 2);
    assert_eq!(profile.refresh_steady_secs, 30);
    assert_eq!(profile.log_buffer_lines, 50_000);
    assert_eq!(profile.prices, None);
    assert_eq!(profile.exec_client, config::ExecClient::Native);
    assert!(profile.templates.is_empty());
}

#[test]
fn exec_client_comes_from_the_profile_else_the_top_level() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/valid/exec_client.toml");
    let config = parse_file(&path).unwrap();
    assert_eq!(
        config.profiles["plugin"].exec_client,
        config::ExecClient::Plugin
    );
    assert_eq!(
        config.profiles["native"].exec_client,
        config::ExecClient::Native
    );
}

#[test]
fn inline_tables_and_dotted_keys_read_like_headers() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config/valid/inline_and_dotted.toml");
    let config = parse_file(&path).unwrap();
    let profile = &config.profiles["dev"];
    let prices = profile.prices.expect("prices set");
    assert_eq!((prices.vcpu_hour, prices.gb_hour), (1.0, 0.5));
    assert_eq!(profile.templates["web"].env["app"]["PORT"], "8080");
    assert_eq!(
        config.keymap[&Command::Quit],
        KeySpec {
            code: KeyCode::Char('c'),
            ctrl: true,
            alt: false
        }
    );
    assert_eq!(
        config.keymap[&Command::Sort],
        KeySpec::plain(KeyCode::Char('S'))
    );
}

#[test]
fn the_example_config_parses_and_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = parse_file(&path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(config.default_profile.as_deref(), Some("dev"));
    assert_eq!(config.profile_names(), vec!["dev", "local"]);
    let local = &config.profiles["local"];
    assert_eq!(local.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
    let dev = &config.profiles["dev"];
    assert_eq!(dev.owner, "ana");
    assert_eq!(dev.templates["web"].task_definitions().len(), 3);
    assert_eq!(dev.templates["web"].ttl, Some(chrono::Duration::hours(8)));
    assert!(dev.templates["batch"].spot);
    assert_eq!(config.keymap[&Command::Destroy].to_string(), "ctrl-d");

    assert_eq!(config.profiles["local"].owner, "tester");

    let text = fs::read_to_string(&path).unwrap();
    for key in [
        "default_profile",
        "aws_profile",
        "region",
        "endpoint_url",
        "cluster",
        "owner",
        "subnets",
        "security_groups",
        "assign_public_ip",
        "refresh_busy_secs",
        "refresh_steady_secs",
        "log_buffer_lines",
        "exec_client",
        "vcpu_hour",
        "gb_hour",
        "description",
        "task_definitions",
        "ttl",
        "spot",
        "[keymap]",
        ".prices]",
        ".env.",
        "execution_role_arn",
        "task_role_arn",
        "log_group",
        "log_stream_prefix",
        "cpu",
        "memory",
        ".containers.",
        "compose",
        "compose_profiles",
    ] {
        assert!(
            text.contains(key),
            "config.example.toml does not show `{key}`"
        );
    }
    for command in config::Command::NAMES {
        assert!(
            text.contains(command),
            "config.example.toml does not list `{command}`"
        );
    }
}

#[test]
fn a_missing_file_names_the_path_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere.toml");
    let error = config::load(&path).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&path.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("create it from config.example.toml or pass --config PATH"),
        "{message}"
    );
}

#[test]
fn load_reads_the_file_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(
        &path,
        "[profiles.x]\nregion = \"eu-north-1\"\ncluster = \"c\"\nowner = \"o\"\n\
         subnets = [\"subnet-1\"]\nsecurity_groups = [\"sg-1\"]\n",
    )
    .unwrap();
    let config = config::load(&path).unwrap();
    assert_eq!(config.path, path);
    assert_eq!(config.profiles["x"].region, "eu-north-1");

    fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
    let error = config::load(&path).unwrap_err();
    assert!(error.message.contains("UTF-8"), "{error}");
}

#[test]
fn container_and_compose_templates_keep_their_source_size_and_the_profiles_roles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/valid");
    let config = parse_file(&dir.join("containers.toml")).unwrap();
    let profile = &config.profiles["dev"];
    assert_eq!(
        profile.execution_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
    );
    assert_eq!(
        profile.task_role_arn.as_deref(),
        Some("arn:aws-cn:iam::123456789012:role/path/shop-task")
    );
    assert_eq!(profile.log_group, "/teams/shop");
    assert_eq!(profile.log_stream_prefix, "shop");
    let shop = &profile.templates["shop"];
    assert_eq!(shop.source, config::TemplateSource::Containers);
    assert_eq!(shop.size, Some((1024, 2048)));
    assert!(shop.task_definitions().is_empty());

    let config = parse_file(&dir.join("compose.toml")).unwrap();
    let profile = &config.profiles["dev"];
    assert_eq!(
        profile.log_group, "/ondeck/dev",
        "the default names the profile"
    );
    assert_eq!(profile.log_stream_prefix, "ondeck");
    assert_eq!(profile.execution_role_arn, None);
    let site = &profile.templates["site"];
    assert_eq!(
        site.source,
        config::TemplateSource::Compose {
            path: dir.join("deploy/docker-compose.yml"),
            profiles: vec!["debug".into()],
        }
    );
    assert_eq!(site.size, Some((512, 1024)));
}
