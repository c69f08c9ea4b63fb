//! `ondeck list`: my instances (or everyone's) as a table or as JSON.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Failure;
use super::output::{emit, emit_json, render_table};
use ondeck_core::config::Profile;
use ondeck_core::format;
use ondeck_core::instances::{Instance, cost};
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::Container;
use ondeck_engine::ops::{self, OpsContext, Snapshot};

pub(super) async fn list(ctx: &OpsContext, all_owners: bool, json: bool) -> Result<(), Failure> {
    let snapshot = ops::refresh(ctx, all_owners).await?;
    let now = Utc::now();
    if json {
        let rows: Vec<InstanceJson> = snapshot
            .instances
            .iter()
            .map(|instance| InstanceJson::new(instance, &snapshot, &ctx.profile, now))
            .collect();
        let json = serde_json::to_string_pretty(&rows).expect("instances serialize");
        emit_json(json);
    } else {
        emit(&instances_table(&snapshot, &ctx.profile, all_owners, now));
    }
    Ok(())
}

/// `list --json`: one object per instance, stable field names for scripts.
#[derive(Debug, Serialize)]
struct InstanceJson<'a> {
    name: &'a str,
    owner: &'a str,
    /// The launch token: tells apart instances of one name (`NAME@LAUNCH` takes its start).
    launch: &'a str,
    template: &'a str,
    state: &'a str,
    created_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    private_ips: &'a [String],
    endpoints: Vec<String>,
    cost_per_hour: Option<f64>,
    cost_so_far: Option<f64>,
    currency: Option<&'static str>,
    /// "task" or "service": what its task definitions run as.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_since: Option<DateTime<Utc>>,
    /// While RESTARTING or after a crash: why the last task nobody stopped ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_crash: Option<String>,
    tasks: Vec<TaskJson<'a>>,
    services: Vec<ServiceJson<'a>>,
}

#[derive(Debug, Serialize)]
struct ServiceJson<'a> {
    name: &'a str,
    arn: &'a str,
    status: &'a str,
    desired_count: i32,
    running_count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollout_failed: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct TaskJson<'a> {
    task_arn: &'a str,
    task_definition: &'a str,
    last_status: &'a str,
    desired_status: &'a str,
    stop_code: Option<&'a str>,
    stopped_reason: Option<&'a str>,
    containers: &'a [Container],
}

/// Money to four decimals: enough for per-hour rates, no float noise in JSON.
fn cents(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl<'a> InstanceJson<'a> {
    fn new(
        instance: &'a Instance,
        snapshot: &Snapshot,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Self {
        let cost = cost::instance_cost(
            instance,
            &snapshot.definitions,
            &profile.region,
            profile.prices,
            now,
        );
        InstanceJson {
            name: &instance.name,
            owner: &instance.owner,
            launch: &instance.launch,
            template: &instance.template,
            state: instance.state.as_str(),
            created_at: instance.created_at,
            expires_at: instance.expires_at,
            private_ips: &instance.private_ips,
            endpoints: ops::endpoints(instance, &snapshot.definitions)
                .iter()
                .map(ToString::to_string)
                .collect(),
            cost_per_hour: cost.map(|c| cents(c.per_hour)),
            cost_so_far: cost.map(|c| cents(c.so_far)),
            currency: cost.map(|c| c.currency),
            kind: if instance.is_service_backed() {
                "service"
            } else {
                "task"
            },
            paused_since: instance.paused_since(),
            last_crash: instance.last_crash().map(|(_, why)| why),
            services: instance
                .services
                .iter()
                .map(|service| ServiceJson {
                    name: &service.name,
                    arn: &service.arn,
                    status: &service.status,
                    desired_count: service.desired_count,
                    running_count: service.running_count,
                    rollout_failed: service.rollout_failed.as_deref(),
                })
                .collect(),
            tasks: instance
                .tasks
                .iter()
                .map(|task| TaskJson {
                    task_arn: &task.task_arn,
                    task_definition: task.task_definition(),
                    last_status: task.last_status.as_str(),
                    desired_status: &task.desired_status,
                    stop_code: task.stop_code.as_deref(),
                    stopped_reason: task.stopped_reason.as_deref(),
                    containers: &task.containers,
                })
                .collect(),
        }
    }
}

fn instances_table(
    snapshot: &Snapshot,
    profile: &Profile,
    all_owners: bool,
    now: DateTime<Utc>,
) -> String {
    let mut rows = vec![{
        let mut header = vec![
            "NAME", "TEMPLATE", "STATE", "TASKS", "AGE", "EXPIRES", "$/H", "ENDPOINT",
        ];
        if all_owners {
            header.insert(1, "OWNER");
        }
        header.into_iter().map(String::from).collect::<Vec<_>>()
    }];
    for instance in &snapshot.instances {
        let cost = cost::instance_cost(
            instance,
            &snapshot.definitions,
            &profile.region,
            profile.prices,
            now,
        );
        let mut row = vec![
            printable(&instance.name).into_owned(),
            printable(&instance.template).into_owned(),
            instance.state.to_string(),
            format!("{}/{}", instance.tasks_running(), instance.tasks_expected()),
            instance
                .created_at
                .map_or_else(|| "-".into(), |at| format::age(at, now)),
            instance
                .expires_at
                .map(|at| format::remaining(at, now))
                .unwrap_or_else(|| "-".into()),
            cost.map(|c| format::rate(c.per_hour))
                .unwrap_or_else(|| "-".into()),
            ops::endpoints(instance, &snapshot.definitions)
                .first()
                .map(|endpoint| printable(&endpoint.to_string()).into_owned())
                .unwrap_or_else(|| "-".into()),
        ];
        if all_owners {
            row.insert(1, printable(&instance.owner).into_owned());
        }
        rows.push(row);
    }
    if snapshot.instances.is_empty() {
        return format!(
            "no instances of {} in cluster {}; `ondeck launch TEMPLATE` starts one\n",
            if all_owners { "anyone" } else { &profile.owner },
            profile.cluster
        );
    }
    render_table(&rows)
}
