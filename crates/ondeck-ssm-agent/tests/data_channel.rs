//! The data channel against a client written byte by byte in the test.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Event, Raw, build, random_id};
use ondeck_ssm_agent::{
    AckFault, Agent, AgentConfig, ExitReport, Faults, HandshakeState, OutputFault, SessionKind,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use uuid::Uuid;

fn shell(command: &str) -> SessionKind {
    SessionKind::Shell {
        command: command.into(),
        session_type: "InteractiveCommands".into(),
    }
}

/// An agent that resends only after 10 s, so a stalled test machine never shows the test a
/// retransmission it did not ask for.
fn agent() -> Agent {
    Agent::start(AgentConfig {
        resend_timeout: Duration::from_secs(10),
        ..AgentConfig::default()
    })
}

#[tokio::test]
async fn handshake_request_is_framed_as_the_plugin_reads_it() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let request = client.next_frame().await;

    assert_eq!(request.header_length, 116);
    assert_eq!(request.message_type, "output_stream_data");
    assert_eq!(&request.type_field[18..], &[b' '; 14], "padded with spaces");
    assert_eq!(request.schema_version, 1);
    assert!(request.created_date > 1_600_000_000_000);
    assert_eq!(request.sequence_number, 0);
    assert_eq!(request.flags, 1, "SYN on the first message of the stream");
    assert_eq!(request.digest, Sha256::digest(&request.payload).to_vec());
    assert_eq!(request.payload_type, 5);
    assert_eq!(request.payload_length as usize, request.payload.len());
    let payload = request.json();
    assert_eq!(payload["AgentVersion"], "3.3.2299.0");
    assert_eq!(
        payload["RequestedClientActions"],
        json!([{"ActionType": "SessionType", "ActionParameters": {"SessionType": "InteractiveCommands", "Properties": null}}])
    );
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_the_right_one_still_opens() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut intruder = Raw::connect_with_token(&ticket.stream_url, "not-the-token").await;
    match intruder.next().await {
        Event::Closed(Some(frame)) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a policy close, got {other:?}"),
    }
    let mut client = Raw::connect(&ticket).await;
    assert_eq!(client.next_frame().await.payload_type, 5);
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.rejected_connections, ["token is not this session's"]);
    assert_eq!(record.connections, 1);
    assert_eq!(record.open_request.unwrap()["ClientVersion"], "1.2.707.0");
}

#[tokio::test]
async fn a_shell_echoes_runs_and_ends_with_its_exit_code() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"$ ")).await,
        b"$ "
    );

    client.type_text("echo hello world\r").await;
    let output = client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert_eq!(output, b"echo hello world\r\nhello world\r\n$ ");

    client.type_text("exit 3\r").await;
    let mut acks = Vec::new();
    let echoed = client.next_stream(&mut acks).await;
    assert_eq!(echoed.text(), "exit 3\r\n");
    client.ack(&echoed).await;
    let exit = client.next_stream(&mut acks).await;
    assert_eq!(
        (exit.payload_type, exit.text()),
        (12, "EXIT_CODE: 3".into())
    );
    client.ack(&exit).await;
    let closed = client.next_stream(&mut acks).await;
    assert_eq!(closed.message_type, "channel_closed");
    assert_eq!(closed.sequence_number, 0);
    let content = closed.json();
    assert_eq!(content["SessionId"], ticket.session_id.as_str());
    assert_eq!(content["MessageType"], "channel_closed");
    assert_eq!(content["Output"], "");
    assert!(
        matches!(client.next().await, Event::Closed(Some(frame)) if frame.code == CloseCode::Normal)
    );

    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.exit_code, Some(3));
    assert_eq!(record.handshake, HandshakeState::Completed);
    assert_eq!(record.client_version.as_deref(), Some("1.2.707.0"));
    assert_eq!(record.input, b"echo hello world\rexit 3\r");
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn each_input_is_acknowledged_naming_its_type_sequence_and_unswapped_id() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;

    let id = Uuid::from_bytes([
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
        0x27,
    ]);
    client.input_at(1, 1, b"x", id).await;
    let mut acks = Vec::new();
    let ack = loop {
        let seen = client.next_stream(&mut acks).await;
        client.ack(&seen).await;
        if let Some(ack) = acks
            .iter()
            .find(|ack| ack["AcknowledgedMessageSequenceNumber"] == 1)
        {
            break ack.clone();
        }
    };
    assert_eq!(
        ack,
        json!({
            "AcknowledgedMessageType": "input_stream_data",
            "AcknowledgedMessageId": "10111213-1415-1617-2021-222324252627",
            "AcknowledgedMessageSequenceNumber": 1,
            "IsSequentialMessage": true,
        })
    );
}

