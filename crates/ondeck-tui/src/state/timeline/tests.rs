use super::*;
use crate::state::fixtures::{at, instance, task};

#[test]
fn changes_are_recorded_once_and_ecs_times_merge_in_order() {
    let mut journal = Journal::default();
    let mut pending = task("web", "t1", TaskState::Pending);
    pending.times.created_at = Some(at(10, 0));
    let first = journal.observe(&[instance("web", vec![pending.clone()])], at(10, 1));
    let events: Vec<_> = first.iter().map(|e| e.event.clone()).collect();
    assert_eq!(
        events,
        vec![
            TimelineEvent::Observed(TaskState::Pending),
            TimelineEvent::Ecs("createdAt".into())
        ]
    );
    // Same snapshot again: nothing new.
    assert!(
        journal
            .observe(&[instance("web", vec![pending.clone()])], at(10, 2))
            .is_empty()
    );

    let mut running = pending;
    running.last_status = TaskState::Running;
    running.times.started_at = Some(at(10, 2));
    journal.observe(&[instance("web", vec![running.clone()])], at(10, 3));
    let mut stopping = running;
    stopping.desired_status = "STOPPED".into();
    stopping.last_status = TaskState::Stopping;
    journal.observe(&[instance("web", vec![stopping.clone()])], at(10, 4));

    let described: Vec<String> = journal
        .for_instance(&instance("web", vec![stopping]))
        .iter()
        .map(|e| format!("{} {}", e.at.format("%H:%M"), e.event.describe()))
        .collect();
    assert_eq!(
        described,
        vec![
            "10:00 ECS createdAt",
            "10:01 seen PENDING",
            "10:02 ECS startedAt",
            "10:03 seen RUNNING",
            "10:04 seen STOPPING",
            "10:04 stop requested",
        ]
    );
}

#[test]
fn a_reloaded_journal_does_not_report_known_tasks_as_new() {
    let mut journal = Journal::default();
    let snapshot = [instance("web", vec![task("web", "t1", TaskState::Running)])];
    let written = journal.observe(&snapshot, at(9, 0));
    let mut reloaded = Journal::from_entries(written, 100);
    assert!(reloaded.observe(&snapshot, at(9, 5)).is_empty());
}

#[test]
fn the_cap_drops_the_oldest_entries() {
    let mut journal = Journal::new(2);
    for (minute, state) in [
        (0, TaskState::Provisioning),
        (1, TaskState::Pending),
        (2, TaskState::Running),
    ] {
        let mut seen = task("web", "t1", state);
        seen.times.created_at = Some(at(7, 0));
        journal.observe(&[instance("web", vec![seen])], at(8, minute));
    }
    let kept: Vec<_> = journal.entries().iter().map(|e| e.at).collect();
    assert_eq!(kept, vec![at(8, 1), at(8, 2)]);
}

mod services {
    use super::*;
    use crate::state::timeline::fixtures::{
        SERVICE_ARN, service, service_backed, service_event, service_task,
    };
    use ondeck_core::model::ServiceEvent;

    /// ECS's events of the service, newest first, as every DescribeServices returns them.
    fn events() -> Vec<ServiceEvent> {
        vec![
            service_event(
                "e2",
                at(9, 5),
                "(service ondeck-ana-jobs-web) has reached a steady state.",
            ),
            service_event(
                "e1",
                at(9, 2),
                "(service ondeck-ana-jobs-web) has started 1 tasks: (task a1b2c3d4).",
            ),
        ]
    }

    fn jobs(events: Vec<ServiceEvent>) -> Instance {
        service_backed(
            vec![service_task("a1b2c3d4", TaskState::Running, at(9, 1))],
            vec![service(events)],
        )
    }

    fn service_ids(entries: &[TimelineEntry]) -> Vec<&str> {
        entries
            .iter()
            .filter_map(|entry| match &entry.event {
                TimelineEvent::Service { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn service_events_are_recorded_once_across_refreshes_and_read_among_task_changes() {
        let mut journal = Journal::default();
        let first = journal.observe(&[jobs(events())], at(9, 10));
        assert_eq!(service_ids(&first), ["e2", "e1"]);
        for minute in [11, 12] {
            assert!(
                journal.observe(&[jobs(events())], at(9, minute)).is_empty(),
                "the same events again at 9:{minute}"
            );
        }
        // A newer event comes first in the next answer; only it is new.
        let mut newer = events();
        newer.insert(
            0,
            service_event(
                "e3",
                at(9, 13),
                "(service ondeck-ana-jobs-web) (task a1b2c3d4) failed container health checks.",
            ),
        );
        let added = journal.observe(&[jobs(newer.clone())], at(9, 14));
        assert_eq!(service_ids(&added), ["e3"]);

        let described: Vec<String> = journal
            .for_instance(&jobs(newer))
            .iter()
            .map(|e| format!("{} {}", e.at.format("%H:%M"), e.event.describe()))
            .collect();
        assert_eq!(
            described,
            [
                "09:01 ECS createdAt",
                "09:02 ondeck-ana-jobs-web: has started 1 tasks: (task a1b2c3d4).",
                "09:05 ondeck-ana-jobs-web: has reached a steady state.",
                "09:10 seen RUNNING",
                "09:13 ondeck-ana-jobs-web: (task a1b2c3d4) failed container health checks.",
            ]
        );
        let entry = journal
            .entries()
            .iter()
            .find(|entry| matches!(entry.event, TimelineEvent::Service { .. }))
            .unwrap();
        assert_eq!(
            (entry.task_arn.as_str(), entry.task_definition.as_str()),
            (SERVICE_ARN, "web:3"),
            "filed under the service"
        );
    }

    #[test]
    fn a_message_without_the_prefix_of_its_service_is_kept_whole() {
        let event = TimelineEvent::Service {
            service: "ondeck-ana-jobs-web".into(),
            id: "e9".into(),
            message: "(service other) was unable to place a task.".into(),
        };
        assert_eq!(
            event.describe(),
            "ondeck-ana-jobs-web: (service other) was unable to place a task."
        );
    }

    #[test]
    fn service_events_are_held_to_the_cap_and_evicted_ones_do_not_come_back() {
        let mut journal = Journal::new(3);
        let many: Vec<ServiceEvent> = (0..5)
            .rev()
            .map(|minute| service_event(&format!("e{minute}"), at(9, minute), "event"))
            .collect();
        let mut quiet = jobs(many.clone());
        quiet.tasks.clear();
        journal.observe(std::slice::from_ref(&quiet), at(9, 10));
        assert_eq!(service_ids(journal.entries()), ["e2", "e3", "e4"]);
        assert!(journal.observe(&[quiet], at(9, 11)).is_empty());
    }

    #[test]
    fn a_service_made_again_under_its_old_name_shows_only_its_own_events() {
        let mut journal = Journal::default();
        journal.observe(&[jobs(events())], at(9, 10));
        let mut again = jobs(vec![]);
        again.tasks.clear();
        again.services[0].created_at = Some(at(9, 3));
        let kept: Vec<String> = journal
            .for_instance(&again)
            .iter()
            .map(|entry| entry.event.describe())
            .collect();
        assert_eq!(kept, ["ondeck-ana-jobs-web: has reached a steady state."]);
    }
}
