//! Launch intents: what a launch was about to do, written to disk before the first RunTask and
//! removed once the launch is confirmed. A retry after a lost answer or a crash finds the intent,
//! reuses its token and name, and reconciles by tag instead of starting a second instance.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// ECS keeps a RunTask `clientToken` for 24 hours; an older intent cannot be resumed safely.
const INTENT_LIFETIME_HOURS: i64 = 24;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchIntent {
    /// 32 hex characters; with `-<index>` it is each RunTask's `clientToken` (≤ 64).
    pub token: String,
    pub profile: String,
    pub cluster: String,
    pub template: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl LaunchIntent {
    pub fn new(
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
    pub fn task_token(&self, index: usize) -> String {
        format!("{}-{index}", self.token)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now - self.created_at > Duration::hours(INTENT_LIFETIME_HOURS)
    }
}

/// Intents on disk under `<state dir>/launches/`, one JSON file per token.
#[derive(Debug, Clone)]
pub struct IntentStore {
    dir: PathBuf,
}

impl IntentStore {
    pub fn new(state_dir: &Path) -> Self {
        IntentStore {
            dir: state_dir.join("launches"),
        }
    }

    fn file(&self, token: &str) -> PathBuf {
        self.dir.join(format!("{token}.json"))
    }

    /// Written (and synced) before RunTask so that a crash right after the call is recoverable.
    pub fn save(&self, intent: &LaunchIntent) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{}.tmp", intent.token));
        let body = serde_json::to_vec_pretty(intent).map_err(io::Error::other)?;
        fs::write(&tmp, body)?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(tmp, self.file(&intent.token))
    }

    pub fn remove(&self, token: &str) -> io::Result<()> {
        match fs::remove_file(self.file(token)) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// The unfinished intent for this launch, if an earlier attempt left one: same profile,
    /// cluster and template, and the same name when the user gave one. Expired intents are
    /// deleted on the way.
    pub fn pending(
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
            let Some(intent) = fs::read(&path)
                .ok()
                .and_then(|body| serde_json::from_slice::<LaunchIntent>(&body).ok())
            else {
                continue;
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
        assert!(!store.file(&intent.token).exists());
    }
}
