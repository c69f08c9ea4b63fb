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
mod tests {
    use super::*;
    use ondeck_core::model::TaskState;
    use ondeck_tui::state::fixtures::{at, instance, task};
    use ondeck_tui::state::timeline::Journal;

    #[test]
    fn journal_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "dev/eu");
        assert!(file.ends_with("timeline/dev_eu.jsonl"));
        assert_eq!(load(&file, 100).unwrap(), Loaded::default());

        let mut journal = Journal::new(100);
        let mut web = task("web", "t1", TaskState::Pending);
        let first = journal.observe(&[instance("web", vec![web.clone()])], at(9, 0));
        append(&file, &first).unwrap();
        web.last_status = TaskState::Running;
        web.times.started_at = Some(at(9, 2));
        let second = journal.observe(&[instance("web", vec![web])], at(9, 3));
        append(&file, &second).unwrap();

        let loaded = load(&file, 100).unwrap();
        assert_eq!(loaded.skipped, 0);
        assert_eq!(loaded.entries, [first, second].concat());
        assert_eq!(Journal::from_entries(loaded.entries, 100), journal);
    }

    #[test]
    fn a_long_file_is_compacted_to_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "dev");
        let mut journal = Journal::new(1_000);
        let mut written = Vec::new();
        for minute in 0..7 {
            let mut seen = task("web", &format!("t{minute}"), TaskState::Running);
            seen.times.created_at = None;
            let entries = journal.observe(&[instance("web", vec![seen])], at(9, minute));
            append(&file, &entries).unwrap();
            written.extend(entries);
        }
        fs::write(
            &file,
            format!("not json\n{}", fs::read_to_string(&file).unwrap()),
        )
        .unwrap();

        let loaded = load(&file, 3).unwrap();
        assert_eq!(loaded.entries, written[4..].to_vec());
        assert_eq!(loaded.skipped, 1);
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert_eq!(lines, 3, "rewritten to the cap");
    }

    /// A copy of `tests/fixtures/journal/NAME` as the journal of profile `dev` in `dir`.
    fn fixture(dir: &Path, name: &str) -> PathBuf {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/journal")
            .join(name);
        let file = path(dir, "dev");
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::copy(&fixture, &file).unwrap();
        file
    }

    #[test]
    fn lines_that_are_not_entries_are_skipped_and_counted_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        // Not UTF-8, not JSON, a kind this version does not know, and a last write cut short,
        // between four good entries and a blank line.
        let file = fixture(dir.path(), "bad_lines.jsonl");
        let loaded = load(&file, 100).unwrap();
        assert_eq!(loaded.skipped, 4);
        let events: Vec<String> = loaded
            .entries
            .iter()
            .map(|entry| entry.event.describe())
            .collect();
        assert_eq!(
            events,
            [
                "seen PENDING",
                "ECS startedAt",
                "seen RUNNING",
                "stop requested"
            ]
        );
    }

    #[test]
    fn only_the_newest_part_of_a_huge_journal_is_read_and_the_file_is_cut_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "dev");
        let mut journal = Journal::new(100);
        let entries = journal.observe(
            &[instance("web", vec![task("web", "t1", TaskState::Running)])],
            at(9, 0),
        );
        // An old line longer than what is read, then the entries.
        let mut text = format!("{{\"instance\":\"{}\"}}\n", "x".repeat(9 << 20));
        for entry in &entries {
            text.push_str(&serde_json::to_string(entry).unwrap());
            text.push('\n');
        }
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, text).unwrap();

        let loaded = load(&file, 100).unwrap();
        assert_eq!(loaded.entries, entries);
        assert_eq!(
            loaded.skipped, 0,
            "the cut-off rest of a line is not counted"
        );
        let left = fs::metadata(&file).unwrap().len();
        assert!(left < 64 << 10, "rewritten to what was kept: {left} bytes");
    }
}
