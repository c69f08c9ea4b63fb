use super::*;
use crate::message::random_uuid;
use crate::message::{MessageType, PayloadType};

fn stream_message(sequence: i64) -> Message {
    Message {
        message_type: MessageType::OutputStreamData,
        schema_version: 1,
        created_date: 1,
        sequence_number: sequence,
        flags: 0,
        message_id: random_uuid(),
        payload_type: PayloadType::OUTPUT,
        payload: Bytes::from(sequence.to_string()),
    }
}

fn timer() -> RetransmitTimer {
    RetransmitTimer::new(Duration::from_millis(100), Duration::from_secs(1))
}

#[test]
fn delivers_in_order_after_a_gap_fills() {
    let mut incoming = Incoming::new(10);
    assert_eq!(incoming.classify(1), Arrival::Early);
    incoming.keep_early(stream_message(1));
    assert_eq!(incoming.classify(2), Arrival::Early);
    incoming.keep_early(stream_message(2));
    assert!(incoming.next_ready().is_none(), "0 is still missing");
    assert_eq!(incoming.classify(0), Arrival::InOrder);
    incoming.delivered();
    let drained: Vec<i64> = std::iter::from_fn(|| incoming.next_ready())
        .map(|m| m.sequence_number)
        .collect();
    assert_eq!(drained, vec![1, 2]);
    assert_eq!(incoming.classify(3), Arrival::InOrder);
}

#[test]
fn repeats_are_duplicates_whether_delivered_or_still_held() {
    let mut incoming = Incoming::new(10);
    incoming.delivered(); // 0 delivered
    assert_eq!(incoming.classify(0), Arrival::Duplicate);
    incoming.keep_early(stream_message(4));
    assert_eq!(incoming.classify(4), Arrival::Duplicate);
}

#[test]
fn early_messages_beyond_capacity_overflow() {
    let mut incoming = Incoming::new(2);
    incoming.keep_early(stream_message(1));
    incoming.keep_early(stream_message(2));
    assert_eq!(incoming.classify(3), Arrival::Overflow);
    assert_eq!(
        incoming.classify(0),
        Arrival::InOrder,
        "the gap filler is never refused"
    );
}

#[test]
fn acknowledged_messages_leave_the_buffer_in_any_order() {
    let now = Instant::now();
    let mut outgoing = Outgoing::new(3, timer());
    for _ in 0..3 {
        let sequence = outgoing.take_sequence();
        outgoing.record(sequence, Bytes::from(vec![sequence as u8]), now);
    }
    assert!(!outgoing.has_room());
    assert!(outgoing.acknowledge(1, now));
    assert!(
        !outgoing.acknowledge(1, now),
        "second acknowledgement is a no-op"
    );
    assert!(!outgoing.acknowledge(7, now), "unknown sequence");
    assert!(outgoing.has_room());
    assert_eq!(
        outgoing.oldest_unacknowledged(now),
        Some((0, Duration::ZERO))
    );
    assert!(outgoing.acknowledge(0, now));
    assert_eq!(outgoing.oldest_unacknowledged(now).map(|o| o.0), Some(2));
}

#[test]
fn only_the_oldest_is_resent_and_only_once_due() {
    let start = Instant::now();
    let mut outgoing = Outgoing::new(10, timer());
    for _ in 0..2 {
        let sequence = outgoing.take_sequence();
        outgoing.record(sequence, Bytes::from(vec![sequence as u8]), start);
    }
    let deadline = outgoing.retransmit_deadline().unwrap();
    assert_eq!(deadline, start + Duration::from_millis(200));
    assert_eq!(
        outgoing.due_for_retransmit(deadline - Duration::from_millis(1)),
        None
    );
    assert_eq!(
        outgoing.due_for_retransmit(deadline).as_deref(),
        Some(&[0u8][..])
    );
    assert_eq!(outgoing.due_for_retransmit(deadline), None, "just resent");
    assert_eq!(
        outgoing.retransmit_deadline(),
        Some(deadline + Duration::from_millis(200))
    );
}

#[test]
fn round_trip_samples_shrink_the_timeout_but_not_below_the_floor() {
    let start = Instant::now();
    let mut outgoing = Outgoing::new(10, timer());
    for round in 0..50u64 {
        let sent = start + Duration::from_millis(round * 10);
        let sequence = outgoing.take_sequence();
        outgoing.record(sequence, Bytes::new(), sent);
        outgoing.acknowledge(sequence, sent + Duration::from_millis(2));
    }
    assert_eq!(outgoing.timeout(), Duration::from_millis(100));
}

#[test]
fn slow_acknowledgements_grow_the_timeout_up_to_the_ceiling() {
    let start = Instant::now();
    let mut outgoing = Outgoing::new(10, timer());
    let sequence = outgoing.take_sequence();
    outgoing.record(sequence, Bytes::new(), start);
    outgoing.acknowledge(sequence, start + Duration::from_millis(900));
    // smoothed 100*7/8 + 900/8 = 200 ms, variation 800/4 = 200 ms -> 200 + 800 = 1000 ms
    assert_eq!(outgoing.timeout(), Duration::from_millis(1000));
    let sequence = outgoing.take_sequence();
    outgoing.record(sequence, Bytes::new(), start);
    outgoing.acknowledge(sequence, start + Duration::from_secs(30));
    assert_eq!(outgoing.timeout(), Duration::from_secs(1));
}

#[test]
fn retransmitted_messages_give_no_round_trip_sample() {
    let start = Instant::now();
    let mut outgoing = Outgoing::new(10, timer());
    let sequence = outgoing.take_sequence();
    outgoing.record(sequence, Bytes::new(), start);
    let due = outgoing.retransmit_deadline().unwrap();
    outgoing.due_for_retransmit(due).unwrap();
    outgoing.acknowledge(sequence, due + Duration::from_millis(900));
    assert_eq!(outgoing.timeout(), Duration::from_millis(200));
}
