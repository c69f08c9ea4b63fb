//! The CLI under injected faults between the SDK and moto: resets, 5xx, throttling, latency.
//! Each must end in a clear one-line answer in bounded time, or recover by itself.

mod support;

use std::process::Output;
use std::time::Duration;

use support::proxy::{Fault, Proxy};

struct Setup {
    dir: tempfile::TempDir,
    proxy: Proxy,
    config: std::path::PathBuf,
}

async fn setup(prefix: &str) -> Setup {
    let moto = support::moto();
    let cluster = support::unique(prefix);
    moto.cluster(&cluster, "ana").await;
    let proxy = Proxy::start(&moto.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let config = support::config_file(dir.path(), moto, &cluster, "ana", &proxy.endpoint);
    Setup { dir, proxy, config }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Output {
        support::ondeck(&self.config, &self.dir.path().join("state"))
            .args(args)
            .output()
            .unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn persistent_server_errors_fail_after_bounded_retries_with_one_line() {
    for fault in [Fault::Status(500), Fault::Status(503), Fault::Reset] {
        let s = setup("fault-5xx").await;
        s.proxy.inject(None, fault.clone(), None);
        let out = s.run(&["list"]);
        assert_eq!(out.status.code(), Some(1), "{fault:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert_eq!(message.lines().count(), 1, "{fault:?}: {message}");
        assert!(
            message.contains("ListTasks") || message.contains(&s.proxy.endpoint),
            "{fault:?}: {message}"
        );
        assert!(s.proxy.injected("ListTasks") > 0, "{fault:?} fired");
        assert!(
            s.proxy.count("ListTasks") <= 3,
            "bounded retries, not a storm: {:?}",
            s.proxy.counts()
        );
    }
}

#[tokio::test]
async fn transient_faults_are_retried_and_the_answer_arrives() {
    let s = setup("fault-retry").await;
    let launched = s.run(&["launch", "stack", "--name", "x"]);
    assert!(launched.status.success(), "{}", stderr(&launched));
    for fault in [Fault::Status(503), Fault::Reset, Fault::Throttle] {
        let injected = s.proxy.injected("ListTasks");
        s.proxy.inject(Some("ListTasks"), fault.clone(), Some(1));
        let out = s.run(&["list", "--json"]);
        assert!(out.status.success(), "{fault:?}: {}", stderr(&out));
        assert_eq!(
            s.proxy.injected("ListTasks"),
            injected + 1,
            "{fault:?} fired"
        );
        let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(listed[0]["name"], "x", "{fault:?}");
    }
}

#[tokio::test]
async fn persistent_throttling_says_so_after_bounded_retries() {
    let s = setup("fault-throttle").await;
    s.proxy.inject(Some("ListTasks"), Fault::Throttle, None);
    let out = s.run(&["list"]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("throttling ecs:ListTasks"), "{message}");
    assert!(s.proxy.injected("ListTasks") > 0, "the throttling fired");
    assert!(
        s.proxy.count("ListTasks") <= 3,
        "bounded retries: {:?}",
        s.proxy.counts()
    );
}

#[tokio::test]
async fn slow_answers_within_the_attempt_timeout_still_succeed() {
    let s = setup("fault-slow").await;
    s.proxy.inject(
        Some("ListTasks"),
        Fault::Delay(Duration::from_secs(5)),
        Some(2),
    );
    let out = s.run(&["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        s.proxy.injected("ListTasks"),
        2,
        "both ListTasks calls were delayed"
    );
}
