//! What an instance costs: Fargate's per-vCPU and per-GB hourly rates times task size and time.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::PriceOverride;
use crate::instances::{Instance, InstanceState};
use crate::model::{Task, TaskDefinition, TaskState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// From a task definition's `runtimePlatform.cpuArchitecture`; absent means x86.
    pub fn of(definition: Option<&TaskDefinition>) -> Arch {
        match definition.and_then(|def| def.cpu_architecture.as_deref()) {
            Some(word) if word.eq_ignore_ascii_case("ARM64") => Arch::Arm64,
            _ => Arch::X86_64,
        }
    }
}

/// US dollars per vCPU-hour and per GB-hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub vcpu_hour: f64,
    pub gb_hour: f64,
}

impl Rates {
    pub fn per_hour(&self, vcpu: f64, gb: f64) -> f64 {
        vcpu * self.vcpu_hour + gb * self.gb_hour
    }
}

impl From<PriceOverride> for Rates {
    fn from(price: PriceOverride) -> Rates {
        Rates {
            vcpu_hour: price.vcpu_hour,
            gb_hour: price.gb_hour,
        }
    }
}

/// Fargate Spot has no fixed price: AWS moves it with supply and demand and advertises
/// "up to 70% off" on-demand. Lacking live figures, Spot is estimated at that discount.
pub const SPOT_DISCOUNT: f64 = 0.70;

/// Linux on-demand list prices (x86 vCPU-hour, x86 GB-hour, ARM vCPU-hour, ARM GB-hour).
/// us-east-1 is the published figure; the other regions follow AWS's regional price list as
/// recorded when this table was written and may drift — a profile's `[prices]` overrides them.
fn on_demand(region: &str) -> Option<[f64; 4]> {
    let rates = match region {
        "us-east-1" | "us-east-2" | "us-west-2" | "eu-west-1" => {
            [0.04048, 0.004445, 0.03238, 0.00356]
        }
        "us-west-1" | "eu-west-2" | "eu-central-1" => [0.04656, 0.00511, 0.03725, 0.00409],
        "eu-north-1" => [0.04445, 0.00488, 0.03556, 0.00390],
        "ca-central-1" => [0.04456, 0.00489, 0.03565, 0.00391],
        "ap-south-1" => [0.04256, 0.00467, 0.03405, 0.00374],
        "ap-southeast-2" => [0.04856, 0.00532, 0.03885, 0.00426],
        "ap-southeast-1" | "ap-northeast-1" => [0.05056, 0.00553, 0.04045, 0.00442],
        "sa-east-1" => [0.06960, 0.00765, 0.05568, 0.00612],
        _ => return None,
    };
    Some(rates)
}

/// Built-in Fargate rates for a region, or None when the region is not in the table.
pub fn fargate_rates(region: &str, arch: Arch, spot: bool) -> Option<Rates> {
    let [x86_vcpu, x86_gb, arm_vcpu, arm_gb] = on_demand(region)?;
    let (vcpu_hour, gb_hour) = match arch {
        Arch::X86_64 => (x86_vcpu, x86_gb),
        Arch::Arm64 => (arm_vcpu, arm_gb),
    };
    let factor = if spot { 1.0 - SPOT_DISCOUNT } else { 1.0 };
    Some(Rates {
        vcpu_hour: vcpu_hour * factor,
        gb_hour: gb_hour * factor,
    })
}

