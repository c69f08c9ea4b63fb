//! Generated CloudWatch log streams. A stream's lines are a pure function of its seed and
//! of time: simulated second `slot` after the container started holds a seeded number of
//! lines, so any position can be found again and paging never repeats or skips a line.

mod lines;

use chrono::DateTime;
use fastrand::Rng;

use crate::catalog::Kind;
use lines::{burst_line, farewell, farewell_len, hostile_line, line, startup, startup_len};
use ondeck_core::CloudError;
use ondeck_core::model::{FilteredPage, LogFilter, LogPage, LogQuery, RawLogEvent};

/// Our cap on one GetLogEvents page (CloudWatch allows 10 000).
pub(super) const MAX_PAGE: usize = 1000;
/// Slots hold fewer lines than this, so a position packs into one number.
const SLOT_CAPACITY: u64 = 1024;
const BURST_LINES: usize = 50;

/// How a container's last lines read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// SIGTERM, then a clean exit.
    Graceful,
    /// Ignored SIGTERM and was killed.
    Killed,
    /// Exited with an error by itself.
    Crashed,
    /// Killed by the kernel for its memory.
    OutOfMemory,
}

/// A place in a stream: line `index` of simulated second `slot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pos {
    slot: u64,
    index: u64,
}

impl Pos {
    pub const HEAD: Pos = Pos { slot: 0, index: 0 };

    pub fn encode(self) -> String {
        format!("f/{:020}", self.slot * SLOT_CAPACITY + self.index)
    }

    pub fn decode(token: &str) -> Result<Pos, CloudError> {
        let packed = token
            .strip_prefix("f/")
            .and_then(|digits| digits.parse::<u64>().ok())
            .ok_or_else(|| CloudError::Invalid {
                action: "logs:GetLogEvents".into(),
                detail: "The specified nextToken is invalid.".into(),
            })?;
        Ok(Pos {
            slot: packed / SLOT_CAPACITY,
            index: packed % SLOT_CAPACITY,
        })
    }

    fn next_slot(self) -> Pos {
        Pos {
            slot: self.slot + 1,
            index: 0,
        }
    }
}

/// Everything that decides one stream's content.
#[derive(Debug, Clone)]
pub(super) struct StreamSource {
    pub seed: u64,
    pub kind: Kind,
    pub container: &'static str,
    pub start_ms: i64,
    /// When the container exits, and how; lines stop before it.
    pub end: Option<(i64, Ending)>,
    pub env: Vec<(String, String)>,
    pub hostile: bool,
    /// Wall-clock milliseconds of one simulated second.
    pub slot_ms: f64,
}

impl StreamSource {
    /// One page of GetLogEvents at `now_ms`.
    pub fn page(&self, query: &LogQuery, now_ms: i64) -> Result<LogPage, CloudError> {
        let limit = match query.limit {
            None => MAX_PAGE,
            Some(limit) if limit >= 1 => (limit as usize).min(MAX_PAGE),
            Some(limit) => {
                return Err(CloudError::Invalid {
                    action: "logs:GetLogEvents".into(),
                    detail: format!("limit must be at least 1, got {limit}"),
                });
            }
        };
        if let Some(token) = &query.next_token {
            let (events, next) = self.read_forward(Pos::decode(token)?, now_ms, limit);
            return Ok(page(events, next));
        }
        let floor = query
            .start_time
            .map_or(Pos::HEAD, |start| self.first_at_or_after(start));
        if query.start_from_head {
            let (events, next) = self.read_forward(floor, now_ms, limit);
            Ok(page(events, next))
        } else {
            let frontier = self.frontier(now_ms).max(floor);
            Ok(page(self.read_backward(floor, frontier, limit), frontier))
        }
    }

    /// Up to `limit` lines from `from` that exist at `now_ms`, and where to read on.
    pub fn read_forward(&self, from: Pos, now_ms: i64, limit: usize) -> (Vec<RawLogEvent>, Pos) {
        let mut events = Vec::new();
        let Some(last) = self.last_slot(now_ms) else {
            return (events, from);
        };
        let mut pos = from;
        while pos.slot <= last {
            let lines = self.slot_events(pos.slot);
            while let Some(line) = lines.get(pos.index as usize) {
                if line.timestamp > now_ms || events.len() == limit {
                    return (events, pos);
                }
                events.push(line.clone());
                pos.index += 1;
            }
            pos = pos.next_slot();
        }
        (events, pos)
    }

    /// The position of the first line that does not exist yet at `now_ms`.
    pub fn frontier(&self, now_ms: i64) -> Pos {
        let Some(last) = self.last_slot(now_ms) else {
            return Pos::HEAD;
        };
        let lines = self.slot_events(last);
        match lines.iter().position(|line| line.timestamp > now_ms) {
            Some(index) => Pos {
                slot: last,
                index: index as u64,
            },
            None => Pos {
                slot: last,
                index: 0,
            }
            .next_slot(),
        }
    }

    /// The last `limit` lines in `[floor, frontier)`, oldest first.
    fn read_backward(&self, floor: Pos, frontier: Pos, limit: usize) -> Vec<RawLogEvent> {
        let mut newest_first = Vec::new();
        let mut slot = frontier.slot;
        loop {
            let lines = self.slot_events(slot);
            let high = if slot == frontier.slot {
                (frontier.index as usize).min(lines.len())
            } else {
                lines.len()
            };
            let low = if slot == floor.slot {
                (floor.index as usize).min(high)
            } else {
                0
            };
            for line in lines[low..high].iter().rev() {
                if newest_first.len() == limit {
                    newest_first.reverse();
                    return newest_first;
                }
                newest_first.push(line.clone());
            }
            if slot <= floor.slot {
                break;
            }
            slot -= 1;
        }
        newest_first.reverse();
        newest_first
    }

