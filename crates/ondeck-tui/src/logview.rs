//! What the log pane shows: the view over the buffer that every log command moves, and the
//! window of lines it lays out for the pane (drawn by `ui::LogPane`).
//!
//! The view never walks the whole buffer to draw a frame: it starts at the bottom line (the
//! newest when following, the anchor when paused) and walks back only until the pane is full.
//! With a filter active (one container, a minimum level, or "hide non-matching") it skips
//! lines that fail the filter on the way, so a rare match can cost a longer walk.
//!
//! Scrolling moves by log lines, not screen rows: a wrapped line is one step.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::Path;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use ondeck_core::logs::buffer::{LineKind, LogBuffer, LogLine};
use ondeck_core::logs::line::{format_line, labels_lines};
use ondeck_core::logs::sanitize::{Level, StyleRun, pretty_json};

mod search;
pub use search::Search;

/// Lines kept visible below a search match, so it is seen in context.
const MATCH_CONTEXT: usize = 3;

/// Columns the pane draws around a marker's text: a short rule and a space on either side.
pub(crate) const MARKER_FRAME_WIDTH: usize = 6;

/// The log pane's state: every user command is a method here.
///
/// When paused, `anchor` is the sequence number of the bottom line, so arriving lines do not
/// move the view; if the anchor is evicted the view clamps to the oldest kept line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    follow: bool,
    anchor: Option<u64>,
    new_since_pause: u64,
    focus: Option<u16>,
    search: Option<Search>,
    /// The line the last next/previous-match jump landed on.
    current_match: Option<u64>,
    filter_mode: bool,
    min_level: Option<Level>,
    timestamps: bool,
    wrap: bool,
    /// Columns scrolled to the right while lines are not wrapped.
    column: usize,
    json_pretty: bool,
}

impl Default for LogView {
    fn default() -> Self {
        LogView {
            follow: true,
            anchor: None,
            new_since_pause: 0,
            focus: None,
            search: None,
            current_match: None,
            filter_mode: false,
            min_level: None,
            // Off, as in stern, kubectl logs and k9s: the container prefix tells lines apart,
            // `t` shows the times, and a line costs fewer bytes over the link.
            timestamps: false,
            wrap: true,
            column: 0,
            json_pretty: false,
        }
    }
}

/// One line laid out for drawing: its text (pretty-printed JSON or the sanitized text) cut
/// into screen rows.
pub(crate) struct LaidOutLine<'a> {
    pub(crate) line: &'a LogLine,
    pretty: Option<String>,
    pub(crate) rows: Vec<Range<usize>>,
}

impl LaidOutLine<'_> {
    pub(crate) fn body(&self) -> &str {
        self.pretty.as_deref().unwrap_or(&self.line.text.text)
    }

    pub(crate) fn styles(&self) -> &[StyleRun] {
        if self.pretty.is_some() {
            &[]
        } else {
            &self.line.text.styles
        }
    }
}

pub(crate) struct Window<'a> {
    pub(crate) lines: Vec<LaidOutLine<'a>>,
    /// Rows of the first line that are above the top of the pane.
    pub(crate) hidden_rows: usize,
}

