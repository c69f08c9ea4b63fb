//! A shell through the client against the independent agent: output, exit codes, resizes,
//! volume, a dropped connection, and the demo's interpreter.

mod common;

use std::sync::Arc;

use common::*;
use ondeck_ssm::{ChannelOptions, EndReason, SessionError, Shell};
use ondeck_ssm_agent::{DemoContainer, Faults};

#[tokio::test]
async fn a_command_prints_its_output_and_the_session_ends_with_its_exit_code() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    assert_eq!(read_until(&mut output, ends_with_prompt).await, b"$ ");

    input.write("echo hello world\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, ends_with_prompt).await,
        b"echo hello world\r\nhello world\r\n$ "
    );
    input.write("exit 3\r").await.unwrap();
    let (printed, outcome) = read_to_end(&mut output).await;
    assert_eq!(printed, b"exit 3\r\n");
    let end = outcome.expect("a clean end");
    assert_eq!(end.exit_code, Some(3));
    assert!(
        matches!(end.reason, EndReason::ClosedByService { .. }),
        "{end:?}"
    );

    let record = agent.last_session().unwrap().ended().await;
    assert_eq!(record.input, b"echo hello world\rexit 3\r");
    assert_eq!(record.exit_code, Some(3));
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn an_ecs_shell_starts_without_a_handshake_and_ends_without_a_code() {
    let agent = ecs_like_agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    input.write("hostname\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, |out| out.ends_with(b"internal\r\n$ ")).await,
        b"$ hostname\r\nip-10-0-0-1.ec2.internal\r\n$ "
    );
    input.write("exit 4\r").await.unwrap();
    let (_, outcome) = read_to_end(&mut output).await;
    assert_eq!(outcome.expect("a clean end").exit_code, None);
    let record = agent.last_session().unwrap().ended().await;
    assert_eq!(record.exit_code, Some(4), "the command did exit with 4");
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_resize_reaches_the_remote_terminal() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    input.resize(80, 24).await.unwrap();
    input.resize(132, 43).await.unwrap();
    input.write("stty size\r").await.unwrap();
    assert_eq!(
        read_until(&mut output, |out| out.ends_with(b"size\r\n43 132\r\n$ ")).await,
        b"$ stty size\r\n43 132\r\n$ "
    );
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.resizes, [(80, 24), (132, 43)]);
    assert_eq!(record.protocol_problems, Vec::<String>::new());
}

#[tokio::test]
async fn a_megabyte_of_output_arrives_whole_and_in_order() {
    const SIZE: usize = 1 << 20;
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    input.write(format!("emit {SIZE}\r")).await.unwrap();
    let printed = read_until(&mut output, |out| {
        out.len() >= SIZE && ends_with_prompt(out)
    })
    .await;
    let echo = format!("emit {SIZE}\r\n");
    let expected: Vec<u8> = echo
        .bytes()
        .chain((0..SIZE).map(|i| b'a' + (i % 26) as u8))
        .chain(*b"$ ")
        .collect();
    assert_eq!(printed.len(), expected.len());
    assert!(printed == expected, "the bytes differ");
    let record = agent.last_session().unwrap().record();
    assert!(
        record.outputs_sequenced > 1024,
        "carried in about a thousand 1 KiB messages, not {}",
        record.outputs_sequenced
    );
    assert_eq!(record.output_retransmits, 0);
}

#[tokio::test]
async fn a_dropped_connection_ends_the_shell_with_the_reason() {
    let agent = agent();
    // Output 2 is the prompt (0 and 1 are the handshake): the TCP connection is cut after it,
    // with no WebSocket close.
    agent.set_faults(Faults {
        drop_after_output: Some(2),
        ..Faults::default()
    });
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    let (printed, outcome) = read_to_end(&mut output).await;
    // A cut connection may lose what was in flight, as a real network failure does.
    assert!(b"$ ".starts_with(&printed), "{printed:?}");
    assert!(
        matches!(outcome, Err(SessionError::ConnectionDropped { .. })),
        "{outcome:?}"
    );
    let record = agent.last_session().unwrap().record();
    assert_eq!(record.faults_fired, ["connection dropped after output 2"]);
    let later = guarded("a write after the drop", input.write("echo\r")).await;
    assert!(
        matches!(later, Err(SessionError::ConnectionDropped { .. })),
        "{later:?}"
    );
}

#[tokio::test]
async fn a_drop_in_the_middle_of_a_session_is_reported_not_waited_on() {
    let agent = agent();
    let ticket = agent.open_session(shell("/bin/sh"), "ecs:c_t_r", "ecs-execute-command");
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    read_until(&mut output, ends_with_prompt).await;
    assert!(agent.last_session().unwrap().drop_connection());
    let (_, outcome) = read_to_end(&mut output).await;
    assert!(
        matches!(outcome, Err(SessionError::ConnectionDropped { .. })),
        "{outcome:?}"
    );
    drop(input);
}

#[tokio::test]
async fn the_demo_shell_answers_ls_env_hostname_and_exit() {
    let agent = ecs_like_agent();
    let demo = DemoContainer::new(
        "api-7f3c",
        vec![
            ("APP_ENV".into(), "demo".into()),
            ("PORT".into(), "8080".into()),
        ],
    );
    let ticket = agent.open_session_in(
        shell("/bin/sh"),
        "ecs:demo_task_runtime",
        "ecs-execute-command",
        Arc::new(demo),
    );
    let Shell { input, mut output } = Shell::connect(&params(&ticket), &ChannelOptions::default())
        .await
        .unwrap();
    assert_eq!(read_until(&mut output, ends_with_prompt).await, b"$ ");
    for (typed, answer) in [
        ("ls\r", "ls\r\napp  bin  etc  tmp  usr  var\r\n$ "),
        ("env\r", "env\r\nAPP_ENV=demo\r\nPORT=8080\r\n$ "),
        ("hostname\r", "hostname\r\napi-7f3c\r\n$ "),
    ] {
        input.write(typed).await.unwrap();
        let printed = read_until(&mut output, ends_with_prompt).await;
        assert_eq!(String::from_utf8_lossy(&printed), answer);
    }
    input.write("exit\r").await.unwrap();
    let (printed, outcome) = read_to_end(&mut output).await;
    assert_eq!(printed, b"exit\r\n");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(
        agent.last_session().unwrap().ended().await.exit_code,
        Some(0)
    );
}
