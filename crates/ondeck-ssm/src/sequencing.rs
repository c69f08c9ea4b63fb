//! Sequence bookkeeping for each direction of stream data (protocol §5): the outgoing buffer of
//! unacknowledged messages with its retransmission timer, and the incoming reorder buffer.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::message::Message;

/// Retransmission timeout estimate, as both reference peers compute it (RFC 6298 constants),
/// with Karn's rule: retransmitted messages give no sample.
#[derive(Debug, Clone)]
pub struct RetransmitTimer {
    smoothed: Duration,
    variation: Duration,
    timeout: Duration,
    floor: Duration,
    ceiling: Duration,
}

const CLOCK_GRANULARITY: Duration = Duration::from_millis(10);

impl RetransmitTimer {
    pub fn new(floor: Duration, ceiling: Duration) -> RetransmitTimer {
        RetransmitTimer {
            smoothed: Duration::from_millis(100),
            variation: Duration::ZERO,
            timeout: Duration::from_millis(200).clamp(floor, ceiling),
            floor,
            ceiling,
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn sample(&mut self, round_trip: Duration) {
        let deviation = self.smoothed.abs_diff(round_trip);
        self.variation = self.variation * 3 / 4 + deviation / 4;
        self.smoothed = self.smoothed * 7 / 8 + round_trip / 8;
        let timeout = self.smoothed + (self.variation * 4).max(CLOCK_GRANULARITY);
        self.timeout = timeout.clamp(self.floor, self.ceiling);
    }
}

#[derive(Debug)]
struct Pending {
    sequence: i64,
    frame: Bytes,
    first_sent: Instant,
    last_sent: Instant,
    retransmitted: bool,
}

/// Messages sent but not yet acknowledged, oldest first.
#[derive(Debug)]
pub struct Outgoing {
    next_sequence: i64,
    pending: VecDeque<Pending>,
    capacity: usize,
    timer: RetransmitTimer,
}

impl Outgoing {
    pub fn new(capacity: usize, timer: RetransmitTimer) -> Outgoing {
        Outgoing {
            next_sequence: 0,
            pending: VecDeque::new(),
            capacity,
            timer,
        }
    }

    /// Hands out the next sequence number; the caller must `record` the message it sends.
    pub fn take_sequence(&mut self) -> i64 {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        sequence
    }

    pub fn record(&mut self, sequence: i64, frame: Bytes, now: Instant) {
        self.pending.push_back(Pending {
            sequence,
            frame,
            first_sent: now,
            last_sent: now,
            retransmitted: false,
        });
    }

    pub fn has_room(&self) -> bool {
        self.pending.len() < self.capacity
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Removes the message with this sequence number. Returns false for an unknown or
    /// already acknowledged number (duplicate acknowledgements are normal).
    pub fn acknowledge(&mut self, sequence: i64, now: Instant) -> bool {
        let Some(index) = self.pending.iter().position(|p| p.sequence == sequence) else {
            return false;
        };
        let acknowledged = self.pending.remove(index).expect("index from position");
        if !acknowledged.retransmitted {
            self.timer
                .sample(now.saturating_duration_since(acknowledged.last_sent));
        }
        true
    }

    /// When the oldest unacknowledged message is due for its next transmission.
    pub fn retransmit_deadline(&self) -> Option<Instant> {
        self.pending
            .front()
            .map(|oldest| oldest.last_sent + self.timer.timeout())
    }

    /// The oldest message, if it is due, marked as sent again now. Only the oldest is resent,
    /// like both reference peers: later ones are usually held by the receiver already.
    pub fn due_for_retransmit(&mut self, now: Instant) -> Option<Bytes> {
        let timeout = self.timer.timeout();
        let oldest = self.pending.front_mut()?;
        if now < oldest.last_sent + timeout {
            return None;
        }
        oldest.last_sent = now;
        oldest.retransmitted = true;
        Some(oldest.frame.clone())
    }

    /// Every unacknowledged message, oldest first, marked as sent again now.
    pub fn resend_all(&mut self, now: Instant) -> Vec<Bytes> {
        self.pending
            .iter_mut()
            .map(|pending| {
                pending.last_sent = now;
                pending.retransmitted = true;
                pending.frame.clone()
            })
            .collect()
    }

    /// Sequence number and age of the oldest unacknowledged message.
    pub fn oldest_unacknowledged(&self, now: Instant) -> Option<(i64, Duration)> {
        self.pending
            .front()
            .map(|p| (p.sequence, now.saturating_duration_since(p.first_sent)))
    }

    #[cfg(test)]
    pub fn timeout(&self) -> Duration {
        self.timer.timeout()
    }
}

/// Where an arriving stream message stands relative to what has been delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The next expected one: deliver it now.
    InOrder,
    /// Ahead of a gap: keep it until the gap fills.
    Early,
    /// Already delivered: acknowledge again, drop.
    Duplicate,
    /// Ahead of a gap and the reorder buffer is full: drop without acknowledging.
    Overflow,
}

/// Incoming stream messages: delivery in sequence order, duplicates suppressed.
#[derive(Debug)]
pub struct Incoming {
    expected: i64,
    early: BTreeMap<i64, Message>,
    capacity: usize,
}

impl Incoming {
    pub fn new(capacity: usize) -> Incoming {
        Incoming {
            expected: 0,
            early: BTreeMap::new(),
            capacity,
        }
    }

    pub fn classify(&self, sequence: i64) -> Arrival {
        if sequence == self.expected {
            Arrival::InOrder
        } else if sequence < self.expected || self.early.contains_key(&sequence) {
            Arrival::Duplicate
        } else if self.early.len() < self.capacity {
            Arrival::Early
        } else {
            Arrival::Overflow
        }
    }

    /// Marks the in-order message as delivered.
    pub fn delivered(&mut self) {
        self.expected += 1;
    }

    pub fn keep_early(&mut self, message: Message) {
        self.early.insert(message.sequence_number, message);
    }

    /// The next buffered message that has become in order, already marked delivered.
    pub fn next_ready(&mut self) -> Option<Message> {
        let message = self.early.remove(&self.expected)?;
        self.expected += 1;
        Some(message)
    }
}

#[cfg(test)]
mod tests;