#[tokio::test]
async fn acknowledge_frames_are_unsequenced_with_syn_and_fin() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let request = client.next_frame().await;
    client.ack(&request).await;
    client.input(6, json!({"ClientVersion": "1.2.707.0", "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1}]}).to_string().as_bytes()).await;
    let ack = loop {
        let seen = client.next_frame().await;
        if seen.message_type == "acknowledge" {
            break seen;
        }
    };
    assert_eq!(
        (
            ack.header_length,
            ack.schema_version,
            ack.sequence_number,
            ack.flags,
            ack.payload_type
        ),
        (116, 1, 0, 3, 0)
    );
    assert_eq!(ack.digest, Sha256::digest(&ack.payload).to_vec());
}

#[tokio::test]
async fn output_is_numbered_from_zero_and_only_the_first_has_syn() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.type_text("emit 3000\r").await;
    let mut acks = Vec::new();
    let mut seen_numbers = Vec::new();
    let mut output = Vec::new();
    while seen_numbers.len() < 4 {
        let seen = client.next_stream(&mut acks).await;
        client.ack(&seen).await;
        assert!(seen.payload.len() <= 1024);
        assert_eq!(seen.flags, 0);
        seen_numbers.push(seen.sequence_number);
        output.extend(seen.payload);
    }
    // 0 request, 1 complete, 2 prompt, then echo + 3000 bytes + prompt in 1024-byte pieces.
    assert_eq!(seen_numbers, [2, 3, 4, 5]);
    assert_eq!(output.len(), 2 + 11 + 3000 + 2);
}

#[tokio::test]
async fn unacknowledged_output_is_sent_again_until_acknowledged() {
    let agent = Agent::start(AgentConfig::default());
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    let mut acks = Vec::new();
    let prompt = client.next_stream(&mut acks).await;
    let again = client.next_stream(&mut acks).await;
    let third = client.next_stream(&mut acks).await;
    assert_eq!(again.raw, prompt.raw, "the same message, byte for byte");
    assert_eq!(third.raw, prompt.raw);
    client.ack(&prompt).await;

    client.type_text("echo on\r").await;
    let output = client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert_eq!(output, b"echo on\r\non\r\n$ ");
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert!(record.output_retransmits >= 2);
    assert!(record.acks_received.contains(&2));
}

#[tokio::test]
async fn early_input_waits_for_the_gap_and_repeats_are_acknowledged_but_run_once() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;

    let first = random_id();
    client.input_at(2, 1, b"c\r", random_id()).await;
    client.input_at(1, 1, b"echo ab", first).await;
    client.input_at(1, 1, b"echo ab", first).await;
    let mut acks = Vec::new();
    let mut output = Vec::new();
    let acked = |acks: &Vec<Value>, sequence: i64| {
        acks.iter()
            .filter(|ack| ack["AcknowledgedMessageSequenceNumber"] == sequence)
            .count()
    };
    while !output.ends_with(b"$ ") || acked(&acks, 1) < 2 || acked(&acks, 2) < 1 {
        let seen = client.next_frame().await;
        if seen.message_type == "acknowledge" {
            acks.push(seen.json());
        } else {
            client.ack(&seen).await;
            output.extend(seen.payload);
        }
    }
    assert_eq!(output, b"echo abc\r\nabc\r\n$ ");

    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.input, b"echo abc\r");
    assert_eq!(
        record.input_copies,
        BTreeMap::from([(0, 1), (1, 2), (2, 1)])
    );
    assert_eq!(record.acks_sent, 4);
}

#[tokio::test]
async fn a_resize_is_recorded_and_the_shell_sees_it() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    client.input(3, br#"{"cols":120,"rows":40}"#).await;
    client.type_text("stty size\r").await;
    let output = client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert_eq!(output, b"stty size\r\n40 120\r\n$ ");
    assert_eq!(
        agent.session(&ticket.session_id).unwrap().record().resizes,
        [(120, 40)]
    );
}

#[tokio::test]
async fn a_megabyte_of_output_arrives_whole_and_in_order() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    client.type_text("emit 1048576\r").await;
    let output = client
        .read_output_until(|out| out.len() >= 14 + 1_048_576 + 2)
        .await;
    let body = &output[b"emit 1048576\r\n".len()..output.len() - 2];
    assert_eq!(body.len(), 1_048_576);
    assert!(
        body.iter()
            .enumerate()
            .all(|(i, &b)| b == b'a' + (i % 26) as u8)
    );
    assert!(output.ends_with(b"$ "));
}

