//! A shell session attached to a terminal: typed bytes go to the remote pty, its output comes
//! back as it is, size changes follow the terminal.

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::{Context, Result, anyhow};
use ondeck_core::logs::sanitize::printable;
use ondeck_core::model::SessionGrant;
use ondeck_core::ops::connect::{NO_SHELL_WINDOW, NoShell};
use ondeck_ssm::{ChannelOptions, EndReason, Shell, ShellEvent};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// How often the stdin reader looks whether it should stop: its wait for input is bounded so
/// that a finished session hands the terminal back without stealing the next key.
const STDIN_POLL_MS: i32 = 50;

/// Where a shell session reads keys and terminal sizes and writes its output.
pub(crate) struct TerminalIo {
    /// Typed bytes; the session stops sending when this closes (end of input).
    pub(crate) input: mpsc::Receiver<Vec<u8>>,
    pub(crate) output: Box<dyn AsyncWrite + Send + Unpin>,
    /// (cols, rows): the first is the size at start, each later one a change.
    pub(crate) sizes: mpsc::Receiver<(u16, u16)>,
    _stdin: Option<StdinReader>,
}

impl TerminalIo {
    #[cfg(test)]
    pub(crate) fn new(
        input: mpsc::Receiver<Vec<u8>>,
        output: Box<dyn AsyncWrite + Send + Unpin>,
        sizes: mpsc::Receiver<(u16, u16)>,
    ) -> TerminalIo {
        TerminalIo {
            input,
            output,
            sizes,
            _stdin: None,
        }
    }

    /// The process's own standard input and output; sizes from the terminal and SIGWINCH
    /// (none when stdout is not a terminal). Must be called inside the tokio runtime. Reading
    /// stops when this is dropped, so the next reader of the terminal loses nothing.
    pub(crate) fn stdio() -> Result<TerminalIo> {
        let (input_tx, input) = mpsc::channel(64);
        let stdin = StdinReader::start(input_tx)?;
        let (sizes_tx, sizes) = mpsc::channel(8);
        if io::stdout().is_terminal() {
            if let Ok(size) = crossterm::terminal::size() {
                let _ = sizes_tx.try_send(size);
            }
            let mut winch =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                    .context("cannot watch the terminal's size (SIGWINCH)")?;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = sizes_tx.closed() => return,
                        changed = winch.recv() => {
                            if changed.is_none() { return; }
                            if let Ok(size) = crossterm::terminal::size() {
                                let _ = sizes_tx.send(size).await;
                            }
                        }
                    }
                }
            });
        }
        Ok(TerminalIo {
            input,
            output: Box::new(tokio::io::stdout()),
            sizes,
            _stdin: Some(stdin),
        })
    }
}

/// Reads standard input on its own thread until end of input or until dropped.
struct StdinReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StdinReader {
    fn start(sender: mpsc::Sender<Vec<u8>>) -> Result<StdinReader> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("shell-stdin".into())
            .spawn(move || read_stdin(&sender, &stopped))
            .context("cannot start reading the terminal")?;
        Ok(StdinReader {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for StdinReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_stdin(sender: &mpsc::Sender<Vec<u8>>, stop: &AtomicBool) {
    let mut buffer = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let mut fd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut fd, 1, STDIN_POLL_MS) };
        if ready == 0
            || (ready < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted)
        {
            continue;
        }
        if ready < 0 {
            return;
        }
        // SAFETY: stdin is open and the buffer has the given length.
        let read =
            unsafe { libc::read(libc::STDIN_FILENO, buffer.as_mut_ptr().cast(), buffer.len()) };
        if read <= 0 {
            return;
        }
        if sender
            .blocking_send(buffer[..read as usize].to_vec())
            .is_err()
        {
            return;
        }
    }
}

/// Runs the session of `grant` on `terminal` until it ends. Returns the remote exit code when
/// the protocol gives one (non-interactive sessions; an interactive shell ends without). A
/// session that ends by itself because the container lacks its program (`command`, when
/// known) fails with [`NoShell`].
pub(crate) async fn attach(
    grant: &SessionGrant,
    terminal: TerminalIo,
    command: Option<&str>,
) -> Result<Option<i32>> {
    let TerminalIo {
        mut input,
        mut output,
        mut sizes,
        _stdin,
    } = terminal;
    let Shell {
        input: shell_input,
        output: mut shell_output,
    } = Shell::connect(&super::session_params(grant), &ChannelOptions::default())
        .await
        .map_err(|error| anyhow!("cannot open the shell: {error}"))?;
    let mut input_open = true;
    let mut sizes_open = true;
    // The start of the output and whether a key was sent: what tells a missing program.
    let mut said: Vec<u8> = Vec::new();
    let mut keys_sent = false;
    loop {
        // Biased: a size change goes before keys typed after it.
        tokio::select! {
            biased;
            event = shell_output.next() => match event {
                ShellEvent::Stdout(bytes) | ShellEvent::Stderr(bytes) => {
                    let room = NO_SHELL_WINDOW.saturating_sub(said.len());
                    said.extend_from_slice(&bytes[..bytes.len().min(room)]);
                    output.write_all(&bytes).await.context("cannot write to the terminal")?;
                    output.flush().await.context("cannot write to the terminal")?;
                }
                ShellEvent::Notice(text) => {
                    let line = format!("\r\n[{}]\r\n", printable(&text));
                    output.write_all(line.as_bytes()).await.context("cannot write to the terminal")?;
                    output.flush().await.context("cannot write to the terminal")?;
                }
                ShellEvent::Ended(outcome) => {
                    let end = outcome.map_err(|error| anyhow!("the shell session ended: {error}"))?;
                    if let EndReason::ClosedByService { message: Some(message) } = &end.reason {
                        said.extend_from_slice(message.as_bytes());
                    }
                    let said = String::from_utf8_lossy(&said);
                    if let Some(missing) = NoShell::detect(command, &said, end.exit_code, keys_sent) {
                        return Err(missing.into());
                    }
                    return Ok(end.exit_code);
                }
            },
            size = sizes.recv(), if sizes_open => match size {
                Some((cols, rows)) => { let _ = shell_input.resize(cols, rows).await; }
                None => sizes_open = false,
            },
            typed = input.recv(), if input_open => match typed {
                // A failed write means the session ended: the next event says how.
                Some(bytes) => {
                    keys_sent = true;
                    let _ = shell_input.write(bytes).await;
                }
                None => input_open = false,
            },
        }
    }
}

#[cfg(test)]
mod tests;
