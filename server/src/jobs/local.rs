//! Jobs kept by this process: an index in memory and each answer in a file of its own in
//! `<--state-dir>/jobs/` (or, in fake mode without a state directory, in memory).
//!
//! Bounded by `--job-store-mb` over the stored bytes (oldest finished first out) and by the
//! 24 h time to live (swept once a minute, and checked on every read). A restart reads the
//! directory back: files past their time are deleted, the others answer again.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;

use super::record::{Meta, Record};
use super::{Begin, Found, StoreError, Stored};

/// Extension of a stored job's file.
const EXT: &str = "job";
/// A job marked running for longer than this is forgotten (its request ended long ago; the
/// capture always finishes or abandons, so only a crash mid-request leaves one).
const RUNNING_MAX: Duration = Duration::from_secs(3 * 3600);

/// Where the answers live.
#[derive(Debug)]
enum Place {
    /// A directory, one file per job.
    Dir(PathBuf),
    /// Memory (fake mode without `--state-dir`).
    Memory(Mutex<HashMap<String, Bytes>>),
}

/// The local job store.
#[derive(Debug)]
pub struct LocalJobs {
    place: Place,
    limit_bytes: u64,
    ttl_s: i64,
    index: Mutex<Index>,
}

#[derive(Debug, Default)]
struct Index {
    /// Jobs sent and not answered: key → when (Unix seconds).
    running: HashMap<String, i64>,
    /// Stored jobs: key → (finished, order of storing, bytes).
    done: HashMap<String, (i64, u64, u64)>,
    /// `(finished, order of storing, key)`, oldest first: the eviction order (finish times are
    /// whole seconds; the order of storing keeps jobs of one second oldest first).
    order: BTreeSet<(i64, u64, String)>,
    /// The next job's order of storing.
    next: u64,
    /// Sum of the stored bytes.
    total: u64,
}

