//! The terminal guard: raw mode and the alternate screen for as long as the dashboard runs,
//! restored however it ends (return, error, panic, signal).

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::event::DisableMouseCapture;
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

static PANICKED: AtomicBool = AtomicBool::new(false);
/// Raw mode and the alternate screen are on. Leaving the alternate screen twice is not
/// harmless: the second `?1049l` moves the cursor back to where the first one left it, and
/// whatever is printed next (a panic report) gets overwritten.
static ENTERED: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        // From here on, Drop restores whatever was entered.
        let guard = TerminalGuard { _private: () };
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            DisableMouseCapture,
            Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave the alternate screen and raw mode, once; does nothing when already restored.
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
    let _ = io::stdout().flush();
}

/// A panic anywhere (also in a background task) has torn the screen down: the loop must end.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Restore the terminal first so the report is readable, then log it, then the default report.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            let backtrace = std::backtrace::Backtrace::force_capture();
            tracing::error!("panic: {info}\n{backtrace}");
            previous(info);
        }));
    });
}

/// Watches the terminal ondeck reads keys from (standard input when it is one, as crossterm
/// does, else /dev/tty) for a hang-up: the far side of the pty or the line is gone.
pub struct HangupWatch {
    fd: Option<std::os::fd::RawFd>,
    // Keeps /dev/tty open when that is what is watched.
    _tty: Option<std::fs::File>,
}

impl HangupWatch {
    /// Made while the terminal is known to be there: a hung-up terminal no longer says it is
    /// one (`isatty` fails on it).
    pub fn new() -> HangupWatch {
        use std::io::IsTerminal;
        use std::os::fd::AsRawFd;
        if std::io::stdin().is_terminal() {
            return HangupWatch {
                fd: Some(std::io::stdin().as_raw_fd()),
                _tty: None,
            };
        }
        let tty = std::fs::File::open("/dev/tty").ok();
        HangupWatch {
            fd: tty.as_ref().map(|tty| tty.as_raw_fd()),
            _tty: tty,
        }
    }

    /// Wait up to `timeout` for input. True when the terminal hung up instead. Without a
    /// terminal to watch, it only waits.
    pub fn wait_hung_up(&self, timeout: std::time::Duration) -> bool {
        let Some(fd) = self.fd else {
            std::thread::sleep(timeout);
            return false;
        };
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd; poll only writes `revents`.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        ready > 0 && poll.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
    }
}
