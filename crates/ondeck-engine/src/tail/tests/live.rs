use super::*;
use crate::tail::REREAD_OVERLAP_MS;

#[tokio::test(start_paused = true)]
async fn live_tail_covers_a_stream_that_appears_later_without_polling() {
    let cloud = FakeCloud::new();
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(30.0).await;
    assert_eq!(cloud.read_times(), [0.0], "only the backfill asked");
    assert_eq!(
        healths(&drain(&mut rx)),
        [StreamHealth::Starting, StreamHealth::WaitingForStream]
    );

    cloud.log("a", 31_000, "up");
    sleep_secs(1.0).await;
    let messages = drain(&mut rx);
    assert_eq!(lines(&messages), [(0, 31_000, "up".into())]);
    assert_eq!(healths(&messages), [StreamHealth::Live { sampled: false }]);
    assert_eq!(cloud.read_times().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_seam_between_backfill_and_live_tail_delivers_each_line_once() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "old");
    cloud.log("a", 2_000, "at the seam");
    // The session opens just as this line is ingested: it is in both.
    cloud.state().live_greeting = vec![("a".into(), raw(2_000, "at the seam"))];
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(1.0).await;
    cloud.log("a", 3_000, "new");
    sleep_secs(1.0).await;

    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [
            (0, 1_000, "old".into()),
            (0, 2_000, "at the seam".into()),
            (0, 3_000, "new".into())
        ]
    );
    let done = messages
        .iter()
        .position(|m| *m == TailMessage::BackfillDone);
    assert_eq!(done, Some(2), "backfill, then done, then live lines");
    assert_eq!(
        healths(&messages),
        [
            StreamHealth::Starting,
            StreamHealth::Live { sampled: false }
        ]
    );
    assert_eq!(cloud.read_times().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn live_tail_is_renewed_before_three_hours_without_duplicates() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    let renew_after = TailTiming::default().live_renew_after.as_secs_f64();

    sleep_secs(renew_after + 1.0).await;
    assert_eq!(cloud.state().live_calls.len(), 2);
    assert_eq!(
        cloud.state().sessions[1].opened_at,
        TailTiming::default().live_renew_after
    );
    assert_eq!(cloud.open_sessions(), 2, "the old one overlaps the new one");
    cloud.log("a", 10_000_000, "during the overlap");

    sleep_secs(10.0).await;
    assert!(!cloud.state().sessions[0].is_open(), "old session closed");
    assert!(cloud.state().sessions[1].is_open());
    cloud.log("a", 10_020_000, "after the overlap");
    sleep_secs(1.0).await;

    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [
            (0, 1_000, "hello".into()),
            (0, 10_000_000, "during the overlap".into()),
            (0, 10_020_000, "after the overlap".into())
        ]
    );
    assert_eq!(
        healths(&messages),
        [
            StreamHealth::Starting,
            StreamHealth::Live { sampled: false }
        ]
    );
    assert_eq!(cloud.read_times().len(), 1, "no polling while live");
}

#[tokio::test(start_paused = true)]
async fn a_refused_live_tail_falls_back_to_polling_for_good() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud
        .state()
        .live_refusals
        .push_back(CloudError::AccessDenied {
            action: "logs:StartLiveTail".into(),
            detail: "not authorized".into(),
        });
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(0.5).await;
    cloud.log("a", 2_000, "polled");
    sleep_secs(600.0).await;

    assert_eq!(cloud.state().live_calls.len(), 1, "not asked again");
    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [(0, 1_000, "hello".into()), (0, 2_000, "polled".into())]
    );
    // Polling for good is no trouble: nothing says "reconnecting".
    let healths = healths(&messages);
    assert_eq!(healths[..2], [StreamHealth::Starting, polling(1)]);
    // One filter a second however quiet the stream: the next line shows within a second.
    assert_eq!(healths.last(), Some(&polling(1)));
    assert!(cloud.filters().len() >= 590, "{}", cloud.filters().len());
}

