//! `ondeck logs` against moto's CloudWatch Logs: order, exactly once, late arrivals, follow,
//! `--container` and `--since`, sanitized output, and how errors end it or are retried.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;
use support::proxy::{Fault, Proxy};

struct Fixture {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    task_id: String,
}

impl Fixture {
    /// One instance `logs-1` of template `stack` (containers web and api) with empty streams.
    async fn new(prefix: &str) -> Fixture {
        let moto = support::moto();
        let cluster = support::unique(prefix);
        moto.cluster(&cluster, "ana").await;
        let dir = tempfile::tempdir().unwrap();
        let config = support::config_file(dir.path(), moto, &cluster, "ana", &moto.endpoint);
        let fixture = Fixture {
            task_id: String::new(),
            dir,
            config,
        };
        let out = fixture.run(&["launch", "stack", "--name", "logs-1"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed: Value =
            serde_json::from_slice(&fixture.run(&["list", "--json"]).stdout).unwrap();
        let arn = listed[0]["tasks"][0]["task_arn"]
            .as_str()
            .unwrap()
            .to_string();
        let task_id = arn.rsplit('/').next().unwrap().to_string();
        let logs = moto.logs().await;
        // Groups are per account and region; each test's streams are unique by task id.
        let _ = logs
            .create_log_group()
            .log_group_name("/ecs/web")
            .send()
            .await;
        for container in ["web", "api"] {
            logs.create_log_stream()
                .log_group_name("/ecs/web")
                .log_stream_name(format!("ecs/{container}/{task_id}"))
                .send()
                .await
                .unwrap();
        }
        Fixture { task_id, ..fixture }
    }

    /// A config for the same cluster through `proxy`.
    fn via(&self, proxy: &Proxy) -> std::path::PathBuf {
        let dir = self.dir.path().join(format!("via-{}", fastrand::u32(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = std::fs::read_to_string(&self.config)
            .unwrap()
            .lines()
            .find_map(|line| {
                line.strip_prefix("cluster = ")
                    .map(|c| c.trim_matches('"').to_string())
            })
            .unwrap();
        support::config_file(&dir, support::moto(), &cluster, "ana", &proxy.endpoint)
    }

    /// `ondeck ARGS` with the config `config` and this fixture's state.
    /// `ondeck logs logs-1 --follow --json` through `config`: the child, its stdout lines
    /// and its stderr lines.
    fn follow_json(
        &self,
        config: &std::path::Path,
    ) -> (KillOnDrop, mpsc::Receiver<String>, mpsc::Receiver<String>) {
        let mut child = KillOnDrop(
            self.command_with(config, &["logs", "logs-1", "--follow", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let out = lines_of(&mut child);
        let err = stderr_of(&mut child);
        (child, out, err)
    }

    fn command_with(&self, config: &std::path::Path, args: &[&str]) -> std::process::Command {
        let mut command = support::ondeck(config, &self.dir.path().join("state"));
        command.args(args);
        command
    }

    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = support::ondeck(&self.config, &self.dir.path().join("state"));
        command.args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    async fn put(&self, container: &str, lines: &[(i64, &str)]) {
        let logs = support::moto().logs().await;
        let mut request = logs
            .put_log_events()
            .log_group_name("/ecs/web")
            .log_stream_name(format!("ecs/{container}/{}", self.task_id));
        for (timestamp, message) in lines {
            request = request.log_events(
                InputLogEvent::builder()
                    .timestamp(*timestamp)
                    .message(*message)
                    .build()
                    .unwrap(),
            );
        }
        request.send().await.unwrap();
    }
}

/// The follower's stdout, line by line, as it comes.
fn lines_of(child: &mut KillOnDrop) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The message of the next JSON line, waiting at most `limit`.
fn message_of(rx: &mpsc::Receiver<String>, limit: Duration) -> String {
    let line = rx.recv_timeout(limit).expect("a line before the deadline");
    let event: Value = serde_json::from_str(&line).unwrap();
    event["message"].as_str().unwrap().to_string()
}

/// A follower that is stopped however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn messages(out: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).expect("one JSON object per line");
            (
                event["container"].as_str().unwrap().to_string(),
                event["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn lines_of_all_containers_interleave_by_time_exactly_once() {
    let fx = Fixture::new("logs-order").await;
    let t = now_ms() - 60_000;
    fx.put(
        "web",
        &[(t, "web one"), (t + 20, "web two"), (t + 40, "web three")],
    )
    .await;
    fx.put("api", &[(t + 10, "api one"), (t + 30, "api two")])
        .await;

    let out = fx.run(&["logs", "logs-1", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = messages(&out).into_iter().map(|(_, m)| m).collect();
    assert_eq!(
        got,
        ["web one", "api one", "web two", "api two", "web three"]
    );

    let web_only = fx.run(&["logs", "logs-1", "--json", "--container", "web"]);
    let got = messages(&web_only);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(container, _)| container == "web"));

    let unknown = fx.run(&["logs", "logs-1", "--container", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("web, api"));
}

#[tokio::test]
async fn since_limits_the_backfill() {
    let fx = Fixture::new("logs-since").await;
    let now = now_ms();
    fx.put(
        "web",
        &[
            (now - 3 * 3_600_000, "three hours ago"),
            (now - 120_000, "two minutes ago"),
            (now - 5_000, "five seconds ago"),
        ],
    )
    .await;
    // Seconds are a unit of --since (they are not of a TTL). moto's startTime is coarser than
    // CloudWatch's, so only what it must and must not return is checked.
    let out = fx.run(&["logs", "logs-1", "--json", "--since", "30s"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = messages(&out);
    assert!(got.iter().any(|(_, m)| m == "five seconds ago"), "{got:?}");
    assert!(!got.iter().any(|(_, m)| m == "three hours ago"), "{got:?}");
    let got = messages(&fx.run(&["logs", "logs-1", "--json", "--since", "10m"]));
    assert_eq!(got.len(), 2);
    let got = messages(&fx.run(&["logs", "logs-1", "--json", "--since", "1d"]));
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn follow_prints_late_arrivals_once_and_in_order() {
    let fx = Fixture::new("logs-follow").await;
    let t = now_ms() - 5_000;
    // moto's tokens skip the first event of a stream that was empty when read, so both
    // streams start with a line; CloudWatch itself has no such quirk.
    fx.put("web", &[(t, "before follow")]).await;
    fx.put("api", &[(t + 1, "api before follow")]).await;

    // Through a proxy that only counts, so the test knows when the follower read again.
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    let mut child = KillOnDrop(
        fx.command_with(&config, &["logs", "logs-1", "--follow", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = lines_of(&mut child);
    let next = |limit: Duration| message_of(&rx, limit);
    assert_eq!(next(Duration::from_secs(20)), "before follow");
    assert_eq!(next(Duration::from_secs(20)), "api before follow");

    let late = now_ms();
    fx.put("api", &[(late, "late api")]).await;
    fx.put("web", &[(late + 5, "late web")]).await;
    let mut got = vec![next(Duration::from_secs(20)), next(Duration::from_secs(20))];
    got.sort();
    assert_eq!(got, ["late api", "late web"]);
    // Nothing is delivered twice while the poller keeps reading.
    after_more_reads_of_every_stream(&proxy);
    assert!(rx.try_recv().is_err(), "a duplicate line arrived");
    drop(child);
}

#[tokio::test]
async fn escape_sequences_never_reach_the_output() {
    let fx = Fixture::new("logs-hostile").await;
    let t = now_ms() - 1_000;
    fx.put(
        "web",
        &[(
            t,
            "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\u{1b}[0m \u{9b}1mplain\u{1b}P1;1|x\u{1b}\\ text",
        )],
    )
    .await;
    let out = fx.run(&["logs", "logs-1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("red plain text"), "{text:?}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

#[tokio::test]
async fn a_follow_survives_the_server_going_away_without_losing_or_repeating_lines() {
    let fx = Fixture::new("logs-outage").await;
    let t = now_ms() - 5_000;
    fx.put("web", &[(t, "w0")]).await;
    fx.put("api", &[(t + 1, "a0")]).await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    let mut child = KillOnDrop(
        fx.command_with(&config, &["logs", "logs-1", "--follow", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rx = lines_of(&mut child);
    let next = |limit: Duration| message_of(&rx, limit);
    let mut seen = vec![next(Duration::from_secs(20)), next(Duration::from_secs(20))];

    // The server goes away: every connection is reset. Lines keep arriving at CloudWatch.
    proxy.inject(None, Fault::Reset, None);
    wait_until("a read turned away", Duration::from_secs(60), || {
        log_reads(&proxy, Proxy::injected) > 0
    });
    let outage = now_ms();
    for i in 1..=3 {
        fx.put("web", &[(outage + i, &format!("w{i}"))]).await;
        fx.put("api", &[(outage + 10 + i, &format!("a{i}"))]).await;
    }
    // The follower tries to read the new lines and is turned away.
    let resets = log_reads(&proxy, Proxy::injected);
    wait_until(
        "two reads turned away after the lines were written",
        Duration::from_secs(60),
        || log_reads(&proxy, Proxy::injected) >= resets + 2,
    );
    assert!(
        rx.try_recv().is_err(),
        "nothing can arrive while the server is away"
    );
    proxy.clear();

    while seen.len() < 8 {
        seen.push(next(Duration::from_secs(40)));
    }
    after_more_reads_of_every_stream(&proxy);
    assert!(rx.try_recv().is_err(), "a line came twice");
    seen.sort();
    assert_eq!(seen, ["a0", "a1", "a2", "a3", "w0", "w1", "w2", "w3"]);
}

/// Waits until `done`; panics naming `what` if that takes longer than `limit` (a deadline
/// against a hang, not a measure of speed).
fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "no {what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Returns once the follower has read its streams again, each of them more than once: a line
/// it was going to print again would be out by then. Reads go one at a time and are counted
/// as they reach the proxy, so four more means at least three answered.
fn after_more_reads_of_every_stream(proxy: &Proxy) {
    let reads = log_reads(proxy, Proxy::count);
    wait_until("four more reads", Duration::from_secs(60), || {
        log_reads(proxy, Proxy::count) >= reads + 4
    });
}

/// Reads of log lines by either call (`count` or `injected`): GetLogEvents reads back,
/// FilterLogEvents follows.
fn log_reads(proxy: &Proxy, by: fn(&Proxy, &str) -> usize) -> usize {
    by(proxy, "GetLogEvents") + by(proxy, "FilterLogEvents")
}

/// The command's output once it ends by itself. One that is still running after `limit` is
/// killed and fails the test: that is the hang these tests are about.
fn run_to_end(mut command: std::process::Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Lines of the follower's stderr, as they come.
fn stderr_of(child: &mut KillOnDrop) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a stderr line containing `needle`; returns the lines seen up to it.
fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {needle:?} within {limit:?}; saw {seen:#?}"),
        }
    }
}

#[tokio::test]
async fn a_lasting_error_ends_logs_with_exit_1_and_its_reason_with_or_without_follow() {
    let fx = Fixture::new("logs-lasting").await;
    fx.put("web", &[(now_ms() - 1_000, "a line")]).await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    let denied = Fault::aws_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/dev/ana is not authorized to perform: \
         logs:GetLogEvents",
    );
    let invalid = Fault::aws_error(
        "InvalidParameterException",
        "1 validation error detected: Value at 'logStreamName' failed to satisfy constraint",
    );
    let missing_group = Fault::aws_error(
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    );
    // A timestamp that is not a number: the answer cannot be decoded.
    let undecodable = Fault::Answer(
        200,
        r#"{"events":[{"timestamp":"soon","message":"x","ingestionTime":1}],"nextForwardToken":"f/1"}"#
            .into(),
    );
    let cases = [
        (denied, "ask for logs:GetLogEvents in your IAM policy"),
        (invalid, "validation error detected"),
        (missing_group, "log group /ecs/web not found"),
        (
            undecodable,
            "the answer to logs:GetLogEvents could not be read",
        ),
    ];
    for (fault, says) in cases {
        for follow in [false, true] {
            proxy.clear();
            proxy.inject(Some("GetLogEvents"), fault.clone(), None);
            let injected = proxy.injected("GetLogEvents");
            let mut args = vec!["logs", "logs-1"];
            if follow {
                args.push("--follow");
            }
            let out = run_to_end(fx.command_with(&config, &args), Duration::from_secs(60));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                proxy.injected("GetLogEvents") > injected,
                "the fault never fired: {stderr}"
            );
            assert_eq!(out.status.code(), Some(1), "{args:?} {fault:?}: {stderr}");
            assert!(stderr.contains(says), "{args:?}: {stderr}");
            assert!(!stderr.contains("ecs:GetLogEvents"), "{stderr}");
            assert!(stderr.contains("web"), "names the container: {stderr}");
        }
    }
    proxy.clear();
    let out = run_to_end(
        fx.command_with(&config, &["logs", "logs-1"]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("a line"));
}

#[tokio::test]
async fn a_follow_retries_trouble_on_the_way_and_says_so_on_stderr() {
    let fx = Fixture::new("logs-trouble").await;
    let t = now_ms() - 5_000;
    fx.put("web", &[(t, "w0")]).await;
    fx.put("api", &[(t + 1, "a0")]).await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    let (mut child, out, err) = fx.follow_json(&config);
    let mut seen = vec![
        message_of(&out, Duration::from_secs(20)),
        message_of(&out, Duration::from_secs(20)),
    ];

    // Following reads with FilterLogEvents.
    proxy.inject(Some("FilterLogEvents"), Fault::Status(503), None);
    wait_for_line(&err, "retrying (attempt 1)", Duration::from_secs(60));
    assert!(proxy.injected("FilterLogEvents") > 0, "the fault fired");
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "trouble on the way does not end a follow"
    );
    fx.put("web", &[(now_ms(), "w1")]).await;
    proxy.clear();
    seen.push(message_of(&out, Duration::from_secs(60)));
    wait_for_line(&err, "reading logs again", Duration::from_secs(20));
    seen.sort();
    assert_eq!(seen, ["a0", "w0", "w1"]);
}

#[tokio::test]
async fn a_follow_without_filter_permission_reads_stream_by_stream() {
    let fx = Fixture::new("logs-no-filter").await;
    let t = now_ms() - 5_000;
    fx.put("web", &[(t, "w0")]).await;
    fx.put("api", &[(t + 1, "a0")]).await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    // A policy written before ondeck followed with FilterLogEvents.
    let denied = Fault::aws_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/dev/ana is not authorized to perform: \
         logs:FilterLogEvents",
    );
    proxy.inject(Some("FilterLogEvents"), denied, None);
    let (mut child, out, err) = fx.follow_json(&config);
    let mut seen = vec![
        message_of(&out, Duration::from_secs(20)),
        message_of(&out, Duration::from_secs(20)),
    ];
    wait_until("a filter turned away", Duration::from_secs(60), || {
        proxy.injected("FilterLogEvents") > 0
    });
    fx.put("api", &[(now_ms(), "a1")]).await;
    seen.push(message_of(&out, Duration::from_secs(60)));
    seen.sort();
    assert_eq!(seen, ["a0", "a1", "w0"]);
    assert_eq!(
        proxy.injected("FilterLogEvents"),
        1,
        "the filter is not asked again"
    );
    assert!(child.0.try_wait().unwrap().is_none(), "still following");
    let said: Vec<String> = err.try_iter().collect();
    assert!(
        said.is_empty(),
        "reading stream by stream is no news: {said:?}"
    );
}

#[tokio::test]
async fn a_stream_that_does_not_exist_yet_is_awaited_quietly() {
    let fx = Fixture::new("logs-not-yet").await;
    let t = now_ms() - 5_000;
    fx.put("web", &[(t, "first web")]).await;
    fx.put("api", &[(t + 1, "first api")]).await;
    let proxy = Proxy::start(&support::moto().endpoint);
    let config = fx.via(&proxy);
    // What CloudWatch answers before a container's first line (moto itself names the group).
    let not_yet = Fault::aws_error(
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    );
    proxy.inject(Some("GetLogEvents"), not_yet, Some(6));
    let (mut child, out, err) = fx.follow_json(&config);
    let mut seen = vec![
        message_of(&out, Duration::from_secs(60)),
        message_of(&out, Duration::from_secs(60)),
    ];
    seen.sort();
    assert_eq!(seen, ["first api", "first web"]);
    assert_eq!(
        proxy.injected("GetLogEvents"),
        6,
        "every missing-stream answer was given before the lines came: {:?}",
        proxy.counts()
    );
    assert!(child.0.try_wait().unwrap().is_none(), "still following");
    let said: Vec<String> = err.try_iter().collect();
    assert!(said.is_empty(), "a missing stream is no news: {said:?}");
}
