//! The log pane widget: a `LogView`'s window of the buffer between two rules, the upper one
//! titled with the view's state, in the theme's colours.

use std::ops::Range;

use chrono::{FixedOffset, Offset, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};
use unicode_width::UnicodeWidthStr;

use crate::logview::{LaidOutLine, LogView, MARKER_FRAME_WIDTH};
use crate::ui::Theme;
use ondeck_core::logs::buffer::{LineKind, LogBuffer};
use ondeck_core::logs::sanitize::{StyleRun, printable};

/// `HH:MM:SS.mmm ` — the timestamp column.
const TIMESTAMP_WIDTH: usize = 13;
/// Container names longer than this are cut in the prefix column.
const MAX_SOURCE_WIDTH: usize = 16;

/// `HH:MM:SS.mmm` of a millisecond timestamp, shifted by `offset`.
fn clock(timestamp_ms: i64, offset: FixedOffset) -> String {
    let offset_ms = i64::from(offset.local_minus_utc()) * 1000;
    let of_day = timestamp_ms
        .saturating_add(offset_ms)
        .rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000
    )
}

/// The log pane widget: lines between two rules, the upper one titled with the view's state.
pub struct LogPane<'a> {
    buffer: &'a LogBuffer,
    view: &'a LogView,
    /// Container names, by the index each line stores in its `source`.
    sources: &'a [String],
    /// Shown at the right of the title, e.g. the stream's health.
    title_extra: &'a str,
    /// No more lines will come (the instance has stopped): the title does not say following.
    ended: bool,
    /// Timestamps are shown in this offset from UTC.
    utc_offset: FixedOffset,
    /// One-line notes shown above the lines, e.g. containers whose logs cannot be read.
    notes: &'a [String],
    /// The border's style, e.g. to show whether the pane has the focus.
    border_style: Style,
    /// Under `NO_COLOR` (`color: false`) the pane draws no colour; emphasis (reverse, bold,
    /// dim) stays.
    theme: Theme,
    /// The key that shows every container again, for the legend of the digit keys.
    all_key: Option<String>,
}

impl<'a> LogPane<'a> {
    /// A pane with no extra title text, showing times in UTC.
    pub fn new(buffer: &'a LogBuffer, view: &'a LogView, sources: &'a [String]) -> LogPane<'a> {
        LogPane {
            buffer,
            view,
            sources,
            title_extra: "",
            ended: false,
            utc_offset: Utc.fix(),
            notes: &[],
            border_style: Style::new(),
            theme: Theme::unicode(true),
            all_key: None,
        }
    }

    pub fn all_key(mut self, key: Option<String>) -> LogPane<'a> {
        self.all_key = key;
        self
    }