#[tokio::test(start_paused = true)]
async fn a_throttled_live_tail_is_retried_and_then_replaces_polling() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud
        .state()
        .live_refusals
        .push_back(CloudError::Throttled {
            action: "logs:StartLiveTail".into(),
        });
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    // Logged after the poll at 1 s and before the session opens at 2 s: only the
    // catch-up poll can see it.
    sleep_secs(1.5).await;
    cloud.log("a", 1_500, "before live");
    sleep_secs(1.0).await;

    assert_eq!(
        cloud.state().live_calls,
        [Duration::ZERO, Duration::from_secs(2)]
    );
    assert_eq!(cloud.read_times(), [0.0, 1.0, 2.0]);
    cloud.log("a", 3_000, "live");
    sleep_secs(30.0).await;
    assert_eq!(cloud.read_times().len(), 3, "no polling once live");
    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [
            (0, 1_000, "hello".into()),
            (0, 1_500, "before live".into()),
            (0, 3_000, "live".into())
        ]
    );
    assert_eq!(
        healths(&messages).last(),
        Some(&StreamHealth::Live { sampled: false })
    );
}

#[tokio::test(start_paused = true)]
async fn lines_are_delivered_exactly_once_when_polling_rereads_what_live_tail_sent() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(1.0).await;
    cloud.log("a", 5_000, "live one");
    // A program really printing the same line twice in one millisecond.
    cloud.log("a", 5_000, "twice");
    cloud.log("a", 5_000, "twice");
    sleep_secs(1.0).await;

    // The session breaks; polling re-reads from shortly before the last line.
    let session = cloud.state().sessions.remove(0);
    session
        .updates
        .send(Err(CloudError::Service {
            action: "logs:StartLiveTail".into(),
            code: "SessionStreamingException".into(),
            message: "stream broke".into(),
        }))
        .unwrap();
    drop(session);
    cloud.log("a", 6_000, "while polling");
    sleep_secs(1.0).await;
    let reread = &cloud.filters()[0];
    assert_eq!(reread.start_time, Some(5_000 - REREAD_OVERLAP_MS));

    sleep_secs(5.0).await;
    assert_eq!(cloud.open_sessions(), 1, "reconnected");
    cloud.log("a", 9_000, "live again");
    sleep_secs(20.0).await;

    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [
            (0, 1_000, "hello".into()),
            (0, 5_000, "live one".into()),
            (0, 5_000, "twice".into()),
            (0, 5_000, "twice".into()),
            (0, 6_000, "while polling".into()),
            (0, 9_000, "live again".into()),
        ]
    );
    let healths = healths(&messages);
    assert!(
        healths.iter().any(|h| matches!(h, StreamHealth::Reconnecting { attempt: 1, reason } if reason.contains("stream broke"))),
        "{healths:?}"
    );
    assert!(healths.contains(&polling(1)));
    assert_eq!(healths.last(), Some(&StreamHealth::Live { sampled: false }));
}

