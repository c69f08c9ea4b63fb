//! The real `ondeck` binary in a pseudo-terminal: a reader thread feeds every byte the program
//! writes into a `vt100` screen (and keeps the raw bytes), tests wait for text to appear on that
//! screen — never for a fixed time — and type keys into it.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// How often a wait looks at the screen again.
const POLL: Duration = Duration::from_millis(20);

/// The binary under test, as cargo built it for this test run.
pub const ONDECK: &str = env!("CARGO_BIN_EXE_ondeck");

/// Printed by the `sh` wrapper between ondeck's exit and `stty -a`.
const EXIT_MARKER: &str = "ondeck exited with ";
/// Printed by the wrapper once `stty -a` is done.
const STTY_DONE: &str = "stty done";
/// Under `spawn_ondeck_without_sighup`: ondeck's exit status, in the state dir.
pub const EXIT_STATUS_FILE: &str = "ondeck.exit";

/// What the program has written so far: parsed into a screen, and as it came.
struct Output {
    screen: vt100::Parser,
    raw: Vec<u8>,
    /// The reader has seen the end of the stream: every byte written is in `raw`.
    ended: bool,
    /// The test hung up: the reader lets go of its side of the terminal at its next wake-up.
    hung_up: bool,
}

/// How to start a program in a pty: size and environment. The environment starts empty (so
/// nothing of the caller's AWS or ondeck settings leaks in) apart from `PATH`, a terminal type,
/// a UTF-8 locale, the login name `ana`, and `ONDECK_STATE_DIR`/`HOME` in the given state dir.
pub struct PtyBuilder {
    cols: u16,
    rows: u16,
    state_dir: OsString,
    env: Vec<(OsString, OsString)>,
}

