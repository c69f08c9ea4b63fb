use super::*;
use ondeck_core::model::TaskState;
use ondeck_tui::state::fixtures::{at, instance, task};
use ondeck_tui::state::timeline::Journal;

#[test]
fn journal_round_trips_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = path(dir.path(), "dev/eu");
    assert!(file.ends_with("timeline/dev_eu.jsonl"));
    assert_eq!(load(&file, 100).unwrap(), Loaded::default());

    let mut journal = Journal::new(100);
    let mut web = task("web", "t1", TaskState::Pending);
    let first = journal.observe(&[instance("web", vec![web.clone()])], at(9, 0));
    append(&file, &first).unwrap();
    web.last_status = TaskState::Running;
    web.times.started_at = Some(at(9, 2));
    let second = journal.observe(&[instance("web", vec![web])], at(9, 3));
    append(&file, &second).unwrap();

    let loaded = load(&file, 100).unwrap();
    assert_eq!(loaded.skipped, 0);
    assert_eq!(loaded.entries, [first, second].concat());
    assert_eq!(Journal::from_entries(loaded.entries, 100), journal);
}

#[test]
fn a_long_file_is_compacted_to_the_newest_entries() {
    let dir = tempfile::tempdir().unwrap();
    let file = path(dir.path(), "dev");
    let mut journal = Journal::new(1_000);
    let mut written = Vec::new();
    for minute in 0..7 {
        let mut seen = task("web", &format!("t{minute}"), TaskState::Running);
        seen.times.created_at = None;
        let entries = journal.observe(&[instance("web", vec![seen])], at(9, minute));
        append(&file, &entries).unwrap();
        written.extend(entries);
    }
    fs::write(
        &file,
        format!("not json\n{}", fs::read_to_string(&file).unwrap()),
    )
    .unwrap();

    let loaded = load(&file, 3).unwrap();
    assert_eq!(loaded.entries, written[4..].to_vec());
    assert_eq!(loaded.skipped, 1);
    let lines = fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(lines, 3, "rewritten to the cap");
}

/// A copy of `tests/fixtures/journal/NAME` as the journal of profile `dev` in `dir`.
fn fixture(dir: &Path, name: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/journal")
        .join(name);
    let file = path(dir, "dev");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::copy(&fixture, &file).unwrap();
    file
}

#[test]
fn lines_that_are_not_entries_are_skipped_and_counted_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    // Not UTF-8, not JSON, a kind this version does not know, and a last write cut short,
    // between four good entries and a blank line.
    let file = fixture(dir.path(), "bad_lines.jsonl");
    let loaded = load(&file, 100).unwrap();
    assert_eq!(loaded.skipped, 4);
    let events: Vec<String> = loaded
        .entries
        .iter()
        .map(|entry| entry.event.describe())
        .collect();
    assert_eq!(
        events,
        [
            "seen PENDING",
            "ECS startedAt",
            "seen RUNNING",
            "stop requested"
        ]
    );
}

#[test]
fn only_the_newest_part_of_a_huge_journal_is_read_and_the_file_is_cut_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = path(dir.path(), "dev");
    let mut journal = Journal::new(100);
    let entries = journal.observe(
        &[instance("web", vec![task("web", "t1", TaskState::Running)])],
        at(9, 0),
    );
    // An old line longer than what is read, then the entries.
    let mut text = format!("{{\"instance\":\"{}\"}}\n", "x".repeat(9 << 20));
    for entry in &entries {
        text.push_str(&serde_json::to_string(entry).unwrap());
        text.push('\n');
    }
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, text).unwrap();

    let loaded = load(&file, 100).unwrap();
    assert_eq!(loaded.entries, entries);
    assert_eq!(
        loaded.skipped, 0,
        "the cut-off rest of a line is not counted"
    );
    let left = fs::metadata(&file).unwrap().len();
    assert!(left < 64 << 10, "rewritten to what was kept: {left} bytes");
}

