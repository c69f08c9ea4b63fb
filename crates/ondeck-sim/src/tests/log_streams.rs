//! Generated log streams: when they exist, paging, and what the lines say.

use super::*;

#[test]
fn a_log_stream_exists_only_once_its_container_runs() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    let web = stream_of(&task, "web");
    let mut was_missing_while_pending = false;
    for _ in 0..40 {
        let view = find(&cloud, &task.task_arn).unwrap();
        let result = block_on(cloud.get_log_events(&query(&web, None, true, 100)));
        if view.containers[0].last_status == "RUNNING" {
            result.unwrap();
        } else {
            assert!(result.unwrap_err().is_not_found());
            was_missing_while_pending = true;
        }
        clock.advance(Duration::seconds(1));
    }
    assert!(was_missing_while_pending);
    assert_eq!(
        find(&cloud, &task.task_arn).unwrap().last_status,
        TaskState::Running
    );

    let missing_group = LogStreamRef {
        group: "/ecs/demo/nope".into(),
        stream: web.stream.clone(),
    };
    let err = block_on(cloud.get_log_events(&query(&missing_group, None, true, 10))).unwrap_err();
    assert!(err.is_not_found());
}

#[test]
fn a_firelens_container_has_no_awslogs_stream() {
    let (cloud, clock) = demo(1.0);
    let worker = run(&cloud, "pair-worker");
    clock.advance(Duration::seconds(60));
    assert_eq!(
        find(&cloud, &worker.task_arn).unwrap().last_status,
        TaskState::Running
    );
    let firelens = stream_of(&worker, "worker");
    assert!(
        block_on(cloud.get_log_events(&query(&firelens, None, true, 10)))
            .unwrap_err()
            .is_not_found()
    );
    block_on(cloud.get_log_events(&query(&stream_of(&worker, "log-router"), None, true, 10)))
        .unwrap();
}

#[test]
fn paging_with_tokens_never_repeats_or_skips_a_line() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(40));
    let api = stream_of(&task, "api");

    // Read small pages while lines keep arriving, as a tailing client does.
    let mut paged = Vec::new();
    let mut token = None;
    let mut caught_up = 0;
    for _ in 0..40 {
        clock.advance(Duration::seconds(15));
        let page = block_on(cloud.get_log_events(&query(&api, token.clone(), true, 37))).unwrap();
        if page.events.len() < 37 {
            caught_up += 1;
        }
        paged.extend(page.events);
        token = page.next_forward_token;
    }
    loop {
        let page = block_on(cloud.get_log_events(&query(&api, token.clone(), true, 37))).unwrap();
        if page.events.is_empty() {
            assert_eq!(page.next_forward_token, token, "no news keeps the token");
            break;
        }
        paged.extend(page.events);
        token = page.next_forward_token;
    }
    assert!(caught_up > 10);

    let all = read_all(&cloud, &api);
    assert_eq!(paged, all);
    assert!(all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    // About a line a second over the ten minutes.
    assert!((300..1500).contains(&all.len()), "{}", all.len());
    assert!(all.iter().all(|e| e.ingestion_time > e.timestamp));
}

#[test]
fn start_time_and_tail_reads() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::minutes(10));
    let web = stream_of(&task, "web");
    let all = read_all(&cloud, &web);

    let middle = all[all.len() / 2].timestamp;
    let since = block_on(cloud.get_log_events(&LogQuery {
        start_time: Some(middle),
        ..query(&web, None, true, 1000)
    }))
    .unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e.timestamp >= middle)
        .cloned()
        .collect();
    assert_eq!(since.events, expected);

    let tail = block_on(cloud.get_log_events(&query(&web, None, false, 20))).unwrap();
    assert_eq!(tail.events, all[all.len() - 20..]);

    clock.advance(Duration::seconds(30));
    let newer =
        block_on(cloud.get_log_events(&query(&web, tail.next_forward_token, true, 1000))).unwrap();
    let everything = read_all(&cloud, &web);
    assert!(!newer.events.is_empty());
    assert_eq!(newer.events, everything[all.len()..]);
}

#[test]
fn lines_mix_formats_levels_and_bursts_at_about_one_a_second() {
    let (cloud, _) = demo(1.0);
    let task = initial_task(&cloud, "checkout-fix");
    let api = read_all(&cloud, &stream_of(&task, "api"));
    let running_secs = (start() - task.times.started_at.unwrap()).num_seconds() as f64;
    let rate = api.len() as f64 / running_secs;
    assert!((0.8..1.5).contains(&rate), "{rate} lines/s");

    let json: Vec<serde_json::Value> = api
        .iter()
        .filter_map(|e| serde_json::from_str(&e.message).ok())
        .collect();
    assert!(
        json.iter()
            .any(|v| v["level"] == "info" && v["latency_ms"].is_number())
    );
    assert!(
        json.iter()
            .any(|v| v["level"] == "error" && v["msg"].is_string())
    );
    assert!(
        api.iter()
            .any(|e| e.message.contains("\x1b[33m WARN\x1b[0m"))
    );
    for level in ["DEBUG", "INFO ", "WARN ", "ERROR"] {
        assert!(
            api.iter()
                .any(|e| !e.message.contains('\x1b') && e.message.contains(level)),
            "{level}"
        );
    }
    assert!(
        api.windows(50)
            .any(|burst| burst[49].timestamp - burst[0].timestamp < 1000),
        "a burst of fifty lines within a second"
    );

    let web = read_all(&cloud, &stream_of(&task, "web"));
    assert!(
        web.iter()
            .any(|e| e.message.contains("\" 200 ") && e.message.contains("HTTP/1.1"))
    );
    let db = read_all(&cloud, &stream_of(&task, "db"));
    assert!(db.iter().any(|e| e.message.contains("checkpoint complete")));
    assert!(
        api.iter()
            .chain(&web)
            .chain(&db)
            .all(|e| !is_hostile(&e.message))
    );
}

