use super::*;

#[test]
fn encode_places_every_field_at_its_offset() {
    let id = Uuid::from_bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    let message = AgentMessage {
        message_type: "acknowledge".into(),
        schema_version: 1,
        created_date: 0x0102_0304_0506_0708,
        sequence_number: -2,
        flags: 3,
        message_id: id,
        payload_type: 0,
        payload: b"{}".to_vec(),
    };
    let bytes = message.encode();
    assert_eq!(bytes.len(), 122);
    assert_eq!(&bytes[0..4], &[0, 0, 0, 116]);
    assert_eq!(&bytes[4..15], b"acknowledge");
    assert!(bytes[15..36].iter().all(|&b| b == b' '));
    assert_eq!(&bytes[36..40], &[0, 0, 0, 1]);
    assert_eq!(&bytes[40..48], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(
        &bytes[48..56],
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]
    );
    assert_eq!(&bytes[56..64], &[0, 0, 0, 0, 0, 0, 0, 3]);
    assert_eq!(
        &bytes[64..80],
        &[8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]
    );
    // SHA-256("{}")
    assert_eq!(&bytes[80..84], &[0x44, 0x13, 0x6f, 0xa3]);
    assert_eq!(&bytes[112..120], &[0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(&bytes[120..], b"{}");
}

#[test]
fn decode_reverses_encode_and_finds_nothing_wrong() {
    let message = AgentMessage::new(
        message_type::OUTPUT_STREAM_DATA,
        7,
        FLAG_SYN,
        payload_type::OUTPUT,
        b"hi".to_vec(),
    );
    let decoded = AgentMessage::decode(&message.encode()).unwrap();
    assert_eq!(decoded.message, message);
    assert_eq!(decoded.problems(), Vec::<String>::new());
}

#[test]
fn decode_trims_nul_padding_as_well_as_spaces() {
    let mut bytes = AgentMessage::new("acknowledge", 0, 3, 0, vec![]).encode();
    bytes[15..36].fill(0);
    assert_eq!(
        AgentMessage::decode(&bytes).unwrap().message.message_type,
        "acknowledge"
    );
}

#[test]
fn a_wrong_digest_is_a_rejection() {
    let mut bytes = AgentMessage::new("input_stream_data", 0, 0, 1, b"abc".to_vec()).encode();
    bytes[80] ^= 1;
    let decoded = AgentMessage::decode(&bytes).unwrap();
    assert!(decoded.rejection().unwrap().contains("digest"));
}

#[test]
fn a_wrong_payload_length_is_a_problem_but_not_a_rejection() {
    let mut bytes = AgentMessage::new("input_stream_data", 0, 0, 1, b"abc".to_vec()).encode();
    bytes[119] = 9;
    let decoded = AgentMessage::decode(&bytes).unwrap();
    assert_eq!(decoded.rejection(), None);
    assert!(decoded.problems()[0].contains("says 9 but 3"));
}

#[test]
fn short_input_is_truncated() {
    assert_eq!(
        AgentMessage::decode(&[0; 119]),
        Err(WireError::Truncated { length: 119 })
    );
    let mut bytes = AgentMessage::new("x", 0, 0, 1, vec![]).encode();
    bytes[3] = 200;
    assert!(AgentMessage::decode(&bytes).is_err());
}