#[tokio::test]
async fn a_corrupt_digest_is_dropped_unacknowledged_and_named() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    let mut bytes = build("input_stream_data", 1, 0, 1, b"echo bad\r", random_id());
    bytes[90] ^= 0xff;
    client.send_bytes(bytes).await;
    client.input_at(1, 1, b"echo good\r", random_id()).await;
    let output = client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert_eq!(output, b"echo good\r\ngood\r\n$ ");
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.input_copies.get(&1), Some(&1));
    assert_eq!(record.protocol_problems.len(), 1);
    assert!(
        record.protocol_problems[0].contains("digest"),
        "{:?}",
        record.protocol_problems
    );
}

#[tokio::test]
async fn an_ack_naming_the_id_with_halves_unswapped_is_a_protocol_problem() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let request = client.next_frame().await;
    let wire_order = Uuid::from_slice(&request.raw[64..80]).unwrap().to_string();
    client.ack_naming(&request, &wire_order).await;
    client.input(6, json!({"ClientVersion": "1.2.707.0", "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1}]}).to_string().as_bytes()).await;
    let mut acks = Vec::new();
    assert_eq!(client.next_stream(&mut acks).await.payload_type, 7);
    let problems = agent
        .session(&ticket.session_id)
        .unwrap()
        .record()
        .protocol_problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains(&format!("names message id {wire_order}")));
}

#[tokio::test]
async fn without_a_handshake_the_prompt_is_output_zero() {
    let agent = Agent::start(AgentConfig {
        shell_handshake: false,
        exit_report: ExitReport::ChannelClosedOnly,
        ..AgentConfig::default()
    });
    let ticket = agent.open_session(shell("echo hi"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let mut acks = Vec::new();
    let first = client.next_stream(&mut acks).await;
    assert_eq!(
        (first.sequence_number, first.flags, first.payload_type),
        (0, 1, 1)
    );
    assert_eq!(first.text(), "hi\r\n");
    client.ack(&first).await;
    let closed = client.next_stream(&mut acks).await;
    assert_eq!(
        closed.message_type, "channel_closed",
        "no exit code payload in this mode"
    );
    assert_eq!(
        agent.last_session().unwrap().record().handshake,
        HandshakeState::Skipped
    );
}

#[tokio::test]
async fn refusing_the_handshake_closes_the_channel_with_the_agents_error() {
    let agent = agent();
    agent.set_faults(Faults {
        refuse_handshake: true,
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let mut acks = Vec::new();
    let request = client.next_stream(&mut acks).await;
    client.ack(&request).await;
    client.input(6, json!({"ClientVersion": "1.2.707.0", "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1}]}).to_string().as_bytes()).await;
    let closed = client.next_stream(&mut acks).await;
    assert_eq!(closed.message_type, "channel_closed");
    let output = closed.json()["Output"].as_str().unwrap().to_string();
    assert!(
        output.starts_with("Encountered error while initiating handshake."),
        "{output}"
    );
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.handshake, HandshakeState::Refused);
    assert_eq!(record.faults_fired, ["handshake refused"]);
}

#[tokio::test]
async fn a_dropped_connection_ends_without_a_websocket_close() {
    let agent = agent();
    agent.set_faults(Faults {
        drop_after_output: Some(2),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    loop {
        match client.next().await {
            Event::Frame(_) => continue,
            Event::Cut => break,
            Event::Closed(frame) => panic!("a drop must not close politely: {frame:?}"),
        }
    }
    let record = agent.session(&ticket.session_id).unwrap().ended().await;
    assert_eq!(record.ended.as_deref(), Some("dropped by fault"));
    assert_eq!(record.faults_fired, ["connection dropped after output 2"]);
}

#[tokio::test]
async fn a_drop_on_request_cuts_the_live_connection() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert!(agent.session(&ticket.session_id).unwrap().drop_connection());
    assert!(matches!(client.next().await, Event::Cut));
}

#[tokio::test]
async fn reordered_and_duplicated_output_reaches_the_client_that_way() {
    let agent = agent();
    agent.set_faults(Faults {
        output: [(3, OutputFault::Reorder), (4, OutputFault::Duplicate)].into(),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    client.type_text("emit 3000\r").await;
    let mut acks = Vec::new();
    let mut order = Vec::new();
    let mut by_number: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    while by_number.len() < 3 {
        let seen = client.next_stream(&mut acks).await;
        order.push(seen.sequence_number);
        client.ack(&seen).await;
        by_number.insert(seen.sequence_number, seen.payload);
    }
    assert_eq!(order, [4, 4, 3, 5]);
    let output: Vec<u8> = by_number.into_values().flatten().collect();
    assert_eq!(output.len(), 11 + 3000 + 2);
    let fired = agent
        .session(&ticket.session_id)
        .unwrap()
        .record()
        .faults_fired;
    assert_eq!(fired, ["output 4 duplicated", "output 3 sent after 4"]);
}

#[tokio::test]
async fn a_dropped_output_arrives_by_retransmission_and_a_delayed_one_late() {
    let agent = Agent::start(AgentConfig::default());
    agent.set_faults(Faults {
        output: [
            (2, OutputFault::Drop),
            (4, OutputFault::Delay(Duration::from_millis(150))),
        ]
        .into(),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    let mut acks = Vec::new();
    let prompt = client.next_stream(&mut acks).await;
    assert_eq!(
        (prompt.sequence_number, prompt.text()),
        (2, "$ ".to_string())
    );
    client.ack(&prompt).await;
    client.type_text("emit 3000\r").await;
    let mut order = Vec::new();
    while order.len() < 3 {
        let seen = client.next_stream(&mut acks).await;
        client.ack(&seen).await;
        if !order.contains(&seen.sequence_number) {
            order.push(seen.sequence_number);
        }
    }
    assert_eq!(order, [3, 5, 4]);
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert!(record.output_retransmits >= 1);
    assert_eq!(
        record.faults_fired,
        ["output 2 dropped", "output 4 delayed 150ms"]
    );
}

#[tokio::test]
async fn withheld_acknowledgements_make_a_retransmitting_client_resend() {
    let agent = agent();
    agent.set_faults(Faults {
        withhold_acks: AckFault::First(2),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let mut acks: Vec<Value> = Vec::new();
    let request = client.next_stream(&mut acks).await;
    client.ack(&request).await;
    let response = json!({"ClientVersion": "1.2.707.0", "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1}]}).to_string();
    let id = random_id();
    // A client retransmits until acknowledged; the first two copies go unanswered.
    let mut copies = 0;
    while acks.is_empty() {
        client.input_at(0, 6, response.as_bytes(), id).await;
        copies += 1;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
        while let Ok(seen) = tokio::time::timeout_at(deadline, client.next_frame()).await {
            if seen.message_type == "acknowledge" {
                acks.push(seen.json());
            } else {
                client.ack(&seen).await;
            }
        }
        assert!(copies < 50, "never acknowledged");
    }
    assert!(copies >= 3, "{copies} copies");
    assert_eq!(acks[0]["AcknowledgedMessageSequenceNumber"], 0);
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.acks_withheld, 2);
    assert_eq!(record.input_copies.get(&0), Some(&copies));
    assert_eq!(
        record.handshake,
        HandshakeState::Completed,
        "the first copy was processed once"
    );
}

#[tokio::test]
async fn terminate_closes_a_live_channel() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    client.handshake("1.2.707.0").await;
    client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert!(agent.terminate(&ticket.session_id));
    let mut acks = Vec::new();
    assert_eq!(
        client.next_stream(&mut acks).await.message_type,
        "channel_closed"
    );
    let record = agent.session(&ticket.session_id).unwrap().ended().await;
    assert!(record.terminated_by_api);
    assert_eq!(
        record.ended.as_deref(),
        Some("terminated by TerminateSession")
    );
}

#[tokio::test]
async fn input_before_the_handshake_completes_is_acknowledged_but_not_run() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let mut client = Raw::connect(&ticket).await;
    let mut acks = Vec::new();
    let request = client.next_stream(&mut acks).await;
    client.ack(&request).await;
    client.type_text("echo early\r").await;
    client.input(6, json!({"ClientVersion": "1.2.707.0", "ProcessedClientActions": [{"ActionType": "SessionType", "ActionStatus": 1}]}).to_string().as_bytes()).await;
    let complete = client.next_stream(&mut acks).await;
    assert_eq!(complete.payload_type, 7);
    client.ack(&complete).await;
    assert_eq!(
        client.read_output_until(|out| out.ends_with(b"$ ")).await,
        b"$ "
    );
    client.type_text("echo late\r").await;
    let output = client.read_output_until(|out| out.ends_with(b"$ ")).await;
    assert_eq!(output, b"echo late\r\nlate\r\n$ ");
    let record = agent.session(&ticket.session_id).unwrap().record();
    assert_eq!(record.inputs_ignored_during_handshake, 1);
    assert_eq!(record.input, b"echo late\r");
    assert!(
        acks.iter()
            .any(|ack| ack["AcknowledgedMessageSequenceNumber"] == 0)
    );
}
