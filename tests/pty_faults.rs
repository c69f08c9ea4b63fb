//! The dashboard under injected faults (a loopback proxy between the SDK and moto): slow AWS,
//! 5xx answers and throttling. Keys stay answered, the screen says what is going on, requests
//! do not pile up, and it recovers when the fault clears.

mod pty;
mod support;

use std::time::Duration;

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
async fn keys_are_answered_while_aws_has_not_and_refresh_keys_add_no_requests() {
    // Every request waits at the proxy until the test lets it through: AWS as slow as it
    // gets, with no clock in the test.
    let mut rig = rig("slow", Some(Fault::Hold)).await;
    rig.pty.wait_for_text("waiting for AWS", LIMIT);
    assert!(
        rig.proxy.held() > 0,
        "a request is out: {:?}",
        rig.proxy.counts()
    );

    // The help overlay answers a key although AWS has not answered yet.
    rig.pty.send_keys("?");
    rig.pty.wait_for_text("this help", LIMIT);
    assert!(
        rig.proxy.held() > 0,
        "help was drawn while AWS still had not answered"
    );
    rig.pty.send_keys("\x1b");
    rig.pty.wait_for("the help closed", LIMIT, |screen| {
        !screen.contains("this help")
    });

    // Refresh keys pressed while one refresh is out add no requests of their own. The help
    // opened after them shows they were read.
    let lists = rig.proxy.count("ListTasks");
    for _ in 0..5 {
        rig.pty.send_keys("r");
    }
    rig.pty.send_keys("?");
    rig.pty.wait_for_text("this help", LIMIT);
    rig.pty.send_keys("\x1b");
    assert_eq!(
        rig.proxy.count("ListTasks"),
        lists,
        "one refresh at a time: {:?}",
        rig.proxy.counts()
    );
    assert_eq!(
        rig.proxy.injected("ListTasks"),
        lists,
        "every ListTasks was held"
    );

    rig.proxy.release();
    rig.pty.wait_for_text("steady", LIMIT);
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
    assert!(rig.proxy.injected("ListTasks") > 0, "the 503 was answered");
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
async fn throttling_is_shown_and_one_refresh_after_it_clears_recovers() {
    let mut rig = rig("throttle", None).await;
    rig.pty.wait_for_text("steady", LIMIT);

    rig.proxy.inject(Some("ListTasks"), Fault::Throttle, None);
    rig.pty.send_keys("r");
    rig.pty.wait_for_text("throttling", Duration::from_secs(40));
    assert!(
        rig.proxy.injected("ListTasks") > 0,
        "throttling was answered"
    );
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
