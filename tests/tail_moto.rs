//! The log tail against moto's CloudWatch Logs through the real SDK client: a stream added
//! while it follows is read once, the streams it already followed are not repeated, and a quiet
//! follow reads every stream with one FilterLogEvents.

mod support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use ondeck_aws::SdkCloud;
use ondeck_core::model::LogStreamRef;
use ondeck_engine::tail::{TailMessage, TailSource, TailSpec, TailTiming, WhenFull, spawn_tail};
use support::proxy::Proxy;
use tokio::time::Instant;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Every tail message that comes within `limit` until `done` holds for the lines so far.
async fn tail_until(
    rx: &mut tokio::sync::mpsc::Receiver<TailMessage>,
    seen: &mut Vec<(u16, String)>,
    limit: Duration,
    done: impl Fn(&[(u16, String)]) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(seen) {
        let message = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no more lines within {limit:?}; saw {seen:?}"))
            .expect("the tail runs");
        if let TailMessage::Events(events) = message {
            seen.extend(events.into_iter().map(|e| (e.source, e.message)));
        }
    }
}

/// Waits until the proxy has seen `more` calls of `action` beyond `from`, by `deadline`.
async fn more_calls(proxy: &Proxy, action: &str, from: usize, more: usize, deadline: Instant) {
    while proxy.count(action) < from + more {
        assert!(Instant::now() < deadline, "no more {action}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The lines already delivered, added to `seen`; then all of them in order, to compare.
fn all_lines(
    rx: &mut tokio::sync::mpsc::Receiver<TailMessage>,
    mut seen: Vec<(u16, String)>,
) -> Vec<(u16, String)> {
    while let Ok(message) = rx.try_recv() {
        if let TailMessage::Events(events) = message {
            seen.extend(events.into_iter().map(|e| (e.source, e.message)));
        }
    }
    seen.sort();
    seen
}

fn owned(lines: &[(u16, &str)]) -> Vec<(u16, String)> {
    lines
        .iter()
        .map(|&(source, message)| (source, message.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_added_to_a_running_tail_is_read_once_and_the_others_are_not_repeated() {
    let moto = support::moto();
    let cluster = support::unique("logs-added");
    moto.cluster(&cluster, "ana").await;
    let logs = moto.logs().await;
    let _ = logs
        .create_log_group()
        .log_group_name("/ecs/web")
        .send()
        .await;
    let first = format!("ecs/web/{}", support::unique("first"));
    let added = format!("ecs/web/{}", support::unique("added"));
    let put = |stream: String, timestamp: i64, message: &'static str| {
        let logs = logs.clone();
        async move {
            logs.put_log_events()
                .log_group_name("/ecs/web")
                .log_stream_name(stream)
                .log_events(
                    InputLogEvent::builder()
                        .timestamp(timestamp)
                        .message(message)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        }
    };
    let create = |stream: String| {
        let logs = logs.clone();
        async move {
            logs.create_log_stream()
                .log_group_name("/ecs/web")
                .log_stream_name(stream)
                .send()
                .await
                .unwrap();
        }
    };
    let t = now_ms() - 10_000;
    create(first.clone()).await;
    put(first.clone(), t, "first before").await;

    // Through a proxy that only counts, so the test knows when the tail read again.
    let proxy = Proxy::start(&moto.endpoint);
    let cloud = SdkCloud::connect(&moto.profile(&cluster, "ana", &proxy.endpoint)).await;
    let source = |index: u16, stream: &str| TailSource {
        index,
        container: format!("container-{index}"),
        stream: LogStreamRef {
            group: "/ecs/web".into(),
            stream: stream.into(),
        },
        creates_group: false,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(1_000);
    let tail = spawn_tail(
        Arc::new(cloud),
        TailSpec {
            sources: vec![source(0, &first)],
            since: None,
            backfill_limit: 100,
            follow: true,
            prefer_live: true,
            timing: TailTiming::default(),
            when_full: WhenFull::Wait,
        },
        tx,
    );
    let mut seen = Vec::new();
    let limit = Duration::from_secs(30);
    tail_until(&mut rx, &mut seen, limit, |seen| !seen.is_empty()).await;

    // A new task's container starts logging while the tail follows the first stream.
    create(added.clone()).await;
    put(added.clone(), t + 1, "added one").await;
    put(added.clone(), t + 2, "added two").await;
    put(first.clone(), now_ms(), "first while").await;
    tail.add_sources(vec![source(1, &added), source(0, &first)]);
    tail_until(&mut rx, &mut seen, limit, |seen| seen.len() >= 4).await;
    put(added.clone(), now_ms(), "added live").await;
    tail_until(&mut rx, &mut seen, limit, |seen| seen.len() >= 5).await;

    // Nothing comes twice while the tail keeps reading both streams.
    let deadline = Instant::now() + Duration::from_secs(60);
    let reads = proxy.count("FilterLogEvents");
    more_calls(&proxy, "FilterLogEvents", reads, 4, deadline).await;
    assert_eq!(
        all_lines(&mut rx, seen),
        owned(&[
            (0, "first before"),
            (0, "first while"),
            (1, "added live"),
            (1, "added one"),
            (1, "added two"),
        ]),
        "each line exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_follow_reads_every_stream_with_one_filter_and_finds_the_next_line() {
    let moto = support::moto();
    let cluster = support::unique("logs-filter");
    moto.cluster(&cluster, "ana").await;
    let logs = moto.logs().await;
    let _ = logs
        .create_log_group()
        .log_group_name("/ecs/web")
        .send()
        .await;
    let streams = [
        format!("ecs/web/{}", support::unique("web")),
        format!("ecs/api/{}", support::unique("api")),
    ];
    let put = |stream: &str, timestamp: i64, message: &str| {
        logs.put_log_events()
            .log_group_name("/ecs/web")
            .log_stream_name(stream)
            .log_events(
                InputLogEvent::builder()
                    .timestamp(timestamp)
                    .message(message)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    for stream in &streams {
        logs.create_log_stream()
            .log_group_name("/ecs/web")
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
    }
    put(&streams[0], now_ms() - 5_000, "web before")
        .await
        .unwrap();
    put(&streams[1], now_ms() - 4_000, "api before")
        .await
        .unwrap();

    let proxy = Proxy::start(&moto.endpoint);
    let cloud = SdkCloud::connect(&moto.profile(&cluster, "ana", &proxy.endpoint)).await;
    let sources = streams
        .iter()
        .enumerate()
        .map(|(index, stream)| TailSource {
            index: index as u16,
            container: format!("container-{index}"),
            stream: LogStreamRef {
                group: "/ecs/web".into(),
                stream: stream.clone(),
            },
            creates_group: false,
        })
        .collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1_000);
    let _tail = spawn_tail(
        Arc::new(cloud),
        TailSpec {
            sources,
            since: None,
            backfill_limit: 100,
            follow: true,
            prefer_live: true,
            timing: TailTiming::default(),
            when_full: WhenFull::Wait,
        },
        tx,
    );
    let mut seen = Vec::new();
    let limit = Duration::from_secs(30);
    tail_until(&mut rx, &mut seen, limit, |seen| seen.len() >= 2).await;

    // A quiet spell: only FilterLogEvents goes out, one call for both streams each time.
    let backfill = proxy.count("GetLogEvents");
    assert_eq!(
        backfill,
        2,
        "one backfill read per stream: {:?}",
        proxy.counts()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let filters = proxy.count("FilterLogEvents");
    more_calls(&proxy, "FilterLogEvents", filters, 5, deadline).await;
    assert_eq!(
        proxy.count("GetLogEvents"),
        backfill,
        "{:?}",
        proxy.counts()
    );

    // The next line of either stream arrives, and nothing comes twice.
    put(&streams[1], now_ms(), "api after the quiet")
        .await
        .unwrap();
    tail_until(&mut rx, &mut seen, limit, |seen| seen.len() >= 3).await;
    let filters = proxy.count("FilterLogEvents");
    more_calls(&proxy, "FilterLogEvents", filters, 3, deadline).await;
    assert_eq!(
        all_lines(&mut rx, seen),
        owned(&[
            (0, "web before"),
            (1, "api after the quiet"),
            (1, "api before")
        ]),
        "each line exactly once"
    );
}
