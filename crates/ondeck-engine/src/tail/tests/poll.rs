use super::*;

#[tokio::test(start_paused = true)]
async fn one_filter_follows_every_stream_each_second_however_long_they_are_quiet() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud.log("b", 1_200, "from b");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(7, "a"), source(8, "b")], false));

    sleep_secs(30.5).await;
    // The backfill reads each stream; then one FilterLogEvents a second covers both.
    assert_eq!(cloud.call_times(), [0.0, 0.0]);
    let backfill = &cloud.calls()[0];
    assert!(!backfill.start_from_head);
    assert_eq!(backfill.limit, Some(100));
    let expected: Vec<f64> = (1..=30).map(f64::from).collect();
    assert_eq!(cloud.filter_times(), expected);
    let filter = &cloud.filters()[0];
    assert_eq!(filter.group, GROUP);
    assert_eq!(filter.streams, ["a", "b"]);
    // From shortly before the newest line seen: what reached CloudWatch late is found.
    assert_eq!(filter.start_time, Some(1_200 - REREAD_OVERLAP_MS));
    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [(7, 1_000, "hello".to_string()), (8, 1_200, "from b".into())]
    );
    assert!(messages.contains(&TailMessage::BackfillDone));
    assert_eq!(healths(&messages), [StreamHealth::Starting, polling(1)]);

    // After the quiet spell, the next line is read within a second, the overlap only once.
    cloud.log("a", 40_000, "again");
    sleep_secs(1.0).await;
    assert_eq!(lines(&drain(&mut rx)), [(7, 40_000, "again".to_string())]);
    cloud.log("b", 39_500, "late but within the overlap");
    sleep_secs(2.0).await;
    assert_eq!(
        lines(&drain(&mut rx)),
        [(8, 39_500, "late but within the overlap".to_string())]
    );
    assert_eq!(
        cloud.filters().last().unwrap().start_time,
        Some(40_000 - REREAD_OVERLAP_MS)
    );
    assert_eq!(
        cloud.call_times().len(),
        2,
        "no GetLogEvents while filtering"
    );
}

#[tokio::test(start_paused = true)]
async fn a_filter_with_many_pages_reads_them_all_in_one_poll() {
    let cloud = FakeCloud::new();
    cloud.create_stream("a");
    cloud.create_stream("b");
    cloud.state().page_size = 3;
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a"), source(1, "b")], false));
    sleep_secs(0.5).await;
    for t in 0..5 {
        cloud.log("a", 1_000 + t * 2, &format!("a{t}"));
        cloud.log("b", 1_001 + t * 2, &format!("b{t}"));
    }
    sleep_secs(1.0).await;
    let filters = cloud.filters();
    let tokens: Vec<_> = filters.iter().map(|f| f.next_token.clone()).collect();
    assert_eq!(
        tokens,
        [None, Some("3".into()), Some("6".into()), Some("9".into())]
    );
    let got: Vec<String> = lines(&drain(&mut rx)).into_iter().map(|l| l.2).collect();
    assert_eq!(
        got,
        ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_filter_names_at_most_a_hundred_streams_and_covers_every_one() {
    let cloud = FakeCloud::new();
    let names: Vec<String> = (0..150).map(|n| format!("s{n}")).collect();
    for name in &names {
        cloud.create_stream(name);
    }
    let sources = (0..150).map(|n| source(n, &names[n as usize])).collect();
    let (_handle, mut rx) = start(&cloud, spec(sources, false));
    sleep_secs(0.5).await;
    cloud.log("s149", 2_000, "from the last one");
    sleep_secs(1.0).await;
    let named: Vec<usize> = cloud.filters().iter().map(|f| f.streams.len()).collect();
    assert_eq!(named, [100, 50], "one poll, two calls");
    assert_eq!(
        lines(&drain(&mut rx)),
        [(149, 2_000, "from the last one".to_string())]
    );
}

#[tokio::test(start_paused = true)]
async fn streams_of_several_groups_share_the_budget_of_one_request_a_second() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "in the first group");
    cloud.log("z", 1_000, "in the second group");
    let mut other = source(1, "z");
    other.stream.group = "/ecs/other".into();
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a"), other], false));
    sleep_secs(10.5).await;
    let filters = cloud.filters();
    assert!(
        (9..=11).contains(&filters.len()),
        "about one request a second in all: {:?}",
        cloud.filter_times()
    );
    for group in [GROUP, "/ecs/other"] {
        assert!(filters.iter().filter(|f| f.group == group).count() >= 4);
    }
    assert_eq!(healths(&drain(&mut rx)).last(), Some(&polling(2)));
}

