//! A bounded ring of sanitized log lines, addressed by a sequence number that never repeats,
//! so a view can hold on to "the line I was looking at" while older lines are evicted.

use std::collections::VecDeque;
use std::mem::size_of;

use super::sanitize::{Level, SanitizedText, StyleRun, detect_level, sanitize, sanitize_label};

/// Lines kept per instance when no capacity is configured.
pub const DEFAULT_CAPACITY: usize = 50_000;
/// Memory the lines of a buffer may hold (see [`LogLine::footprint`]), for buffers of up to
/// [`DEFAULT_CAPACITY`] lines. A count of lines alone does not bound memory: a container can
/// print lines of the sanitizer's 16 KiB limit, each with a style run per character. 18 MiB
/// keeps 50,000 ordinary lines whole (the ingest bench's mix of 200-byte plain, coloured and
/// JSON lines takes 17.2 MB with styles and ring slots) and holds a hostile stream to about
/// two hundred lines, within the 20 MB the log pane's memory may take.
pub const DEFAULT_BYTE_BUDGET: usize = 18 * 1024 * 1024;
/// A larger buffer gets the default budget's share per line: asking for more lines is asking
/// for the memory they take.
const BYTES_PER_LINE: usize = DEFAULT_BYTE_BUDGET / DEFAULT_CAPACITY;

/// Whose a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// What a container printed.
    Output,
    /// ondeck's own note between the lines, e.g. where a service replaced its task: no
    /// container's output, so never saved or copied as such.
    Marker,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub seq: u64,
    /// Milliseconds since the epoch, as CloudWatch reports the event.
    pub timestamp: i64,
    /// Index of the container the line came from; 0, and meaningless, for a marker.
    pub source: u16,
    pub kind: LineKind,
    pub level: Option<Level>,
    pub text: SanitizedText,
}

impl LogLine {
    /// What keeping this line costs, as the byte budget counts it: its slot in the ring plus
    /// the heap memory of its text and style runs.
    pub fn footprint(&self) -> usize {
        size_of::<LogLine>()
            + self.text.text.capacity()
            + self.text.styles.capacity() * size_of::<StyleRun>()
    }
}

