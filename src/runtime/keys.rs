//! Terminal key events → the dashboard's own key type.

use crossterm::event::{KeyCode as TermCode, KeyEvent, KeyEventKind, KeyModifiers};

use ondeck_tui::state::keymap::{Key, KeyCode};

/// None for releases and for keys the dashboard has no name for.
pub fn convert(event: KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let code = match event.code {
        TermCode::Char(c) => KeyCode::Char(c),
        TermCode::F(n) => KeyCode::F(n),
        TermCode::Enter => KeyCode::Enter,
        TermCode::Esc => KeyCode::Esc,
        TermCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        TermCode::Tab => KeyCode::Tab,
        TermCode::BackTab => KeyCode::BackTab,
        TermCode::Up => KeyCode::Up,
        TermCode::Down => KeyCode::Down,
        TermCode::Left => KeyCode::Left,
        TermCode::Right => KeyCode::Right,
        TermCode::PageUp => KeyCode::PageUp,
        TermCode::PageDown => KeyCode::PageDown,
        TermCode::Home => KeyCode::Home,
        TermCode::End => KeyCode::End,
        TermCode::Delete => KeyCode::Delete,
        TermCode::Backspace => KeyCode::Backspace,
        _ => return None,
    };
    Some(Key {
        code,
        // Shift is already in the character ('G', '?'), so it is not a modifier of its own.
        ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        alt: event.modifiers.contains(KeyModifiers::ALT),
    })
}

#[cfg(test)]
mod tests;