impl LogView {
    pub fn new() -> LogView {
        LogView::default()
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Sequence number of the bottom line while paused.
    pub fn anchor(&self) -> Option<u64> {
        self.anchor
    }

    pub fn new_since_pause(&self) -> u64 {
        self.new_since_pause
    }

    pub fn focus(&self) -> Option<u16> {
        self.focus
    }

    pub fn search(&self) -> Option<&Search> {
        self.search.as_ref()
    }

    pub fn current_match(&self) -> Option<u64> {
        self.current_match
    }

    pub fn filter_mode(&self) -> bool {
        self.filter_mode
    }

    pub fn min_level(&self) -> Option<Level> {
        self.min_level
    }

    pub fn timestamps(&self) -> bool {
        self.timestamps
    }

    pub fn wrap(&self) -> bool {
        self.wrap
    }

    pub fn json_pretty(&self) -> bool {
        self.json_pretty
    }

    /// Whether `line` is shown under the current focus, level and filter. A line with no
    /// detected level counts as info: most unmarked output is ordinary progress. A marker is
    /// no container's, so it shows whichever container is in focus.
    pub fn passes(&self, line: &LogLine) -> bool {
        if line.kind == LineKind::Output && self.focus.is_some_and(|focus| focus != line.source) {
            return false;
        }
        if let Some(min) = self.min_level
            && line.level.unwrap_or(Level::Info).severity() < min.severity()
        {
            return false;
        }
        match (&self.search, self.filter_mode) {
            (Some(search), true) => search.is_match(&line.text.text),
            _ => true,
        }
    }

    /// Moves the view `n` shown lines back in time, pausing it.
    pub fn scroll_up(&mut self, buffer: &LogBuffer, n: usize) {
        let Some(bottom) = self.bottom_seq(buffer) else {
            return;
        };
        let mut shown = buffer.iter_back_from(bottom).filter(|l| self.passes(l));
        let Some(current) = shown.next() else {
            return;
        };
        let target = shown.take(n).last().unwrap_or(current).seq;
        self.pause_at(target);
    }

    /// Moves the view `n` shown lines forward; reaching the newest line resumes following.
    pub fn scroll_down(&mut self, buffer: &LogBuffer, n: usize) {
        if self.follow {
            return;
        }
        let Some(bottom) = self.bottom_seq(buffer) else {
            return;
        };
        let target = buffer
            .iter_from(bottom + 1)
            .filter(|l| self.passes(l))
            .take(n)
            .last()
            .map_or(bottom, |l| l.seq);
        if buffer.iter_from(target + 1).any(|l| self.passes(l)) {
            self.anchor = Some(target);
        } else {
            self.follow();
        }
    }

    /// One pane height back, keeping one line of overlap.
    pub fn page_up(&mut self, buffer: &LogBuffer, height: usize) {
        self.scroll_up(buffer, height.saturating_sub(1).max(1));
    }

    /// One pane height forward, keeping one line of overlap.
    pub fn page_down(&mut self, buffer: &LogBuffer, height: usize) {
        self.scroll_down(buffer, height.saturating_sub(1).max(1));
    }

    /// Jumps to the newest line and keeps up with new ones (End / `f`).
    pub fn follow(&mut self) {
        self.follow = true;
        self.anchor = None;
        self.new_since_pause = 0;
        self.current_match = None;
    }

    /// Shows one container's lines, or all with `None`. A paused view keeps its place in time.
    pub fn focus_source(&mut self, source: Option<u16>) {
        self.focus = source;
    }

    /// Sets the search text; an empty query clears the search.
    pub fn set_search(&mut self, query: &str) {
        self.search = Search::new(query);
        self.current_match = None;
    }

    /// Jumps to the next newer match; the first jump after a new search goes to the nearest
    /// match at or above the bottom of the pane. Returns false when there is none.
    pub fn next_match(&mut self, buffer: &LogBuffer) -> bool {
        self.jump_to_match(buffer, true)
    }

    /// Jumps to the next older match (the first jump behaves as in [`LogView::next_match`]).
    pub fn prev_match(&mut self, buffer: &LogBuffer) -> bool {
        self.jump_to_match(buffer, false)
    }

    /// Hides or shows lines that do not match the search.
    pub fn toggle_filter(&mut self) {
        self.filter_mode = !self.filter_mode;
    }

    /// All → debug and up → info and up → warn and up → errors only → all.
    pub fn cycle_level(&mut self) {
        self.min_level = match self.min_level {
            None => Some(Level::Debug),
            Some(Level::Trace | Level::Debug) => Some(Level::Info),
            Some(Level::Info) => Some(Level::Warn),
            Some(Level::Warn) => Some(Level::Error),
            Some(Level::Error) => None,
        };
    }

    pub fn toggle_timestamps(&mut self) {
        self.timestamps = !self.timestamps;
    }

    pub fn toggle_wrap(&mut self) {
        self.wrap = !self.wrap;
        self.column = 0;
    }

    /// Columns scrolled to the right; lines are drawn from there while not wrapped.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Scrolls unwrapped lines sideways by `columns` (negative: back towards their start).
    /// False while lines wrap: there is nothing to the side to see.
    pub fn scroll_sideways(&mut self, columns: isize) -> bool {
        if self.wrap {
            return false;
        }
        self.column = self.column.saturating_add_signed(columns);
        true
    }

    pub fn toggle_json(&mut self) {
        self.json_pretty = !self.json_pretty;
    }

    /// Call after pushing `count` lines into `buffer`: a paused view counts those it would
    /// show, for its "+N new" badge.
    pub fn on_lines_appended(&mut self, buffer: &LogBuffer, count: usize) {
        if self.follow {
            return;
        }
        let shown = buffer
            .iter()
            .rev()
            .take(count)
            .filter(|l| self.passes(l))
            .count();
        self.new_since_pause += shown as u64;
    }

    /// The line a copy command takes: the current search match if it is shown, otherwise the
    /// bottom shown line of a container (a marker there is passed over).
    pub fn selected_line<'a>(&self, buffer: &'a LogBuffer) -> Option<&'a LogLine> {
        if let Some(line) = self.current_match.and_then(|seq| buffer.get(seq))
            && self.passes(line)
        {
            return Some(line);
        }
        let bottom = self.bottom_seq(buffer)?;
        buffer
            .iter_back_from(bottom)
            .find(|l| l.kind == LineKind::Output && self.passes(l))
    }

    /// The lines on screen, oldest first, for a pane `height` rows high whose text column is
    /// `width` wide (the pane width less the timestamp and container prefixes).
    pub fn visible_window<'a>(
        &self,
        buffer: &'a LogBuffer,
        height: usize,
        width: usize,
    ) -> Vec<&'a LogLine> {
        self.layout(buffer, height, width, width)
            .lines
            .into_iter()
            .map(|laid| laid.line)
            .collect()
    }

    fn bottom_seq(&self, buffer: &LogBuffer) -> Option<u64> {
        let (first, last) = (buffer.first_seq()?, buffer.last_seq()?);
        Some(match (self.follow, self.anchor) {
            (false, Some(anchor)) => anchor.clamp(first, last),
            _ => last,
        })
    }

    fn pause_at(&mut self, seq: u64) {
        if self.follow {
            self.follow = false;
            self.new_since_pause = 0;
        }
        self.anchor = Some(seq);
    }

    /// How many shown lines match the search, and which of them (counted from the oldest, from
    /// 1) is the current match; 0 before the first jump. `None` without a search.
    pub fn match_position(&self, buffer: &LogBuffer) -> Option<(usize, usize)> {
        let search = self.search.as_ref()?;
        let mut total = 0;
        let mut current = 0;
        for line in buffer.iter() {
            if self.passes(line) && search.is_match(&line.text.text) {
                total += 1;
                if self.current_match == Some(line.seq) {
                    current = total;
                }
            }
        }
        Some((current, total))
    }

    fn jump_to_match(&mut self, buffer: &LogBuffer, newer: bool) -> bool {
        let Some(search) = &self.search else {
            return false;
        };
        let is_hit = |line: &&LogLine| self.passes(line) && search.is_match(&line.text.text);
        let found = match self.current_match {
            Some(current) if newer => buffer.iter_from(current + 1).find(is_hit),
            Some(current) => match current.checked_sub(1) {
                Some(before) if buffer.first_seq().is_some_and(|first| before >= first) => {
                    buffer.iter_back_from(before).find(is_hit)
                }
                _ => None,
            },
            None => self
                .bottom_seq(buffer)
                .and_then(|bottom| buffer.iter_back_from(bottom).find(is_hit)),
        };
        let Some(hit) = found.map(|line| line.seq) else {
            return false;
        };
        let anchor = buffer
            .iter_from(hit)
            .filter(|l| self.passes(l))
            .take(MATCH_CONTEXT + 1)
            .last()
            .map_or(hit, |l| l.seq);
        self.current_match = Some(hit);
        self.pause_at(anchor);
        true
    }

    fn lay_out<'a>(&self, line: &'a LogLine, width: usize, marker_width: usize) -> LaidOutLine<'a> {
        // A marker is ondeck's own sentence: wrapped at its words, never JSON, and not
        // scrolled sideways with the output.
        if line.kind == LineKind::Marker {
            let text = &line.text.text;
            let rows = if self.wrap {
                word_rows(text, marker_width.saturating_sub(MARKER_FRAME_WIDTH))
            } else {
                screen_rows(text, marker_width, false)
            };
            return LaidOutLine {
                line,
                pretty: None,
                rows,
            };
        }
        let pretty = if self.json_pretty {
            pretty_json(&line.text.text)
        } else {
            None
        };
        let rows = match &pretty {
            Some(pretty) => {
                let mut rows = Vec::new();
                let mut start = 0;
                for part in pretty.split('\n') {
                    rows.extend(
                        screen_rows(part, width, self.wrap)
                            .into_iter()
                            .map(|row| row.start + start..row.end + start),
                    );
                    start += part.len() + 1;
                }
                rows
            }
            None => screen_rows(&line.text.text, width, self.wrap),
        };
        let body = pretty.as_deref().unwrap_or(&line.text.text);
        let rows = if self.wrap || self.column == 0 {
            rows
        } else {
            rows.into_iter()
                .map(|row| skip_columns(body, row, self.column))
                .collect()
        };
        LaidOutLine { line, pretty, rows }
    }

    /// The window for a pane `height` rows high: output in a text column `width` wide, markers
    /// in `marker_width` (they cross the container column).
    pub(crate) fn layout<'a>(
        &self,
        buffer: &'a LogBuffer,
        height: usize,
        width: usize,
        marker_width: usize,
    ) -> Window<'a> {
        let mut lines = Vec::new();
        let mut rows = 0;
        let Some(bottom) = self.bottom_seq(buffer) else {
            return Window {
                lines,
                hidden_rows: 0,
            };
        };
        for line in buffer.iter_back_from(bottom) {
            if rows >= height {
                break;
            }
            if self.passes(line) {
                let laid = self.lay_out(line, width, marker_width);
                rows += laid.rows.len();
                lines.push(laid);
            }
        }
        lines.reverse();
        let hidden_rows = rows.saturating_sub(height);
        // Near the oldest line a paused view fills the pane downwards instead of leaving it
        // half empty.
        if rows < height && !self.follow {
            for line in buffer.iter_from(bottom + 1) {
                if rows >= height {
                    break;
                }
                if self.passes(line) {
                    let laid = self.lay_out(line, width, marker_width);
                    rows += laid.rows.len();
                    lines.push(laid);
                }
            }
        }
        Window { lines, hidden_rows }
    }
}

