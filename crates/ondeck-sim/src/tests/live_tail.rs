//! Live Tail sessions over the generated streams.

use super::*;

/// A clock that follows tokio's (paused) time from `start()`.
fn tokio_clock() -> Arc<dyn Clock> {
    let origin = tokio::time::Instant::now();
    Arc::new(move || start() + Duration::from_std(origin.elapsed()).unwrap())
}

#[tokio::test(start_paused = true)]
async fn live_tail_pushes_the_new_events_every_second() {
    let clock = tokio_clock();
    let cloud = DemoCloud::with_clock(OWNER, 1.0, clock.clone());
    let stream = stream_of(&initial_task(&cloud, "checkout-fix"), "api");
    let opened = clock.now();
    let mut tail = cloud
        .start_live_tail(&stream.group, std::slice::from_ref(&stream.stream))
        .await
        .unwrap();
    let mut tailed = Vec::new();
    for _ in 0..30 {
        let update = tail.next().await.unwrap().unwrap();
        assert!(!update.sampled);
        for (name, event) in update.events {
            assert_eq!(name, stream.stream);
            tailed.push(event);
        }
    }
    assert_eq!(clock.now() - opened, Duration::seconds(30));
    assert!(tailed.len() > 10, "{}", tailed.len());

    let window = cloud
        .get_log_events(&LogQuery {
            start_time: Some(opened.timestamp_millis() + 1),
            ..query(&stream, None, true, 1000)
        })
        .await
        .unwrap();
    assert_eq!(tailed, window.events);
}

#[tokio::test(start_paused = true)]
async fn live_tail_follows_a_stream_that_appears_later() {
    let clock = tokio_clock();
    let cloud = DemoCloud::with_clock(OWNER, 20.0, clock);
    let task = cloud
        .run_task(&request("web-stack", ""))
        .await
        .unwrap()
        .tasks
        .remove(0);
    let web = stream_of(&task, "web");
    let mut tail = cloud
        .start_live_tail(&web.group, std::slice::from_ref(&web.stream))
        .await
        .unwrap();
    let first = tail.next().await.unwrap().unwrap();
    assert!(first.events.is_empty(), "nothing runs yet");
    let mut tailed = Vec::new();
    for _ in 0..60 {
        let update = tail.next().await.unwrap().unwrap();
        tailed.extend(update.events.into_iter().map(|(_, e)| e));
    }
    assert!(tailed[0].message.ends_with("ready for start up"));
    assert_eq!(tailed, read_all_async(&cloud, &web).await);
}

async fn read_all_async(cloud: &DemoCloud, stream: &LogStreamRef) -> Vec<RawLogEvent> {
    cloud
        .get_log_events(&query(stream, None, true, 1000))
        .await
        .unwrap()
        .events
}

#[tokio::test]
async fn live_tail_rejects_unknown_groups() {
    let (cloud, _) = demo(1.0);
    let err = cloud
        .start_live_tail("/ecs/demo/nope", &[])
        .await
        .err()
        .unwrap();
    assert!(err.is_not_found());
}

#[tokio::test(start_paused = true)]
async fn live_tail_delivers_each_stream_in_time_order() {
    let clock = tokio_clock();
    let cloud = DemoCloud::with_clock(OWNER, 20.0, clock);
    let stream = stream_of(&initial_task(&cloud, "checkout-fix"), "api");
    let mut tail = cloud.start_live_tail(&stream.group, &[]).await.unwrap();
    let mut last: std::collections::HashMap<String, i64> = Default::default();
    let mut seen = 0;
    for _ in 0..200 {
        let update = tail.next().await.unwrap().unwrap();
        for (name, event) in update.events {
            let previous = last.insert(name.clone(), event.timestamp);
            assert!(
                previous.is_none_or(|p| p <= event.timestamp),
                "{name}: {previous:?} then {}",
                event.timestamp
            );
            seen += 1;
        }
    }
    assert!(
        seen > 100 && last.len() > 1,
        "{seen} lines from {} streams",
        last.len()
    );
}
