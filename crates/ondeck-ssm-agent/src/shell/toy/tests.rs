use super::*;

#[test]
fn emit_writes_exactly_n_bytes() {
    let (output, exit) = ToyCommands::new("box").run("emit 30");
    assert_eq!(output, b"abcdefghijklmnopqrstuvwxyzabcd");
    assert_eq!(exit, None);
}

#[test]
fn stty_size_reports_the_last_resize_rows_first() {
    let mut commands = ToyCommands::new("box");
    assert!(commands.run("stty size").0.starts_with(b"stty: "));
    commands.resize(120, 40);
    assert_eq!(commands.run("stty size").0, b"40 120\n");
}

#[test]
fn printf_understands_escapes() {
    let (output, _) = ToyCommands::new("box").run(r"printf 'a\tb\x41\e[0m\n'");
    assert_eq!(output, b"a\tbA\x1b[0m\n");
}

#[test]
fn unknown_commands_are_not_found_with_status_127() {
    let commands = ToyCommands::new("box");
    assert_eq!(
        commands.run_alone("nope x"),
        (b"sh: 1: nope: not found\n".to_vec(), 127)
    );
    assert_eq!(commands.run_alone("false").1, 1);
    assert_eq!(commands.run_alone("exit 9").1, 9);
}

#[test]
fn the_container_starts_its_shells_runs_builtins_once_and_lacks_the_rest() {
    let container = ToyContainer {
        shells: vec!["/bin/sh".into()],
        ..ToyContainer::default()
    };
    let Started::Terminal(mut shell) = container.start("/bin/sh") else {
        panic!("/bin/sh is an interactive shell");
    };
    assert_eq!(shell.start(), b"$ ");
    assert!(matches!(
        container.start("/bin/sh -c 'exit 4'"),
        Started::Finished { status: 4, .. }
    ));
    match container.start("hostname") {
        Started::Finished { output, status } => {
            assert_eq!(
                (output, status),
                (b"ip-10-0-0-1.ec2.internal\n".to_vec(), 0)
            );
        }
        _ => panic!("hostname runs once"),
    }
    assert!(matches!(container.start("/bin/bash"), Started::Missing(p) if p == "/bin/bash"));
    assert!(matches!(container.start("vim"), Started::Missing(p) if p == "vim"));
}
