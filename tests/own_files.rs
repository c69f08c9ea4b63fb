//! The files ondeck keeps or reads for itself — its log, its config — when they are not what
//! they should be: a command says so and runs on, or refuses with a message, and never panics.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ONDECK: &str = env!("CARGO_BIN_EXE_ondeck");

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// `ondeck ARGS` with `state` as its state dir and nothing of the caller's settings.
fn ondeck(state: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(ONDECK);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("USER", "ana")
        .env("HOME", state)
        .env("ONDECK_STATE_DIR", state)
        .stdin(Stdio::null());
    command
}

/// The command's output once it ends by itself; one still running after `limit` is killed
/// and fails the test.
fn run_to_end(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_log_file_that_cannot_be_opened_is_warned_about_once_and_the_command_runs_on() {
    let config = fixture("valid/minimal.toml");
    let config = config.to_str().unwrap();
    // Whoever runs the tests (root too) cannot open a directory as the log file; a state dir
    // that is a file cannot hold one either.
    let state = tempfile::tempdir().unwrap();
    std::fs::create_dir(state.path().join("ondeck.log")).unwrap();
    let blocked_file = tempfile::NamedTempFile::new().unwrap();
    for dir in [state.path(), blocked_file.path()] {
        for args in [
            &["--config", config, "config", "check"][..],
            &["--demo", "list", "--json"][..],
        ] {
            let out = run_to_end(ondeck(dir, args), Duration::from_secs(30));
            let said = stderr(&out);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {said}");
            assert_eq!(
                said.matches("cannot write its log").count(),
                1,
                "{args:?}: warned once: {said}"
            );
            assert!(said.contains("running without it"), "{said}");
            assert!(!said.contains("panicked"), "{said}");
            assert!(!out.stdout.is_empty(), "{args:?}: the command did its work");
        }
    }
}

#[test]
fn a_writable_state_dir_gets_the_log_and_no_warning() {
    let state = tempfile::tempdir().unwrap();
    let config = fixture("valid/minimal.toml");
    let out = run_to_end(
        ondeck(
            state.path(),
            &["--config", config.to_str().unwrap(), "config", "check"],
        ),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert!(state.path().join("ondeck.log").is_file());
}

/// At most `bytes` of address space for the command: reading a file without bound makes it
/// fail fast instead of taking the machine's memory.
fn with_memory_limit(mut command: Command, bytes: u64) -> Command {
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

#[test]
fn a_config_past_one_mib_is_refused_without_reading_it_whole() {
    let state = tempfile::tempdir().unwrap();
    let large = state.path().join("large.toml");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    let endless = Path::new("/dev/zero");
    for config in [large.as_path(), endless] {
        let command = ondeck(
            state.path(),
            &["--config", config.to_str().unwrap(), "config", "check"],
        );
        let out = run_to_end(with_memory_limit(command, 2 << 30), Duration::from_secs(30));
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {said}", config.display());
        assert!(
            said.contains(&format!(
                "{}: the config file is larger than 1 MiB",
                config.display()
            )),
            "{said}"
        );
        assert!(said.contains("--config"), "says what to check: {said}");
    }
}

#[test]
fn config_check_refuses_an_endpoint_that_is_no_url_with_where_and_how() {
    let state = tempfile::tempdir().unwrap();
    let config = fixture("invalid/bad_endpoint_port.toml");
    let out = run_to_end(
        ondeck(
            state.path(),
            &["--config", config.to_str().unwrap(), "config", "check"],
        ),
        Duration::from_secs(30),
    );
    let said = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!(
            "{}:3:16: key `profiles.local.endpoint_url`",
            config.display()
        )),
        "{said}"
    );
    assert!(said.contains("invalid port number"), "{said}");
    assert!(
        said.contains("e.g. \"http://127.0.0.1:5000\""),
        "the fix: {said}"
    );
}
