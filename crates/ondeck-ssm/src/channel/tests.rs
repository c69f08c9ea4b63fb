use super::*;
use crate::payload::Acknowledgement;
use serde_json::json;

fn settings() -> ChannelSettings {
    ChannelSettings {
        client_version: "1.2.677.0".into(),
        chunk_size: 1024,
        outgoing_capacity: 8,
        reorder_capacity: 16,
        retransmit_floor: Duration::from_millis(100),
        retransmit_ceiling: Duration::from_secs(1),
        delivery_timeout: Duration::from_secs(60),
    }
}

/// A frame as the agent side sends it, built from the protocol description.
fn from_agent(sequence: i64, payload_type: PayloadType, payload: &[u8]) -> Bytes {
    Message {
        message_type: MessageType::OutputStreamData,
        schema_version: 1,
        created_date: 1_700_000_000_000,
        sequence_number: sequence,
        flags: u64::from(sequence == 0),
        message_id: random_uuid(),
        payload_type,
        payload: Bytes::copy_from_slice(payload),
    }
    .encode()
    .unwrap()
}

fn control(message_type: MessageType, payload: serde_json::Value) -> Bytes {
    Message {
        message_type,
        schema_version: 1,
        created_date: 1_700_000_000_000,
        sequence_number: 0,
        flags: FLAGS_UNSEQUENCED,
        message_id: random_uuid(),
        payload_type: PayloadType::NONE,
        payload: Bytes::from(payload.to_string()),
    }
    .encode()
    .unwrap()
}

fn ack_of(sequence: i64) -> Bytes {
    control(
        MessageType::Acknowledge,
        json!({"AcknowledgedMessageType": "input_stream_data",
               "AcknowledgedMessageId": random_uuid().to_string(),
               "AcknowledgedMessageSequenceNumber": sequence,
               "IsSequentialMessage": true}),
    )
}

fn port_handshake(agent_version: &str) -> Bytes {
    let request = json!({
        "AgentVersion": agent_version,
        "RequestedClientActions": [{
            "ActionType": "SessionType",
            "ActionParameters": {"SessionType": "Port",
                                 "Properties": {"portNumber": "5432", "type": "LocalPortForwarding"}}
        }]
    });
    from_agent(
        0,
        PayloadType::HANDSHAKE_REQUEST,
        request.to_string().as_bytes(),
    )
}

fn transmitted(effects: &[Effect]) -> Vec<Message> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Transmit(frame) => Some(Message::decode(frame).unwrap()),
            _ => None,
        })
        .collect()
}

fn delivered(effects: &[Effect]) -> Vec<Inbound> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Deliver(item) => Some(item.clone()),
            _ => None,
        })
        .collect()
}

fn acknowledged(message: &Message) -> Acknowledgement {
    assert_eq!(message.message_type, MessageType::Acknowledge);
    assert_eq!(message.flags, 3);
    assert_eq!(message.sequence_number, 0);
    serde_json::from_slice(&message.payload).unwrap()
}

fn output(text: &str) -> Inbound {
    Inbound::Output(Bytes::copy_from_slice(text.as_bytes()))
}

#[test]
fn shell_without_handshake_is_ready_on_first_output_and_acknowledges_it() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let frame = from_agent(0, PayloadType::OUTPUT, b"# ");
    let id = Message::decode(&frame).unwrap().message_id;
    channel.on_frame(frame, Instant::now(), &mut effects);
    assert_eq!(
        delivered(&effects),
        vec![Inbound::Ready(ReadyInfo::default()), output("# ")]
    );
    let sent = transmitted(&effects);
    assert_eq!(sent.len(), 1);
    assert_eq!(
        acknowledged(&sent[0]),
        Acknowledgement {
            message_type: "output_stream_data".into(),
            message_id: id.hyphenated().to_string(),
            sequence_number: 0,
            is_sequential: true,
        }
    );
    assert!(channel.accepts_input());
}

#[test]
fn silent_shell_becomes_ready_after_the_grace_period() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    assert!(!channel.accepts_input());
    channel.ready_without_handshake(&mut effects);
    assert_eq!(
        delivered(&effects),
        vec![Inbound::Ready(ReadyInfo::default())]
    );
    assert!(channel.accepts_input());
}