    pub fn theme(mut self, theme: Theme) -> LogPane<'a> {
        self.theme = theme;
        self
    }

    pub fn border_style(mut self, border_style: Style) -> LogPane<'a> {
        self.border_style = border_style;
        self
    }

    pub fn notes(mut self, notes: &'a [String]) -> LogPane<'a> {
        self.notes = notes;
        self
    }

    pub fn ended(mut self, ended: bool) -> LogPane<'a> {
        self.ended = ended;
        self
    }

    pub fn title_extra(mut self, title_extra: &'a str) -> LogPane<'a> {
        self.title_extra = title_extra;
        self
    }

    pub fn utc_offset(mut self, utc_offset: FixedOffset) -> LogPane<'a> {
        self.utc_offset = utc_offset;
        self
    }

    fn source_name(&self, source: u16) -> String {
        match self.sources.get(usize::from(source)) {
            Some(name) => name.clone(),
            None => format!("#{source}"),
        }
    }

    /// The pane's state, a search query in at most `query_room` columns: cut inside its
    /// quotes, so the title still shows where it ends.
    fn title(&self, query_room: usize) -> Line<'static> {
        let view = self.view;
        let separator = || Span::raw(" · ");
        let mut spans = vec![Span::raw(" logs: ")];
        spans.push(match view.focus() {
            Some(source) => Span::styled(self.source_name(source), self.theme.log_source(source)),
            None => Span::raw("all containers"),
        });
        spans.push(separator());
        if self.ended {
            spans.push(Span::styled("ended", self.theme.dim()));
        } else if view.is_following() {
            spans.push(Span::styled("following", self.theme.following()));
        } else {
            let mut paused = "paused".to_string();
            if view.new_since_pause() > 0 {
                paused.push_str(&format!(" +{} new", view.new_since_pause()));
            }
            spans.push(Span::styled(paused, self.theme.paused()));
        }
        if let Some(search) = view.search() {
            spans.push(separator());
            let label = if view.filter_mode() {
                "filter"
            } else {
                "search"
            };
            let position = match view.match_position(self.buffer) {
                Some((0, 1)) => " 1 match".to_string(),
                Some((0, total)) => format!(" {total} matches"),
                Some((current, total)) => format!(" {current}/{total}"),
                None => String::new(),
            };
            spans.push(Span::styled(
                format!(
                    "{label} \"{}\"{position}",
                    self.theme.fit(&printable(search.query()), query_room)
                ),
                self.theme.search_term(),
            ));
        }
        if let Some(level) = view.min_level() {
            spans.push(separator());
            spans.push(Span::styled(
                format!("level {} {}", self.theme.glyphs.at_least, level.label()),
                self.theme.log_level(),
            ));
        }
        if !view.wrap() && view.column() > 0 {
            spans.push(separator());
            spans.push(Span::raw(format!("from column {}", view.column() + 1)));
        }
        let evicted = self.buffer.evicted();
        if evicted > 0 {
            spans.push(separator());
            spans.push(Span::styled(
                format!("{evicted} older dropped"),
                Style::new().add_modifier(Modifier::DIM),
            ));
        }
        spans.push(Span::raw(" "));
        Line::from(spans)
    }

    /// On the lower rule, which digit focuses which container: ` 1 web  2 api  0 all `.
    /// Only when there are several to choose from, and only the first nine have a digit.
    fn legend(&self) -> Option<Line<'static>> {
        if self.sources.len() < 2 {
            return None;
        }
        let containers = self
            .sources
            .iter()
            .take(9)
            .enumerate()
            .map(|(index, name)| {
                let style = self.theme.log_source(index as u16);
                ((index + 1).to_string(), name.clone(), style)
            });
        let all = self
            .all_key
            .clone()
            .map(|key| (key, "all".to_string(), Style::new()));
        let mut spans = Vec::new();
        for (key, name, style) in containers.chain(all) {
            spans.push(Span::raw(if spans.is_empty() { " " } else { "  " }));
            spans.push(Span::styled(key, self.theme.key()));
            spans.push(Span::styled(format!(" {name}"), style));
        }
        spans.push(Span::raw(" "));
        Some(Line::from(spans))
    }
}

