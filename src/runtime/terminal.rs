//! The terminal guard: raw mode, the alternate screen and bracketed paste for as long as the
//! dashboard runs, restored however it ends (return, error, panic, signal).

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

static PANICKED: AtomicBool = AtomicBool::new(false);
/// Raw mode, the alternate screen and bracketed paste are on. Leaving the alternate screen twice is not
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
        // Bracketed paste: pasted text arrives as one paste, not as keys, so a pasted
        // newline is never an enter. Focus changes: coming back to the dashboard refreshes.
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            DisableMouseCapture,
            EnableBracketedPaste,
            EnableFocusChange,
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

/// Leave the alternate screen, bracketed paste and raw mode, once; does nothing when already
/// restored.
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableFocusChange,
        LeaveAlternateScreen,
        Show
    );
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

/// What ended a wait for terminal input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Input may be there (or there is no terminal to watch and the wait timed out).
    Ready,
    /// The far side of the pty or the line is gone.
    HungUp,
    /// [`Waker::wake`] was called.
    Woken,
}

/// Waits for input on the terminal ondeck reads keys from (standard input when it is one, as
/// crossterm does, else /dev/tty), without a timeout: an idle dashboard does not wake up.
/// A hang-up and a wake-up from another thread end the wait too.
pub struct InputWait {
    tty: Option<RawFd>,
    // Keeps /dev/tty open when that is what is watched.
    _tty_file: Option<std::fs::File>,
    wake_read: OwnedFd,
    wake_write: Arc<OwnedFd>,
}

/// Ends an [`InputWait::wait`] from another thread.
#[derive(Clone)]
pub struct Waker(Arc<OwnedFd>);

impl Waker {
    pub fn wake(&self) {
        // SAFETY: a valid pipe fd and a one-byte buffer.
        let _ = unsafe { libc::write(self.0.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
    }
}

impl InputWait {
    /// Made while the terminal is known to be there: a hung-up terminal no longer says it is
    /// one (`isatty` fails on it).
    pub fn new() -> std::io::Result<InputWait> {
        use std::io::IsTerminal;
        use std::os::fd::FromRawFd;
        let (tty, tty_file) = if std::io::stdin().is_terminal() {
            (Some(std::io::stdin().as_raw_fd()), None)
        } else {
            let file = std::fs::File::open("/dev/tty").ok();
            (file.as_ref().map(|f| f.as_raw_fd()), file)
        };
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
        let (wake_read, wake_write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(InputWait {
            tty,
            _tty_file: tty_file,
            wake_read,
            wake_write: Arc::new(wake_write),
        })
    }

    pub fn waker(&self) -> Waker {
        Waker(Arc::clone(&self.wake_write))
    }

    pub fn wait(&self) -> Wait {
        let mut fds = vec![libc::pollfd {
            fd: self.wake_read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        if let Some(tty) = self.tty {
            fds.push(libc::pollfd {
                fd: tty,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        // Without a terminal to watch, wake now and then so crossterm can look itself.
        let timeout = if self.tty.is_some() { -1 } else { 100 };
        loop {
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if ready < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Wait::HungUp;
            }
            break;
        }
        if fds[0].revents != 0 {
            let mut drain = [0u8; 64];
            // SAFETY: a valid non-blocking pipe fd and a buffer of the given length.
            let _ = unsafe {
                libc::read(
                    self.wake_read.as_raw_fd(),
                    drain.as_mut_ptr().cast(),
                    drain.len(),
                )
            };
            return Wait::Woken;
        }
        match fds.get(1) {
            Some(tty) if tty.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 => {
                Wait::HungUp
            }
            _ => Wait::Ready,
        }
    }
}