#[test]
fn port_handshake_is_answered_then_completed() {
    let mut channel = Channel::new(SessionKind::PortForward, settings());
    let mut effects = Vec::new();
    channel.on_frame(port_handshake("3.3.1345.0"), Instant::now(), &mut effects);
    let sent = transmitted(&effects);
    assert_eq!(sent.len(), 2, "ack + response");
    acknowledged(&sent[0]);
    let response = &sent[1];
    assert_eq!(response.message_type, MessageType::InputStreamData);
    assert_eq!(response.payload_type, PayloadType::HANDSHAKE_RESPONSE);
    assert_eq!(response.sequence_number, 0);
    let body: serde_json::Value = serde_json::from_slice(&response.payload).unwrap();
    assert_eq!(body["ClientVersion"], "1.2.677.0");
    assert_eq!(
        body["ProcessedClientActions"][0]["ActionType"],
        "SessionType"
    );
    assert_eq!(body["ProcessedClientActions"][0]["ActionStatus"], 1);
    assert!(!channel.accepts_input(), "not before HandshakeComplete");

    effects.clear();
    let complete = json!({"HandshakeTimeToComplete": 1_500_000, "CustomerMessage": ""});
    channel.on_frame(
        from_agent(
            1,
            PayloadType::HANDSHAKE_COMPLETE,
            complete.to_string().as_bytes(),
        ),
        Instant::now(),
        &mut effects,
    );
    assert_eq!(
        delivered(&effects),
        vec![Inbound::Ready(ReadyInfo {
            agent_version: Some("3.3.1345.0".into()),
            port_type: Some("LocalPortForwarding".into()),
        })]
    );
    assert!(channel.accepts_input());
}

#[test]
fn command_session_with_handshake_takes_input_only_after_completion() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let now = Instant::now();
    let request = json!({"AgentVersion": "3.3.1345.0", "RequestedClientActions": [
        {"ActionType": "SessionType",
         "ActionParameters": {"SessionType": "NonInteractiveCommands", "Properties": {"commands": "id"}}}]});
    channel.on_frame(
        from_agent(
            0,
            PayloadType::HANDSHAKE_REQUEST,
            request.to_string().as_bytes(),
        ),
        now,
        &mut effects,
    );
    channel.ready_without_handshake(&mut effects);
    assert!(
        !channel.accepts_input(),
        "a handshake is under way: no grace"
    );
    let complete = json!({"HandshakeTimeToComplete": 1, "CustomerMessage": "Hello from the agent"});
    channel.on_frame(
        from_agent(
            1,
            PayloadType::HANDSHAKE_COMPLETE,
            complete.to_string().as_bytes(),
        ),
        now,
        &mut effects,
    );
    channel.on_frame(
        from_agent(2, PayloadType::STDERR, b"oops"),
        now,
        &mut effects,
    );
    assert!(channel.accepts_input());
    assert_eq!(
        delivered(&effects),
        vec![
            Inbound::Ready(ReadyInfo {
                agent_version: Some("3.3.1345.0".into()),
                port_type: None
            }),
            Inbound::Notice("Hello from the agent".into()),
            Inbound::Stderr(Bytes::from_static(b"oops")),
        ]
    );
}

#[test]
fn unknown_handshake_actions_are_reported_unsupported() {
    let mut channel = Channel::new(SessionKind::PortForward, settings());
    let mut effects = Vec::new();
    let request = json!({"AgentVersion": "3.3.1345.0", "RequestedClientActions": [
        {"ActionType": "TeleportSession", "ActionParameters": {}}]});
    channel.on_frame(
        from_agent(
            0,
            PayloadType::HANDSHAKE_REQUEST,
            request.to_string().as_bytes(),
        ),
        Instant::now(),
        &mut effects,
    );
    let response = &transmitted(&effects)[1];
    let body: serde_json::Value = serde_json::from_slice(&response.payload).unwrap();
    assert_eq!(body["ProcessedClientActions"][0]["ActionStatus"], 3);
    assert_eq!(body["Errors"].as_array().unwrap().len(), 1);
    assert!(matches!(
        effects.last(),
        Some(Effect::End(Err(SessionError::HandshakeRefused(reason)))) if reason.contains("TeleportSession")
    ));
}

#[test]
fn kms_encryption_is_declined_with_a_reason() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let request = json!({
        "AgentVersion": "3.3.1345.0",
        "RequestedClientActions": [
            {"ActionType": "SessionType", "ActionParameters": {"SessionType": "InteractiveCommands", "Properties": null}},
            {"ActionType": "KMSEncryption", "ActionParameters": {"KMSKeyId": "arn:aws:kms:eu-west-1:1:key/x"}}
        ]
    });
    channel.on_frame(
        from_agent(
            0,
            PayloadType::HANDSHAKE_REQUEST,
            request.to_string().as_bytes(),
        ),
        Instant::now(),
        &mut effects,
    );
    let response = &transmitted(&effects)[1];
    let body: serde_json::Value = serde_json::from_slice(&response.payload).unwrap();
    assert_eq!(body["ProcessedClientActions"][0]["ActionStatus"], 1);
    assert_eq!(body["ProcessedClientActions"][1]["ActionStatus"], 2);
    assert!(
        matches!(effects.last(), Some(Effect::End(Err(SessionError::HandshakeRefused(reason)))) if reason.contains("KMS encryption"))
    );
}

