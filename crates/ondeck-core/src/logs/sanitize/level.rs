//! Level detection: how loud a line is, from an explicit field or the first level word.

/// How loud a line is, loudest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl Level {
    /// Higher is louder; lets a minimum level be compared without relying on variant order.
    pub fn severity(self) -> u8 {
        match self {
            Level::Error => 4,
            Level::Warn => 3,
            Level::Info => 2,
            Level::Debug => 1,
            Level::Trace => 0,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        }
    }
}

/// Finds how loud a line is. An explicit field wins (`level=warn`, `"level":"info"`,
/// `"severity":"ERROR"`, pino's numeric `"level":50`); otherwise the first level word
/// (`ERROR`, `warn`, `ERR`, `[E]`, glog's `E1123` prefix) decides.
pub fn detect_level(text: &str) -> Option<Level> {
    let bytes = text.as_bytes();
    let mut first_word_level = None;
    let mut i = 0;
    while i < bytes.len() {
        if !is_word_byte(bytes[i]) {
            if bytes[i] == b'[' && bytes.get(i + 2) == Some(&b']') && first_word_level.is_none() {
                first_word_level = letter_level(bytes[i + 1]);
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        let word = &bytes[start..i];
        if is_level_key(word)
            && let Some(level) = field_value_level(bytes, i)
        {
            return Some(level);
        }
        if first_word_level.is_none() {
            first_word_level = word_level(word, LEVEL_WORDS).or_else(|| {
                if start == 0 {
                    glog_prefix_level(word)
                } else {
                    None
                }
            });
        }
    }
    first_word_level
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_level_key(word: &[u8]) -> bool {
    ["level", "severity", "lvl", "loglevel", "levelname"]
        .iter()
        .any(|key| word.eq_ignore_ascii_case(key.as_bytes()))
}

/// `i` is just past a key word: reads `="warn"`, `=warn` or `": "warn"` / `": 40`.
fn field_value_level(bytes: &[u8], i: usize) -> Option<Level> {
    let mut j = i;
    match bytes.get(j)? {
        b'=' => j += 1,
        b'"' => {
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            if bytes.get(j) != Some(&b':') {
                return None;
            }
            j += 1;
            while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
        }
        _ => return None,
    }
    if bytes.get(j) == Some(&b'"') {
        j += 1;
    }
    let start = j;
    while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
        j += 1;
    }
    let value = &bytes[start..j];
    if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
        return pino_level(value);
    }
    word_level(value, FIELD_VALUE_WORDS)
}

/// Words that mark a level anywhere in free text: kept short, to avoid matching prose.
const LEVEL_WORDS: &[(&str, Level)] = &[
    ("error", Level::Error),
    ("err", Level::Error),
    ("fatal", Level::Error),
    ("crit", Level::Error),
    ("critical", Level::Error),
    ("panic", Level::Error),
    ("warn", Level::Warn),
    ("warning", Level::Warn),
    ("info", Level::Info),
    ("debug", Level::Debug),
    ("dbg", Level::Debug),
    ("trace", Level::Trace),
];

/// Values accepted in an explicit level field, where more vocabularies are safe.
const FIELD_VALUE_WORDS: &[(&str, Level)] = &[
    ("error", Level::Error),
    ("err", Level::Error),
    ("fatal", Level::Error),
    ("crit", Level::Error),
    ("critical", Level::Error),
    ("panic", Level::Error),
    ("alert", Level::Error),
    ("emerg", Level::Error),
    ("emergency", Level::Error),
    ("severe", Level::Error),
    ("warn", Level::Warn),
    ("warning", Level::Warn),
    ("info", Level::Info),
    ("information", Level::Info),
    ("notice", Level::Info),
    ("debug", Level::Debug),
    ("dbg", Level::Debug),
    ("fine", Level::Debug),
    ("trace", Level::Trace),
    ("verbose", Level::Trace),
    ("finest", Level::Trace),
];

fn word_level(word: &[u8], table: &[(&str, Level)]) -> Option<Level> {
    if word.len() < 3 || word.len() > 11 {
        return None;
    }
    table
        .iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name.as_bytes()))
        .map(|&(_, level)| level)
}

fn letter_level(letter: u8) -> Option<Level> {
    match letter.to_ascii_uppercase() {
        b'E' | b'F' => Some(Level::Error),
        b'W' => Some(Level::Warn),
        b'I' => Some(Level::Info),
        b'D' => Some(Level::Debug),
        b'T' => Some(Level::Trace),
        _ => None,
    }
}

/// glog and klog start a line with the level letter and the date: `E1123 16:17:01.000`.
fn glog_prefix_level(word: &[u8]) -> Option<Level> {
    match word {
        [letter @ (b'E' | b'W' | b'I' | b'F'), digits @ ..]
            if digits.len() == 4 && digits.iter().all(u8::is_ascii_digit) =>
        {
            letter_level(*letter)
        }
        _ => None,
    }
}

/// pino and bunyan log levels as numbers: 10 trace … 60 fatal.
fn pino_level(digits: &[u8]) -> Option<Level> {
    let n: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    match n {
        50.. => Some(Level::Error),
        40..=49 => Some(Level::Warn),
        30..=39 => Some(Level::Info),
        20..=29 => Some(Level::Debug),
        10..=19 => Some(Level::Trace),
        _ => None,
    }
}