/// CPU as ECS writes it: units ("256", 1024 per vCPU) or "0.25 vCPU".
fn parse_vcpu(text: &str) -> Option<f64> {
    let text = text.trim();
    let value = match text.to_ascii_lowercase().strip_suffix("vcpu") {
        Some(vcpus) => vcpus.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()? / 1024.0,
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

/// Memory as ECS writes it: MiB ("512") or "2 GB".
fn parse_gb(text: &str) -> Option<f64> {
    let text = text.trim();
    let value = match text.to_ascii_lowercase().strip_suffix("gb") {
        Some(gb) => gb.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()? / 1024.0,
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

/// (vCPU, GB) a task is billed for: the task's own size, else the definition's task-level
/// size, else the sum over the definition's containers.
pub fn task_size(task: &Task, def: Option<&TaskDefinition>) -> Option<(f64, f64)> {
    let vcpu = task
        .cpu
        .as_deref()
        .and_then(parse_vcpu)
        .or_else(|| def?.cpu.as_deref().and_then(parse_vcpu))
        .or_else(|| container_sum(def?, |c| c.cpu).map(|units| units / 1024.0))?;
    let gb = task
        .memory
        .as_deref()
        .and_then(parse_gb)
        .or_else(|| def?.memory.as_deref().and_then(parse_gb))
        .or_else(|| container_sum(def?, |c| c.memory).map(|mib| mib / 1024.0))?;
    Some((vcpu, gb))
}

/// (vCPU, GB) a task of `definition` is billed for when the launch sets no size of its own:
/// the task-level size, else its containers' sum.
pub fn definition_size(definition: &TaskDefinition) -> Option<(f64, f64)> {
    let vcpu = definition
        .cpu
        .as_deref()
        .and_then(parse_vcpu)
        .or_else(|| container_sum(definition, |c| c.cpu).map(|units| units / 1024.0))?;
    let gb = definition
        .memory
        .as_deref()
        .and_then(parse_gb)
        .or_else(|| container_sum(definition, |c| c.memory).map(|mib| mib / 1024.0))?;
    Some((vcpu, gb))
}

/// What one task of `definition` would cost per hour, before it is launched, at the region's
/// rates or the profile's override. None when its size or the rates are unknown.
pub fn definition_per_hour(
    definition: &TaskDefinition,
    region: &str,
    overrides: Option<PriceOverride>,
    spot: bool,
) -> Option<f64> {
    let (vcpu, gb) = definition_size(definition)?;
    let rates = match overrides {
        Some(price) => Rates::from(price),
        None => fargate_rates(region, Arch::of(Some(definition)), spot)?,
    };
    Some(rates.per_hour(vcpu, gb))
}

fn container_sum(
    def: &TaskDefinition,
    field: impl Fn(&crate::model::ContainerDefinition) -> Option<u32>,
) -> Option<f64> {
    let sizes: Vec<u32> = def.containers.iter().filter_map(field).collect();
    let total: u64 = sizes.iter().map(|&size| u64::from(size)).sum();
    (total > 0).then_some(total as f64)
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// What the tasks still alive cost per hour.
    pub per_hour: f64,
    /// What every task has cost from its start until it stopped (or until now).
    pub so_far: f64,
    pub currency: &'static str,
}

/// Fargate bills at least one minute per task.
const MINIMUM_BILLED_SECONDS: i64 = 60;

/// Fargate capacity at the Spot price.
pub fn is_spot(task: &Task) -> bool {
    task.capacity_provider.as_deref() == Some("FARGATE_SPOT")
}

fn is_stopped(task: &Task) -> bool {
    task.last_status == TaskState::Stopped || task.times.stopped_at.is_some()
}

/// The instance's cost, or None when a task's size or the region's rates are unknown
/// (a partial sum would read as the whole). `overrides` replace the built-in table for
/// every task, Spot or not, ARM or not.
pub fn instance_cost(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
    region: &str,
    overrides: Option<PriceOverride>,
    now: DateTime<Utc>,
) -> Option<Cost> {
    instance_cost_between(
        instance,
        definitions,
        region,
        overrides,
        DateTime::<Utc>::MIN_UTC,
        now,
    )
}

/// Like [`instance_cost`], but `so_far` counts only what was billed from `from` on (e.g.
/// since midnight). A task's minimum billed minute belongs to the minute it started in.
pub fn instance_cost_between(
    instance: &Instance,
    definitions: &BTreeMap<String, TaskDefinition>,
    region: &str,
    overrides: Option<PriceOverride>,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Cost> {
    let mut per_hour = 0.0;
    let mut so_far = 0.0;
    for task in &instance.tasks {
        let def = definitions.get(&task.task_definition_arn);
        let rates = match overrides {
            Some(price) => Rates::from(price),
            None => fargate_rates(region, Arch::of(def), is_spot(task))?,
        };
        let (vcpu, gb) = task_size(task, def)?;
        let hourly = rates.per_hour(vcpu, gb);
        if !is_stopped(task) {
            per_hour += hourly;
        }
        if let Some(start) = task.times.started_at.or(task.times.created_at) {
            let end = task.times.stopped_at.unwrap_or(now);
            let billed_end = end.max(start + Duration::seconds(MINIMUM_BILLED_SECONDS));
            let seconds = (billed_end - start.max(from)).num_seconds().max(0);
            so_far += hourly * seconds as f64 / 3600.0;
        }
    }
    Some(Cost {
        per_hour,
        so_far,
        currency: "USD",
    })
}

/// What several instances cost together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spend {
    /// Instances in state RUNNING: not those starting, stopping, degraded or gone.
    pub running: usize,
    /// None when any instance's cost is unknown.
    pub per_hour: Option<f64>,
    /// Billed from `from` until now; None when any instance's cost is unknown.
    pub since: Option<f64>,
    pub currency: &'static str,
}

/// The sum of [`instance_cost_between`] over `instances`. Tasks that AWS no longer lists
/// (stopped more than about an hour ago) are not among them and so not counted.
pub fn spend<'a>(
    instances: impl IntoIterator<Item = &'a Instance>,
    definitions: &BTreeMap<String, TaskDefinition>,
    region: &str,
    overrides: Option<PriceOverride>,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Spend {
    let mut running = 0;
    let mut total = Some((0.0, 0.0));
    for instance in instances {
        if instance.state == InstanceState::Lifecycle(TaskState::Running) {
            running += 1;
        }
        let cost = instance_cost_between(instance, definitions, region, overrides, from, now);
        total = total
            .zip(cost)
            .map(|((per_hour, since), cost)| (per_hour + cost.per_hour, since + cost.so_far));
    }
    Spend {
        running,
        per_hour: total.map(|(per_hour, _)| per_hour),
        since: total.map(|(_, since)| since),
        currency: "USD",
    }
}

#[cfg(test)]
mod tests;