/// Lines in arrival order. Display order is arrival order: the tail engine hands over each
/// batch already sorted by timestamp, so appending keeps every batch in time order without
/// re-sorting a 50,000-line ring on every push.
///
/// Two bounds, and the oldest lines go when either is reached: a number of lines
/// (`capacity`) and a number of bytes (`byte_budget`, counted by [`LogLine::footprint`]). The
/// newest line is always kept, so the bytes held exceed the budget by one line at most.
///
/// Sequence numbers are contiguous within the ring, which makes [`LogBuffer::get`] an index
/// computation; they keep counting across [`LogBuffer::clear`], so a stale anchor can never
/// point at a different line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    byte_budget: usize,
    /// Sum of the kept lines' footprints.
    bytes: usize,
    next_seq: u64,
    evicted: u64,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// At most `capacity` lines and [`DEFAULT_BYTE_BUDGET`] bytes (more for more than
    /// [`DEFAULT_CAPACITY`] lines). A capacity of 0 is treated as 1: a pane that can hold
    /// nothing would be a silent bug.
    pub fn new(capacity: usize) -> LogBuffer {
        let bytes = DEFAULT_BYTE_BUDGET.max(capacity.saturating_mul(BYTES_PER_LINE));
        LogBuffer::with_byte_budget(capacity, bytes)
    }

    /// At most `capacity` lines and `byte_budget` bytes.
    pub fn with_byte_budget(capacity: usize, byte_budget: usize) -> LogBuffer {
        let capacity = capacity.max(1);
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
            byte_budget,
            bytes: 0,
            next_seq: 0,
            evicted: 0,
        }
    }

    /// Sanitizes `raw`, detects its level and appends it, evicting the oldest lines while
    /// either bound would be passed. Returns the new line's sequence number.
    pub fn push(&mut self, timestamp: i64, source: u16, raw: &str) -> u64 {
        let text = sanitize(raw);
        let level = detect_level(&text.text);
        self.append(timestamp, source, LineKind::Output, level, text)
    }

    /// Appends a [`LineKind::Marker`] line under the same bounds. Its text may quote AWS (a
    /// stop reason), so it is cleaned as such; it has no level, whatever words it holds.
    pub fn push_marker(&mut self, timestamp: i64, raw: &str) -> u64 {
        self.append(timestamp, 0, LineKind::Marker, None, sanitize_label(raw))
    }

    fn append(
        &mut self,
        timestamp: i64,
        source: u16,
        kind: LineKind,
        level: Option<Level>,
        text: SanitizedText,
    ) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let line = LogLine {
            seq,
            timestamp,
            source,
            kind,
            level,
            text,
        };
        let cost = line.footprint();
        while self.lines.len() == self.capacity
            || (!self.lines.is_empty() && self.bytes + cost > self.byte_budget)
        {
            let Some(oldest) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= oldest.footprint();
            self.evicted += 1;
        }
        self.bytes += cost;
        self.lines.push_back(line);
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

    pub fn byte_budget(&self) -> usize {
        self.byte_budget
    }

    /// Bytes the kept lines hold, by [`LogLine::footprint`].
    pub fn bytes(&self) -> usize {
        self.bytes
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
        self.bytes = 0;
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
    fn the_byte_budget_evicts_oldest_lines_before_the_line_count_does() {
        let long = "x".repeat(1000);
        let mut probe = LogBuffer::new(1);
        probe.push(0, 0, &long);
        let per_line = probe.bytes();
        assert!(per_line > 1000, "text and ring slot: {per_line}");

        // Room for three such lines by bytes, a hundred by count.
        let mut buffer = LogBuffer::with_byte_budget(100, 3 * per_line + per_line / 2);
        for i in 0..5 {
            buffer.push(i, 0, &long);
        }
        assert_eq!(buffer.len(), 3);
        assert_eq!(buffer.evicted(), 2);
        assert_eq!(buffer.first_seq(), Some(2), "the oldest went first");
        assert_eq!(buffer.bytes(), 3 * per_line);
        // A short line fits in the half line left; the next long one evicts one long line.
        buffer.push(5, 0, "short");
        assert_eq!((buffer.len(), buffer.first_seq()), (4, Some(2)));
        buffer.push(6, 0, &long);
        assert_eq!((buffer.len(), buffer.first_seq()), (4, Some(3)));
        assert!(buffer.bytes() <= buffer.byte_budget());
    }

    #[test]
    fn a_line_larger_than_the_budget_is_kept_alone() {
        let mut buffer = LogBuffer::with_byte_budget(10, 64);
        buffer.push(0, 0, "a");
        let seq = buffer.push(1, 0, &"y".repeat(500));
        assert_eq!(buffer.len(), 1);
        assert_eq!(buffer.last_seq(), Some(seq));
        assert_eq!(buffer.bytes(), buffer.get(seq).unwrap().footprint());
    }

    #[test]
    fn hostile_lines_are_held_to_the_default_budget() {
        // The sanitizer's longest line, switching colour at every character: the most memory
        // one line can take.
        let hostile: String = (0..4000)
            .map(|i| format!("\x1b[3{}m{}", 1 + i % 7, char::from(b'a' + (i % 26) as u8)))
            .collect();
        let mut buffer = LogBuffer::new(DEFAULT_CAPACITY);
        for i in 0..2_000 {
            buffer.push(i, 0, &hostile);
        }
        let one = buffer.get(buffer.last_seq().unwrap()).unwrap().footprint();
        assert!(one > 50_000, "a hostile line holds {one} bytes");
        assert!(buffer.bytes() <= DEFAULT_BYTE_BUDGET, "{}", buffer.bytes());
        assert!(buffer.len() < 2_000 && buffer.evicted() > 0);
    }

    #[test]
    fn a_larger_buffer_gets_a_proportional_budget() {
        assert_eq!(LogBuffer::new(1000).byte_budget(), DEFAULT_BYTE_BUDGET);
        assert_eq!(
            LogBuffer::new(DEFAULT_CAPACITY).byte_budget(),
            DEFAULT_BYTE_BUDGET
        );
        let big = LogBuffer::new(4 * DEFAULT_CAPACITY).byte_budget();
        assert!(
            big >= 4 * DEFAULT_BYTE_BUDGET - 4 * DEFAULT_CAPACITY,
            "{big}"
        );
    }

    #[test]
    fn a_marker_is_cleaned_has_no_level_and_is_bounded_like_any_line() {
        let mut buffer = LogBuffer::new(3);
        buffer.push(0, 1, "ERROR before");
        let seq = buffer.push_marker(1, "task b replaced a (exit 137: OutOfMemoryError\x1b[2J)");
        let marker = buffer.get(seq).unwrap();
        assert_eq!(marker.kind, LineKind::Marker);
        assert_eq!(marker.level, None, "not an error line for the level filter");
        assert_eq!(
            marker.text.text,
            "task b replaced a (exit 137: OutOfMemoryError)"
        );
        assert_eq!(buffer.get(0).unwrap().kind, LineKind::Output);
        for i in 2..5 {
            buffer.push(i, 1, "after");
        }
        assert!(buffer.get(seq).is_none(), "evicted as the oldest");
        assert_eq!(buffer.evicted(), 2);
    }

    #[test]
    fn clearing_releases_the_byte_count() {
        let mut buffer = filled(10, 4);
        assert!(buffer.bytes() > 0);
        buffer.clear();
        assert_eq!(buffer.bytes(), 0);
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

        #[test]
        fn both_bounds_hold_and_the_newest_lines_stay(
            capacity in 1usize..40,
            budget in 0usize..20_000,
            lengths in proptest::collection::vec(0usize..3_000, 0..120),
        ) {
            let mut buffer = LogBuffer::with_byte_budget(capacity, budget);
            for (i, length) in lengths.iter().enumerate() {
                let seq = buffer.push(i as i64, 0, &"z".repeat(*length));
                prop_assert_eq!(buffer.last_seq(), Some(seq), "the newest line is kept");
                prop_assert!(buffer.len() <= buffer.capacity());
                prop_assert!(buffer.bytes() <= budget || buffer.len() == 1);
                let counted: usize = buffer.iter().map(LogLine::footprint).sum();
                prop_assert_eq!(buffer.bytes(), counted);
                prop_assert_eq!(buffer.evicted() + buffer.len() as u64, i as u64 + 1);
                // Eviction takes the oldest only: what is kept is the newest run of lines,
                // and one more line would not have fitted.
                let first = buffer.first_seq().unwrap();
                prop_assert_eq!(first + buffer.len() as u64 - 1, seq);
                if first > 0 && buffer.len() < buffer.capacity() {
                    let dropped = lengths[first as usize - 1];
                    let mut probe = LogBuffer::new(1);
                    probe.push(0, 0, &"z".repeat(dropped));
                    prop_assert!(buffer.bytes() + probe.bytes() > budget);
                }
            }
        }
    }
}
