use super::*;
use crate::shell::{Effect, Terminal};

fn container() -> DemoContainer {
    DemoContainer::new(
        "api-7f3c",
        vec![
            ("APP_ENV".into(), "demo".into()),
            ("DATABASE_URL".into(), "postgres://db:5432/app".into()),
        ],
    )
}

fn interactive() -> Box<dyn Terminal> {
    match container().start("/bin/sh") {
        Started::Terminal(shell) => shell,
        _ => panic!("/bin/sh is interactive"),
    }
}

fn typed(shell: &mut dyn Terminal, text: &str) -> String {
    shell
        .input(text.as_bytes())
        .into_iter()
        .map(|effect| match effect {
            Effect::Output(bytes) => String::from_utf8(bytes).unwrap(),
            Effect::Exit(code) => format!("<exit {code}>"),
        })
        .collect()
}

#[test]
fn env_lists_the_containers_environment_in_order() {
    let mut shell = interactive();
    assert_eq!(shell.start(), b"$ ");
    assert_eq!(
        typed(&mut *shell, "env\r"),
        "env\r\nAPP_ENV=demo\r\nDATABASE_URL=postgres://db:5432/app\r\n$ "
    );
}

#[test]
fn ls_lists_the_files_sorted() {
    let mut shell = interactive();
    assert_eq!(
        typed(&mut *shell, "ls\r"),
        "ls\r\napp  bin  etc  tmp  usr  var\r\n$ "
    );
    let mut bare = container();
    bare.files = vec!["b".into(), "a".into()];
    assert_eq!(bare.commands().run("ls").0, b"a  b\n");
    bare.files.clear();
    assert_eq!(bare.commands().run("ls").0, b"");
}

#[test]
fn hostname_names_the_container() {
    let mut shell = interactive();
    assert_eq!(
        typed(&mut *shell, "hostname\r"),
        "hostname\r\napi-7f3c\r\n$ "
    );
}

#[test]
fn exit_ends_the_shell_with_its_code() {
    let mut shell = interactive();
    assert_eq!(typed(&mut *shell, "exit\r"), "exit\r\n<exit 0>");
    let mut shell = interactive();
    assert_eq!(typed(&mut *shell, "exit 5\r"), "exit 5\r\n<exit 5>");
}

#[test]
fn an_unknown_command_says_what_the_shell_knows() {
    let mut shell = interactive();
    assert_eq!(
        typed(&mut *shell, "top\r"),
        "top\r\ntop: not found (this demo shell knows ls, env, hostname, exit)\r\n$ "
    );
}

#[test]
fn a_one_shot_command_runs_once_and_a_missing_program_is_missing() {
    match container().start("sh -c 'hostname'") {
        Started::Finished { output, status } => {
            assert_eq!((output, status), (b"api-7f3c\n".to_vec(), 0));
        }
        _ => panic!("sh -c runs once"),
    }
    assert!(matches!(
        container().start("exit 3"),
        Started::Finished { status: 3, .. }
    ));
    assert!(matches!(
        container().start("sh -c 'top'"),
        Started::Missing(program) if program == "top"
    ));
    assert!(matches!(container().start("vim x"), Started::Missing(program) if program == "vim"));
}
