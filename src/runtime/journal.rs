//! The timeline journal on disk: JSON lines per profile, append-only, compacted when loaded.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ondeck_tui::state::timeline::TimelineEntry;

/// At most this much of a journal is read: its newest part. Compaction keeps a journal of
/// twice the cap of entries near a third of it; more was written by something else.
const MAX_READ_BYTES: u64 = 8 << 20;

/// A journal as read from its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The newest entries, at most the cap.
    pub entries: Vec<TimelineEntry>,
    /// Lines that were not an entry (not JSON, not UTF-8, cut short), left out.
    pub skipped: usize,
}

/// `<state dir>/timeline/<profile>.jsonl`, with the profile name made safe for a file name.
pub fn path(state_dir: &Path, profile: &str) -> PathBuf {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("timeline").join(format!("{safe}.jsonl"))
}

/// The newest `cap` entries. A file grown past twice the cap (or past [`MAX_READ_BYTES`],
/// whose older part is not read) is rewritten to the cap, so it stays bounded while writes
/// remain plain appends. A line that is not an entry is skipped and counted; the rest is kept.
pub fn load(file: &Path, cap: usize) -> io::Result<Loaded> {
    let mut opened = match fs::File::open(file) {
        Ok(opened) => opened,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(err) => return Err(err),
    };
    let start = opened.metadata()?.len().saturating_sub(MAX_READ_BYTES);
    if start > 0 {
        opened.seek(SeekFrom::Start(start))?;
    }
    let mut bytes = Vec::new();
    opened.take(MAX_READ_BYTES).read_to_end(&mut bytes)?;
    let mut text = bytes.as_slice();
    if start > 0 {
        // The cut fell inside a line: the part of it that was read is not an entry.
        let whole = memchr::memchr(b'\n', text).map_or(text.len(), |at| at + 1);
        text = &text[whole..];
    }
    let mut loaded = Loaded::default();
    let mut lines = 0usize;
    let mut first_error = None;
    for line in text.split(|&byte| byte == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        match serde_json::from_slice::<TimelineEntry>(line) {
            Ok(entry) => loaded.entries.push(entry),
            Err(err) => {
                loaded.skipped += 1;
                first_error.get_or_insert(err);
            }
        }
    }
    if let Some(err) = first_error {
        tracing::warn!(
            file = %file.display(),
            skipped = loaded.skipped,
            "skipping journal lines that are not entries; the first: {err}"
        );
    }
    if loaded.entries.len() > cap {
        loaded.entries.drain(..loaded.entries.len() - cap);
    }
    if start > 0 || lines > cap.saturating_mul(2) {
        rewrite(file, &loaded.entries)?;
    }
    Ok(loaded)
}

/// The journal a dashboard starts with: what `file` holds; or, `fresh`, nothing, with the
/// file emptied. The demo starts fresh: its cluster is made anew at each start, with the same
/// task ids but new times, so what an earlier start recorded would only pile up beside it.
pub fn start(file: &Path, cap: usize, fresh: bool) -> io::Result<Loaded> {
    if fresh {
        match fs::remove_file(file) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    load(file, cap)
}

pub fn append(file: &Path, entries: &[TimelineEntry]) -> io::Result<()> {
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut text = String::new();
    for entry in entries {
        text.push_str(&serde_json::to_string(entry).map_err(io::Error::other)?);
        text.push('\n');
    }
    // One write per batch, so a crash leaves whole lines.
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?
        .write_all(text.as_bytes())
}

fn rewrite(file: &Path, entries: &[TimelineEntry]) -> io::Result<()> {
    let temporary = file.with_extension("jsonl.tmp");
    let _ = fs::remove_file(&temporary);
    append(&temporary, entries)?;
    fs::rename(&temporary, file)
}

#[cfg(test)]
mod tests;
