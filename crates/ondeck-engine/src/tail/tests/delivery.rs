use super::*;

#[tokio::test(start_paused = true)]
async fn a_full_channel_drops_lines_counts_them_and_says_so_once_there_is_room() {
    let cloud = FakeCloud::new();
    cloud.log("a", 1_000, "backfilled");
    let mut lossy = spec(vec![source(0, "a")], false);
    lossy.when_full = WhenFull::DropAndCount;
    // Room for the start only: Starting, the backfill, BackfillDone, Polling.
    let (tx, mut rx) = mpsc::channel(4);
    let _handle = spawn_tail(Arc::clone(&cloud) as Arc<dyn Cloud>, lossy, tx);
    sleep_secs(0.5).await;
    // Nobody reads while ten lines come, one per poll.
    for n in 0..10 {
        cloud.log("a", 2_000 + n, &format!("line {n}"));
        sleep_secs(1.0).await;
    }
    let before = drain(&mut rx);
    assert_eq!(lines(&before), [(0, 1_000, "backfilled".into())]);
    assert_eq!(
        before.len(),
        4,
        "the channel held what it could: {before:?}"
    );

    // Once there is room the drop is said first, and lines flow again.
    sleep_secs(1.0).await;
    cloud.log("a", 3_000, "after");
    sleep_secs(2.0).await;
    let after = drain(&mut rx);
    let dropped: u64 = after
        .iter()
        .filter_map(|m| match m {
            TailMessage::Dropped { lines } => Some(*lines),
            _ => None,
        })
        .sum();
    assert!(dropped > 0, "{after:?}");
    assert!(
        matches!(after[0], TailMessage::Dropped { .. }),
        "said first: {after:?}"
    );
    // Every line either arrived once or was counted; the tail kept going.
    let delivered = lines(&after);
    assert_eq!(delivered.len() as u64 + dropped, 11, "{after:?}");
    assert_eq!(delivered.last(), Some(&(0, 3_000, "after".into())));
}

#[tokio::test(start_paused = true)]
async fn waiting_for_room_drops_nothing() {
    let cloud = FakeCloud::new();
    let (tx, mut rx) = mpsc::channel(1);
    let _handle = spawn_tail(
        Arc::clone(&cloud) as Arc<dyn Cloud>,
        spec(vec![source(0, "a")], false),
        tx,
    );
    cloud.create_stream("a");
    let mut received = Vec::new();
    for n in 0..10 {
        cloud.log("a", 2_000 + n, &format!("line {n}"));
        sleep_secs(1.0).await;
        // Slower than the tail: one message a second.
        received.extend(rx.try_recv().ok());
    }
    sleep_secs(30.0).await;
    received.extend(drain(&mut rx));
    for _ in 0..20 {
        sleep_secs(1.0).await;
        received.extend(drain(&mut rx));
    }
    let expected: Vec<(u16, i64, String)> = (0..10)
        .map(|n| (0, 2_000 + n, format!("line {n}")))
        .collect();
    assert_eq!(lines(&received), expected);
    assert!(
        !received
            .iter()
            .any(|m| matches!(m, TailMessage::Dropped { .. })),
        "{received:?}"
    );
}