#[tokio::test(start_paused = true)]
async fn throttling_backs_off_up_to_the_ceiling_and_recovers() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));
    sleep_secs(0.5).await;
    cloud.fail_next((0..7).map(|_| throttled()));

    sleep_secs(200.0).await;
    // Throttled at 1, 3, 7, 15, 31, 63 and 123 s; 183 s succeeds, then a filter a second.
    assert_eq!(
        gaps(&cloud.filter_times()[..10]),
        [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 1.0, 1.0]
    );
    let retries: Vec<u64> = healths(&drain(&mut rx))
        .iter()
        .filter_map(|h| match h {
            StreamHealth::Throttled { retry_in } => Some(retry_in.as_secs()),
            _ => None,
        })
        .collect();
    // Health goes out on change only: the second 60 s wait is not repeated.
    assert_eq!(retries, [2, 4, 8, 16, 32, 60]);

    cloud.log("a", 2_000, "after the storm");
    sleep_secs(20.0).await;
    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [(0, 2_000, "after the storm".to_string())]
    );
}

#[tokio::test(start_paused = true)]
async fn transient_errors_say_reconnecting_with_the_attempt_and_never_stop() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));
    sleep_secs(0.5).await;
    cloud.fail_next([unreachable(), unreachable()]);
    cloud.log("a", 2_000, "still here");

    sleep_secs(10.0).await;
    let messages = drain(&mut rx);
    let attempts: Vec<u32> = healths(&messages)
        .iter()
        .filter_map(|h| match h {
            StreamHealth::Reconnecting { attempt, reason } => {
                assert!(reason.contains("connection reset"), "{reason}");
                Some(*attempt)
            }
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2]);
    // Failed at 1 and 3 s, recovered at 7 s with the line, then each second.
    assert_eq!(cloud.filter_times(), [1.0, 3.0, 7.0, 8.0, 9.0, 10.0]);
    assert_eq!(healths(&messages).last(), Some(&polling(1)));
    assert_eq!(
        lines(&messages),
        [(0, 1_000, "hello".into()), (0, 2_000, "still here".into())]
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_does_not_exist_yet_is_awaited_quietly() {
    let cloud = FakeCloud::new();
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], false));

    sleep_secs(7.0).await;
    assert_eq!(cloud.call_times(), [0.0, 3.0, 6.0]);
    let messages = drain(&mut rx);
    assert_eq!(
        messages,
        [
            TailMessage::Health {
                health: StreamHealth::Starting,
                last_event_at: None
            },
            TailMessage::BackfillDone,
            TailMessage::Health {
                health: StreamHealth::WaitingForStream,
                last_event_at: None
            },
        ]
    );

    cloud.log("a", 5_000, "first");
    cloud.log("a", 5_001, "second");
    sleep_secs(3.0).await;
    let found = &cloud.calls()[3];
    assert!(found.start_from_head && found.start_time.is_none() && found.next_token.is_none());
    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [(0, 5_000, "first".into()), (0, 5_001, "second".into())]
    );
    assert_eq!(
        messages.last(),
        Some(&TailMessage::Health {
            health: polling(1),
            last_event_at: Some(5_001)
        })
    );
}

#[tokio::test(start_paused = true)]
async fn without_follow_a_lasting_error_ends_the_tail_with_its_reason() {
    let undecodable = CloudError::Service {
        action: "logs:GetLogEvents".into(),
        code: "UnknownError".into(),
        message: "invalid escape at line 1".into(),
    };
    let invalid = CloudError::Invalid {
        action: "logs:GetLogEvents".into(),
        detail: "1 validation error detected".into(),
    };
    for (error, says) in [
        (denied(), "ask for logs:GetLogEvents"),
        (missing_group(), "log group /ecs/app not found"),
        (invalid, "validation error"),
        (undecodable, "invalid escape"),
    ] {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud.fail_next([error]);
        let mut once = spec(vec![source(0, "a")], false);
        once.follow = false;
        let (_handle, mut rx) = start(&cloud, once);
        sleep_secs(600.0).await;

        assert!(tail_ended(&cloud), "{says}: the tail still runs");
        assert_eq!(cloud.call_times(), [0.0], "{says}: asked again");
        let messages = drain(&mut rx);
        let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
        assert!(reason.contains("container-0"), "{reason}");
        assert!(reason.contains(says), "{reason}");
        assert!(!messages.contains(&TailMessage::BackfillDone));
    }
}

