//! Asking before ondeck acts on an instance.

use std::io::{BufRead, IsTerminal, Write};

use super::Failure;
use ondeck_core::instances::Instance;
use ondeck_core::logs::sanitize::printable;
use ondeck_engine::ops::OpsContext;

/// What a person must answer before ondeck acts on an instance: `y` for one of theirs; for
/// someone else's, the instance's name typed out, after being told whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Confirmation {
    question: String,
    typed_name: Option<String>,
}

impl Confirmation {
    /// `action` is the verb phrase ("destroy", "extend by 2h").
    pub(super) fn new(action: &str, instance: &Instance, ctx: &OpsContext) -> Confirmation {
        let tasks = if instance.is_service_backed() {
            ondeck_core::format::count(instance.services.len(), "service")
        } else {
            ondeck_core::format::count(instance.tasks.len(), "task")
        };
        let place = format!(
            "{tasks}; profile {}, cluster {}",
            ctx.profile.name, ctx.profile.cluster
        );
        let mut verb = action.to_string();
        if let Some(first) = verb.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        // Owner and name come from tags anyone with TagResource could write.
        let name = printable(&instance.name);
        match instance.foreign_note(&ctx.profile.owner) {
            None => Confirmation {
                question: format!("{verb} instance {name} ({place})? [y/N] "),
                typed_name: None,
            },
            Some(note) => Confirmation {
                question: format!(
                    "{verb} {}'s instance {name} ({place})?\nCareful: {}.\n\
                     Type its name, {name}, to {action} it: ",
                    printable(&instance.owner),
                    printable(&note)
                ),
                typed_name: Some(instance.name.clone()),
            },
        }
    }

    fn accepts(&self, answer: &str) -> bool {
        let answer = answer.trim();
        match &self.typed_name {
            Some(name) => answer == name,
            None => matches!(answer, "y" | "Y" | "yes"),
        }
    }

    /// Ask only when the instance is someone else's: acting on one's own is not asked about.
    pub(super) fn ask_if_foreign(&self, action: &str, label: &str) -> Result<(), Failure> {
        match self.typed_name {
            Some(_) => self.ask(action, label),
            None => Ok(()),
        }
    }

    /// Ask on the terminal; without one, refuse and point at `--yes`.
    pub(super) fn ask(&self, action: &str, label: &str) -> Result<(), Failure> {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(format!(
                "refusing to {action} {label} without a terminal to confirm on; pass --yes"
            )));
        }
        eprint!("{}", self.question);
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).ok();
        if self.accepts(&answer) {
            Ok(())
        } else {
            Err(Failure::Failed(format!("{label} left as it was")))
        }
    }
}
