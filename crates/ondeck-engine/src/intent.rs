//! Launch intents: what a launch was about to do, written to disk before the first RunTask and
//! kept only while its outcome is unknown. A retry after a lost answer or a crash finds the
//! intent, reuses its token and name, and reconciles by tag instead of starting a second
//! instance. Intent files are read as untrusted input: bounded in size, the token hex only
//! (it names files), the name a valid instance name and the time not in the future.
//!
//! A launch also holds a lock file per name while it runs, so that two processes on one
//! machine never launch one name at the same time.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use ondeck_core::instances::identity::is_valid_name;

/// ECS keeps a RunTask `clientToken` for 24 hours; an older intent cannot be resumed safely.
const INTENT_LIFETIME_HOURS: i64 = 24;
/// An intent is a few hundred bytes; anything much larger was not written by ondeck.
const MAX_INTENT_BYTES: u64 = 16 * 1024;
/// How far in the future an intent's time may be (clocks stepping back) and still be trusted.
const CLOCK_SKEW_MINUTES: i64 = 5;
const TOKEN_LEN: usize = 32;

/// A token ondeck writes: 32 lowercase hex characters. Nothing else may become a file name.
fn is_valid_token(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LaunchIntent {
    /// 32 hex characters; with `-<index>` it is each RunTask's `clientToken` (≤ 64).
    pub(crate) token: String,
    pub(crate) profile: String,
    pub(crate) cluster: String,
    pub(crate) template: String,
    pub(crate) name: String,
    pub(crate) created_at: DateTime<Utc>,
}

impl LaunchIntent {
    pub(crate) fn new(
        profile: &str,
        cluster: &str,
        template: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let token = (0..32)
            .map(|_| char::from_digit(fastrand::u32(0..16), 16).expect("hex digit"))
            .collect();
        LaunchIntent {
            token,
            profile: profile.to_string(),
            cluster: cluster.to_string(),
            template: template.to_string(),
            name: name.to_string(),
            created_at: now,
        }
    }

    /// The `clientToken` (and launch-token tag) of the task started from the template's
    /// `index`-th task definition.
    pub(crate) fn task_token(&self, index: usize) -> String {
        format!("{}-{index}", self.token)
    }

    pub(crate) fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now - self.created_at > Duration::hours(INTENT_LIFETIME_HOURS)
    }

    /// What an intent must be to be acted on (it may have been written by anyone).
    fn check(&self, now: DateTime<Utc>) -> Result<(), String> {
        if !is_valid_token(&self.token) {
            return Err("its token is not 32 hex characters".into());
        }
        if !is_valid_name(&self.name) {
            return Err(format!("`{}` is not an instance name", self.name));
        }
        if self.created_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) {
            return Err(format!(
                "it claims to be from {}, in the future",
                self.created_at
            ));
        }
        Ok(())
    }
}

/// Intents on disk under `<state dir>/launches/`, one JSON file per token.
#[derive(Debug, Clone)]
pub(crate) struct IntentStore {
    dir: PathBuf,
}

impl IntentStore {
    pub(crate) fn new(state_dir: &Path) -> Self {
        IntentStore {
            dir: state_dir.join("launches"),
        }
    }

