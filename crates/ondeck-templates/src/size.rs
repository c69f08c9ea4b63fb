//! The Fargate task sizes: which CPU / memory pairs a task definition may ask for.

use std::fmt;

use serde::Serialize;

/// The memory values (MiB) one CPU value accepts.
enum Memories {
    Listed(&'static [u32]),
    Stepped { min: u32, max: u32, step: u32 },
}

/// One row of the Fargate size table: a CPU value and the memory values it accepts.
struct SizeRow {
    cpu: u32,
    memories: Memories,
}

impl SizeRow {
    fn memories(&self) -> Vec<u32> {
        match self.memories {
            Memories::Listed(values) => values.to_vec(),
            Memories::Stepped { min, max, step } => (min..=max).step_by(step as usize).collect(),
        }
    }

    fn accepts(&self, memory: u32) -> bool {
        self.memories().contains(&memory)
    }

    /// `512, 1024 or 2048 MiB` / `2048–8192 MiB in steps of 1024`.
    fn describe_memory(&self) -> String {
        match self.memories {
            Memories::Listed(values) => {
                let listed: Vec<String> = values.iter().map(u32::to_string).collect();
                format!("{} MiB", join_or(&listed))
            }
            Memories::Stepped { min, max, step } => {
                format!("{min}–{max} MiB in steps of {step}")
            }
        }
    }
}

/// Linux Fargate sizes (CPU units, memory MiB). 8 and 16 vCPU need platform version 1.4.0.
#[rustfmt::skip]
const TABLE: &[SizeRow] = &[
    SizeRow { cpu: 256, memories: Memories::Listed(&[512, 1024, 2048]) },
    SizeRow { cpu: 512, memories: Memories::Stepped { min: 1024, max: 4096, step: 1024 } },
    SizeRow { cpu: 1024, memories: Memories::Stepped { min: 2048, max: 8192, step: 1024 } },
    SizeRow { cpu: 2048, memories: Memories::Stepped { min: 4096, max: 16384, step: 1024 } },
    SizeRow { cpu: 4096, memories: Memories::Stepped { min: 8192, max: 30720, step: 1024 } },
    SizeRow { cpu: 8192, memories: Memories::Stepped { min: 16384, max: 61440, step: 4096 } },
    SizeRow { cpu: 16384, memories: Memories::Stepped { min: 32768, max: 122880, step: 8192 } },
];

/// A valid Fargate task size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TaskSize {
    /// CPU units (1024 = 1 vCPU).
    pub cpu: u32,
    /// MiB.
    pub memory: u32,
}

impl fmt::Display for TaskSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu {} ({} vCPU), memory {} MiB",
            self.cpu,
            vcpu(self.cpu),
            self.memory
        )
    }
}

/// `0.25`, `1`, `16` — CPU units as vCPU for people.
pub fn vcpu(cpu: u32) -> String {
    let whole = cpu / 1024;
    let quarter = cpu % 1024;
    if quarter == 0 {
        whole.to_string()
    } else {
        let fraction = format!("{:.2}", f64::from(cpu) / 1024.0);
        fraction.trim_end_matches('0').to_string()
    }
}

/// A CPU / memory pair that is not in the Fargate table, with the valid sizes nearest to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError {
    pub cpu: u32,
    pub memory: u32,
    /// Nearest valid sizes, smallest first; never empty.
    pub nearest: Vec<TaskSize>,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu = {}, memory = {} is not a Fargate task size",
            self.cpu, self.memory
        )?;
        match TABLE.iter().find(|row| row.cpu == self.cpu) {
            Some(row) => write!(f, " (cpu {} takes {})", row.cpu, row.describe_memory())?,
            None => {
                let cpus: Vec<String> = TABLE.iter().map(|row| row.cpu.to_string()).collect();
                write!(f, " (cpu must be one of {})", cpus.join(", "))?;
            }
        }
        let nearest: Vec<String> = self
            .nearest
            .iter()
            .map(|size| format!("cpu = {}, memory = {}", size.cpu, size.memory))
            .collect();
        write!(f, "; nearest valid: {}", join_or(&nearest))
    }
}

impl std::error::Error for SizeError {}

impl TaskSize {
    /// The size if `cpu` / `memory` is a row of the Fargate table, else the nearest valid ones.
    pub fn new(cpu: u32, memory: u32) -> Result<TaskSize, SizeError> {
        if TABLE
            .iter()
            .any(|row| row.cpu == cpu && row.accepts(memory))
        {
            return Ok(TaskSize { cpu, memory });
        }
        Err(SizeError {
            cpu,
            memory,
            nearest: nearest(cpu, memory),
        })
    }

    /// The smallest size (cheapest: fewest CPU units, then least memory) holding at least
    /// `cpu` units and `memory` MiB; `None` above 16 vCPU / 120 GiB.
    pub fn smallest_fitting(cpu: u32, memory: u32) -> Option<TaskSize> {
        all_sizes().find(|size| size.cpu >= cpu && size.memory >= memory)
    }
}

fn all_sizes() -> impl Iterator<Item = TaskSize> {
    TABLE.iter().flat_map(|row| {
        row.memories().into_iter().map(|memory| TaskSize {
            cpu: row.cpu,
            memory,
        })
    })
}

/// For a CPU value in the table: its memory values just below and above the request (or its
/// end points). Otherwise the rows just below and above the CPU value, each with the memory
/// nearest to the request. Plus the smallest size that holds both numbers, if any.
fn nearest(cpu: u32, memory: u32) -> Vec<TaskSize> {
    let mut found = Vec::new();
    match TABLE.iter().find(|row| row.cpu == cpu) {
        Some(row) => {
            let values = row.memories();
            let below = values.iter().rev().copied().find(|&value| value < memory);
            let above = values.iter().copied().find(|&value| value > memory);
            found.extend(below.or(above).map(|memory| TaskSize { cpu, memory }));
            found.extend(above.map(|memory| TaskSize { cpu, memory }));
        }
        None => {
            let below = TABLE.iter().rev().find(|row| row.cpu < cpu);
            let above = TABLE.iter().find(|row| row.cpu > cpu);
            for row in below.into_iter().chain(above) {
                let values = row.memories();
                let memory = values
                    .iter()
                    .copied()
                    .min_by_key(|&value| value.abs_diff(memory))
                    .unwrap_or(values[0]);
                found.push(TaskSize {
                    cpu: row.cpu,
                    memory,
                });
            }
        }
    }
    found.extend(TaskSize::smallest_fitting(cpu, memory));
    found.sort();
    found.dedup();
    found
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests;
