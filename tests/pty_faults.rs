//! The dashboard under injected faults (a loopback proxy between the SDK and moto): slow AWS,
//! 5xx answers and throttling. Keys stay answered, the screen says what is going on, requests
//! do not pile up, and it recovers when the fault clears.

mod pty;
mod support;

use std::time::{Duration, Instant};

use pty::{Pty, PtyBuilder};
use support::proxy::{Fault, Proxy};

const LIMIT: Duration = Duration::from_secs(20);

struct Rig {
    _dir: tempfile::TempDir,
    proxy: Proxy,
    pty: Pty,
}

/// A cluster with one instance `steady`, and the dashboard talking to it through a proxy
/// that already injects `fault` on every request.
async fn rig(prefix: &str, fault: Option<Fault>) -> Rig {
    let moto = support::moto();
    let cluster = support::unique(prefix);
    moto.cluster(&cluster, "ana").await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let direct = support::config_file(dir.path(), moto, &cluster, "ana", &moto.endpoint);
    let out = support::ondeck(&direct, &state)
        .args(["launch", "stack", "--name", "steady"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let proxy = Proxy::start(&moto.endpoint);
    if let Some(fault) = fault {
        proxy.inject(None, fault, None);
    }
    let proxied_dir = dir.path().join("proxied");
    std::fs::create_dir_all(&proxied_dir).unwrap();
    let config = support::config_file(&proxied_dir, moto, &cluster, "ana", &proxy.endpoint);
    std::fs::create_dir_all(&state).unwrap();
    let pty = PtyBuilder::new(100, 30, &state)
        .env("ONDECK_CONFIG", &config)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .spawn_ondeck(&[]);
    Rig {
        _dir: dir,
        proxy,
        pty,
    }
}

#[tokio::test]
async fn slow_aws_never_freezes_the_keys_and_requests_do_not_pile_up() {
    let mut rig = rig("slow", Some(Fault::Delay(Duration::from_secs(6)))).await;
    rig.pty.wait_for_text("waiting for AWS", LIMIT);

    // The help overlay answers a key at once although AWS has not answered yet.
    let asked = Instant::now();
    rig.pty.send_keys("?");
    rig.pty.wait_for_text("this help", LIMIT);
    let answered = asked.elapsed();
    assert!(
        answered < Duration::from_millis(500),
        "help took {answered:?} while AWS was slow"
    );
    rig.pty.send_keys("\x1b");

    // Refresh keys pressed while one refresh is out add no requests of their own.
    for _ in 0..5 {
        rig.pty.send_keys("r");
    }
    rig.pty.wait_for_text("steady", Duration::from_secs(40));
    let lists = rig.proxy.count("ListTasks");
    assert!(
        lists <= 4,
        "one refresh at a time (two ListTasks each): {:?}",
        rig.proxy.counts()
    );
    rig.pty.send_keys("q");
    assert!(rig.pty.wait_for_exit(LIMIT).success());
}

#[tokio::test]
async fn server_errors_show_a_message_keep_nothing_stale_and_recover() {
    let mut rig = rig("errors", None).await;
    rig.pty.wait_for_text("steady", LIMIT);

    rig.proxy
        .inject(Some("ListTasks"), Fault::Status(503), None);
    rig.pty.send_keys("r");
    let screen = rig.pty.wait_for("the error", LIMIT, |screen| {
        screen.contains("ServerException")
    });
    assert!(
        screen.contains("steady"),
        "stale data stays on screen:\n{screen}"
    );

    rig.proxy.clear();
    rig.pty.send_keys("r");
    rig.pty.wait_for("recovery", LIMIT, |screen| {
        !screen.contains("ServerException") && screen.contains("steady")
    });
    rig.pty.send_keys("q");
    assert!(rig.pty.wait_for_exit(LIMIT).success());
}

#[tokio::test]
async fn throttling_is_visible_and_recovers() {
    let mut rig = rig("throttle", None).await;
    rig.pty.wait_for_text("steady", LIMIT);

    rig.proxy.inject(Some("ListTasks"), Fault::Throttle, None);
    rig.pty.send_keys("r");
    rig.pty.wait_for_text("throttling", Duration::from_secs(40));
    let throttled = rig.proxy.count("ListTasks");

    rig.proxy.clear();
    rig.pty.send_keys("r");
    rig.pty
        .wait_for("recovery", LIMIT, |screen| !screen.contains("throttling"));
    assert!(
        rig.proxy.count("ListTasks") - throttled <= 3,
        "recovered with one refresh: {:?}",
        rig.proxy.counts()
    );
    rig.pty.send_keys("q");
    assert!(rig.pty.wait_for_exit(LIMIT).success());
}