    /// The intent file of `token`; a token that is not ondeck's never becomes a path.
    fn file(&self, token: &str) -> io::Result<PathBuf> {
        if is_valid_token(token) {
            Ok(self.dir.join(format!("{token}.json")))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{token}` is not a launch token"),
            ))
        }
    }

    /// Written (and synced) before RunTask so that a crash right after the call is recoverable.
    pub(crate) fn save(&self, intent: &LaunchIntent) -> io::Result<()> {
        let file = self.file(&intent.token)?;
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{}.tmp", intent.token));
        let body = serde_json::to_vec_pretty(intent).map_err(io::Error::other)?;
        fs::write(&tmp, body)?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(tmp, file)
    }

    pub(crate) fn remove(&self, token: &str) -> io::Result<()> {
        match fs::remove_file(self.file(token)?) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// The unfinished intent for this launch, if an earlier attempt left one: same profile,
    /// cluster and template, and the same name when the user gave one. Expired intents are
    /// deleted on the way.
    pub(crate) fn pending(
        &self,
        profile: &str,
        cluster: &str,
        template: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<LaunchIntent> {
        let entries = fs::read_dir(&self.dir).ok()?;
        let mut found: Vec<LaunchIntent> = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|ext| ext.to_str()) != Some("json") {
                continue;
            }
            let intent = match read_intent(&path, now) {
                Ok(intent) => intent,
                Err(why) => {
                    tracing::warn!("ignoring launch intent {}: {why}", path.display());
                    continue;
                }
            };
            if intent.is_expired(now) {
                let _ = fs::remove_file(&path);
                continue;
            }
            let same_launch = intent.profile == profile
                && intent.cluster == cluster
                && intent.template == template
                && name.is_none_or(|name| intent.name == name);
            if same_launch {
                found.push(intent);
            }
        }
        found.into_iter().min_by_key(|intent| intent.created_at)
    }
}

/// One intent file, refused unless it is one ondeck could have written for itself.
fn read_intent(path: &Path, now: DateTime<Utc>) -> Result<LaunchIntent, String> {
    let file = fs::File::open(path).map_err(|err| err.to_string())?;
    let mut body = Vec::new();
    file.take(MAX_INTENT_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|err| err.to_string())?;
    if body.len() as u64 > MAX_INTENT_BYTES {
        return Err(format!("larger than {MAX_INTENT_BYTES} bytes"));
    }
    let intent: LaunchIntent = serde_json::from_slice(&body).map_err(|err| err.to_string())?;
    intent.check(now)?;
    if path.file_stem().and_then(|stem| stem.to_str()) != Some(intent.token.as_str()) {
        return Err("its file is not named after its token".into());
    }
    Ok(intent)
}

/// Held while one process launches one name; dropped (and its file removed) when it is done.
#[derive(Debug)]
pub(crate) struct LaunchLock {
    path: PathBuf,
    // Closing the file releases the lock.
    _file: fs::File,
}

impl LaunchLock {
    /// The lock for `name` on `cluster`, or `None` while another process holds it.
    pub(crate) fn acquire(
        state_dir: &Path,
        cluster: &str,
        name: &str,
    ) -> io::Result<Option<LaunchLock>> {
        if !is_valid_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not an instance name"),
            ));
        }
        let dir = state_dir.join("launches");
        fs::create_dir_all(&dir)?;
        let cluster: String = cluster
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(100)
            .collect();
        let path = dir.join(format!("{cluster}.{name}.lock"));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(err)) => return Err(err),
        }
        // The holder removes the file before it lets go: a lock on a file no longer at the
        // path is a lock nobody else sees, so the launch that just ended counts as under way.
        let same_file = fs::metadata(&path).is_ok_and(|at_path| {
            file.metadata()
                .is_ok_and(|held| held.ino() == at_path.ino())
        });
        if !same_file {
            return Ok(None);
        }
        Ok(Some(LaunchLock { path, _file: file }))
    }
}

impl Drop for LaunchLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_intent_is_found_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = IntentStore::new(dir.path());
        let now = Utc::now();
        let intent = LaunchIntent::new("dev", "c", "web", "web-ab12", now);
        assert_eq!(intent.token.len(), 32);
        assert!(intent.task_token(9).len() <= 64);
        store.save(&intent).unwrap();

        assert_eq!(
            store.pending("dev", "c", "web", None, now),
            Some(intent.clone())
        );
        assert_eq!(
            store.pending("dev", "c", "web", Some("web-ab12"), now),
            Some(intent.clone())
        );
        assert_eq!(store.pending("dev", "c", "web", Some("other"), now), None);
        assert_eq!(store.pending("prod", "c", "web", None, now), None);

        store.remove(&intent.token).unwrap();
        assert_eq!(store.pending("dev", "c", "web", None, now), None);
        store.remove(&intent.token).unwrap();
    }

    #[test]
    fn intents_older_than_a_day_are_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let store = IntentStore::new(dir.path());
        let then = Utc::now() - Duration::hours(25);
        let intent = LaunchIntent::new("dev", "c", "web", "web-1", then);
        store.save(&intent).unwrap();
        assert_eq!(store.pending("dev", "c", "web", None, Utc::now()), None);
        assert!(!store.file(&intent.token).unwrap().exists());
    }

    fn write(dir: &Path, file: &str, body: &[u8]) -> PathBuf {
        let launches = dir.join("launches");
        fs::create_dir_all(&launches).unwrap();
        let path = launches.join(file);
        fs::write(&path, body).unwrap();
        path
    }

    #[test]
    fn a_token_that_is_not_hex_never_becomes_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.json");
        fs::write(&victim, "keep me").unwrap();
        let store = IntentStore::new(dir.path());
        let now = Utc::now();
        let mut intent = LaunchIntent::new("dev", "c", "web", "web-1", now);
        intent.token = "../../victim".into();
        let body = serde_json::to_vec(&intent).unwrap();
        write(dir.path(), "0123456789abcdef0123456789abcdef.json", &body);
        assert_eq!(store.pending("dev", "c", "web", None, now), None);
        assert!(store.remove("../victim").is_err());
        assert!(store.save(&intent).is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    }

    #[test]
    fn intents_from_the_future_oversized_or_misnamed_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = IntentStore::new(dir.path());
        let now = Utc::now();
        let mut future = LaunchIntent::new("dev", "c", "web", "web-1", now);
        future.created_at = "9999-01-01T00:00:00Z".parse().unwrap();
        let mut bad_name = LaunchIntent::new("dev", "c", "web", "../x", now);
        bad_name.created_at = now;
        for intent in [&future, &bad_name] {
            let body = serde_json::to_vec(intent).unwrap();
            write(dir.path(), &format!("{}.json", intent.token), &body);
        }
        let elsewhere = LaunchIntent::new("dev", "c", "web", "web-2", now);
        let body = serde_json::to_vec(&elsewhere).unwrap();
        write(dir.path(), "ffffffffffffffffffffffffffffffff.json", &body);
        let mut huge =
            serde_json::to_vec(&LaunchIntent::new("dev", "c", "web", "web-3", now)).unwrap();
        huge.extend(std::iter::repeat_n(b' ', 20_000));
        write(dir.path(), "0123456789abcdef0123456789abcdef.json", &huge);
        assert_eq!(store.pending("dev", "c", "web", None, now), None);

        // A few minutes ahead is a clock that stepped back, not a forgery.
        let mut skewed = LaunchIntent::new("dev", "c", "web", "web-4", now);
        skewed.created_at = now + Duration::minutes(2);
        store.save(&skewed).unwrap();
        assert_eq!(store.pending("dev", "c", "web", None, now), Some(skewed));
    }

    #[test]
    fn one_launch_of_a_name_holds_its_lock_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = LaunchLock::acquire(dir.path(), "arn:aws:ecs:x:1:cluster/dev", "web-1")
            .unwrap()
            .expect("free");
        assert!(
            LaunchLock::acquire(dir.path(), "arn:aws:ecs:x:1:cluster/dev", "web-1")
                .unwrap()
                .is_none()
        );
        let other =
            LaunchLock::acquire(dir.path(), "arn:aws:ecs:x:1:cluster/dev", "web-2").unwrap();
        assert!(other.is_some(), "another name is another lock");
        drop(first);
        assert!(
            LaunchLock::acquire(dir.path(), "arn:aws:ecs:x:1:cluster/dev", "web-1")
                .unwrap()
                .is_some()
        );
        drop(other);
        assert!(LaunchLock::acquire(dir.path(), "c", "../x").is_err());
        assert_eq!(
            fs::read_dir(dir.path().join("launches")).unwrap().count(),
            0,
            "no lock file outlives its launch"
        );
    }
}