    fn first_at_or_after(&self, at_ms: i64) -> Pos {
        let slot = ((at_ms - self.start_ms) as f64 / self.slot_ms).floor();
        if slot < 0.0 {
            return Pos::HEAD;
        }
        let slot = slot as u64;
        let index = self
            .slot_events(slot)
            .iter()
            .take_while(|line| line.timestamp < at_ms)
            .count();
        Pos {
            slot,
            index: index as u64,
        }
    }

    /// Slots `0..end_slot` hold lines; the last ends before the container exits.
    fn end_slot(&self) -> Option<u64> {
        self.end.map(|(end_ms, _)| {
            (((end_ms - self.start_ms) as f64 / self.slot_ms).floor()).max(0.0) as u64
        })
    }

    /// The last slot that may hold lines at `now_ms`.
    fn last_slot(&self, now_ms: i64) -> Option<u64> {
        if now_ms < self.start_ms {
            return None;
        }
        let current = ((now_ms - self.start_ms) as f64 / self.slot_ms).floor() as u64;
        match self.end_slot() {
            Some(0) => None,
            Some(end) => Some(current.min(end - 1)),
            None => Some(current),
        }
    }

    /// The lines of one simulated second, in order.
    fn slot_events(&self, slot: u64) -> Vec<RawLogEvent> {
        let end = self.end_slot();
        if end.is_some_and(|end| slot >= end) {
            return Vec::new();
        }
        let slot_seed = mix(self.seed, slot);
        let mut rng = Rng::with_seed(slot_seed);
        let is_last = end == Some(slot + 1);
        let count = if is_last {
            farewell_len(self.kind, self.ending())
        } else if slot == 0 {
            startup_len(self.kind) + self.env.len()
        } else {
            normal_count(&mut rng)
        };
        let mut fractions: Vec<f64> = (0..count).map(|_| rng.f64()).collect();
        fractions.sort_by(f64::total_cmp);
        fractions
            .into_iter()
            .enumerate()
            .map(|(index, fraction)| {
                let timestamp = self.start_ms + ((slot as f64 + fraction) * self.slot_ms) as i64;
                let mut line_rng = Rng::with_seed(mix(slot_seed, index as u64 + 1));
                let at = DateTime::from_timestamp_millis(timestamp).unwrap_or_default();
                let message = if is_last {
                    farewell(self.kind, self.ending(), self.container, index, at)
                } else if slot == 0 {
                    startup(self.kind, self.container, &self.env, index, at)
                } else if count == BURST_LINES {
                    burst_line(self.kind, index, &mut line_rng, at)
                } else if self.hostile && line_rng.u8(0..8) == 0 {
                    hostile_line(&mut line_rng, at)
                } else {
                    line(self.kind, self.container, &mut line_rng, at)
                };
                RawLogEvent {
                    timestamp,
                    ingestion_time: timestamp + line_rng.i64(150..900),
                    message,
                }
            })
            .collect()
    }

    fn ending(&self) -> Ending {
        self.end.map_or(Ending::Graceful, |(_, ending)| ending)
    }
}

/// One page of FilterLogEvents over `sources` (None: a stream that does not exist, which
/// CloudWatch leaves out of the answer). Each stream reads its share of the page from where
/// the token left it; the token holds every stream's place, so pages never repeat or skip.
pub(super) fn filter_page(
    filter: &LogFilter,
    sources: &[Option<StreamSource>],
    now_ms: i64,
) -> Result<FilteredPage, CloudError> {
    let places: Vec<Option<Pos>> = match &filter.next_token {
        Some(token) => token
            .split(',')
            .map(|place| (place != "-").then(|| Pos::decode(place)).transpose())
            .collect::<Result<_, _>>()?,
        None => sources
            .iter()
            .map(|source| {
                source.as_ref().map(|source| {
                    filter
                        .start_time
                        .map_or(Pos::HEAD, |start| source.first_at_or_after(start))
                })
            })
            .collect(),
    };
    if places.len() != sources.len() {
        return Err(CloudError::Invalid {
            action: "logs:FilterLogEvents".into(),
            detail: "the next token belongs to another filter".into(),
        });
    }
    let share = (MAX_PAGE / sources.len().max(1)).max(1);
    let mut events = Vec::new();
    let mut more = false;
    let mut next = Vec::new();
    for ((name, source), place) in filter.streams.iter().zip(sources).zip(places) {
        let (Some(source), Some(place)) = (source, place) else {
            next.push("-".to_string());
            continue;
        };
        let (read, after) = source.read_forward(place, now_ms, share);
        more |= read.len() == share;
        events.extend(read.into_iter().map(|event| (name.clone(), event)));
        next.push(after.encode());
    }
    events.sort_by_key(|(_, event)| event.timestamp);
    Ok(FilteredPage {
        events,
        next_token: more.then(|| next.join(",")),
    })
}

fn page(events: Vec<RawLogEvent>, next: Pos) -> LogPage {
    LogPage {
        events,
        next_forward_token: Some(next.encode()),
    }
}

/// About one line a second, with a rare burst of fifty.
fn normal_count(rng: &mut Rng) -> usize {
    if rng.u16(0..1000) < 3 {
        return BURST_LINES;
    }
    match rng.u8(0..20) {
        0..7 => 0,
        7..15 => 1,
        15..18 => 2,
        _ => 3,
    }
}

/// A stable seed for a stream from its task and container.
pub(super) fn stream_seed(task_id: &str, container: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in task_id.bytes().chain([b'/']).chain(container.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// SplitMix64 of two values: independent seeds per slot and per line.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
