//! Where each region of the screen goes. One pure function of the screen's size and the
//! state: `render` draws into these regions, and the runtime gives the facts keys depend on
//! (rows on a page) to `update` as `Action::Layout`, so both agree and render writes nothing.

use ratatui::layout::{Constraint, Layout, Rect};

use super::{WIDE, status};
use crate::state::{AppState, Pane, ScreenLayout};

/// The screen's regions for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Regions {
    pub(crate) top: Rect,
    pub(crate) body: Rect,
    pub(crate) bottom: Rect,
    /// The instances table, unless the log pane has the whole body.
    pub(crate) table: Option<Rect>,
    /// The pane under the table (detail, timeline or logs), when one is open.
    pub(crate) pane: Option<Rect>,
}

pub(crate) fn regions(area: Rect, state: &AppState) -> Regions {
    let bottom_height = status::bottom_height(state, area.width);
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(bottom_height),
    ])
    .areas(area);
    let (table, pane) = match state.pane {
        Some(Pane::Logs) if state.logs.as_ref().is_some_and(|logs| logs.full_screen) => {
            (None, Some(body))
        }
        // Logs get most of the body: a short instances table on top.
        Some(Pane::Logs) => {
            // Borders and header take three rows; a narrow screen shows four instances at most.
            let most = if area.width >= WIDE {
                body.height * 2 / 5
            } else {
                7
            };
            let table_height = (state.rows().len() as u16 + 3).clamp(4, most.max(4));
            let [table, lower] =
                Layout::vertical([Constraint::Length(table_height), Constraint::Min(5)])
                    .areas(body);
            (Some(table), Some(lower))
        }
        Some(_) => {
            let [table, lower] =
                Layout::vertical([Constraint::Percentage(42), Constraint::Min(5)]).areas(body);
            (Some(table), Some(lower))
        }
        None => (Some(body), None),
    };
    Regions {
        top,
        body,
        bottom,
        table,
        pane,
    }
}

/// What `update` needs to know of the layout of `area` (the whole screen).
pub fn screen_layout(area: Rect, state: &AppState) -> ScreenLayout {
    let regions = regions(area, state);
    // Inside the borders; the table's header takes one more row.
    let inner =
        |region: Option<Rect>| usize::from(region.map_or(0, |r| r.height.saturating_sub(2)));
    ScreenLayout {
        width: area.width,
        height: area.height,
        table_rows: inner(regions.table).saturating_sub(1).max(1),
        pane_rows: inner(regions.pane).max(1),
    }
}

#[cfg(test)]
mod tests;
