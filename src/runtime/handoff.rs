//! The terminal handed to a shell and taken back. While the shell has it, the dashboard draws
//! nothing and reads no keys, but goes on taking actions (log lines, refreshes), so that it
//! comes back as it was plus whatever arrived meanwhile.

use std::io::{self, Write};

use anyhow::Context;
use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, EnableBracketedPaste, EnableFocusChange,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc::UnboundedSender;

use super::Input;
use crate::connect::shell::{TerminalIo, attach};
use ondeck_core::model::SessionGrant;
use ondeck_tui::state::Action;

/// What the loop needs of the terminal to hand it to a shell.
pub trait ShellHost {
    /// Take the terminal from the dashboard: no more key reading, the main screen, the cursor
    /// shown. Raw mode stays: the remote terminal wants every key as it is typed.
    fn suspend(&mut self) -> anyhow::Result<()>;
    /// Give it back: the alternate screen, bracketed paste, keys read again.
    fn resume(&mut self) -> anyhow::Result<()>;
    /// Run the session on the terminal until it ends; its exit code where the protocol gives
    /// one.
    fn attach(&mut self, grant: SessionGrant) -> BoxFuture<'static, anyhow::Result<Option<i32>>>;
}

/// The process's terminal, and the thread that reads keys from it for the dashboard.
pub struct TerminalHost {
    actions: UnboundedSender<Action>,
    input: Option<Input>,
}

impl TerminalHost {
    pub fn start(actions: UnboundedSender<Action>) -> TerminalHost {
        TerminalHost {
            input: Some(Input::start(actions.clone())),
            actions,
        }
    }

    pub fn stop(mut self) {
        if let Some(input) = self.input.take() {
            input.stop();
        }
    }
}

impl ShellHost for TerminalHost {
    fn suspend(&mut self) -> anyhow::Result<()> {
        // Joined before the shell reads: no key typed into the shell goes to the dashboard.
        if let Some(input) = self.input.take() {
            input.stop();
        }
        let mut out = io::stdout();
        execute!(
            out,
            DisableBracketedPaste,
            DisableFocusChange,
            LeaveAlternateScreen,
            Show
        )
        .context("cannot hand the terminal to the shell")?;
        out.flush().context("cannot hand the terminal to the shell")
    }

    fn resume(&mut self) -> anyhow::Result<()> {
        let mut out = io::stdout();
        execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            EnableFocusChange,
            Hide
        )
        .context("cannot take the terminal back from the shell")?;
        out.flush()
            .context("cannot take the terminal back from the shell")?;
        if self.input.is_none() {
            self.input = Some(Input::start(self.actions.clone()));
        }
        Ok(())
    }

    fn attach(&mut self, grant: SessionGrant) -> BoxFuture<'static, anyhow::Result<Option<i32>>> {
        async move {
            let terminal = TerminalIo::stdio()?;
            // The dashboard's session names its program only through the agent's words.
            attach(&grant, terminal, None).await
        }
        .boxed()
    }
}
