//! Streams added while the tail follows: each backfilled once on its own, the others not read
//! again, one dedupe across all of them.
use super::*;

/// Each GetLogEvents call for `stream`: (seconds since start, asked for its last lines).
fn reads_of(cloud: &FakeCloud, stream: &str) -> Vec<(f64, bool)> {
    let state = cloud.state();
    let filtered = state
        .filters
        .iter()
        .filter(|(_, filter)| filter.streams.iter().any(|s| s == stream))
        .map(|(at, _)| (at.as_secs_f64(), false));
    let mut reads: Vec<_> = state
        .calls
        .iter()
        .filter(|(_, query)| query.stream.stream == stream)
        .map(|(at, query)| (at.as_secs_f64(), !query.start_from_head))
        .chain(filtered)
        .collect();
    reads.sort_by(|a, b| a.0.total_cmp(&b.0));
    reads
}

/// Delivered lines by source and time: across streams the order depends on which was read first.
fn sorted_lines(messages: &[TailMessage]) -> Vec<(u16, i64, String)> {
    let mut lines = lines(messages);
    lines.sort();
    lines
}

fn backfills_done(messages: &[TailMessage]) -> usize {
    messages
        .iter()
        .filter(|m| **m == TailMessage::BackfillDone)
        .count()
}

#[tokio::test(start_paused = true)]
async fn a_stream_added_while_polling_is_backfilled_once_and_the_others_are_not_read_again() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "a before");
    let (handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));
    sleep_secs(2.5).await;
    cloud.log("a", 2_000, "a while");
    cloud.log("b", 500, "b early");
    cloud.log("b", 1_500, "b backlog");
    // `a` again is already followed: skipped, not read from the start.
    handle.add_sources(vec![source(1, "b"), source(0, "a")]);
    sleep_secs(0.1).await;
    assert_eq!(reads_of(&cloud, "b"), [(2.5, true)], "b's own backfill");

    cloud.log("b", 5_000, "b live");
    cloud.log("a", 5_001, "a live");
    sleep_secs(5.0).await;
    let a_reads = reads_of(&cloud, "a");
    assert_eq!(a_reads[0], (0.0, true));
    assert!(
        a_reads[1..].iter().all(|(_, tail)| !tail),
        "a is only read on from its cursor: {a_reads:?}"
    );
    assert!(
        cloud
            .calls()
            .iter()
            .filter(|query| query.stream.stream == "a")
            .skip(1)
            .all(|query| query.next_token.is_some()),
        "{:?}",
        cloud.calls()
    );
    let messages = drain(&mut rx);
    assert_eq!(
        sorted_lines(&messages),
        [
            (0, 1_000, "a before".into()),
            (0, 2_000, "a while".into()),
            (0, 5_001, "a live".into()),
            (1, 500, "b early".into()),
            (1, 1_500, "b backlog".into()),
            (1, 5_000, "b live".into()),
        ]
    );
    assert_eq!(backfills_done(&messages), 1, "the first backfill only");
}

#[tokio::test(start_paused = true)]
async fn a_stream_added_under_live_tail_renews_the_session_and_each_line_comes_once() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "a before");
    let (handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(1.0).await;
    cloud.log("b", 500, "b backlog");
    // Ingested as the new session opens: in its first update and in b's backfill.
    cloud.log("b", 1_500, "b at the seam");
    cloud.state().live_greeting = vec![("b".into(), raw(1_500, "b at the seam"))];
    handle.add_sources(vec![source(1, "b")]);
    sleep_secs(0.1).await;
    {
        let state = cloud.state();
        assert_eq!(state.live_calls.len(), 2);
        assert_eq!(state.sessions[1].streams, ["a", "b"]);
        assert_eq!(state.sessions[1].group, GROUP);
    }
    assert_eq!(cloud.open_sessions(), 2, "the first overlaps its successor");
    // Both sessions bring it.
    cloud.log("a", 2_000, "a in the overlap");
    cloud.log("b", 2_001, "b live");
    sleep_secs(10.0).await;
    assert!(!cloud.state().sessions[0].is_open(), "the first retired");
    cloud.log("a", 12_000, "a after");
    sleep_secs(1.0).await;

    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [
            (0, 1_000, "a before".into()),
            (1, 500, "b backlog".into()),
            (1, 1_500, "b at the seam".into()),
            (0, 2_000, "a in the overlap".into()),
            (1, 2_001, "b live".into()),
            (0, 12_000, "a after".into()),
        ]
    );
    assert_eq!(reads_of(&cloud, "a"), [(0.0, true)], "a is not read again");
    assert_eq!(
        reads_of(&cloud, "b"),
        [(1.0, true)],
        "b is read once, then live"
    );
    assert!(
        healths(&messages)
            .iter()
            .all(|h| !matches!(h, StreamHealth::Polling { .. })),
        "{:?}",
        healths(&messages)
    );
}

#[tokio::test(start_paused = true)]
async fn an_added_stream_is_polled_until_a_renewal_covers_it() {
    let cloud = FakeCloud::new();
    cloud.create_stream("a");
    let (handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(1.0).await;
    cloud.log("b", 500, "b backlog");
    cloud.state().live_refusals.push_back(CloudError::Timeout {
        action: "logs:StartLiveTail".into(),
    });
    handle.add_sources(vec![source(1, "b")]);
    sleep_secs(0.5).await;
    assert_eq!(cloud.open_sessions(), 1, "the first session still covers a");
    cloud.log("b", 1_600, "b polled");
    cloud.log("a", 1_601, "a live");
    sleep_secs(5.0).await;
    {
        let state = cloud.state();
        let opened: Vec<f64> = state.live_calls.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(opened, [0.0, 1.0, 3.0], "renewed again after a backoff");
        assert_eq!(state.sessions[1].streams, ["a", "b"]);
    }
    let b_reads: Vec<f64> = reads_of(&cloud, "b").iter().map(|(at, _)| *at).collect();
    assert_eq!(
        b_reads,
        [1.0, 2.0, 3.0],
        "backfill, a poll, and one more as the session began"
    );
    cloud.log("b", 10_000, "b live");
    sleep_secs(10.0).await;
    assert_eq!(reads_of(&cloud, "b").len(), 3, "no polling once live");

    let messages = drain(&mut rx);
    assert_eq!(
        sorted_lines(&messages),
        [
            (0, 1_601, "a live".into()),
            (1, 500, "b backlog".into()),
            (1, 1_600, "b polled".into()),
            (1, 10_000, "b live".into()),
        ]
    );
    let healths = healths(&messages);
    assert!(healths.contains(&polling(1)), "{healths:?}");
    assert_eq!(healths.last(), Some(&StreamHealth::Live { sampled: false }));
}