impl Index {
    fn remove(&mut self, key: &str) -> bool {
        match self.done.remove(key) {
            Some((finished, seq, bytes)) => {
                self.order.remove(&(finished, seq, key.to_string()));
                self.total -= bytes;
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, key: &str, finished: i64, bytes: u64) {
        self.remove(key);
        let seq = self.next;
        self.next += 1;
        self.done.insert(key.to_string(), (finished, seq, bytes));
        self.order.insert((finished, seq, key.to_string()));
        self.total += bytes;
    }
}

fn now() -> i64 {
    crate::clock::unix_seconds() as i64
}

impl LocalJobs {
    /// A store in memory.
    pub fn in_memory(limit_bytes: u64, ttl: Duration) -> Self {
        Self {
            place: Place::Memory(Mutex::default()),
            limit_bytes,
            ttl_s: ttl.as_secs() as i64,
            index: Mutex::default(),
        }
    }

    /// A store in `dir` (created, mode 0700), reading back the jobs a previous run left there;
    /// expired ones and half-written files are deleted.
    pub fn open(dir: &Path, limit_bytes: u64, ttl: Duration) -> Result<Self, String> {
        create_private_dir(dir)?;
        let store = Self {
            place: Place::Dir(dir.to_path_buf()),
            limit_bytes,
            ttl_s: ttl.as_secs() as i64,
            index: Mutex::default(),
        };
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut index = store.lock();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = name.strip_suffix(&format!(".{EXT}"));
            let meta = key.and_then(|_| read_meta(&path));
            match (key, meta, entry.metadata()) {
                (Some(key), Some(meta), Ok(m)) if meta.finished_at + store.ttl_s > now() => {
                    index.insert(key, meta.finished_at, m.len());
                }
                _ => {
                    // Expired, unreadable, or a temporary file of a crashed write.
                    if name.starts_with('.') || name.ends_with(&format!(".{EXT}")) {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        }
        drop(index);
        let victims = store.evict_over(0);
        store.delete(&victims);
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Jobs stored and bytes they use.
    pub fn usage(&self) -> (usize, u64) {
        let index = self.lock();
        (index.done.len(), index.total)
    }

    /// Marks `key` running, unless it is running or stored already.
    pub fn begin(&self, key: &str) -> Begin {
        let mut index = self.lock();
        let t = now();
        let expired = index
            .done
            .get(key)
            .is_some_and(|(finished, _, _)| finished + self.ttl_s <= t);
        if expired {
            index.remove(key);
        }
        if index.done.contains_key(key) || index.running.contains_key(key) {
            return Begin::InUse;
        }
        index.running.insert(key.to_string(), t);
        Begin::Started
    }

    /// Forgets a running job (not answered completely, or refused before it was sent).
    pub fn abandon(&self, key: &str) {
        self.lock().running.remove(key);
    }

    /// Stores a finished job (replacing the running mark), evicting the oldest jobs until the
    /// store is within its bound. A job larger than the whole bound is not kept.
    pub async fn finish(&self, key: &str, record: &Record) -> Result<Stored, StoreError> {
        let bytes = record.encode();
        let size = bytes.len() as u64;
        if size > self.limit_bytes {
            self.abandon(key);
            return Ok(Stored::TooLarge);
        }
        match &self.place {
            Place::Memory(map) => {
                map.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_string(), Bytes::from(bytes));
            }
            Place::Dir(dir) => {
                let (dir, name) = (dir.clone(), key.to_string());
                let written = tokio::task::spawn_blocking(move || write_file(&dir, &name, &bytes))
                    .await
                    .map_err(|e| StoreError(e.to_string()))
                    .and_then(|r| r.map_err(StoreError));
                if let Err(e) = written {
                    self.abandon(key);
                    return Err(e);
                }
            }
        }
        let victims = {
            let mut index = self.lock();
            index.running.remove(key);
            index.insert(key, record.meta.finished_at, size);
            drop(index);
            self.evict_over(0)
        };
        self.delete(&victims);
        Ok(Stored::Kept)
    }

    /// Looks a job up.
    pub async fn read(&self, key: &str) -> Result<Found, StoreError> {
        let state = {
            let mut index = self.lock();
            match index.done.get(key).copied() {
                Some((finished, _, _)) if finished + self.ttl_s <= now() => {
                    index.remove(key);
                    drop(index);
                    self.delete(&[key.to_string()]);
                    return Ok(Found::Unknown);
                }
                Some(_) => Some(true),
                None if index.running.contains_key(key) => Some(false),
                None => None,
            }
        };
        match state {
            None => Ok(Found::Unknown),
            Some(false) => Ok(Found::Running),
            Some(true) => {
                let bytes = match &self.place {
                    Place::Memory(map) => map
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(key)
                        .cloned(),
                    Place::Dir(dir) => {
                        // Evicted between the look-up and the read: unknown.
                        tokio::fs::read(dir.join(format!("{key}.{EXT}")))
                            .await
                            .ok()
                            .map(Bytes::from)
                    }
                };
                match bytes.map(Record::decode) {
                    Some(Ok(record)) => Ok(Found::Done(record)),
                    Some(Err(why)) => Err(StoreError(why)),
                    None => Ok(Found::Unknown),
                }
            }
        }
    }

    /// Removes expired jobs and stale running marks; returns how many jobs were removed.
    pub fn sweep(&self) -> usize {
        let t = now();
        let victims: Vec<String> = {
            let mut index = self.lock();
            index
                .running
                .retain(|_, started| *started + RUNNING_MAX.as_secs() as i64 > t);
            let expired: Vec<String> = index
                .order
                .iter()
                .take_while(|(finished, _, _)| finished + self.ttl_s <= t)
                .map(|(_, _, key)| key.clone())
                .collect();
            for key in &expired {
                index.remove(key);
            }
            expired
        };
        self.delete(&victims);
        victims.len()
    }

    /// Removes the oldest jobs from the index until `extra` more bytes fit; returns their keys.
    fn evict_over(&self, extra: u64) -> Vec<String> {
        let mut index = self.lock();
        let mut victims = Vec::new();
        while index.total + extra > self.limit_bytes {
            let Some((_, _, key)) = index.order.iter().next().cloned() else {
                break;
            };
            index.remove(&key);
            victims.push(key);
        }
        victims
    }

    /// Deletes the answers of removed jobs.
    fn delete(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        match &self.place {
            Place::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                for key in keys {
                    map.remove(key);
                }
            }
            Place::Dir(dir) => {
                for key in keys {
                    let _ = std::fs::remove_file(dir.join(format!("{key}.{EXT}")));
                }
            }
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create the job store {}: {e}", dir.display()))
}

/// The metadata line of a stored job's file.
fn read_meta(path: &Path) -> Option<Meta> {
    use std::io::Read as _;
    let mut head = vec![0u8; 4096];
    let mut file = std::fs::File::open(path).ok()?;
    let n = file.read(&mut head).ok()?;
    Record::decode_meta(&head[..n])
}

/// Writes `<dir>/<name>.job` whole or not at all (a temporary file renamed into place), mode
/// 0600: it holds a paid image.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options
        .open(&temp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&temp, dir.join(format!("{name}.{EXT}"))));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write a job to {}: {e}", dir.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body_len: usize, finished_at: i64) -> Record {
        let mut r = Record::new(
            200,
            Some("application/json".into()),
            "/v1/images/generations",
            false,
            None,
            Bytes::from(vec![b'x'; body_len]),
        );
        r.meta.finished_at = finished_at;
        r
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "continuity-jobs-unit-{name}-{}-{}",
            std::process::id(),
            crate::tokens::generate_id().unwrap()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn an_id_is_used_once_and_reads_back() {
        let store = LocalJobs::in_memory(1 << 20, Duration::from_secs(86_400));
        assert_eq!(store.begin("k"), Begin::Started);
        assert_eq!(store.begin("k"), Begin::InUse, "running");
        assert!(matches!(store.read("k").await, Ok(Found::Running)));
        let r = record(100, now());
        assert_eq!(store.finish("k", &r).await.unwrap(), Stored::Kept);
        assert_eq!(store.begin("k"), Begin::InUse, "done");
        match store.read("k").await.unwrap() {
            Found::Done(back) => assert_eq!(back, r),
            other => panic!("{other:?}"),
        }
        assert!(matches!(store.read("other").await, Ok(Found::Unknown)));
        store.abandon("k");
        assert!(matches!(store.read("k").await, Ok(Found::Done(_))));
        assert_eq!(store.begin("a"), Begin::Started);
        store.abandon("a");
        assert_eq!(store.begin("a"), Begin::Started, "an abandoned id is free");
    }

    /// Jobs finished within one second (finish times are whole seconds) still leave in the
    /// order they were stored, whatever their keys.
    #[tokio::test]
    async fn jobs_of_one_second_leave_oldest_first() {
        let t = now();
        let one = record(1000, t).encode().len() as u64;
        let store = LocalJobs::in_memory(2 * one, Duration::from_secs(u64::MAX / 4));
        for key in ["zz", "mm", "aa", "bb"] {
            store.begin(key);
            store.finish(key, &record(1000, t)).await.unwrap();
        }
        for gone in ["zz", "mm"] {
            assert!(
                matches!(store.read(gone).await, Ok(Found::Unknown)),
                "{gone}"
            );
        }
        for kept in ["aa", "bb"] {
            assert!(
                matches!(store.read(kept).await, Ok(Found::Done(_))),
                "{kept}"
            );
        }
    }

    /// The bound holds over the stored bytes, the oldest finished job leaving first; a job
    /// larger than the whole bound is not kept.
    #[tokio::test]
    async fn the_bound_evicts_the_oldest_first() {
        let one = record(1000, now()).encode().len() as u64;
        let store = LocalJobs::in_memory(3 * one, Duration::from_secs(u64::MAX / 4));
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            store.begin(key);
            store
                .finish(key, &record(1000, now() + i as i64))
                .await
                .unwrap();
        }
        assert_eq!(store.usage(), (3, 3 * one));
        assert!(
            matches!(store.read("a").await, Ok(Found::Unknown)),
            "oldest out"
        );
        for key in ["b", "c", "d"] {
            assert!(matches!(store.read(key).await, Ok(Found::Done(_))), "{key}");
        }
        store.begin("huge");
        assert_eq!(
            store
                .finish("huge", &record(4 * one as usize, now()))
                .await
                .unwrap(),
            Stored::TooLarge
        );
        assert!(matches!(store.read("huge").await, Ok(Found::Unknown)));
        assert_eq!(
            store.usage().0,
            3,
            "nothing evicted for a job that cannot fit"
        );
    }

    #[tokio::test]
    async fn jobs_expire_after_their_time() {
        let store = LocalJobs::in_memory(1 << 20, Duration::from_secs(100));
        store.begin("old");
        store.finish("old", &record(10, now() - 101)).await.unwrap();
        store.begin("fresh");
        store
            .finish("fresh", &record(10, now() - 50))
            .await
            .unwrap();
        store.begin("older");
        store
            .finish("older", &record(10, now() - 200))
            .await
            .unwrap();
        assert!(matches!(store.read("old").await, Ok(Found::Unknown)));
        assert_eq!(store.sweep(), 1, "the other expired one");
        assert_eq!(store.usage().0, 1);
        assert!(matches!(store.read("fresh").await, Ok(Found::Done(_))));
        assert_eq!(
            store.begin("old"),
            Begin::Started,
            "an expired id is forgotten"
        );
    }

    /// On disk: files of mode 0600 in a 0700 directory, read back by a new process (here a
    /// new store on the same directory), expired files and temporary leftovers deleted.
    #[tokio::test]
    async fn a_directory_survives_a_restart() {
        let dir = scratch("restart");
        let store = LocalJobs::open(&dir, 1 << 20, Duration::from_secs(1000)).unwrap();
        store.begin("kept");
        let r = record(500, now());
        store.finish("kept", &r).await.unwrap();
        store.begin("stale");
        store
            .finish("stale", &record(5, now() - 2000))
            .await
            .unwrap();
        std::fs::write(dir.join(".half.tmp"), b"partial").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join("kept.job")), 0o600);
        }
        drop(store);
        let again = LocalJobs::open(&dir, 1 << 20, Duration::from_secs(1000)).unwrap();
        match again.read("kept").await.unwrap() {
            Found::Done(back) => assert_eq!(back, r),
            other => panic!("{other:?}"),
        }
        assert!(matches!(again.read("stale").await, Ok(Found::Unknown)));
        assert!(!dir.join("stale.job").exists());
        assert!(!dir.join(".half.tmp").exists());
        assert_eq!(again.usage(), (1, r.encode().len() as u64));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
