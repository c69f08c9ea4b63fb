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
