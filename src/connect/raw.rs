//! Raw mode on the terminal for as long as a session runs, restored however it ends.

use std::io::IsTerminal;

/// Keys go to the remote pty as typed (ctrl-c included) while this lives.
pub(crate) struct RawMode {
    _private: (),
}

impl RawMode {
    /// None when standard input is not a terminal: there is nothing to make raw.
    pub(crate) fn enable() -> std::io::Result<Option<RawMode>> {
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        crossterm::terminal::enable_raw_mode()?;
        Ok(Some(RawMode { _private: () }))
    }
}

impl Drop for RawMode {
    // Also runs while a panic unwinds.
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}
