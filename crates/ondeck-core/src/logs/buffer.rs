//! A bounded ring of sanitized log lines, addressed by a sequence number that never repeats,
//! so a view can hold on to "the line I was looking at" while older lines are evicted.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

use super::sanitize::{Level, SanitizedText, detect_level, sanitize};

/// Lines kept per instance when no capacity is configured.
pub const DEFAULT_CAPACITY: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub seq: u64,
    /// Milliseconds since the epoch, as CloudWatch reports the event.
    pub timestamp: i64,
    /// Index of the container the line came from.
    pub source: u16,
    pub level: Option<Level>,
    pub text: SanitizedText,
}

/// Lines in arrival order. Display order is arrival order: the tail engine hands over each
/// batch already sorted by timestamp, so appending keeps every batch in time order without
/// re-sorting a 50,000-line ring on every push.
///
/// Sequence numbers are contiguous within the ring, which makes [`LogBuffer::get`] an index
/// computation; they keep counting across [`LogBuffer::clear`], so a stale anchor can never
/// point at a different line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    next_seq: u64,
    evicted: u64,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// A capacity of 0 is treated as 1: a pane that can hold nothing would be a silent bug.
    pub fn new(capacity: usize) -> LogBuffer {
        let capacity = capacity.max(1);
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            next_seq: 0,
            evicted: 0,
        }
    }

    /// Sanitizes `raw`, detects its level and appends it, evicting the oldest line when full.
    /// Returns the new line's sequence number.
    pub fn push(&mut self, timestamp: i64, source: u16, raw: &str) -> u64 {
        let text = sanitize(raw);
        let level = detect_level(&text.text);
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.evicted += 1;
        }
        self.lines.push_back(LogLine {
            seq,
            timestamp,
            source,
            level,
            text,
        });
        seq
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lines dropped to make room, since the buffer was created (clearing is not eviction).
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    pub fn first_seq(&self) -> Option<u64> {
        self.lines.front().map(|line| line.seq)
    }

    pub fn last_seq(&self) -> Option<u64> {
        self.lines.back().map(|line| line.seq)
    }

    pub fn get(&self, seq: u64) -> Option<&LogLine> {
        let index = seq.checked_sub(self.first_seq()?)?;
        self.lines.get(usize::try_from(index).ok()?)
    }

    /// Lines from `seq` (or the oldest kept line, if `seq` was evicted) to the newest.
    pub fn iter_from(&self, seq: u64) -> impl DoubleEndedIterator<Item = &LogLine> {
        self.lines.range(self.index_at_or_after(seq)..)
    }

    /// Lines from `seq` (or the newest line, if `seq` is beyond it) back to the oldest.
    pub fn iter_back_from(&self, seq: u64) -> impl Iterator<Item = &LogLine> {
        let end = match self.first_seq() {
            Some(first) if seq >= first => self.index_at_or_after(seq.saturating_add(1)),
            _ => 0,
        };
        self.lines.range(..end).rev()
    }

    /// Every line, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        self.lines.iter()
    }

    /// Drops every line; sequence numbers and the eviction count carry on.
    pub fn clear(&mut self) {
        self.lines.clear();
    }

    fn index_at_or_after(&self, seq: u64) -> usize {
        match self.first_seq() {
            Some(first) => usize::try_from(seq.saturating_sub(first))
                .unwrap_or(usize::MAX)
                .min(self.lines.len()),
            None => 0,
        }
    }
}

/// Keys remembered when no limits are configured.
pub const DEDUPE_KEYS: usize = 10_000;
/// How far behind the newest event a key is still remembered, in milliseconds.
pub const DEDUPE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// Drops events seen before: CloudWatch may deliver an event twice, and the backfill read by
/// GetLogEvents overlaps the first seconds of the live tail.
///
/// An event is identified by its container, timestamp and a hash of its message. Two identical
/// lines printed by the same container in the same millisecond are therefore one event; the
/// APIs give no finer identity for GetLogEvents results.
///
/// Memory is bounded twice: at most `max_keys` keys, and keys older than `window_ms` behind the
/// newest timestamp seen are forgotten (oldest inserted first).
#[derive(Debug, Clone)]
pub struct Deduper {
    seen: HashSet<EventKey>,
    order: VecDeque<EventKey>,
    max_keys: usize,
    window_ms: i64,
    newest: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EventKey {
    source: u16,
    timestamp: i64,
    message: u64,
}

impl Default for Deduper {
    fn default() -> Self {
        Deduper::new(DEDUPE_KEYS, DEDUPE_WINDOW_MS)
    }
}

impl Deduper {
    pub fn new(max_keys: usize, window_ms: i64) -> Deduper {
        Deduper {
            seen: HashSet::new(),
            order: VecDeque::new(),
            max_keys: max_keys.max(1),
            window_ms,
            newest: i64::MIN,
        }
    }

    /// True the first time an event is offered; false for a repeat that is still remembered.
    pub fn is_new(&mut self, source: u16, timestamp: i64, raw: &str) -> bool {
        let mut hasher = DefaultHasher::new();
        raw.hash(&mut hasher);
        let key = EventKey {
            source,
            timestamp,
            message: hasher.finish(),
        };
        if !self.seen.insert(key) {
            return false;
        }
        self.order.push_back(key);
        self.newest = self.newest.max(timestamp);
        let horizon = self.newest.saturating_sub(self.window_ms);
        while let Some(&oldest) = self.order.front() {
            if self.order.len() <= self.max_keys && oldest.timestamp >= horizon {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&oldest);
        }
        true
    }

