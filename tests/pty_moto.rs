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
async fn the_dashboard_follows_what_the_cli_does() {
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
