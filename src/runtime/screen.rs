//! A terminal backend that writes as few bytes as it can: over a slow SSH link every byte of a
//! frame is latency.
//!
//! It keeps a copy of what the screen shows and, for each frame:
//! - moves rows that only shifted with the terminal's own scrolling. ratatui rewrites every cell
//!   that differs from the last frame, so a followed log pane gaining a line was rewritten whole;
//!   here a band of full-width rows that moved up is scrolled (scrolling margins and line feeds,
//!   understood by every VT100 descendant, tmux included) and only the rows that scrolled in are
//!   written;
//! - writes the few unchanged cells between two changes (the space between two words) rather
//!   than a cursor move, which costs more;
//! - sets colours and attributes with one short SGR sequence (`ESC[2;36m`, not the 256-colour
//!   form) and only when they change, and hides the cursor only when it is shown.

use std::hash::{Hash, Hasher};
use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use ratatui::text::Span;

use super::clipboard;
use ondeck_tui::ui::theme::ANSI_COLORS;

/// Fewer changed rows than this are sent as they are: no scrolling can pay for its escape codes.
const CHANGED_ROWS_WORTH_A_LOOK: usize = 3;
/// Unchanged cells up to this many may be rewritten instead of jumping over them, when that
/// costs fewer bytes than the jump (`ESC[12;40H`, six to eight bytes).
const GAP_WORTH_WRITING: u16 = 6;

pub struct ScreenBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, kept equal to ratatui's previous frame between draws.
    shown: Buffer,
    /// Whether the cursor is shown, when known.
    cursor_shown: Option<bool>,
    /// Inside tmux, clipboard sequences are wrapped for it to pass on.
    in_tmux: bool,
}

impl<W: Write> ScreenBackend<W> {
    /// `area` is what the terminal shows now: blank, as after entering the alternate screen.
    pub fn new(writer: W, area: Rect) -> ScreenBackend<W> {
        ScreenBackend {
            inner: CrosstermBackend::new(writer),
            shown: Buffer::empty(area),
            cursor_shown: None,
            in_tmux: false,
        }
    }

    pub fn inside_tmux(mut self, in_tmux: bool) -> ScreenBackend<W> {
        self.in_tmux = in_tmux;
        self
    }

    /// Puts `text` on the terminal's clipboard (OSC 52), written and flushed after whatever
    /// frame came before it: frames and the clipboard share this one writer, so their bytes
    /// never interleave.
    pub fn copy(&mut self, text: &str) -> io::Result<()> {
        self.inner
            .write_all(clipboard::osc52(text, self.in_tmux).as_bytes())?;
        Write::flush(&mut self.inner)
    }

    fn in_bounds(&self, x: u16, y: u16) -> bool {
        self.shown.area.contains(Position { x, y })
    }
}

impl<W: Write> Backend for ScreenBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let changes: Vec<(u16, u16, &Cell)> = content.collect();
        let fits = changes.iter().all(|&(x, y, _)| self.in_bounds(x, y));
        if !fits || changed_rows(&changes) < CHANGED_ROWS_WORTH_A_LOOK {
            // Written as ratatui diffed them; the copy of the screen follows.
            if !fits {
                let needed = changes.iter().fold(self.shown.area, |area, &(x, y, _)| {
                    area.union(Rect::new(x, y, 1, 1))
                });
                self.shown.resize(needed);
            }
            for &(x, y, cell) in &changes {
                self.shown[(x, y)] = cell.clone();
            }
            return emit(&mut self.inner, &changes, &self.shown);
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
        emit(&mut self.inner, &updates, &next)?;
        self.shown = next;
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_shown == Some(false) {
            return Ok(());
        }
        self.cursor_shown = Some(false);
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.cursor_shown == Some(true) {
            return Ok(());
        }
        // Counted as shown before the write: one that fails on a terminal that hung up is not
        // tried again when ratatui's Drop asks (see the dashboard's way out).
        self.cursor_shown = Some(true);
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
            // position to keep the copy of the screen true.
            other => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the screen backend cannot follow a {other:?} clear"),
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

/// Writes `updates`, cells of `screen` (the frame being drawn) in row order. Every frame starts
/// and ends with default colours, so scrolled-in rows and other writers see a clean state.
fn emit(out: &mut impl Write, updates: &[(u16, u16, &Cell)], screen: &Buffer) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(updates.len() * 2);
    let mut pen = Pen::default();
    let mut cursor: Option<Position> = None;
    for &(x, y, cell) in updates {
        // Cursor positions are 1-based; the column may go when it is the first.
        let jump = if x == 0 {
            format!("\x1b[{}H", y + 1)
        } else {
            format!("\x1b[{};{}H", y + 1, x + 1)
        };
        let walk = cursor.and_then(|at| walk(at, Position { x, y }, screen, pen));
        match walk {
            Some((walked, walked_pen)) if walked.len() <= jump.len() => {
                bytes.extend_from_slice(&walked);
                pen = walked_pen;
            }
            _ => bytes.extend_from_slice(jump.as_bytes()),
        }
        pen.change_to(Pen::of(cell), &mut bytes);
        bytes.extend_from_slice(cell.symbol().as_bytes());
        let width = Span::raw(cell.symbol()).width().max(1) as u16;
        // Past the last column the cursor waits to wrap: its position is not worth guessing.
        cursor = (x + width < screen.area.right()).then_some(Position { x: x + width, y });
    }
    if pen != Pen::default() {
        bytes.extend_from_slice(b"\x1b[0m");
    }
    out.write_all(&bytes)
}

