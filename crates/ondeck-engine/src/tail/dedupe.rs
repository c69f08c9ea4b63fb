//! Each event delivered once across the channels that bring it (pages, Live Tail updates).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use ondeck_core::model::RawLogEvent;

/// Distinct events remembered for deduplication at most (about 5 MiB), for bursts.
pub(super) const DEDUPE_CAPACITY: usize = 32_768;

/// Copies of an event come through overlaps of seconds (a renewal, a resume, the seam after
/// the backfill), all near the newest event: older ones need not be remembered, which keeps a
/// quiet stream's memory small.
pub(super) const DEDUPE_WINDOW_MS: i64 = 120_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EventKey {
    source: u16,
    timestamp: i64,
    digest: u64,
}

#[derive(Default)]
struct Seen {
    delivered: u32,
    /// Copies each channel (a cursor, a Live Tail session) has brought.
    by_channel: Vec<(u64, u32)>,
}

/// Remembers recent events by (source, timestamp, message hash). An event is new when some
/// channel brings more copies of it than were delivered: the same line arriving through two
/// channels goes out once, while a line a program really printed twice goes out twice.
pub(super) struct Dedupe {
    seen: HashMap<EventKey, Seen>,
    order: VecDeque<EventKey>,
    capacity: usize,
    /// Events this far older than the newest are forgotten (see `DEDUPE_WINDOW_MS`).
    window_ms: i64,
    newest: i64,
}

impl Dedupe {
    pub(super) fn new(capacity: usize, window_ms: i64) -> Dedupe {
        Dedupe {
            seen: HashMap::new(),
            order: VecDeque::new(),
            capacity,
            window_ms,
            newest: i64::MIN,
        }
    }

    pub(super) fn admit(&mut self, channel: u64, source: u16, event: &RawLogEvent) -> bool {
        let mut hasher = DefaultHasher::new();
        event.message.hash(&mut hasher);
        let key = EventKey {
            source,
            timestamp: event.timestamp,
            digest: hasher.finish(),
        };
        let seen = self.seen.entry(key).or_insert_with(|| {
            self.order.push_back(key);
            Seen::default()
        });
        let copies = match seen.by_channel.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, copies)) => {
                *copies += 1;
                *copies
            }
            None => {
                seen.by_channel.push((channel, 1));
                1
            }
        };
        let fresh = copies > seen.delivered;
        seen.delivered = seen.delivered.max(copies);
        self.newest = self.newest.max(event.timestamp);
        // Forgotten in arrival order: beyond the capacity, or out of the window.
        let horizon = self.newest.saturating_sub(self.window_ms);
        while let Some(oldest) = self.order.front()
            && (self.order.len() > self.capacity || oldest.timestamp < horizon)
        {
            self.seen.remove(oldest);
            self.order.pop_front();
        }
        fresh
    }
}

#[cfg(test)]
mod tests;
