use super::toy::ToyCommands;
use super::*;

fn typed(shell: &mut impl Terminal, text: &str) -> Vec<u8> {
    shell
        .input(text.as_bytes())
        .into_iter()
        .flat_map(|effect| match effect {
            Effect::Output(bytes) => bytes,
            Effect::Exit(code) => format!("<exit {code}>").into_bytes(),
        })
        .collect()
}

fn toy_shell() -> LineShell<ToyCommands> {
    LineShell::new("$ ", ToyCommands::new("box"))
}

#[test]
fn a_line_is_echoed_then_run_then_prompted() {
    let mut shell = toy_shell();
    assert_eq!(shell.start(), b"$ ");
    assert_eq!(
        typed(&mut shell, "echo hi there\r"),
        b"echo hi there\r\nhi there\r\n$ "
    );
}

#[test]
fn input_split_across_messages_makes_one_line() {
    let mut shell = toy_shell();
    assert_eq!(typed(&mut shell, "ech"), b"ech");
    assert_eq!(typed(&mut shell, "o 1\r"), b"o 1\r\n1\r\n$ ");
}

#[test]
fn exit_carries_its_code_and_nothing_after_it_runs() {
    let mut shell = toy_shell();
    assert_eq!(
        typed(&mut shell, "exit 3\rnot run\r"),
        b"exit 3\r\n<exit 3>"
    );
}

#[test]
fn ctrl_d_on_an_empty_line_exits_zero_and_backspace_erases() {
    let mut shell = toy_shell();
    assert_eq!(typed(&mut shell, "ab\x7f"), b"ab\x08 \x08");
    assert_eq!(typed(&mut shell, "\x7f\x04"), b"\x08 \x08exit\r\n<exit 0>");
}

#[test]
fn ctrl_c_drops_the_line() {
    let mut shell = toy_shell();
    assert_eq!(typed(&mut shell, "exit\x03"), b"exit^C\r\n$ ");
    assert_eq!(typed(&mut shell, "\r"), b"\r\n$ ");
}

#[test]
fn a_resize_reaches_the_commands() {
    let mut shell = toy_shell();
    shell.resize(120, 40);
    assert_eq!(
        typed(&mut shell, "stty size\r"),
        b"stty size\r\n40 120\r\n$ "
    );
}

#[test]
fn a_shell_runs_interactively_and_sh_c_once() {
    assert_eq!(one_shot_line("/bin/sh"), None);
    assert_eq!(one_shot_line("bash -l"), None);
    assert_eq!(
        one_shot_line("sh -c 'echo a; exit 2'").as_deref(),
        Some("echo a; exit 2")
    );
    assert_eq!(one_shot_line("hostname -f").as_deref(), Some("hostname -f"));
}

#[test]
fn words_split_on_whitespace_and_quotes_group() {
    assert_eq!(
        split_words(r#"  a 'b c' "d"e  "#),
        vec!["a".to_string(), "b c".into(), "de".into()]
    );
}