/// Starts the demo `starts` times, five minutes apart, against one state dir, each start
/// recording one snapshot as the dashboard does; returns the journal file's entries.
async fn demo_starts(starts: i64, fresh: bool) -> Vec<TimelineEntry> {
    use std::sync::Arc;

    use ondeck_engine::ops::{OpsContext, refresh};
    use ondeck_sim::{DemoCloud, ManualClock, demo_config};

    let dir = tempfile::tempdir().unwrap();
    let profile = demo_config("ana").profiles["demo"].clone();
    let file = path(dir.path(), &profile.name);
    for start_number in 0..starts {
        let now = at(10, 0) + chrono::Duration::minutes(5 * start_number);
        let cloud = DemoCloud::with_clock("ana", 1.0, Arc::new(ManualClock::new(now)));
        let ctx = OpsContext::new(
            Arc::new(cloud),
            profile.clone(),
            dir.path().to_path_buf(),
            false,
        );
        let loaded = start(&file, Journal::DEFAULT_CAP, fresh).unwrap();
        let mut journal = Journal::from_entries(loaded.entries, Journal::DEFAULT_CAP);
        let snapshot = refresh(&ctx, true).await.unwrap();
        append(&file, &journal.observe(&snapshot.instances, now)).unwrap();
    }
    load(&file, Journal::DEFAULT_CAP).unwrap().entries
}

/// How many entries repeat an event of a task already in `entries`.
fn repeated(entries: &[TimelineEntry]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    entries
        .iter()
        .filter(|entry| !seen.insert((entry.task_arn.clone(), entry.event.clone())))
        .count()
}

#[tokio::test]
async fn two_starts_of_the_demo_keep_one_copy_of_each_event() {
    let once = demo_starts(1, true).await;
    assert!(!once.is_empty());
    assert_eq!(repeated(&once), 0);
    let twice = demo_starts(2, true).await;
    assert_eq!(repeated(&twice), 0, "{twice:#?}");
    assert_eq!(twice.len(), once.len());
    // Kept across starts, the demo's new times for the same tasks would pile up.
    assert!(repeated(&demo_starts(2, false).await) > 0);
}

#[test]
fn service_events_round_trip_through_the_file_beside_lines_written_before_them() {
    use ondeck_tui::state::timeline::TimelineEvent;
    use ondeck_tui::state::timeline::fixtures::{
        service, service_backed, service_event, service_task,
    };

    let dir = tempfile::tempdir().unwrap();
    let file = path(dir.path(), "dev");
    // A line as a version without service events wrote it.
    let old = r#"{"at":"2026-11-23T08:00:00Z","instance":"web","task_arn":"arn:aws:ecs:eu-west-1:123456789012:task/dev/t0","task_definition":"web:3","event":{"kind":"observed","value":"RUNNING"}}"#;
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, format!("{old}\n")).unwrap();

    let jobs = service_backed(
        vec![service_task("a1b2c3d4", TaskState::Running, at(9, 0))],
        vec![service(vec![service_event(
            "e1",
            at(9, 1),
            "(service ondeck-ana-jobs-web) has started 1 tasks: (task a1b2c3d4).\u{202e}",
        )])],
    );
    let mut journal = Journal::new(100);
    let written = journal.observe(std::slice::from_ref(&jobs), at(9, 2));
    append(&file, &written).unwrap();

    let loaded = load(&file, 100).unwrap();
    assert_eq!(loaded.skipped, 0);
    assert_eq!(loaded.entries.len(), 1 + written.len());
    assert_eq!(loaded.entries[0].event.describe(), "seen RUNNING");
    assert_eq!(loaded.entries[1..], written[..]);
    assert!(loaded.entries.iter().any(|entry| matches!(
        &entry.event,
        TimelineEvent::Service { id, message, .. } if id == "e1" && message.ends_with('\u{202e}')
    )));
    // Read back, the same events are known: the next refresh adds none.
    let mut reloaded = Journal::from_entries(loaded.entries, 100);
    assert!(reloaded.observe(&[jobs], at(9, 3)).is_empty());
}
