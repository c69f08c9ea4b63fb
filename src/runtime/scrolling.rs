//! A terminal backend that moves shifted rows with the terminal's own scrolling.
//!
//! ratatui redraws every cell that differs from the last frame. When a followed log pane gains
//! a line, every row of the pane differs from the row under it, so the whole pane was rewritten
//! for one new line: over a slow link that is most of the traffic. Here each frame is compared
//! with what the screen shows; when a band of full-width rows only moved up, the terminal is
//! told to scroll that band (DECSTBM + SU, understood by every VT100 descendant, tmux included)
//! and only the rows that scrolled in are written.

use std::hash::{Hash, Hasher};
use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};

/// Fewer changed rows than this are sent as they are: no scrolling can pay for its escape codes.
const CHANGED_ROWS_WORTH_A_LOOK: usize = 3;

pub struct ScrollingBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, kept equal to ratatui's previous frame between draws.
    shown: Buffer,
}

impl<W: Write> ScrollingBackend<W> {
    /// `area` is what the terminal shows now: blank, as after entering the alternate screen.
    pub fn new(writer: W, area: Rect) -> ScrollingBackend<W> {
        ScrollingBackend {
            inner: CrosstermBackend::new(writer),
            shown: Buffer::empty(area),
        }
    }

    fn in_bounds(&self, x: u16, y: u16) -> bool {
        self.shown.area.contains(Position { x, y })
    }
}

impl<W: Write> Backend for ScrollingBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let changes: Vec<(u16, u16, &Cell)> = content.collect();
        let fits = changes.iter().all(|&(x, y, _)| self.in_bounds(x, y));
        if !fits || changed_rows(&changes) < CHANGED_ROWS_WORTH_A_LOOK {
            // Sent as ratatui diffed them; the record of the screen follows.
            if !fits {
                let needed = changes.iter().fold(self.shown.area, |area, &(x, y, _)| {
                    area.union(Rect::new(x, y, 1, 1))
                });
                self.shown.resize(needed);
            }
            for &(x, y, cell) in &changes {
                self.shown[(x, y)] = cell.clone();
            }
            return self.inner.draw(changes.into_iter());
        }

        let mut next = self.shown.clone();
        for &(x, y, cell) in &changes {
            next[(x, y)] = cell.clone();
        }
        if let Some(shift) = best_shift(&self.shown, &next) {
            shift.write(&mut self.inner)?;
            shift.apply(&mut self.shown);
        }
        let updates = self.shown.diff(&next);
        self.inner.draw(updates.into_iter())?;
        self.shown = next;
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        match clear_type {
            // A resize clears the screen: take the new size with it.
            ClearType::All => {
                self.inner.clear_region(ClearType::All)?;
                let area = self.inner.size().map(Rect::from).unwrap_or(self.shown.area);
                self.shown = Buffer::empty(area);
                Ok(())
            }
            // Full-screen ratatui clears nothing else; a partial clear would need the cursor's
            // position to keep the record of the screen true.
            other => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the scrolling backend cannot follow a {other:?} clear"),
            )),
        }
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

fn changed_rows(changes: &[(u16, u16, &Cell)]) -> usize {
    let mut rows: Vec<u16> = changes.iter().map(|&(_, y, _)| y).collect();
    rows.dedup();
    rows.len()
}

/// Screen rows `top..bottom` (0-based, end exclusive) scroll up by `lines`; blank rows enter
/// below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shift {
    top: u16,
    bottom: u16,
    lines: u16,
}

impl Shift {
    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        // Colours reset first: scrolled-in rows take the current background. The margins are
        // reset afterwards, which also homes the cursor; the next write positions it anyway.
        write!(
            out,
            "\x1b[0m\x1b[{};{}r\x1b[{}S\x1b[r",
            self.top + 1,
            self.bottom,
            self.lines
        )
    }

    fn apply(&self, screen: &mut Buffer) {
        let width = usize::from(screen.area.width);
        let top = usize::from(self.top - screen.area.y) * width;
        let bottom = usize::from(self.bottom - screen.area.y) * width;
        let moved = usize::from(self.lines) * width;
        screen.content[top..bottom].rotate_left(moved);
        screen.content[bottom - moved..bottom].fill(Cell::EMPTY);
    }
}

/// The shift that saves the most rewritten rows, if it saves enough to be worth its escapes.
fn best_shift(shown: &Buffer, next: &Buffer) -> Option<Shift> {
    if shown.area != next.area || shown.area.width == 0 {
        return None;
    }
    let width = usize::from(shown.area.width);
    let height = usize::from(shown.area.height);
    let rows =
        |buffer: &Buffer| -> Vec<u64> { buffer.content.chunks(width).map(row_hash).collect() };
    let (was, will) = (rows(shown), rows(next));
    let blank = row_hash(&vec![Cell::EMPTY; width]);
    let same = |a: &Buffer, y: usize, b: &Buffer, from: usize| {
        a.content[y * width..(y + 1) * width] == b.content[from * width..(from + 1) * width]
    };
    let moved_here = |y: usize, from: usize| will[y] == was[from] && same(next, y, shown, from);
    let unchanged = |y: usize| will[y] == was[y] && same(next, y, shown, y);

    let mut best: Option<(usize, Shift)> = None;
    for lines in 1..height {
        let mut y = 0;
        while y + lines < height {
            if !moved_here(y, y + lines) {
                y += 1;
                continue;
            }
            let top = y;
            while y + lines < height && moved_here(y, y + lines) {
                y += 1;
            }
            // Rows top..y now come from below; rows y..y + lines scroll in blank.
            let saved = (top..y).filter(|&r| !unchanged(r)).count();
            let lost = (y..y + lines)
                .filter(|&r| will[r] != blank && unchanged(r))
                .count();
            let gain = saved.saturating_sub(lost);
            if gain >= 2 && best.is_none_or(|(most, _)| gain > most) {
                let shift = Shift {
                    top: shown.area.y + top as u16,
                    bottom: shown.area.y + (y + lines) as u16,
                    lines: lines as u16,
                };
                best = Some((gain, shift));
            }
        }
    }
    best.map(|(_, shift)| shift)
}

fn row_hash(cells: &[Cell]) -> u64 {
    let mut hasher = RowHasher::default();
    cells.hash(&mut hasher);
    hasher.finish()
}

/// A fast non-cryptographic hasher (the rustc "Fx" scheme): rows are compared for real when
/// their hashes agree, so a collision costs a comparison, never a wrong screen.
#[derive(Default)]
struct RowHasher(u64);

impl Hasher for RowHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests;