/// The bytes that take the cursor from `at` to `to` by writing what the screen already shows
/// (the space between two words, a border): on the same row, or from the start of a row below
/// after CR LF. None when that is not possible or plainly dearer than a jump.
fn walk(at: Position, to: Position, screen: &Buffer, mut pen: Pen) -> Option<(Vec<u8>, Pen)> {
    let from = match to.y.checked_sub(at.y)? {
        0 if at.x <= to.x => at.x,
        // A line feed within the screen never scrolls: the margins are the whole screen.
        0 => return None,
        rows => {
            if rows > 2 {
                return None;
            }
            screen.area.x
        }
    };
    if to.x - from > GAP_WORTH_WRITING {
        return None;
    }
    let mut bytes = b"\r\n".repeat(usize::from(to.y - at.y));
    for gx in from..to.x {
        let cell = &screen[(gx, to.y)];
        let symbol = cell.symbol();
        let plain = cell.diff_option == CellDiffOption::None
            && Span::raw(symbol).width() == 1
            && !symbol.chars().any(char::is_control);
        if !plain {
            return None;
        }
        // A space looks the same whatever the colour of the text or its weight.
        if !(symbol == " " && pen.blank_looks_like(Pen::of(cell))) {
            pen.change_to(Pen::of(cell), &mut bytes);
        }
        bytes.extend_from_slice(symbol.as_bytes());
    }
    Some((bytes, pen))
}

/// Colours and attributes as the terminal has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Default for Pen {
    fn default() -> Pen {
        Pen {
            fg: Color::Reset,
            bg: Color::Reset,
            modifier: Modifier::empty(),
        }
    }
}

impl Pen {
    /// A space written with this pen looks like a space written with `other`.
    fn blank_looks_like(&self, other: Pen) -> bool {
        let shows_on_blank = Modifier::REVERSED | Modifier::UNDERLINED | Modifier::CROSSED_OUT;
        self.bg == other.bg && !(self.modifier | other.modifier).intersects(shows_on_blank)
    }

    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            modifier: cell.modifier,
        }
    }

    /// Appends the one SGR sequence that turns this pen into `to`, if they differ.
    fn change_to(&mut self, to: Pen, bytes: &mut Vec<u8>) {
        // Bold and dim go off together (22), as do both blinks (25): whichever stays comes back.
        const OFF: [(Modifier, u8); 7] = [
            (Modifier::BOLD.union(Modifier::DIM), 22),
            (Modifier::ITALIC, 23),
            (Modifier::UNDERLINED, 24),
            (Modifier::SLOW_BLINK.union(Modifier::RAPID_BLINK), 25),
            (Modifier::REVERSED, 27),
            (Modifier::HIDDEN, 28),
            (Modifier::CROSSED_OUT, 29),
        ];
        const ON: [(Modifier, u8); 9] = [
            (Modifier::BOLD, 1),
            (Modifier::DIM, 2),
            (Modifier::ITALIC, 3),
            (Modifier::UNDERLINED, 4),
            (Modifier::SLOW_BLINK, 5),
            (Modifier::RAPID_BLINK, 6),
            (Modifier::REVERSED, 7),
            (Modifier::HIDDEN, 8),
            (Modifier::CROSSED_OUT, 9),
        ];
        if *self == to {
            return;
        }
        let mut codes: Vec<String> = Vec::new();
        let removed = self.modifier - to.modifier;
        let mut added = to.modifier - self.modifier;
        for (group, code) in OFF {
            if removed.intersects(group) {
                codes.push(code.to_string());
                added |= to.modifier & group;
            }
        }
        for (modifier, code) in ON {
            if added.contains(modifier) {
                codes.push(code.to_string());
            }
        }
        if self.fg != to.fg {
            codes.push(colour_code(to.fg, 30));
        }
        if self.bg != to.bg {
            codes.push(colour_code(to.bg, 40));
        }
        bytes.extend_from_slice(format!("\x1b[{}m", codes.join(";")).as_bytes());
        *self = to;
    }
}

/// SGR parameters for a colour: `base` is 30 for the foreground, 40 for the background. The 16
/// ANSI colours get their short codes, which every terminal knows.
fn colour_code(colour: Color, base: u8) -> String {
    match colour {
        Color::Reset => (base + 9).to_string(),
        Color::Indexed(n) => format!("{};5;{n}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
        named => {
            let n = ANSI_COLORS.iter().position(|c| *c == named).unwrap_or(7) as u8;
            let bright = if n < 8 { 0 } else { 60 - 8 };
            (base + bright + n).to_string()
        }
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
        // Margins around the band, then a line feed on its last row per line: the oldest way to
        // scroll a region, which even the Linux console knows (it lacks SU). Frames end with
        // default colours, so the rows scrolled in are blank. Resetting the margins homes the
        // cursor; the next write positions it anyway.
        write!(
            out,
            "\x1b[{};{}r\x1b[{}H{}\x1b[r",
            self.top + 1,
            self.bottom,
            self.bottom,
            "\n".repeat(usize::from(self.lines))
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
