//! Key specs as written in `[keymap]`: "q", "ctrl-d", "alt-x", "f5", "enter", "pgdn", "?".

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    Backspace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeySpec {
    pub fn plain(code: KeyCode) -> KeySpec {
        KeySpec {
            code,
            ctrl: false,
            alt: false,
        }
    }
}

/// Named keys: every accepted spelling, the first being the one [`KeySpec`] displays.
const NAMED: &[(&[&str], KeyCode)] = &[
    (&["enter", "return"], KeyCode::Enter),
    (&["esc", "escape"], KeyCode::Esc),
    (&["tab"], KeyCode::Tab),
    (&["backtab", "shift-tab"], KeyCode::BackTab),
    (&["up"], KeyCode::Up),
    (&["down"], KeyCode::Down),
    (&["left"], KeyCode::Left),
    (&["right"], KeyCode::Right),
    (&["pgup", "pageup"], KeyCode::PageUp),
    (&["pgdn", "pagedown"], KeyCode::PageDown),
    (&["home"], KeyCode::Home),
    (&["end"], KeyCode::End),
    (&["delete", "del"], KeyCode::Delete),
    (&["backspace"], KeyCode::Backspace),
    (&["space"], KeyCode::Char(' ')),
];

/// What a key spec may look like, for error messages.
pub const KEY_SPEC_HELP: &str = "write one character (q, ?, /), f1-f12, or a name (enter, esc, \
     tab, backtab, up, down, left, right, pgup, pgdn, home, end, delete, backspace, space), \
     optionally after ctrl- and/or alt-";

impl FromStr for KeySpec {
    type Err = String;

    fn from_str(text: &str) -> Result<KeySpec, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        // A lone "-" is the minus key, and "ctrl--" is ctrl with minus.
        loop {
            if !ctrl && rest.len() > 5 && starts_with_ignoring_case(rest, "ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if !alt && rest.len() > 4 && starts_with_ignoring_case(rest, "alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let code =
            parse_code(rest).ok_or_else(|| format!("`{text}` is not a key; {KEY_SPEC_HELP}"))?;
        // Terminals report ctrl with a letter as the lower-case letter.
        let code = match code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Ok(KeySpec { code, ctrl, alt })
    }
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn parse_code(text: &str) -> Option<KeyCode> {
    let mut chars = text.chars();
    if let (Some(only), None) = (chars.next(), chars.next()) {
        return (!only.is_whitespace() && !only.is_control()).then_some(KeyCode::Char(only));
    }
    let lower = text.to_ascii_lowercase();
    if let Some(number) = lower.strip_prefix('f') {
        return match number.parse::<u8>() {
            Ok(n @ 1..=12) if !number.starts_with('0') => Some(KeyCode::F(n)),
            _ => None,
        };
    }
    NAMED
        .iter()
        .find(|(names, _)| names.contains(&lower.as_str()))
        .map(|&(_, code)| code)
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if let Some((names, _)) = NAMED.iter().find(|(_, code)| *code == self.code) {
            return f.write_str(names[0]);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            named => unreachable!("{named:?} is in NAMED"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> KeySpec {
        text.parse().unwrap()
    }

    #[test]
    fn characters_names_and_modifiers_parse() {
        assert_eq!(spec("q"), KeySpec::plain(KeyCode::Char('q')));
        assert_eq!(spec("Q"), KeySpec::plain(KeyCode::Char('Q')));
        assert_eq!(spec("?"), KeySpec::plain(KeyCode::Char('?')));
        assert_eq!(spec("/"), KeySpec::plain(KeyCode::Char('/')));
        assert_eq!(spec("-"), KeySpec::plain(KeyCode::Char('-')));
        assert_eq!(spec("f5"), KeySpec::plain(KeyCode::F(5)));
        assert_eq!(spec("F12"), KeySpec::plain(KeyCode::F(12)));
        assert_eq!(spec("enter"), KeySpec::plain(KeyCode::Enter));
        assert_eq!(spec("Esc"), KeySpec::plain(KeyCode::Esc));
        assert_eq!(spec("pgdn"), KeySpec::plain(KeyCode::PageDown));
        assert_eq!(spec("pagedown"), KeySpec::plain(KeyCode::PageDown));
        assert_eq!(spec("shift-tab"), KeySpec::plain(KeyCode::BackTab));
        assert_eq!(spec("space"), KeySpec::plain(KeyCode::Char(' ')));
        let ctrl_d = spec("ctrl-d");
        assert_eq!(
            (ctrl_d.code, ctrl_d.ctrl, ctrl_d.alt),
            (KeyCode::Char('d'), true, false)
        );
        assert_eq!(spec("Ctrl-D"), ctrl_d);
        let alt_x = spec("alt-x");
        assert_eq!(
            (alt_x.code, alt_x.ctrl, alt_x.alt),
            (KeyCode::Char('x'), false, true)
        );
        let both = spec("ctrl-alt-up");
        assert_eq!((both.code, both.ctrl, both.alt), (KeyCode::Up, true, true));
        assert_eq!(spec("alt-ctrl-up"), both);
        assert_eq!(spec("ctrl--").code, KeyCode::Char('-'));
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        for bad in [
            "",
            " ",
            "ctrl-",
            "ctrl-ctrl-x",
            "f0",
            "f13",
            "f05",
            "hyper-x",
            "qq",
            "ctrl+d",
            "\t",
        ] {
            let error = bad.parse::<KeySpec>().unwrap_err();
            assert!(error.contains("is not a key"), "{bad:?}: {error}");
            assert!(error.contains("ctrl-"), "{error}");
        }
    }

    #[test]
    fn display_reads_back_to_the_same_key() {
        for text in [
            "q",
            "ctrl-d",
            "alt-x",
            "ctrl-alt-f5",
            "enter",
            "esc",
            "pgdn",
            "pgup",
            "?",
            "/",
            "-",
            "ctrl--",
            "space",
            "backtab",
            "delete",
            "backspace",
            "home",
            "end",
        ] {
            let key = spec(text);
            assert_eq!(key.to_string(), text);
            assert_eq!(spec(&key.to_string()), key);
        }
        assert_eq!(spec("return").to_string(), "enter");
        assert_eq!(spec("Ctrl-Alt-Pagedown").to_string(), "ctrl-alt-pgdn");
    }
}