#[tokio::test(start_paused = true)]
async fn without_follow_trouble_on_the_way_is_retried_a_few_times_then_reported() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud.fail_next((0..10).map(|_| unreachable()));
    let mut once = spec(vec![source(0, "a")], false);
    once.follow = false;
    let (_handle, mut rx) = start(&cloud, once);
    sleep_secs(600.0).await;

    assert!(tail_ended(&cloud));
    assert_eq!(cloud.call_times(), [0.0, 2.0, 6.0, 14.0]);
    let messages = drain(&mut rx);
    let attempts: Vec<u32> = healths(&messages)
        .iter()
        .filter_map(|h| match h {
            StreamHealth::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3], "each retry is said");
    let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
    assert!(reason.contains("after 4 tries"), "{reason}");
    assert!(reason.contains("connection reset"), "{reason}");

    // Trouble that passes within the tries is no failure.
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud.fail_next([unreachable(), unreachable()]);
    let mut once = spec(vec![source(0, "a")], false);
    once.follow = false;
    let (_handle, mut rx) = start(&cloud, once);
    sleep_secs(600.0).await;
    let messages = drain(&mut rx);
    assert_eq!(lines(&messages), [(0, 1_000, "hello".into())]);
    assert_eq!(healths(&messages).last(), Some(&StreamHealth::Ended));
}

/// Calls for each stream, by name.
fn calls_for(cloud: &FakeCloud, stream: &str) -> usize {
    cloud
        .calls()
        .iter()
        .filter(|query| query.stream.stream == stream)
        .count()
}