impl PtyBuilder {
    pub fn new(cols: u16, rows: u16, state_dir: &Path) -> PtyBuilder {
        PtyBuilder {
            cols,
            rows,
            state_dir: state_dir.as_os_str().to_owned(),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> PtyBuilder {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// `ondeck ARGS` itself is the pty's only process.
    pub fn spawn_ondeck(self, args: &[&str]) -> Pty {
        let mut command = CommandBuilder::new(ONDECK);
        command.args(args);
        self.spawn(command)
    }

    /// `sh -c 'ondeck ARGS; echo "ondeck exited with $?"; stty -a'`: the shell reports ondeck's
    /// exit code and then the terminal's modes as ondeck left them. ondeck is the shell's child.
    pub fn spawn_ondeck_then_stty(self, args: &[&str]) -> Pty {
        let builder = self.env("ONDECK_BIN", ONDECK);
        let mut command = CommandBuilder::new("sh");
        command.args([
            "-c",
            &format!(r#""$ONDECK_BIN" "$@"; echo "{EXIT_MARKER}$?"; stty -a; echo "{STTY_DONE}""#),
            "sh",
        ]);
        command.args(args);
        builder.spawn(command)
    }

    /// ondeck in a session of its own on this terminal, so that a hang-up sends it no SIGHUP:
    /// what a dropped link looks like when the signal gets lost. The shell waits for it; a
    /// second shell in that session writes ondeck's exit status to [`EXIT_STATUS_FILE`] in
    /// the state dir.
    pub fn spawn_ondeck_without_sighup(self, args: &[&str]) -> Pty {
        let builder = self.env("ONDECK_BIN", ONDECK);
        let mut command = CommandBuilder::new("sh");
        command.args([
            "-c",
            &format!(
                r#"setsid sh -c '"$ONDECK_BIN" "$@"; echo $? > "$ONDECK_STATE_DIR/{EXIT_STATUS_FILE}"' sh "$@" < /dev/tty & wait"#
            ),
            "sh",
        ]);
        command.args(args);
        builder.spawn(command)
    }

    fn spawn(self, mut command: CommandBuilder) -> Pty {
        command.env_clear();
        command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
        command.env("TERM", "xterm-256color");
        command.env("LANG", "C.UTF-8");
        command.env("USER", "ana");
        command.env("LOGNAME", "ana");
        command.env("HOME", &self.state_dir);
        command.env("ONDECK_STATE_DIR", &self.state_dir);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command.cwd(&self.state_dir);

        let pair = native_pty_system()
            .openpty(PtySize {
                rows: self.rows,
                cols: self.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(command).expect("spawn in the pty");
        // Only the child holds the terminal side now: its exit ends the reader's stream.
        drop(pair.slave);

        let output = Arc::new(Mutex::new(Output {
            screen: vt100::Parser::new(
                self.rows.try_into().expect("rows > 0"),
                self.cols.try_into().expect("cols > 0"),
                0,
            ),
            raw: Vec::new(),
            ended: false,
            hung_up: false,
        }));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            // Ends at EOF or EIO, which Linux reports once the last process on the pty exits.
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let mut output = sink.lock().unwrap();
                if output.hung_up {
                    break;
                }
                output.screen.process(&buffer[..read]);
                output.raw.extend_from_slice(&buffer[..read]);
            }
            sink.lock().unwrap().ended = true;
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Pty {
            child,
            writer: Some(writer),
            master: Some(pair.master),
            output,
        }
    }
}

pub struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Option<Box<dyn Write + Send>>,
    // Kept open for as long as the test runs: closing it hangs up the terminal.
    master: Option<Box<dyn MasterPty + Send>>,
    output: Arc<Mutex<Output>>,
}

impl Pty {
    /// Close the terminal's far side, as sshd does when the link drops: ours now, the
    /// reader's copy at its next wake-up (the program's next output).
    pub fn hang_up(&mut self) {
        self.output.lock().unwrap().hung_up = true;
        self.writer = None;
        self.master = None;
    }

    /// The screen as text, one line per row, trailing blanks trimmed.
    pub fn screen_text(&self) -> String {
        self.output.lock().unwrap().screen.screen().contents()
    }

    /// Every byte written to the terminal so far.
    pub fn raw_bytes(&self) -> Vec<u8> {
        self.output.lock().unwrap().raw.clone()
    }

    /// Type into the terminal.
    pub fn send_keys(&mut self, bytes: impl AsRef<[u8]>) {
        let writer = self.writer.as_mut().expect("the terminal is still up");
        writer.write_all(bytes.as_ref()).expect("write keys");
        writer.flush().expect("flush keys");
    }

    /// Paste `text` as a terminal in bracketed-paste mode sends it: between `ESC [200~` and
    /// `ESC [201~`, newlines as carriage returns.
    pub fn paste(&mut self, text: &str) {
        let text = text.replace('\n', "\r");
        self.send_keys(format!("\x1b[200~{text}\x1b[201~"));
    }

    /// Wait until `needle` is on the screen; panics with the screen if it is not within `limit`.
    pub fn wait_for_text(&self, needle: &str, limit: Duration) {
        self.wait_for(&format!("{needle:?} on screen"), limit, |screen| {
            screen.contains(needle)
        });
    }

    /// Wait until the screen's text satisfies `ready`; panics with the screen after `limit`.
    pub fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen_text();
            if ready(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!("no {what} within {limit:?}; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Wait for the pty's process to end; panics with the screen after `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the process did not exit within {limit:?}; the screen:\n{}",
                    self.screen_text()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Wait for the process to end and for everything it wrote to be read.
    pub fn wait_for_end(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        let status = self.wait_for_exit(limit);
        // The exit can be noticed before the reader has drained the last bytes.
        while !self.output.lock().unwrap().ended {
            assert!(
                Instant::now() < deadline,
                "the output did not end within {limit:?}"
            );
            std::thread::sleep(POLL);
        }
        status
    }

    /// The pid of the pty's process (the shell, when wrapped); it leads its own session.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a pid")
    }

    /// Under `spawn_ondeck_then_stty`: ondeck's pid, as the wrapping shell's child.
    pub fn ondeck_pid(&self) -> u32 {
        let shell = self.pid();
        let children: Vec<u32> = processes()
            .filter(|process| process.parent == shell)
            .map(|process| process.pid)
            .collect();
        assert_eq!(
            children.len(),
            1,
            "expected ondeck as the shell's only child: {children:?}"
        );
        children[0]
    }

    /// Processes still in the pty's session (the pty's process and anything it started).
    pub fn session_processes(&self) -> Vec<u32> {
        let session = self.pid();
        processes()
            .filter(|process| process.session == session)
            .map(|process| process.pid)
            .collect()
    }

    /// Under `spawn_ondeck_then_stty`, once the shell is done: ondeck's exit code and the
    /// `stty -a` report that followed it.
    pub fn wrapper_report(&mut self) -> (i32, String) {
        self.wait_for_end(Duration::from_secs(10));
        let raw = String::from_utf8_lossy(&self.raw_bytes()).into_owned();
        let (_, after) = raw
            .rsplit_once(EXIT_MARKER)
            .unwrap_or_else(|| panic!("no exit report from the wrapper in {raw:?}"));
        let (code, stty) = after.split_once(['\r', '\n']).expect("a line");
        let stty = stty
            .split_once(STTY_DONE)
            .unwrap_or_else(|| panic!("stty did not finish: {after:?}"))
            .0;
        (code.trim().parse().expect("an exit code"), stty.to_string())
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // The whole session: a wrapped ondeck would outlive its shell otherwise.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.pid())])
                .status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `stty -a` shows a terminal in cooked mode: canonical input and echo, i.e. no raw mode left.
pub fn assert_cooked(stty: &str) {
    let flags: Vec<&str> = stty
        .split(|c: char| c.is_whitespace() || c == ';')
        .collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            flags.contains(&flag) && !flags.contains(&format!("-{flag}").as_str()),
            "terminal left without {flag}:\n{stty}"
        );
    }
}

/// The raw output left the alternate screen after it last entered it.
pub fn assert_left_alternate_screen(raw: &[u8]) {
    let enter = find_last(raw, b"\x1b[?1049h").expect("ondeck entered the alternate screen");
    assert!(
        find_last(raw, b"\x1b[?1049l").is_some_and(|leave| leave > enter),
        "the alternate screen was not left after it was entered last"
    );
}

/// The raw output turned bracketed paste (and focus reports) on, and off again after it last
/// turned them on: the shell after ondeck does not get pastes wrapped in escape sequences.
pub fn assert_bracketed_paste_left(raw: &[u8]) {
    let on = find_last(raw, b"\x1b[?2004h").expect("ondeck turned bracketed paste on");
    assert!(
        find_last(raw, b"\x1b[?2004l").is_some_and(|off| off > on),
        "bracketed paste was not turned off after it was turned on last"
    );
    // Focus reports too: the shell after ondeck must not get `ESC [ I` typed at it.
    let on = find_last(raw, b"\x1b[?1004h").expect("ondeck turned focus reports on");
    assert!(
        find_last(raw, b"\x1b[?1004l").is_some_and(|off| off > on),
        "focus reports were not turned off after they were turned on last"
    );
}

pub fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

/// Send `signal` (a name such as `TERM`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Whether `pid` is still a process (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    processes().any(|process| process.pid == pid && process.state != 'Z')
}

struct Process {
    pid: u32,
    state: char,
    parent: u32,
    session: u32,
}

/// Every process in /proc, from `/proc/PID/stat`.
fn processes() -> impl Iterator<Item = Process> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp session ..."; comm may hold spaces and parentheses.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?.chars().next()?;
            let parent = fields.next()?.parse().ok()?;
            let _group = fields.next()?;
            let session = fields.next()?.parse().ok()?;
            Some(Process {
                pid,
                state,
                parent,
                session,
            })
        })
}

/// Every escape sequence in `raw`, as written: CSI (`ESC [` … final byte), string sequences
/// (`ESC ]`, `ESC P`, `ESC _`, `ESC ^`, `ESC X` up to BEL or `ESC \`) and two-byte `ESC x`.
pub fn escape_sequences(raw: &[u8]) -> Vec<&[u8]> {
    let mut sequences = Vec::new();
    let mut at = 0;
    while let Some(start) = raw[at..].iter().position(|&b| b == 0x1b).map(|i| at + i) {
        let end = match raw.get(start + 1) {
            Some(b'[') => raw[start + 2..]
                .iter()
                .position(|b| (0x40..=0x7e).contains(b))
                .map_or(raw.len(), |i| start + 2 + i + 1),
            Some(b']' | b'P' | b'_' | b'^' | b'X') => (start + 2..raw.len())
                .find(|&i| raw[i] == 0x07 || raw[i..].starts_with(b"\x1b\\"))
                .map_or(raw.len(), |i| i + if raw[i] == 0x07 { 1 } else { 2 }),
            Some(_) => start + 2,
            None => raw.len(),
        };
        sequences.push(&raw[start..end]);
        at = end;
    }
    sequences
}
