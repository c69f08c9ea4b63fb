use super::*;

fn typed(shell: &mut ToyShell, text: &str) -> Vec<u8> {
    shell
        .input(text.as_bytes())
        .into_iter()
        .flat_map(|effect| match effect {
            Effect::Output(bytes) => bytes,
            Effect::Exit(code) => format!("<exit {code}>").into_bytes(),
        })
        .collect()
}

#[test]
fn a_line_is_echoed_then_run_then_prompted() {
    let mut shell = ToyShell::new("$ ", "box");
    assert_eq!(
        typed(&mut shell, "echo hi there\r"),
        b"echo hi there\r\nhi there\r\n$ "
    );
}

#[test]
fn input_split_across_messages_makes_one_line() {
    let mut shell = ToyShell::new("$ ", "box");
    assert_eq!(typed(&mut shell, "ech"), b"ech");
    assert_eq!(typed(&mut shell, "o 1\r"), b"o 1\r\n1\r\n$ ");
}

#[test]
fn exit_carries_its_code() {
    let mut shell = ToyShell::new("$ ", "box");
    assert_eq!(
        typed(&mut shell, "exit 3\rnot run\r"),
        b"exit 3\r\n<exit 3>"
    );
}

#[test]
fn emit_writes_exactly_n_bytes() {
    let shell = ToyShell::new("$ ", "box");
    let (output, exit) = shell.run("emit 30");
    assert_eq!(output, b"abcdefghijklmnopqrstuvwxyzabcd");
    assert_eq!(exit, None);
}

#[test]
fn stty_size_reports_the_last_resize_rows_first() {
    let mut shell = ToyShell::new("$ ", "box");
    shell.resize(120, 40);
    assert_eq!(shell.run("stty size").0, b"40 120\n");
}

#[test]
fn printf_understands_escapes() {
    let shell = ToyShell::new("$ ", "box");
    assert_eq!(shell.run(r"printf 'a\tb\x41\e[0m\n'").0, b"a\tbA\x1b[0m\n");
}

#[test]
fn unknown_commands_are_not_found_with_status_127() {
    let shell = ToyShell::new("$ ", "box");
    assert_eq!(
        shell.run_alone("nope x"),
        (b"sh: 1: nope: not found\n".to_vec(), 127)
    );
    assert_eq!(shell.run_alone("false").1, 1);
    assert_eq!(shell.run_alone("exit 9").1, 9);
}

#[test]
fn ctrl_d_on_an_empty_line_exits_zero_and_backspace_erases() {
    let mut shell = ToyShell::new("$ ", "box");
    assert_eq!(typed(&mut shell, "ab\x7f"), b"ab\x08 \x08");
    assert_eq!(typed(&mut shell, "\x7f\x04"), b"\x08 \x08exit\r\n<exit 0>");
}
