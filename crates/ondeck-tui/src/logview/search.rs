//! Log search: a case-insensitive substring, found without regular expressions.

use std::ops::Range;

/// A case-insensitive substring search (no regular expressions: log text is full of characters
/// that would need escaping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    query: String,
    needle: Needle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Needle {
    /// ASCII queries, by far the common case, compare bytes. memchr finds candidates for the
    /// needle's rarest byte (at `anchor`), so a filter that matches little scans fast.
    Ascii { lower: Vec<u8>, anchor: usize },
    /// Anything else compares lowercased chars.
    Folded(Vec<char>),
}

impl Search {
    /// `None` for an empty query: searching for nothing is no search.
    pub fn new(query: &str) -> Option<Search> {
        if query.is_empty() {
            return None;
        }
        let needle = if query.is_ascii() {
            let lower = query.to_ascii_lowercase().into_bytes();
            let anchor = (0..lower.len())
                .max_by_key(|&at| rarity(lower[at]))
                .unwrap_or(0);
            Needle::Ascii { lower, anchor }
        } else {
            Needle::Folded(query.chars().flat_map(char::to_lowercase).collect())
        };
        Some(Search {
            query: query.to_string(),
            needle,
        })
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.find(text, 0).is_some()
    }

    /// Byte ranges of non-overlapping matches, left to right.
    pub fn find_all(&self, text: &str) -> Vec<Range<usize>> {
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(range) = self.find(text, from) {
            from = range.end;
            found.push(range);
        }
        found
    }

    fn find(&self, text: &str, from: usize) -> Option<Range<usize>> {
        match &self.needle {
            Needle::Ascii { lower, anchor } => {
                let hay = text.as_bytes().get(from..)?;
                let rare = lower[*anchor];
                let tail = lower.len() - anchor;
                // Candidates for the rare byte; a match starts `anchor` bytes before it.
                memchr::memchr2_iter(rare, rare.to_ascii_uppercase(), hay.get(*anchor..)?)
                    .find(|&at| {
                        hay.get(at..at + anchor + tail)
                            .is_some_and(|window| window.eq_ignore_ascii_case(lower))
                    })
                    .map(|at| from + at..from + at + lower.len())
            }
            Needle::Folded(needle) => {
                let rest = text.get(from..)?;
                rest.char_indices().find_map(|(offset, _)| {
                    let start = from + offset;
                    folded_match_len(&text[start..], needle).map(|len| start..start + len)
                })
            }
        }
    }
}

/// How rare a lowercase byte is in log text, higher is rarer: a rough frequency order of
/// English letters, digits and the punctuation that logs are full of.
fn rarity(byte: u8) -> usize {
    const COMMON_FIRST: &[u8] = b" e\"t:a=o,i.n/s-r_h0l1d2c3u4m5f6p7g8w9ybvkxjqz";
    COMMON_FIRST
        .iter()
        .position(|&common| common == byte)
        .unwrap_or(COMMON_FIRST.len())
}

/// Length in bytes of the prefix of `text` that lowercases to exactly `needle`.
fn folded_match_len(text: &str, needle: &[char]) -> Option<usize> {
    let mut want = needle;
    let mut len = 0;
    for c in text.chars() {
        for lower in c.to_lowercase() {
            match want.split_first() {
                Some((&w, rest)) if w == lower => want = rest,
                _ => return None,
            }
        }
        len += c.len_utf8();
        if want.is_empty() {
            return Some(len);
        }
    }
    None
}