/// `row` without its first `columns` columns (a wide character half in them goes too).
fn skip_columns(text: &str, row: Range<usize>, columns: usize) -> Range<usize> {
    let mut skipped = 0;
    for (at, c) in text[row.clone()].char_indices() {
        if skipped >= columns {
            return row.start + at..row.end;
        }
        skipped += c.width().unwrap_or(0);
    }
    row.end..row.end
}

/// Byte ranges of `text` that fit `width` columns each, broken after a space where a row has
/// one (a word longer than a row is broken where the row ends). A space at a row's end stays
/// in it; one that would not fit there starts no row.
fn word_rows(text: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut column = 0;
    // Where the current row could end: just after its last space.
    let mut after_space = None;
    for (at, c) in text.char_indices() {
        let char_width = c.width().unwrap_or(0);
        let overflows = column + char_width > width && column > 0;
        if overflows && c == ' ' {
            rows.push(start..at);
            start = at + 1;
            column = 0;
            after_space = None;
            continue;
        }
        if overflows {
            let end = after_space.filter(|&end| end > start).unwrap_or(at);
            rows.push(start..end);
            column = UnicodeWidthStr::width(&text[end..at]);
            start = end;
            after_space = None;
        }
        column += char_width;
        if c == ' ' {
            after_space = Some(at + 1);
        }
    }
    rows.push(start..text.len());
    rows
}