/// Which sources were said to stop, and why.
fn stopped_sources(messages: &[TailMessage]) -> Vec<(u16, String)> {
    messages
        .iter()
        .filter_map(|m| match m {
            TailMessage::SourceStopped { source, reason } => Some((*source, reason.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_lasting_error_on_one_stream_stops_only_that_stream() {
    for error in [denied(), missing_group()] {
        let cloud = FakeCloud::new();
        cloud.log("a", 1_000, "hello");
        cloud.log("b", 1_500, "from b");
        let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a"), source(1, "b")], false));
        sleep_secs(10.0).await;
        assert!(cloud.filters().iter().all(|f| f.streams == ["a", "b"]));
        cloud.break_stream("b", error.clone());
        sleep_secs(10.0).await;
        let asked_b = calls_for(&cloud, "b");
        // The filter failed for good: each stream was asked alone, and b stopped.
        let filters = cloud.filters().len();
        assert!(
            asked_b >= 2,
            "{error}: b was read alone after the filter failed"
        );
        cloud.log("a", 30_000, "a goes on");
        sleep_secs(60.0).await;

        assert!(!tail_ended(&cloud), "{error}: stream a is still followed");
        assert_eq!(calls_for(&cloud, "b"), asked_b, "{error}: b asked again");
        assert_eq!(
            cloud.filters().len(),
            filters,
            "{error}: the filter was tried again"
        );
        let messages = drain(&mut rx);
        assert_eq!(
            lines(&messages),
            [
                (0, 1_000, "hello".into()),
                (1, 1_500, "from b".into()),
                (0, 30_000, "a goes on".into())
            ]
        );
        let stopped = stopped_sources(&messages);
        assert_eq!(stopped.len(), 1, "{messages:?}");
        assert_eq!(stopped[0].0, 1);
        assert!(stopped[0].1.contains("container-1"), "{}", stopped[0].1);
        assert!(
            stopped[0].1.contains(&error.to_string()),
            "{}",
            stopped[0].1
        );
        assert_eq!(failure(&messages), None);

        // The last one left stops the tail, with its reason.
        cloud.break_stream("a", error.clone());
        sleep_secs(60.0).await;
        assert!(tail_ended(&cloud), "{error}: nothing left to read");
        let messages = drain(&mut rx);
        let reason = failure(&messages).unwrap_or_else(|| panic!("{messages:?}"));
        assert!(reason.contains("container-0"), "{reason}");
        assert!(reason.contains(&error.to_string()), "{reason}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_fails_during_the_backfill_stops_alone() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud.break_stream("b", missing_group());
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a"), source(1, "b")], false));
    sleep_secs(10.0).await;

    assert!(!tail_ended(&cloud));
    assert_eq!(calls_for(&cloud, "b"), 1, "b is not asked again");
    let messages = drain(&mut rx);
    assert_eq!(lines(&messages), [(0, 1_000, "hello".into())]);
    assert_eq!(stopped_sources(&messages).len(), 1);
    assert!(messages.contains(&TailMessage::BackfillDone));
    assert_eq!(healths(&messages).last(), Some(&polling(1)));
}

#[tokio::test(start_paused = true)]
async fn a_group_that_awslogs_creates_is_awaited_like_a_stream() {
    let cloud = FakeCloud::new();
    cloud.fail_next((0..3).map(|_| missing_group()));
    let mut created = source(0, "a");
    created.creates_group = true;
    let (_handle, mut rx) = start(&cloud, spec(vec![created], false));
    sleep_secs(7.0).await;
    assert_eq!(cloud.call_times(), [0.0, 3.0, 6.0]);
    cloud.log("a", 5_000, "first");
    sleep_secs(3.0).await;

    assert!(!tail_ended(&cloud));
    let messages = drain(&mut rx);
    assert_eq!(lines(&messages), [(0, 5_000, "first".into())]);
    assert!(
        !healths(&messages).iter().any(|h| matches!(
            h,
            StreamHealth::Reconnecting { .. } | StreamHealth::Failed { .. }
        )),
        "{messages:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_tail_ends_when_the_receiver_is_gone() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    let (_handle, rx) = start(&cloud, spec(vec![source(0, "a")], false));
    sleep_secs(5.0).await;
    drop(rx);
    sleep_secs(1.0).await;
    assert!(tail_ended(&cloud));
}

#[tokio::test(start_paused = true)]
async fn a_backfill_since_pages_to_the_end_and_merges_streams_by_time() {
    let cloud = FakeCloud::new();
    cloud.state().page_size = 2;
    for (ts, line) in [
        (100, "a0"),
        (200, "a1"),
        (300, "a2"),
        (400, "a3"),
        (500, "a4"),
    ] {
        cloud.log("a", ts, line);
    }
    for (ts, line) in [(150, "b0"), (250, "b1"), (450, "b2")] {
        cloud.log("b", ts, line);
    }
    let mut spec = spec(vec![source(0, "a"), source(1, "b"), source(2, "c")], true);
    spec.since = Some(200);
    spec.follow = false;
    let (_handle, mut rx) = start(&cloud, spec);
    sleep_secs(1.0).await;

    let messages = drain(&mut rx);
    let expected = [
        (0, 200, "a1"),
        (1, 250, "b1"),
        (0, 300, "a2"),
        (0, 400, "a3"),
        (1, 450, "b2"),
        (0, 500, "a4"),
    ]
    .map(|(source, ts, line)| (source, ts, line.to_string()));
    assert_eq!(lines(&messages), expected);
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2], TailMessage::BackfillDone);
    assert_eq!(
        messages[3],
        TailMessage::Health {
            health: StreamHealth::Ended,
            last_event_at: Some(500)
        }
    );
    assert!(tail_ended(&cloud));
    assert!(
        cloud.state().live_calls.is_empty(),
        "no Live Tail without follow"
    );

    let calls = cloud.calls();
    let a: Vec<_> = calls.iter().filter(|q| q.stream.stream == "a").collect();
    assert_eq!(a[0].start_time, Some(200));
    assert!(a[0].start_from_head);
    // Pages of two from "1": tokens 3, 5, then 5 again marks the end.
    let tokens: Vec<_> = a[1..]
        .iter()
        .map(|q| q.next_token.clone().unwrap())
        .collect();
    assert_eq!(tokens, ["3", "5"]);
    assert_eq!(calls.len(), 3 + 2 + 1, "a: 3 pages, b: 2 pages, c: missing");
}