#[test]
fn last_lines_tell_how_the_container_ended() {
    let (cloud, _) = demo(1.0);
    let last = |instance: &str, container: &str| {
        let task = initial_task(&cloud, instance);
        let page =
            block_on(cloud.get_log_events(&query(&stream_of(&task, container), None, false, 1)))
                .unwrap();
        page.events[0].message.clone()
    };
    assert!(last("flaky-worker", "worker").ends_with("exit status 1"));
    assert!(last("nightly-etl", "ingest").ends_with("shutdown complete"));
    assert!(last("nightly-etl", "loader").contains("SIGTERM received while a batch is in flight"));
}

#[test]
fn startup_lines_show_the_environment_overrides() {
    let (cloud, clock) = demo(1.0);
    let mut with_env = request("web-stack", "");
    with_env.env.insert(
        "api".into(),
        BTreeMap::from([("LOG_LEVEL".into(), "debug".into())]),
    );
    let task = block_on(cloud.run_task(&with_env)).unwrap().tasks.remove(0);
    clock.advance(Duration::seconds(45));
    let first =
        block_on(cloud.get_log_events(&query(&stream_of(&task, "api"), None, true, 10))).unwrap();
    assert!(first.events[0].message.ends_with("> api@2.14.0 start"));
    assert!(
        first
            .events
            .iter()
            .any(|e| e.message.ends_with("config: LOG_LEVEL=debug"))
    );
}

/// Escape sequences other than SGR colours: what a sanitizer must remove.
fn is_hostile(message: &str) -> bool {
    if message.contains("\x1b]") || message.contains("\x1bP") || message.contains('\u{9b}') {
        return true;
    }
    message.split("\x1b[").skip(1).any(|rest| {
        rest.chars()
            .find(|c| ('\u{40}'..='\u{7e}').contains(c))
            .is_some_and(|end| end != 'm')
    })
}

#[test]
fn hostile_lines_appear_only_when_asked_for() {
    let clock = Arc::new(ManualClock::new(start()));
    let plain = DemoCloud::with_clock(OWNER, 1.0, clock.clone());
    let hostile = DemoCloud::with_clock(OWNER, 1.0, clock).with_hostile_lines(true);
    let stream = stream_of(&initial_task(&plain, "checkout-fix"), "api");
    let latest = |cloud: &DemoCloud| {
        block_on(cloud.get_log_events(&query(&stream, None, false, 1000)))
            .unwrap()
            .events
    };
    let clean = latest(&plain);
    let dirty = latest(&hostile);
    assert_eq!(clean.len(), dirty.len());
    assert_eq!(clean.iter().filter(|e| is_hostile(&e.message)).count(), 0);
    let bad = dirty.iter().filter(|e| is_hostile(&e.message)).count();
    assert!(bad > 10, "{bad}");
    for marker in ["\x1b]52;", "\x1b]0;", "\x1b[2J", "\x1bP", "\u{9b}"] {
        assert!(
            dirty.iter().any(|e| e.message.contains(marker)),
            "{marker:?}"
        );
    }
}

#[test]
fn a_filter_over_several_streams_pages_through_each_line_of_each_once() {
    let (cloud, clock) = demo(1.0);
    let task = run(&cloud, "web-stack");
    clock.advance(Duration::seconds(600));
    let web = stream_of(&task, "web");
    let api = stream_of(&task, "api");
    let since = read_all(&cloud, &web)[5].timestamp;
    let mut filter = LogFilter {
        group: web.group.clone(),
        // A stream that does not exist is left out of the answer, as CloudWatch does.
        streams: vec![
            web.stream.clone(),
            api.stream.clone(),
            "ecs/web/nope".into(),
        ],
        start_time: Some(since),
        next_token: None,
    };
    let mut by_stream: BTreeMap<String, Vec<RawLogEvent>> = BTreeMap::new();
    let mut pages = 0;
    loop {
        let page = block_on(cloud.filter_log_events(&filter)).unwrap();
        pages += 1;
        for (stream, event) in page.events {
            by_stream.entry(stream).or_default().push(event);
        }
        match page.next_token {
            Some(token) => filter.next_token = Some(token),
            None => break,
        }
    }
    assert!(
        pages > 1,
        "ten minutes of two streams take more than a page"
    );
    assert_eq!(by_stream.len(), 2, "{:?}", by_stream.keys());
    for stream in [&web, &api] {
        let expected: Vec<RawLogEvent> = read_all(&cloud, stream)
            .into_iter()
            .filter(|event| event.timestamp >= since)
            .collect();
        assert_eq!(by_stream[&stream.stream], expected, "{}", stream.stream);
    }
}