impl Widget for LogPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        // Rules above and below, none at the sides: every row is the whole width, so a followed
        // pane scrolls with the terminal's own scrolling (the screen backend), and lines
        // selected with the mouse copy without border characters.
        let mut block = Block::new()
            .borders(Borders::TOP | Borders::BOTTOM)
            .border_set(self.theme.glyphs.border)
            .border_style(self.border_style);
        // The pane's own state first; the extra (the stream's health) takes what is left, or
        // goes. Each is cut with the ellipsis, never at the edge.
        let width = usize::from(area.width);
        // A long query gives way first, so the level after it stays whole.
        let query_width = self
            .view
            .search()
            .map_or(0, |search| Span::raw(printable(search.query())).width());
        let query_room = (width / 3).max(8).min(query_width);
        let over = self.title(query_room).width().saturating_sub(width);
        let title = self.title(query_room.saturating_sub(over).max(4));
        let title = self.theme.fit_line(title, width);
        let room = width.saturating_sub(title.width() + 1);
        block = block.title(title);
        if !self.title_extra.is_empty() && room >= 12 {
            let extra = format!(" {} ", printable(self.title_extra));
            let extra = self.theme.fit_line(Line::from(extra), room);
            block = block.title_top(extra.right_aligned());
        }
        // Whole or not at all: half a legend names the wrong keys.
        if let Some(legend) = self
            .legend()
            .filter(|l| l.width() <= usize::from(area.width))
        {
            block = block.title_bottom(legend);
        }
        let mut inner = block.inner(area);
        block.render(area, buf);
        // Notes take at most a third of the pane: the lines stay the point of it.
        let note_rows = self.notes.len().min(usize::from(inner.height / 3)) as u16;
        for (row, note) in self.notes.iter().take(usize::from(note_rows)).enumerate() {
            buf.set_stringn(
                inner.x,
                inner.y + row as u16,
                format!("{} {note}", self.theme.glyphs.note),
                usize::from(inner.width),
                self.theme.note(),
            );
        }
        inner.y += note_rows;
        inner.height -= note_rows;
        if inner.is_empty() {
            return;
        }
        let view = self.view;
        let show_source = view.focus().is_none() && self.sources.len() > 1;
        let source_width = if show_source {
            self.sources
                .iter()
                .map(|name| name.width())
                .max()
                .unwrap_or(0)
                .min(MAX_SOURCE_WIDTH)
                + 1
        } else {
            0
        };
        let timestamp_width = if view.timestamps() {
            TIMESTAMP_WIDTH
        } else {
            0
        };
        let prefix_width = timestamp_width + source_width;
        let text_width = usize::from(inner.width).saturating_sub(prefix_width).max(1);
        let marker_width = usize::from(inner.width).saturating_sub(timestamp_width);
        let window = view.layout(
            self.buffer,
            usize::from(inner.height),
            text_width,
            marker_width,
        );

        if window.lines.is_empty() {
            let message = if self.buffer.is_empty() {
                "waiting for log lines…"
            } else {
                "no lines match"
            };
            let row = Rect {
                y: inner.y + inner.height / 2,
                height: 1,
                ..inner
            };
            Line::styled(message, Style::new().add_modifier(Modifier::DIM))
                .centered()
                .render(row, buf);
            return;
        }

        let selected = if view.is_following() {
            None
        } else {
            view.selected_line(self.buffer).map(|line| line.seq)
        };
        let mut hidden = window.hidden_rows;
        let mut y = inner.y;
        for laid in &window.lines {
            let highlights = view
                .search()
                .map(|search| search.find_all(laid.body()))
                .unwrap_or_default();
            for (row_index, row) in laid.rows.iter().enumerate() {
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                if y >= inner.bottom() {
                    return;
                }
                let marked = if selected == Some(laid.line.seq) {
                    Modifier::REVERSED
                } else {
                    Modifier::empty()
                };
                if row_index == 0 && view.timestamps() {
                    put(
                        buf,
                        inner,
                        0,
                        y,
                        &clock(laid.line.timestamp, self.utc_offset),
                        TIMESTAMP_WIDTH - 1,
                        Style::new().add_modifier(Modifier::DIM | marked),
                    );
                }
                if laid.line.kind == LineKind::Marker {
                    // Across the container column too: the marker is no container's.
                    if marker_width > 0 {
                        let line = marker_row(laid, row_index, &highlights, self.theme, marked);
                        buf.set_line(
                            inner.x + timestamp_width as u16,
                            y,
                            &self.theme.fit_line(line, marker_width),
                            marker_width as u16,
                        );
                    }
                    y += 1;
                    continue;
                }
                if row_index == 0 && show_source {
                    put(
                        buf,
                        inner,
                        timestamp_width,
                        y,
                        &self.source_name(laid.line.source),
                        source_width - 1,
                        self.theme.log_source(laid.line.source).add_modifier(marked),
                    );
                }
                let room = usize::from(inner.width).saturating_sub(prefix_width);
                if room > 0 {
                    // At most the pane's width: the cast cannot cut.
                    let width = text_width.min(room) as u16;
                    draw_row(
                        buf,
                        Rect::new(inner.x + prefix_width as u16, y, width, 1),
                        laid,
                        row.clone(),
                        &highlights,
                        self.theme,
                    );
                }
                y += 1;
            }
        }
    }
}