#[test]
fn a_shell_offered_where_a_port_was_asked_for_is_refused() {
    let mut channel = Channel::new(SessionKind::PortForward, settings());
    let mut effects = Vec::new();
    let request = json!({"AgentVersion": "3.3.1345.0", "RequestedClientActions": [
        {"ActionType": "SessionType", "ActionParameters": {"SessionType": "Standard_Stream"}}]});
    channel.on_frame(
        from_agent(
            0,
            PayloadType::HANDSHAKE_REQUEST,
            request.to_string().as_bytes(),
        ),
        Instant::now(),
        &mut effects,
    );
    assert!(matches!(
        effects.last(),
        Some(Effect::End(Err(SessionError::HandshakeRefused(reason)))) if reason.contains("\"Standard_Stream\"")
    ));
}

#[test]
fn output_is_delivered_in_order_once_with_duplicates_reacknowledged() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let now = Instant::now();
    let frames = [
        from_agent(0, PayloadType::OUTPUT, b"a"),
        from_agent(1, PayloadType::OUTPUT, b"b"),
        from_agent(2, PayloadType::OUTPUT, b"c"),
    ];
    for frame in [&frames[2], &frames[0], &frames[2], &frames[1], &frames[0]] {
        channel.on_frame(frame.clone(), now, &mut effects);
    }
    assert_eq!(
        delivered(&effects),
        vec![
            Inbound::Ready(ReadyInfo::default()),
            output("a"),
            output("b"),
            output("c")
        ]
    );
    let acks: Vec<i64> = transmitted(&effects)
        .iter()
        .map(|m| acknowledged(m).sequence_number)
        .collect();
    assert_eq!(acks, vec![2, 0, 2, 1, 0], "every arrival is acknowledged");
}

#[test]
fn input_is_chunked_and_numbered_and_resent_until_acknowledged() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let start = Instant::now();
    channel.ready_without_handshake(&mut effects);
    effects.clear();
    channel.send_input(
        PayloadType::OUTPUT,
        Bytes::from(vec![b'x'; 2500]),
        start,
        &mut effects,
    );
    let sent = transmitted(&effects);
    let shape: Vec<(i64, usize)> = sent
        .iter()
        .map(|m| (m.sequence_number, m.payload.len()))
        .collect();
    assert_eq!(shape, vec![(0, 1024), (1, 1024), (2, 452)]);
    assert!(
        sent.iter()
            .all(|m| m.message_type == MessageType::InputStreamData
                && m.payload_type == PayloadType::OUTPUT
                && m.flags == 0)
    );

    // The agent accepts 1 and 2 (held out of order) but refused 0: only 0 is resent.
    effects.clear();
    channel.on_frame(ack_of(1), start, &mut effects);
    channel.on_frame(ack_of(2), start, &mut effects);
    let due = channel.next_deadline().unwrap();
    assert!(due > start);
    channel.on_timer(due - Duration::from_millis(1), &mut effects);
    assert!(transmitted(&effects).is_empty(), "not due yet");
    channel.on_timer(due, &mut effects);
    let resent = transmitted(&effects);
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0], sent[0], "byte-identical retransmission");

    channel.on_frame(ack_of(0), due, &mut effects);
    assert!(channel.all_acknowledged());
    assert_eq!(channel.next_deadline(), None);
}

#[test]
fn input_that_is_never_acknowledged_ends_the_session() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let start = Instant::now();
    channel.ready_without_handshake(&mut effects);
    channel.send_input(
        PayloadType::OUTPUT,
        Bytes::from_static(b"x"),
        start,
        &mut effects,
    );
    effects.clear();
    channel.on_timer(start + Duration::from_secs(61), &mut effects);
    assert!(matches!(
        effects.as_slice(),
        [Effect::End(Err(SessionError::DeliveryTimedOut {
            sequence: 0,
            ..
        }))]
    ));
}

