//! The instances table: how rows are filtered and sorted, which instance is selected (by
//! identity, so it stays on the instance across refreshes), and which rows are on screen.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::Outcome;
use super::input::LineInput;
use super::keymap::{Key, KeyCode};
use ondeck_core::instances::identity::InstanceId;
use ondeck_core::instances::{Instance, InstanceState};
use ondeck_core::model::TaskState;

/// How long a stopped or failed instance stays in the table after it stopped, unless hidden.
const ENDED_SHOWN_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortKey {
    Newest,
    Name,
    State,
    Template,
}

impl SortKey {
    pub(crate) fn label(self) -> &'static str {
        match self {
            SortKey::Newest => "newest",
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Template => "template",
        }
    }

    fn next(self) -> SortKey {
        match self {
            SortKey::Newest => SortKey::Name,
            SortKey::Name => SortKey::State,
            SortKey::State => SortKey::Template,
            SortKey::Template => SortKey::Newest,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) sort: SortKey,
    /// Kept while typed and after: rows are filtered live.
    pub(crate) filter: LineInput,
    selected: Option<InstanceId>,
    /// Where the selection was, for when its instance goes away.
    selected_row: usize,
    /// The first row on screen: it moves only when the selection leaves the screen.
    top: usize,
    /// Rows on screen, as the layout last said.
    page: usize,
    /// Every stopped and failed instance is shown, not only those stopped within the hour.
    pub(crate) show_ended: bool,
    /// Rows marked for one destroy or extend of them all.
    marked: BTreeSet<InstanceId>,
}

impl Table {
    pub(crate) fn new(page: usize) -> Table {
        Table {
            sort: SortKey::Newest,
            filter: LineInput::new(),
            selected: None,
            selected_row: 0,
            top: 0,
            page: page.max(1),
            show_ended: false,
            marked: BTreeSet::new(),
        }
    }

    /// Whether `instance` has a row at `now`: what still runs always; what stopped or failed
    /// for an hour after it stopped, or always while those are shown.
    pub(crate) fn shows(&self, instance: &Instance, now: DateTime<Utc>) -> bool {
        self.show_ended
            || !instance.state.is_final()
            || instance
                .ended_at()
                .is_none_or(|at| now - at < Duration::minutes(ENDED_SHOWN_MINUTES))
    }

    /// The marked rows, in no particular order (callers take them in row order).
    pub(crate) fn marked(&self) -> &BTreeSet<InstanceId> {
        &self.marked
    }

    pub(crate) fn is_marked(&self, id: &InstanceId) -> bool {
        self.marked.contains(id)
    }

    /// Marks the selected row, or unmarks it; false when nothing is selected.
    pub(crate) fn toggle_mark(&mut self) -> bool {
        let Some(id) = self.selected.clone() else {
            return false;
        };
        if !self.marked.remove(&id) {
            self.marked.insert(id);
        }
        true
    }

    /// No row marked; true when some were.
    pub(crate) fn clear_marks(&mut self) -> bool {
        let had = !self.marked.is_empty();
        self.marked.clear();
        had
    }