/// Writes `text` at `column` of `area`'s row `y`, at most `width` cells and never past the
/// area's right edge (`Buffer::set_stringn` only stops at the edge of the whole buffer).
fn put(
    buf: &mut Buffer,
    area: Rect,
    column: usize,
    y: u16,
    text: &str,
    width: usize,
    style: Style,
) {
    let room = usize::from(area.width).saturating_sub(column);
    if room > 0 {
        buf.set_stringn(area.x + column as u16, y, text, width.min(room), style);
    }
}

/// Draws `laid.body()[row]` with its style runs into the one-row `area`, search matches in
/// reverse video.
fn draw_row(
    buf: &mut Buffer,
    area: Rect,
    laid: &LaidOutLine<'_>,
    row: Range<usize>,
    highlights: &[Range<usize>],
    theme: Theme,
) {
    let spans = styled_spans(laid, row, highlights, theme, Style::new());
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// Row `row_index` of a marker, dim between two short rules (see [`MARKER_FRAME_WIDTH`]) so
/// that it reads as no container's line with colour or without:
/// `── task 3f9a1c replaced 81ab4c (exit 137: OutOfMemoryError) ──`.
fn marker_row(
    laid: &LaidOutLine<'_>,
    row_index: usize,
    highlights: &[Range<usize>],
    theme: Theme,
    marked: Modifier,
) -> Line<'static> {
    let style = Style::new().add_modifier(Modifier::DIM | marked);
    let rule = theme.glyphs.border.horizontal_top.repeat(2);
    let opening = if row_index == 0 {
        format!("{rule} ")
    } else {
        " ".repeat(MARKER_FRAME_WIDTH / 2)
    };
    let mut spans = vec![Span::styled(opening, style)];
    let row = laid.rows[row_index].clone();
    spans.extend(styled_spans(laid, row, highlights, theme, style));
    if row_index + 1 == laid.rows.len() {
        spans.push(Span::styled(format!(" {rule}"), style));
    }
    Line::from(spans)
}

/// `laid.body()[row]` cut into spans at its style runs and search matches: each run in its
/// style over `base`, each match in reverse video.
fn styled_spans(
    laid: &LaidOutLine<'_>,
    row: Range<usize>,
    highlights: &[Range<usize>],
    theme: Theme,
    base: Style,
) -> Vec<Span<'static>> {
    let body = laid.body();
    let overlaps = |range: &Range<usize>| range.start < row.end && range.end > row.start;
    let styles: Vec<&StyleRun> = laid
        .styles()
        .iter()
        .filter(|run| overlaps(&(run.start..run.end)))
        .collect();
    let highlights: Vec<&Range<usize>> = highlights.iter().filter(|h| overlaps(h)).collect();

    let mut cuts = vec![row.start, row.end];
    for run in &styles {
        cuts.extend([run.start, run.end]);
    }
    for highlight in &highlights {
        cuts.extend([highlight.start, highlight.end]);
    }
    cuts.retain(|&cut| row.start <= cut && cut <= row.end);
    cuts.sort_unstable();
    cuts.dedup();

    let mut spans = Vec::with_capacity(cuts.len());
    for piece in cuts.windows(2) {
        let (start, end) = (piece[0], piece[1]);
        let mut style = styles
            .iter()
            .find(|run| run.start <= start && start < run.end)
            .map_or(base, |run| base.patch(theme.log_text(run.style)));
        if highlights.iter().any(|h| h.start <= start && start < h.end) {
            style = if style.add_modifier.contains(Modifier::REVERSED) {
                style.remove_modifier(Modifier::REVERSED)
            } else {
                style.add_modifier(Modifier::REVERSED)
            };
        }
        spans.push(Span::styled(body[start..end].to_string(), style));
    }
    spans
}

#[cfg(test)]
mod tests;