/// Byte ranges of `text` that fit `width` columns each; one clipped row when not wrapping.
fn screen_rows(text: &str, width: usize, wrap: bool) -> Vec<Range<usize>> {
    let width = width.max(1);
    if !wrap || text.is_empty() {
        return std::iter::once(0..text.len()).collect();
    }
    if text.is_ascii() {
        return (0..text.len())
            .step_by(width)
            .map(|start| start..(start + width).min(text.len()))
            .collect();
    }
    let mut rows = Vec::new();
    let mut start = 0;
    let mut column = 0;
    for (at, c) in text.char_indices() {
        let char_width = c.width().unwrap_or(0);
        if column + char_width > width && column > 0 {
            rows.push(start..at);
            start = at;
            column = 0;
        }
        column += char_width;
    }
    rows.push(start..text.len());
    rows
}

/// Writes every container line the view's filters let through (not only those on screen),
/// oldest first, as `ondeck logs` prints them: time, container (when there are several) and
/// sanitized text. Markers are not written: the file holds what the containers printed.
/// `labels`: container names by source index. Returns how many lines were written.
pub fn save(
    buffer: &LogBuffer,
    view: &LogView,
    labels: &[String],
    path: &Path,
) -> io::Result<usize> {
    let mut out = BufWriter::new(File::create(path)?);
    let show_label = labels_lines(labels.len());
    let mut written = 0;
    for line in buffer
        .iter()
        .filter(|l| l.kind == LineKind::Output && view.passes(l))
    {
        let label = show_label.then(|| {
            labels
                .get(usize::from(line.source))
                .map_or("?", String::as_str)
        });
        out.write_all(format_line(line.timestamp, label, &line.text.text).as_bytes())?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests;
