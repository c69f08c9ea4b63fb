//! The timeline journal on disk: JSON lines per profile, append-only, compacted when loaded.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use ondeck_tui::state::timeline::TimelineEntry;

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

/// The newest `cap` entries. A file grown past twice the cap is rewritten to the cap, so it
/// stays bounded while writes remain plain appends. Unreadable lines are skipped.
pub fn load(file: &Path, cap: usize) -> io::Result<Vec<TimelineEntry>> {
    let reader = match fs::File::open(file) {
        Ok(opened) => BufReader::new(opened),
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut entries = Vec::new();
    let mut lines = 0usize;
    for line in reader.lines() {
        let line = line?;
        lines += 1;
        match serde_json::from_str::<TimelineEntry>(&line) {
            Ok(entry) => entries.push(entry),
            Err(err) => {
                tracing::warn!(file = %file.display(), "skipping a bad journal line: {err}")
            }
        }
    }
    if entries.len() > cap {
        entries.drain(..entries.len() - cap);
    }
    if lines > cap.saturating_mul(2) {
        rewrite(file, &entries)?;
    }
    Ok(entries)
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
        assert!(load(&file, 100).unwrap().is_empty());

        let mut journal = Journal::new(100);
        let mut web = task("web", "t1", TaskState::Pending);
        let first = journal.observe(&[instance("web", vec![web.clone()])], at(9, 0));
        append(&file, &first).unwrap();
        web.last_status = TaskState::Running;
        web.times.started_at = Some(at(9, 2));
        let second = journal.observe(&[instance("web", vec![web])], at(9, 3));
        append(&file, &second).unwrap();

        let loaded = load(&file, 100).unwrap();
        assert_eq!(loaded, [first, second].concat());
        assert_eq!(Journal::from_entries(loaded, 100), journal);
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
        assert_eq!(loaded, written[4..].to_vec());
        let lines = fs::read_to_string(&file).unwrap().lines().count();
        assert_eq!(lines, 3, "rewritten to the cap");
    }
}
