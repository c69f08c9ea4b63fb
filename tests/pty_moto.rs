//! The dashboard on the SDK path, against moto: it shows what the CLI launched, and after a
//! refresh, what the CLI destroyed.

mod pty;
mod support;

use std::time::Duration;

use pty::PtyBuilder;

const SHORT: Duration = Duration::from_secs(15);

/// The instances-table line that names `name`.
fn row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        line.split(|c: char| c.is_whitespace() || c == '│' || c == '›')
            .any(|word| word == name)
    })
}

#[tokio::test]
async fn a_cli_launch_shows_running_and_a_cli_destroy_shows_stopped_after_r() {
    let moto = support::moto();
    let cluster = support::unique("pty");
    moto.cluster(&cluster, "ana").await;
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), moto, &cluster, "ana", &moto.endpoint);
    let state = dir.path().join("state");

    let launched = support::ondeck(&config, &state)
        .args(["launch", "stack", "--name", "via-cli"])
        .output()
        .expect("run ondeck launch");
    assert!(
        launched.status.success(),
        "{}",
        String::from_utf8_lossy(&launched.stderr)
    );

    std::fs::create_dir_all(&state).unwrap();
    let mut pty = PtyBuilder::new(120, 30, &state)
        .env("ONDECK_CONFIG", &config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck(&[]);
    pty.wait_for("via-cli RUNNING", SHORT, |screen| {
        row(screen, "via-cli").is_some_and(|line| line.contains("RUNNING"))
    });
    let screen = pty.screen_text();
    assert!(
        row(&screen, "via-cli").is_some_and(|line| line.contains("stack")),
        "from the stack template:\n{screen}"
    );

    let destroyed = support::ondeck(&config, &state)
        .args(["destroy", "via-cli", "--yes"])
        .output()
        .expect("run ondeck destroy");
    assert!(
        destroyed.status.success(),
        "{}",
        String::from_utf8_lossy(&destroyed.stderr)
    );
    // Steady polling is every 30 s: only the refresh key brings the change in time.
    pty.send_keys("r");
    pty.wait_for("via-cli STOPPED", SHORT, |screen| {
        row(screen, "via-cli").is_some_and(|line| line.contains("STOPPED"))
    });

    pty.send_keys("q");
    assert!(pty.wait_for_exit(SHORT).success());
}

/// What `list --json` says of each task's desired status, as `owner` sees everyone.
fn desired(config: &std::path::Path, state: &std::path::Path) -> Vec<String> {
    let out = support::ondeck(config, state)
        .args(["list", "--json", "--all-owners"])
        .output()
        .expect("run ondeck list");
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    listed
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["tasks"].as_array().unwrap().clone())
        .map(|t| t["desired_status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn destroying_another_owners_instance_takes_its_name_typed_out() {
    let moto = support::moto();
    let cluster = support::unique("pty-confirm");
    moto.cluster(&cluster, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let alice = support::config_file(dir.path(), moto, &cluster, "alice", &moto.endpoint);
    let bob = support::config_file(dir.path(), moto, &cluster, "bob", &moto.endpoint);
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let launched = support::ondeck(&alice, &state)
        .args(["launch", "stack", "--name", "one"])
        .output()
        .expect("run ondeck launch");
    assert!(launched.status.success());

    let destroy = || {
        PtyBuilder::new(100, 20, &state)
            .env("ONDECK_CONFIG", &bob)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .spawn_ondeck(&["destroy", "alice/one", "--all-owners"])
    };
    // A `y` is not enough for someone else's instance.
    let mut pty = destroy();
    let screen = pty.wait_for("the typed-name question", SHORT, |screen| {
        screen.contains("to destroy it:")
    });
    assert!(
        screen.contains("alice's instance one") && screen.contains("belongs to alice"),
        "{screen}"
    );
    pty.send_keys("y\r");
    assert_eq!(pty.wait_for_exit(SHORT).exit_code(), 1);
    pty.wait_for_text("left as it was", SHORT);
    assert_eq!(desired(&bob, &state), vec!["RUNNING"]);

    let mut pty = destroy();
    pty.wait_for_text("to destroy it:", SHORT);
    pty.send_keys("one\r");
    assert!(pty.wait_for_exit(SHORT).success(), "{}", pty.screen_text());
    assert_eq!(desired(&bob, &state), vec!["STOPPED"]);
}

#[tokio::test]
async fn a_journal_with_bad_lines_is_kept_and_the_skipped_lines_are_counted_on_screen() {
    let moto = support::moto();
    let cluster = support::unique("pty");
    moto.cluster(&cluster, "ana").await;
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), moto, &cluster, "ana", &moto.endpoint);
    let state = dir.path().join("state");
    // The profile is `test`. (The demo starts its journal afresh, so this takes a real one.)
    let journal = state.join("timeline/test.jsonl");
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/journal/bad_lines.jsonl"),
        &journal,
    )
    .unwrap();
    let mut pty = PtyBuilder::new(100, 30, &state)
        .env("ONDECK_CONFIG", &config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck(&[]);
    // Said at start, and still there once the table is in.
    pty.wait_for("the table and the count", SHORT, |screen| {
        screen.contains("timeline journal: skipped 4 unreadable lines, kept the rest")
            && screen.contains("No instances")
    });
    pty.send_keys("q");
    assert!(pty.wait_for_exit(SHORT).success());
}