    /// Keys currently remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filled(capacity: usize, count: usize) -> LogBuffer {
        let mut buffer = LogBuffer::new(capacity);
        for i in 0..count {
            buffer.push(i as i64, (i % 3) as u16, &format!("line {i}"));
        }
        buffer
    }

    #[test]
    fn push_sanitizes_and_detects_level() {
        let mut buffer = LogBuffer::new(10);
        let seq = buffer.push(5, 2, "\x1b[31mERROR\x1b[0m boom\r\n");
        let line = buffer.get(seq).unwrap();
        assert_eq!(line.text.text, "ERROR boom");
        assert_eq!(line.level, Some(Level::Error));
        assert_eq!((line.timestamp, line.source), (5, 2));
    }

    #[test]
    fn full_buffer_evicts_oldest_and_keeps_sequence_lookup() {
        let buffer = filled(3, 5);
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.evicted(), 2);
        assert_eq!(buffer.first_seq(), Some(2));
        assert_eq!(buffer.last_seq(), Some(4));
        assert!(buffer.get(1).is_none());
        assert_eq!(buffer.get(3).unwrap().text.text, "line 3");
        assert!(buffer.get(5).is_none());
    }

    #[test]
    fn iterators_clamp_to_what_is_kept() {
        let buffer = filled(3, 5);
        let from = |seq| buffer.iter_from(seq).map(|l| l.seq).collect::<Vec<_>>();
        assert_eq!(from(0), vec![2, 3, 4]);
        assert_eq!(from(3), vec![3, 4]);
        assert!(from(9).is_empty());
        let back = |seq| {
            buffer
                .iter_back_from(seq)
                .map(|l| l.seq)
                .collect::<Vec<_>>()
        };
        assert_eq!(back(3), vec![3, 2]);
        assert_eq!(back(99), vec![4, 3, 2]);
        assert!(back(1).is_empty());
    }

    #[test]
    fn clear_keeps_counting_sequences() {
        let mut buffer = filled(10, 4);
        buffer.clear();
        assert!(buffer.is_empty());
        assert_eq!(buffer.first_seq(), None);
        assert_eq!(buffer.push(0, 0, "again"), 4);
        assert!(buffer.get(0).is_none());
    }

    #[test]
    fn zero_capacity_still_holds_one_line() {
        let buffer = filled(0, 2);
        assert_eq!(buffer.capacity(), 1);
        assert_eq!(buffer.len(), 1);
        assert_eq!(buffer.last_seq(), Some(1));
    }

    #[test]
    fn deduper_drops_repeats_per_source_and_timestamp() {
        let mut dedupe = Deduper::default();
        assert!(dedupe.is_new(0, 100, "hello"));
        assert!(!dedupe.is_new(0, 100, "hello"));
        assert!(dedupe.is_new(1, 100, "hello"));
        assert!(dedupe.is_new(0, 101, "hello"));
        assert!(dedupe.is_new(0, 100, "hello!"));
    }

    #[test]
    fn deduper_forgets_beyond_its_key_limit() {
        let mut dedupe = Deduper::new(2, i64::MAX);
        assert!(dedupe.is_new(0, 1, "a"));
        assert!(dedupe.is_new(0, 2, "b"));
        assert!(dedupe.is_new(0, 3, "c"));
        assert_eq!(dedupe.len(), 2);
        assert!(dedupe.is_new(0, 1, "a"), "oldest key was forgotten");
        assert!(!dedupe.is_new(0, 3, "c"));
    }

    #[test]
    fn deduper_forgets_keys_outside_the_time_window() {
        let mut dedupe = Deduper::new(100, 1_000);
        assert!(dedupe.is_new(0, 0, "old"));
        assert!(dedupe.is_new(0, 900, "recent"));
        assert!(!dedupe.is_new(0, 0, "old"));
        assert!(dedupe.is_new(0, 1_500, "new"));
        assert_eq!(dedupe.len(), 2);
        assert!(!dedupe.is_new(0, 900, "recent"));
        assert!(dedupe.is_new(0, 0, "old"));
    }

    #[test]
    fn deduper_drops_the_backfill_live_seam() {
        let mut dedupe = Deduper::default();
        let backfill = [(1_000, "a"), (1_001, "b"), (1_002, "c")];
        let live = [(1_001, "b"), (1_002, "c"), (1_003, "d")];
        let kept: Vec<&str> = backfill
            .iter()
            .chain(live.iter())
            .filter(|(ts, msg)| dedupe.is_new(0, *ts, msg))
            .map(|(_, msg)| *msg)
            .collect();
        assert_eq!(kept, vec!["a", "b", "c", "d"]);
    }

    proptest! {
        #[test]
        fn ring_invariants_hold(capacity in 1usize..40, pushes in 0usize..200) {
            let mut buffer = LogBuffer::new(capacity);
            let mut previous = None;
            for i in 0..pushes {
                let seq = buffer.push(i as i64, 0, &format!("l{i}"));
                if let Some(prev) = previous {
                    prop_assert!(seq > prev);
                }
                previous = Some(seq);
                prop_assert!(buffer.len() <= buffer.capacity());
                prop_assert_eq!(buffer.evicted() + buffer.len() as u64, i as u64 + 1);
                prop_assert_eq!(buffer.get(seq).map(|l| l.seq), Some(seq));
            }
            for line in buffer.iter() {
                prop_assert_eq!(buffer.get(line.seq), Some(line));
            }
            let seqs: Vec<u64> = buffer.iter().map(|l| l.seq).collect();
            prop_assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
        }
    }
}