#[test]
fn full_outgoing_buffer_stops_taking_input() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    channel.ready_without_handshake(&mut effects);
    for _ in 0..8 {
        channel.send_input(
            PayloadType::OUTPUT,
            Bytes::from_static(b"k"),
            Instant::now(),
            &mut effects,
        );
    }
    assert!(!channel.accepts_input());
    channel.on_frame(ack_of(3), Instant::now(), &mut effects);
    assert!(channel.accepts_input());
}

#[test]
fn pause_holds_transmission_until_publication_restarts() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let now = Instant::now();
    channel.ready_without_handshake(&mut effects);
    channel.send_input(
        PayloadType::OUTPUT,
        Bytes::from_static(b"1"),
        now,
        &mut effects,
    );
    channel.on_frame(
        control(MessageType::PausePublication, json!({})),
        now,
        &mut effects,
    );
    assert!(!channel.accepts_input());
    assert_eq!(channel.next_deadline(), None);
    effects.clear();
    channel.on_timer(now + Duration::from_secs(5), &mut effects);
    assert!(effects.is_empty(), "nothing goes out while paused");
    channel.on_frame(
        control(MessageType::StartPublication, json!({})),
        now,
        &mut effects,
    );
    let resent = transmitted(&effects);
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0].sequence_number, 0);
    assert!(channel.accepts_input());
}

#[test]
fn channel_closed_ends_with_the_service_message_and_any_exit_code() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let now = Instant::now();
    channel.on_frame(
        from_agent(0, PayloadType::OUTPUT, b"done\r\n"),
        now,
        &mut effects,
    );
    channel.on_frame(
        from_agent(1, PayloadType::EXIT_CODE, b"EXIT_CODE: 3"),
        now,
        &mut effects,
    );
    channel.on_frame(
        control(
            MessageType::ChannelClosed,
            json!({"MessageId": random_uuid().to_string(), "CreatedDate": "2026-12-02T06:00:00Z",
                   "DestinationId": "ecs:c_t_r", "SessionId": "s-1", "MessageType": "channel_closed",
                   "SchemaVersion": 1, "Output": "Session terminated"}),
        ),
        now,
        &mut effects,
    );
    assert_eq!(
        effects.last(),
        Some(&Effect::End(Ok(SessionEnd {
            reason: EndReason::ClosedByService {
                message: Some("Session terminated".into())
            },
            exit_code: Some(3),
        })))
    );
    effects.clear();
    channel.on_frame(
        from_agent(2, PayloadType::OUTPUT, b"late"),
        now,
        &mut effects,
    );
    assert!(effects.is_empty(), "nothing after the end");
}

#[test]
fn refused_connection_flag_reaches_the_port_layer() {
    let mut channel = Channel::new(SessionKind::PortForward, settings());
    let mut effects = Vec::new();
    let now = Instant::now();
    channel.on_frame(port_handshake("3.3.1345.0"), now, &mut effects);
    let complete = json!({"HandshakeTimeToComplete": 1, "CustomerMessage": ""});
    channel.on_frame(
        from_agent(
            1,
            PayloadType::HANDSHAKE_COMPLETE,
            complete.to_string().as_bytes(),
        ),
        now,
        &mut effects,
    );
    effects.clear();
    channel.on_frame(
        from_agent(2, PayloadType::FLAG, &[0, 0, 0, 3]),
        now,
        &mut effects,
    );
    assert_eq!(delivered(&effects), vec![Inbound::PortRefused]);
}

#[test]
fn corrupted_frames_are_dropped_unacknowledged() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    let mut effects = Vec::new();
    let mut frame = from_agent(0, PayloadType::OUTPUT, b"abc").to_vec();
    *frame.last_mut().unwrap() ^= 1;
    channel.on_frame(Bytes::from(frame), Instant::now(), &mut effects);
    assert!(effects.is_empty());
}

#[test]
fn losing_the_connection_is_explained_by_what_was_heard() {
    let mut channel = Channel::new(SessionKind::Shell, settings());
    assert!(matches!(
        channel.lost("closed with code 1008".into()),
        SessionError::ChannelRefused { .. }
    ));
    let mut effects = Vec::new();
    channel.on_frame(
        from_agent(0, PayloadType::OUTPUT, b"$ "),
        Instant::now(),
        &mut effects,
    );
    channel.send_input(
        PayloadType::OUTPUT,
        Bytes::from_static(b"ls\r"),
        Instant::now(),
        &mut effects,
    );
    assert_eq!(
        channel.lost("connection reset".into()),
        SessionError::ConnectionDropped {
            detail: "connection reset".into(),
            unacknowledged: 1
        }
    );
}
