//! The colours and attributes a log line asked for with SGR sequences, kept as plain data: the
//! dashboard maps them onto its own palette when it draws them.

use std::ops::BitOr;

/// A colour by its SGR number: 0–15 are the 16 ANSI colours (30–37 and 90–97), 16–255 the
/// extended palette; or a 24-bit colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextColor {
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// Bold, dim, italic, underlined and reversed, as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Attrs(u8);

impl Attrs {
    pub const NONE: Attrs = Attrs(0);
    pub const BOLD: Attrs = Attrs(1);
    pub const DIM: Attrs = Attrs(1 << 1);
    pub const ITALIC: Attrs = Attrs(1 << 2);
    pub const UNDERLINED: Attrs = Attrs(1 << 3);
    pub const REVERSED: Attrs = Attrs(1 << 4);

    pub fn contains(self, other: Attrs) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: Attrs) {
        self.0 |= other.0;
    }

    pub fn remove(&mut self, other: Attrs) {
        self.0 &= !other.0;
    }
}

impl BitOr for Attrs {
    type Output = Attrs;

    fn bitor(self, other: Attrs) -> Attrs {
        Attrs(self.0 | other.0)
    }
}

/// The style of a stretch of log text; the default is the pane's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TextStyle {
    pub fg: Option<TextColor>,
    pub bg: Option<TextColor>,
    pub attrs: Attrs,
}

impl TextStyle {
    pub const fn new() -> TextStyle {
        TextStyle {
            fg: None,
            bg: None,
            attrs: Attrs::NONE,
        }
    }

    pub fn fg(self, color: TextColor) -> TextStyle {
        TextStyle {
            fg: Some(color),
            ..self
        }
    }

    pub fn bg(self, color: TextColor) -> TextStyle {
        TextStyle {
            bg: Some(color),
            ..self
        }
    }

    pub fn with(mut self, attrs: Attrs) -> TextStyle {
        self.attrs.insert(attrs);
        self
    }
}