#[tokio::test(start_paused = true)]
async fn a_session_that_just_ends_is_reconnected_with_growing_backoff() {
    let cloud = FakeCloud::new();
    cloud.create_stream("a");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    let mut ended = Vec::new();
    for _ in 0..3 {
        while cloud.open_sessions() == 0 {
            sleep_secs(0.25).await;
        }
        sleep_secs(0.5).await;
        cloud.state().sessions.clear();
        ended.push(cloud.started.elapsed().as_secs_f64());
    }
    sleep_secs(20.0).await;
    let opened: Vec<f64> = cloud
        .state()
        .live_calls
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    let waits: Vec<f64> = ended.iter().zip(&opened[1..]).map(|(e, o)| o - e).collect();
    assert_eq!(waits, [2.0, 4.0, 8.0]);
    assert_eq!(opened.len(), 4);
    assert_eq!(cloud.open_sessions(), 1);
    let healths = healths(&drain(&mut rx));
    let attempts: Vec<u32> = healths
        .iter()
        .filter_map(|h| match h {
            StreamHealth::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert_eq!(healths.last(), Some(&StreamHealth::Live { sampled: false }));
    // Polled only between sessions: once the last one opened, a catch-up read at most.
    let after_last_opened = cloud
        .read_times()
        .into_iter()
        .filter(|&at| at > opened[3])
        .count();
    assert!(after_last_opened <= 1, "{:?}", cloud.read_times());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_stops_polling_and_closes_live_tail() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "hello");
    cloud.log("b", 1_000, "hello");
    let sources = vec![source(0, "a"), {
        let mut other = source(1, "b");
        other.stream.group = "/ecs/other".into();
        other
    }];
    cloud
        .state()
        .live_refusals
        .push_back(CloudError::Refused("no live tail".into()));
    let (handle, _rx) = start(&cloud, spec(sources, true));
    sleep_secs(5.0).await;
    assert_eq!(cloud.open_sessions(), 1, "one group live, the other polled");
    let calls = cloud.read_times().len();
    assert!(calls > 2, "polling ran: {calls}");

    drop(handle);
    sleep_secs(120.0).await;
    assert_eq!(cloud.read_times().len(), calls);
    assert_eq!(cloud.open_sessions(), 0);
}

#[tokio::test(start_paused = true)]
async fn live_tail_opens_one_session_per_group_and_hundred_streams() {
    let cloud = FakeCloud::new();
    let mut sources: Vec<TailSource> = (0..150)
        .map(|i| source(i, &format!("web/app/{i}")))
        .collect();
    sources.push(TailSource {
        index: 150,
        container: "worker".into(),
        stream: LogStreamRef {
            group: "/ecs/worker".into(),
            stream: "worker/app/1".into(),
        },
        creates_group: false,
    });
    let (_handle, _rx) = start(&cloud, spec(sources, true));
    sleep_secs(1.0).await;

    let state = cloud.state();
    let sessions: Vec<(&str, usize)> = state
        .sessions
        .iter()
        .map(|s| (s.group.as_str(), s.streams.len()))
        .collect();
    assert_eq!(sessions, [(GROUP, 100), (GROUP, 50), ("/ecs/worker", 1)]);
    assert_eq!(state.sessions[1].streams[0], "web/app/100");
}

#[tokio::test(start_paused = true)]
async fn live_lines_map_to_their_source_and_report_sampling() {
    let cloud = FakeCloud::new();
    cloud.create_stream("a");
    cloud.create_stream("b");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(4, "a"), source(9, "b")], true));
    sleep_secs(1.0).await;
    let update = LiveTailUpdate {
        events: vec![
            ("b".into(), raw(2_000, "from b")),
            ("a".into(), raw(1_000, "from a")),
            ("unknown".into(), raw(1_500, "not ours")),
        ],
        sampled: true,
    };
    cloud.state().sessions[0].updates.send(Ok(update)).unwrap();
    sleep_secs(1.0).await;

    let messages = drain(&mut rx);
    assert_eq!(
        lines(&messages),
        [(4, 1_000, "from a".into()), (9, 2_000, "from b".into())]
    );
    assert_eq!(
        messages.last(),
        Some(&TailMessage::Health {
            health: StreamHealth::Live { sampled: true },
            last_event_at: Some(2_000)
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_renewal_keeps_the_old_session_and_tries_again() {
    let cloud = FakeCloud::new();
    cloud.create_stream("a");
    let (_handle, mut rx) = start(&cloud, spec(vec![source(0, "a")], true));
    sleep_secs(1.0).await;
    cloud.state().live_refusals.push_back(CloudError::Timeout {
        action: "logs:StartLiveTail".into(),
    });
    let renew_after = TailTiming::default().live_renew_after.as_secs_f64();

    sleep_secs(renew_after).await;
    assert_eq!(cloud.open_sessions(), 1, "the first session still runs");
    assert!(cloud.state().sessions[0].is_open());
    sleep_secs(2.0).await;
    let opened: Vec<f64> = cloud
        .state()
        .live_calls
        .iter()
        .map(Duration::as_secs_f64)
        .collect();
    assert_eq!(opened, [0.0, renew_after, renew_after + 2.0]);
    cloud.log("a", 1_000, "seen once");
    sleep_secs(10.0).await;
    assert_eq!(cloud.open_sessions(), 1);
    assert!(cloud.state().sessions[1].is_open(), "the successor remains");
    let messages = drain(&mut rx);
    assert_eq!(lines(&messages), [(0, 1_000, "seen once".into())]);
    assert_eq!(cloud.read_times().len(), 1, "no polling meanwhile");
}