    /// The rows of `instances` the filter lets through, sorted.
    pub(crate) fn rows<'a>(
        &self,
        instances: impl IntoIterator<Item = &'a Instance>,
    ) -> Vec<&'a Instance> {
        let needle = self.filter.text().to_lowercase();
        let mut rows: Vec<&Instance> = instances
            .into_iter()
            .filter(|instance| self.lets_through(instance, &needle))
            .collect();
        match self.sort {
            SortKey::Newest => rows.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| a.name.cmp(&b.name))
            }),
            SortKey::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            SortKey::State => rows.sort_by(|a, b| {
                state_order(&a.state)
                    .cmp(&state_order(&b.state))
                    .then_with(|| a.name.cmp(&b.name))
            }),
            SortKey::Template => rows.sort_by(|a, b| {
                a.template
                    .cmp(&b.template)
                    .then_with(|| a.name.cmp(&b.name))
            }),
        }
        rows
    }

    /// The filter lets `instance` through; `needle` is the filter's text in lowercase.
    fn lets_through(&self, instance: &Instance, needle: &str) -> bool {
        needle.is_empty() || matches_filter(instance, needle)
    }

    /// Of `instances`, those the filter lets through and hiding leaves out at `now`.
    pub(crate) fn hidden<'a>(
        &self,
        instances: impl IntoIterator<Item = &'a Instance>,
        now: DateTime<Utc>,
    ) -> usize {
        let needle = self.filter.text().to_lowercase();
        instances
            .into_iter()
            .filter(|instance| !self.shows(instance, now) && self.lets_through(instance, &needle))
            .count()
    }

    pub(crate) fn selected(&self) -> Option<&InstanceId> {
        self.selected.as_ref()
    }

    /// The first row on screen.
    pub(crate) fn top(&self) -> usize {
        self.top
    }

    /// Rows a page up or down moves.
    pub(crate) fn page(&self) -> usize {
        self.page
    }

    /// Selects `id`; [`Table::reconcile`] then finds its row.
    pub(crate) fn select(&mut self, id: InstanceId) {
        self.selected = Some(id);
    }

    /// Nothing selected, the first row on top: a new profile's table.
    pub(crate) fn clear_selection(&mut self) {
        self.marked.clear();
        self.selected = None;
        self.selected_row = 0;
        self.top = 0;
    }

    pub(crate) fn next_sort(&mut self) {
        self.sort = self.sort.next();
    }

    /// `page` rows are on screen from now on (callers then reconcile to keep the selection
    /// in view).
    pub(crate) fn set_page(&mut self, page: usize) {
        self.page = page.max(1);
    }

    /// After the rows changed (now `rows`, in order): keep the selection on the same
    /// instance; if it went away, on the same row; and keep it on screen.
    pub(crate) fn reconcile(&mut self, rows: &[InstanceId]) {
        // A mark goes with its row: nothing acts on an instance the table no longer shows.
        self.marked.retain(|id| rows.contains(id));
        match self
            .selected
            .as_ref()
            .and_then(|id| rows.iter().position(|row| row == id))
        {
            Some(at) => self.selected_row = at,
            None if rows.is_empty() => {
                self.selected = None;
                self.selected_row = 0;
            }
            None => {
                self.selected_row = self.selected_row.min(rows.len() - 1);
                self.selected = Some(rows[self.selected_row].clone());
            }
        }
        self.scroll(rows.len());
    }

    /// Moves the selection to `to(current row, last row)`; false when there are no rows.
    pub(crate) fn move_selection(
        &mut self,
        rows: &[InstanceId],
        to: impl FnOnce(usize, usize) -> usize,
    ) -> bool {
        if rows.is_empty() {
            return false;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|id| rows.iter().position(|row| row == id))
            .unwrap_or(0);
        let target = to(current, rows.len() - 1).min(rows.len() - 1);
        self.selected_row = target;
        self.selected = Some(rows[target].clone());
        self.scroll(rows.len());
        true
    }

    /// A key while the filter is typed: esc clears it, enter keeps it.
    pub(crate) fn filter_key(&mut self, key: Key) -> Outcome<()> {
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                Outcome::Cancelled
            }
            KeyCode::Enter => Outcome::Done(()),
            _ => {
                self.filter.key(key);
                Outcome::Open
            }
        }
    }

    fn scroll(&mut self, len: usize) {
        let selected = self.selected.is_some().then_some(self.selected_row);
        self.top = window_top(self.top, selected, self.page, len);
    }
}

/// The first row on screen: where it was, unless the selection left the window or the list
/// shrank under it.
fn window_top(top: usize, selected: Option<usize>, visible: usize, len: usize) -> usize {
    let top = top.min(len.saturating_sub(visible));
    match selected {
        Some(selected) if selected < top => selected,
        Some(selected) if selected >= top + visible => selected + 1 - visible,
        _ => top,
    }
}

fn matches_filter(instance: &Instance, needle: &str) -> bool {
    [
        instance.name.as_str(),
        instance.template.as_str(),
        instance.state.as_str(),
        instance.owner.as_str(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

/// Trouble first, then what is changing, then the steady and the gone.
fn state_order(state: &InstanceState) -> u8 {
    match state {
        InstanceState::Failed => 0,
        InstanceState::Degraded | InstanceState::Restarting => 1,
        InstanceState::Lifecycle(lifecycle) if lifecycle.is_transitional() => 2,
        InstanceState::Lifecycle(TaskState::Stopped) | InstanceState::Paused => 4,
        InstanceState::Lifecycle(_) => 3,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod marks_tests;
