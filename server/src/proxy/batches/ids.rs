//! Which token owns which file and batch id: a token sees only its own. Each id the upstream
//! hands out through this server (an upload's file id, a batch id, a batch's output and error
//! file ids) is recorded with its token, kept 30 days; an id not recorded for the caller is
//! answered as if it did not exist.
//!
//! Besides its owner an entry keeps what the server needs later: an uploaded batch file's
//! price (priced as it passed through), a batch's reservation until it is settled.
//!
//! In memory and written to `continuity-batches.json` in `--state-dir` on every change (they
//! are rare: uploads and batch creations), or in Redis with `--redis-url` (one key per id,
//! `<prefix>ids:<id>`), so every replica knows every id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use super::price::BatchPrice;
use crate::limits::Charge;

/// The ownership file in the state directory.
pub const IDS_FILE: &str = "continuity-batches.json";
/// How long an id is remembered (OpenAI keeps batch output files 30 days).
pub const KEEP: Duration = Duration::from_secs(30 * 86_400);

/// What is known of one id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owned {
    /// The owner: a token id, or `anonymous`.
    pub owner: String,
    /// Unix seconds after which the entry is forgotten.
    pub expires: u64,
    /// A batch input file's price, as it was uploaded (or why it could not be priced).
    #[serde(default)]
    pub price: Option<Result<BatchPrice, String>>,
    /// A batch's reservations not yet settled.
    #[serde(default)]
    pub reserved: Vec<Charge>,
}

impl Owned {
    /// An entry for `owner`, kept [`KEEP`].
    pub fn new(owner: &str) -> Self {
        Self {
            owner: owner.to_string(),
            expires: crate::clock::unix_seconds() + KEEP.as_secs(),
            price: None,
            reserved: Vec::new(),
        }
    }
}

/// The map could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdsError(pub String);

/// Where the map lives.
pub enum Ids {
    /// This process (and a file).
    Local {
        /// The file, if kept.
        file: Option<PathBuf>,
        /// The entries.
        map: Mutex<HashMap<String, Owned>>,
    },
    /// Redis.
    Redis {
        /// The connection.
        conn: ConnectionManager,
        /// Key prefix.
        prefix: String,
    },
}

impl std::fmt::Debug for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Ids::Local { .. } => "Ids::Local",
            Ids::Redis { .. } => "Ids::Redis",
        })
    }
}

impl Default for Ids {
    fn default() -> Self {
        Ids::Local {
            file: None,
            map: Mutex::default(),
        }
    }
}

impl Ids {
    /// The map kept in `dir`'s [`IDS_FILE`] (read back if present; expired entries dropped).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(IDS_FILE);
        let map: HashMap<String, Owned> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} is not a valid file of batch and file owners ({e}); fix or remove it \
                     (removing it loses which token owns which batch)",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let now = crate::clock::unix_seconds();
        Ok(Ids::Local {
            file: Some(path),
            map: Mutex::new(map.into_iter().filter(|(_, o)| o.expires > now).collect()),
        })
    }

    /// The map in Redis at `url`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, String> {
        Ok(Ids::Redis {
            conn: crate::limits::shared::connect(url, Duration::from_secs(2)).await?,
            prefix: prefix.to_string(),
        })
    }

    /// The entry of `id`, if it is known and not expired.
    pub async fn get(&self, id: &str) -> Result<Option<Owned>, IdsError> {
        let now = crate::clock::unix_seconds();
        match self {
            Ids::Local { map, .. } => Ok(map
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(id)
                .filter(|o| o.expires > now)
                .cloned()),
            Ids::Redis { conn, prefix } => {
                let text: Option<String> = redis::cmd("GET")
                    .arg(format!("{prefix}ids:{id}"))
                    .query_async(&mut conn.clone())
                    .await
                    .map_err(|e| IdsError(format!("redis: {}", e.category())))?;
                Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
            }
        }
    }

    /// The entry of `id` if `owner` owns it.
    pub async fn owned_by(&self, id: &str, owner: &str) -> Result<Option<Owned>, IdsError> {
        Ok(self.get(id).await?.filter(|o| o.owner == owner))
    }

    /// Records (or replaces) `id`'s entry.
    pub async fn put(&self, id: &str, entry: Owned) -> Result<(), IdsError> {
        match self {
            Ids::Local { file, map } => {
                let snapshot = {
                    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                    let now = crate::clock::unix_seconds();
                    map.retain(|_, o| o.expires > now);
                    map.insert(id.to_string(), entry);
                    file.as_ref().map(|_| serde_json::to_vec(&*map))
                };
                if let (Some(path), Some(Ok(bytes))) = (file.clone(), snapshot) {
                    tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                        .await
                        .map_err(|e| IdsError(e.to_string()))?
                        .map_err(IdsError)?;
                }
                Ok(())
            }
            Ids::Redis { conn, prefix } => {
                let ttl = entry
                    .expires
                    .saturating_sub(crate::clock::unix_seconds())
                    .max(1);
                let text = serde_json::to_string(&entry).map_err(|e| IdsError(e.to_string()))?;
                redis::cmd("SET")
                    .arg(format!("{prefix}ids:{id}"))
                    .arg(text)
                    .arg("EX")
                    .arg(ttl)
                    .query_async::<()>(&mut conn.clone())
                    .await
                    .map_err(|e| IdsError(format!("redis: {}", e.category())))
            }
        }
    }

    /// Records `id` for `owner` unless it is known already (a batch's output file seen again).
    pub async fn claim(&self, id: &str, owner: &str) -> Result<(), IdsError> {
        if self.get(id).await?.is_some() {
            return Ok(());
        }
        self.put(id, Owned::new(owner)).await
    }
}

/// Writes `bytes` to `path` whole (a temporary file renamed into place), mode 0600.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&temp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn owners_survive_a_restart_and_others_see_nothing() {
        let dir = std::env::temp_dir().join(format!(
            "continuity-ids-unit-{}-{}",
            std::process::id(),
            crate::tokens::generate_id().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ids = Ids::load(&dir).unwrap();
        ids.put("batch_1", Owned::new("alice")).await.unwrap();
        ids.claim("file-out", "alice").await.unwrap();
        ids.claim("file-out", "bob").await.unwrap();
        let mut old = Owned::new("alice");
        old.expires = 1;
        ids.put("batch_old", old).await.unwrap();
        let again = Ids::load(&dir).unwrap();
        assert!(again.owned_by("batch_1", "alice").await.unwrap().is_some());
        assert!(again.owned_by("batch_1", "bob").await.unwrap().is_none());
        assert_eq!(again.get("file-out").await.unwrap().unwrap().owner, "alice");
        assert!(again.get("batch_old").await.unwrap().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
