//! Handshake, acknowledgement and retransmission through the client, against the independent
//! agent with its faults: what the agent records is what the client put on the wire.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use ondeck_ssm::{CLIENT_VERSION, ChannelOptions, PortForward, SessionError, Shell};
use ondeck_ssm_agent::{
    AckFault, Agent, AgentConfig, Faults, HandshakeState, OutputFault, SessionKind,
};

fn port(port_number: u16) -> SessionKind {
    SessionKind::Port {
        port_number,
        host: None,
        local_port_number: Some("0".into()),
    }
}

#[tokio::test]
async fn every_output_is_acknowledged_once_and_nothing_is_resent() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    for line in ["echo one\r", "echo two\r", "printf 'x\\ny\\n'\r"] {
        input.write(line).await.unwrap();
        read_until(&mut output, ends_with_prompt).await;
    }
    let session = agent.last_session().unwrap();
    let record = guarded(
        "every acknowledgement",
        session.wait_for(|record| record.acks_received.len() as i64 >= record.outputs_sequenced),
    )
    .await;
    let sequenced: Vec<i64> = (0..record.outputs_sequenced).collect();
    assert_eq!(
        record.acks_received, sequenced,
        "each output acknowledged once, in order"
    );
    assert!(record.input_copies.values().all(|&copies| copies == 1));
    assert_eq!(record.output_retransmits, 0);
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn lost_output_is_recovered_by_the_agents_retransmission() {
    let agent = Agent::start(AgentConfig::default()); // resends after 200 ms
    // 0 and 1 are the handshake, 2 the prompt, 3 the answer to the first line.
    agent.set_faults(Faults {
        output: BTreeMap::from([(3, OutputFault::Drop)]),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    input.write("echo once\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, ends_with_prompt).await,
        b"echo once\r\nonce\r\n$ "
    );
    let session = agent.last_session().unwrap();
    let record = guarded(
        "the acknowledgement of output 3",
        session.wait_for(|record| record.acks_received.contains(&3)),
    )
    .await;
    assert_eq!(record.faults_fired, ["output 3 dropped"]);
    assert!(record.output_retransmits >= 1);
}

#[tokio::test]
async fn duplicated_and_reordered_output_is_shown_once_in_order() {
    let agent = agent();
    agent.set_faults(Faults {
        output: BTreeMap::from([(3, OutputFault::Duplicate), (4, OutputFault::Reorder)]),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    input.write("echo a\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, ends_with_prompt).await,
        b"echo a\r\na\r\n$ "
    );
    // Output 4 (the answer to b) is held back until 5 (the answer to c) has gone out.
    input.write("echo b\r").await.unwrap();
    input.write("echo c\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, |out| out.ends_with(b"c\r\n$ ")).await,
        b"echo b\r\nb\r\n$ echo c\r\nc\r\n$ "
    );
    let record = agent.last_session().unwrap().record();
    assert_eq!(
        record.faults_fired,
        ["output 3 duplicated", "output 4 sent after 5"]
    );
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn unacknowledged_input_is_sent_again_and_runs_once() {
    let agent = ecs_like_agent();
    // Without a handshake the first input is the client's message 0.
    agent.set_faults(Faults {
        withhold_acks: AckFault::First(1),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    input.write("echo x\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, ends_with_prompt).await,
        b"echo x\r\nx\r\n$ "
    );
    let session = agent.last_session().unwrap();
    let resent = guarded(
        "the client resending input 0",
        session.wait_for(|record| record.input_copies.get(&0).copied().unwrap_or(0) >= 2),
    )
    .await;
    assert_eq!(resent.acks_withheld, 1);
    assert_eq!(resent.input, b"echo x\r", "run once however often it came");
    assert_eq!(resent.protocol_problems, Vec::<String>::new());
    // Once acknowledged it is not sent again: a second line is message 1, sent once.
    input.write("echo y\r").await.unwrap();
    read_until(&mut output, |out| out.ends_with(b"y\r\n$ ")).await;
    let record = guarded(
        "input 1",
        session.wait_for(|record| record.input_copies.contains_key(&1)),
    )
    .await;
    assert_eq!(record.input, b"echo x\recho y\r");
    assert_eq!(record.input_copies.get(&1), Some(&1));
}

#[tokio::test]
async fn input_never_acknowledged_ends_the_session_saying_so() {
    let agent = ecs_like_agent();
    agent.set_faults(Faults {
        withhold_acks: AckFault::All,
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let options = ChannelOptions {
        delivery_timeout: Duration::from_secs(1),
        ..ChannelOptions::default()
    };
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &options).await.unwrap();
    input.write("echo lost\r").await.unwrap();
    let (_, outcome) = read_to_end(&mut output).await;
    assert!(
        matches!(
            outcome,
            Err(SessionError::DeliveryTimedOut { sequence: 0, .. })
        ),
        "{outcome:?}"
    );
    let record = agent.last_session().unwrap().record();
    assert!(
        record.input_copies[&0] >= 2,
        "it was resent before giving up"
    );
}

#[tokio::test]
async fn a_port_session_handshake_is_answered_with_the_client_version() {
    let agent = agent();
    let ticket = agent.open_session(port(5432), "ecs:c_t_r", "ondeck-forward");
    let forward = PortForward::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    assert_eq!(forward.agent_version(), Some("3.3.2299.0"));
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.handshake, HandshakeState::Completed);
    assert_eq!(record.client_version.as_deref(), Some(CLIENT_VERSION));
    let response = record.handshake_response.expect("a response");
    let action = &response["ProcessedClientActions"][0];
    assert_eq!(action["ActionType"], "SessionType");
    assert_eq!(action["ActionStatus"], 1);
    let opened = record.open_request.expect("the token message");
    assert_eq!(opened["TokenValue"], ticket.token_value.as_str());
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_shell_holds_its_input_until_the_handshake_completes() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    // Written before anything was heard from the agent.
    input.write("echo early\r").await.unwrap();
    read_until(&mut output, |out| out.ends_with(b"early\r\n$ ")).await;
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.handshake, HandshakeState::Completed);
    assert_eq!(record.inputs_ignored_during_handshake, 0);
    assert_eq!(record.input, b"echo early\r");
}

#[tokio::test]
async fn a_refused_handshake_fails_the_forward_with_the_agents_reason() {
    let agent = agent();
    agent.set_faults(Faults {
        refuse_handshake: true,
        ..Faults::default()
    });
    let ticket = agent.open_session(port(5432), "ecs:c_t_r", "ondeck-forward");
    let error = guarded(
        "the refusal",
        PortForward::connect(&params(&ticket), &ChannelOptions::default()),
    )
    .await
    .err()
    .expect("refused");
    assert!(
        matches!(error, SessionError::HandshakeRefused(_)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("Encountered error while initiating handshake"),
        "{error}"
    );
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.faults_fired, ["handshake refused"]);
}
