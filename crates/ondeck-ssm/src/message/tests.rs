use super::*;

fn hex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap())
        .collect()
}

/// The worked example of PROTOCOL.md §3.1, written out byte by byte from the layout.
fn example_bytes() -> Vec<u8> {
    hex("00 00 00 74
         69 6e 70 75 74 5f 73 74 72 65 61 6d 5f 64 61 74
         61 20 20 20 20 20 20 20 20 20 20 20 20 20 20 20
         00 00 00 01
         00 00 01 8b cf e5 68 00
         00 00 00 00 00 00 00 05
         00 00 00 00 00 00 00 00
         00 11 22 33 44 55 66 77 01 23 45 67 89 ab cd ef
         1d 88 7c e0 f8 67 2e 49 14 d9 00 0e 80 1c d7 4e
         cd 80 5d d9 36 6c 0b c4 2d c1 6a dc 01 97 dc 2f
         00 00 00 01
         00 00 00 03
         6c 73 0d")
}

fn example_message() -> Message {
    Message {
        message_type: MessageType::InputStreamData,
        schema_version: 1,
        created_date: 1_700_000_000_000,
        sequence_number: 5,
        flags: 0,
        message_id: Uuid::parse_str("01234567-89ab-cdef-0011-223344556677").unwrap(),
        payload_type: PayloadType::OUTPUT,
        payload: Bytes::from_static(b"ls\r"),
    }
}

#[test]
fn random_uuids_are_version_4_and_distinct() {
    let a = random_uuid();
    assert_eq!(a.get_version_num(), 4);
    assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
    assert_ne!(a, random_uuid());
}

#[test]
fn encodes_the_worked_example_byte_for_byte() {
    let encoded = example_message().encode().unwrap();
    assert_eq!(encoded.len(), 123);
    assert_eq!(encoded.as_ref(), example_bytes().as_slice());
}

#[test]
fn decodes_the_worked_example() {
    let decoded = Message::decode(&Bytes::from(example_bytes())).unwrap();
    assert_eq!(decoded, example_message());
}

#[test]
fn round_trips_every_message_type_and_an_empty_payload() {
    let types = [
        MessageType::InputStreamData,
        MessageType::OutputStreamData,
        MessageType::Acknowledge,
        MessageType::ChannelClosed,
        MessageType::Other("agent_session_state".into()),
    ];
    for message_type in types {
        for payload in [Bytes::new(), Bytes::from(vec![0xA5; 5000])] {
            let original = Message {
                message_type: message_type.clone(),
                sequence_number: -1,
                flags: FLAGS_UNSEQUENCED,
                payload,
                ..example_message()
            };
            let decoded = Message::decode(&original.encode().unwrap()).unwrap();
            assert_eq!(decoded, original);
        }
    }
}

#[test]
fn empty_payload_carries_the_digest_of_nothing() {
    let message = Message {
        payload: Bytes::new(),
        ..example_message()
    };
    let encoded = message.encode().unwrap();
    assert_eq!(
        &encoded[80..112],
        hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").as_slice()
    );
    assert_eq!(encoded.len(), PAYLOAD_OFFSET);
}

#[test]
fn accepts_nul_padded_message_type() {
    let mut bytes = example_bytes();
    for b in &mut bytes[21..36] {
        *b = 0;
    }
    let decoded = Message::decode(&Bytes::from(bytes)).unwrap();
    assert_eq!(decoded.message_type, MessageType::InputStreamData);
}

#[test]
fn rejects_a_corrupted_payload() {
    let mut bytes = example_bytes();
    bytes[121] ^= 0xff;
    assert_eq!(
        Message::decode(&Bytes::from(bytes)),
        Err(FrameError::DigestMismatch)
    );
}

#[test]
fn rejects_truncated_and_short_frames() {
    let bytes = example_bytes();
    assert_eq!(
        Message::decode(&Bytes::from(bytes[..121].to_vec())),
        Err(FrameError::Truncated {
            declared: 3,
            available: 1
        })
    );
    assert_eq!(
        Message::decode(&Bytes::from(bytes[..100].to_vec())),
        Err(FrameError::TooShort(100))
    );
}

#[test]
fn rejects_zero_date_but_not_on_publication_notices() {
    let zero_date = Message {
        created_date: 0,
        ..example_message()
    };
    assert_eq!(
        Message::decode(&zero_date.encode().unwrap()),
        Err(FrameError::MissingDate)
    );
    let notice = Message {
        message_type: MessageType::PausePublication,
        created_date: 0,
        ..example_message()
    };
    assert!(Message::decode(&notice.encode().unwrap()).is_ok());
}

#[test]
fn payload_starts_after_a_longer_header_when_one_is_declared() {
    // Both reference peers read PayloadLength at its fixed offset and take the payload
    // from HeaderLength + 4, so a longer header pushes the payload back.
    let mut frame = example_bytes()[..120].to_vec();
    frame[3] = 0x76; // HeaderLength 118
    frame.extend_from_slice(&[0xEE, 0xEE]);
    frame.extend_from_slice(b"ls\r");
    let decoded = Message::decode(&Bytes::from(frame)).unwrap();
    assert_eq!(decoded.payload.as_ref(), b"ls\r");
}
