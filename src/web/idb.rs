//! IndexedDB: the only module that touches it.
//!
//! Format 2 keeps one record per thing, so an edit writes what it touched:
//! `series` (the series record), `frames` (one per frame, indexed by series), `versions` (one
//! per image made, indexed by series and by the images it uses), `images` (`Blob`s keyed by
//! the SHA-256 of their bytes, so identical images are stored once), `thumbs` (a small `Blob`
//! per image, same key), `summaries` (what the series list shows), and `quarantine` (records
//! that could not be read: kept aside, never deleted). Format 1's `projects` store stays until
//! every record in it has been upgraded (see `app::migrate`).
//!
//! Records are stored as `{id, series_id, frame_id, uses, rev, json}`: the indexed fields
//! beside the record's JSON. Every write of a user record names the revision it is based on;
//! a write based on an older revision than the stored one is refused and reported as a
//! [`Conflict`], so a stale tab never overwrites a newer record. A quota failure arrives as a
//! transaction *abort* (not an error) in Chromium, so both are listened to.

use js_sys::{Array, Object, Promise, Reflect};
use std::cell::Cell;
use std::fmt;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, DomException, IdbDatabase, IdbIndexParameters, IdbObjectStore, IdbOpenDbRequest,
    IdbRequest, IdbTransaction,
};

/// The database name used by the app.
pub const DB_NAME: &str = "continuity";
/// IndexedDB version of the schema: 1 = format 1, 2 = format 2.
pub const DB_VERSION: u32 = 2;

/// A store of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreName {
    /// Series records.
    Series,
    /// Frame records.
    Frames,
    /// Version records.
    Versions,
    /// Image `Blob`s by content hash (format 1: by take or reference id).
    Images,
    /// Thumbnail `Blob`s by content hash.
    Thumbs,
    /// Series summaries.
    Summaries,
    /// Records that could not be read, kept aside.
    Quarantine,
    /// Format 1: one JSON record per series.
    V1Projects,
}

impl StoreName {
    /// The store's name in IndexedDB.
    pub fn name(self) -> &'static str {
        match self {
            StoreName::Series => "series",
            StoreName::Frames => "frames",
            StoreName::Versions => "versions",
            StoreName::Images => "images",
            StoreName::Thumbs => "thumbs",
            StoreName::Summaries => "summaries",
            StoreName::Quarantine => "quarantine",
            StoreName::V1Projects => "projects",
        }
    }

    /// The store of a record named in a message from another tab (user records only).
    pub fn of_record(name: &str) -> Option<Self> {
        [StoreName::Series, StoreName::Frames, StoreName::Versions]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

impl fmt::Display for StoreName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Store of series records.
pub const SERIES: StoreName = StoreName::Series;
/// Store of frame records.
pub const FRAMES: StoreName = StoreName::Frames;
/// Store of version records.
pub const VERSIONS: StoreName = StoreName::Versions;
/// Store of image `Blob`s by content hash (format 1: by take or reference id).
pub const IMAGES: StoreName = StoreName::Images;
/// Store of thumbnail `Blob`s by content hash.
pub const THUMBS: StoreName = StoreName::Thumbs;
/// Store of series summaries.
pub const SUMMARIES: StoreName = StoreName::Summaries;
/// Records that could not be read, kept aside.
pub const QUARANTINE: StoreName = StoreName::Quarantine;
/// Format 1: one JSON record per series.
pub const V1_PROJECTS: StoreName = StoreName::V1Projects;

const BY_SERIES: &str = "by_series";
const BY_USE: &str = "by_use";

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The browser refused to store more (disk or quota full).
    Quota,
    /// IndexedDB is not available (private mode in some browsers, disabled storage).
    Unavailable(String),
    /// The connection was closed (by the browser, or by a newer version in another tab);
    /// reopening usually works.
    Closed(String),
    /// A transaction was aborted for another reason.
    Aborted(String),
    /// A stored record could not be read.
    Corrupt(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Quota => f.write_str(
                "The browser has no room left to save. Free disk space, or export and delete an old series; nothing already saved was lost, and unsaved changes are kept in this tab.",
            ),
            StorageError::Unavailable(why) => write!(
                f,
                "This browser does not allow saving (IndexedDB unavailable: {why}). Private windows often block it; use a normal window."
            ),
            StorageError::Closed(why) => write!(
                f,
                "The browser closed the connection to saved data ({why}); reconnecting. Unsaved changes are kept in this tab."
            ),
            StorageError::Aborted(why) => write!(f, "Saving failed ({why}); it will be tried again."),
            StorageError::Corrupt(why) => f.write_str(why),
        }
    }
}

impl StorageError {
    /// Whether reopening the database may help.
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, StorageError::Closed(_))
    }
}

fn classify(error: JsValue) -> StorageError {
    let exception = error.dyn_ref::<DomException>();
    let name = exception.map(|e| e.name()).unwrap_or_default();
    let message = exception
        .map(|e| e.message())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into());
    match name.as_str() {
        "QuotaExceededError" => StorageError::Quota,
        // A closed or closing connection (Safari's "connection lost", or our own close on a
        // version change) throws InvalidStateError when a transaction is opened.
        "InvalidStateError" | "TransactionInactiveError" => StorageError::Closed(message),
        "SecurityError" => StorageError::Unavailable(message),
        "UnknownError" if message.to_ascii_lowercase().contains("connection") => {
            StorageError::Closed(message)
        }
        _ => StorageError::Aborted(if name.is_empty() {
            message
        } else {
            format!("{name}: {message}")
        }),
    }
}

/// Turns an `IDBRequest` into a future of its result.
async fn request(req: IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = req.clone();
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = req.clone();
        let on_error = Closure::once_into_js(move || {
            let err = failed
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        req.set_onsuccess(Some(on_success.unchecked_ref()));
        req.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(classify)
}

/// Waits until a transaction commits (or aborts: quota failures arrive that way). The
/// listeners are attached at once, when this is called, not when the future is first polled.
fn committed(tx: IdbTransaction) -> impl std::future::Future<Output = Result<(), StorageError>> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let failed = tx.clone();
        let on_abort = Closure::once_into_js(move || {
            let err = failed
                .error()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("transaction aborted"));
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        tx.set_onabort(Some(on_abort.unchecked_ref()));
    });
    let future = JsFuture::from(promise);
    async move { future.await.map(|_| ()).map_err(classify) }
}

pub use continuity_core::model::records::Record;

fn record_to_js(record: &Record) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    };
    set("id", &JsValue::from_str(&record.id));
    set("series_id", &JsValue::from_str(&record.series_id));
    let uses: Array = record.uses.iter().map(|u| JsValue::from_str(u)).collect();
    set("uses", &uses);
    set("rev", &JsValue::from_f64(record.rev as f64));
    set("json", &JsValue::from_str(&record.json));
    o.into()
}

/// A stored record as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Its key.
    pub id: String,
    /// Stored revision (0 for records written without one).
    pub rev: u64,
    /// The record's JSON, or `None` when the value is not a format-2 record.
    pub json: Option<String>,
}

fn read_stored(value: &JsValue) -> Option<Stored> {
    if value.is_undefined() || value.is_null() {
        return None;
    }
    let get = |k: &str| Reflect::get(value, &JsValue::from_str(k)).ok();
    Some(Stored {
        id: get("id").and_then(|v| v.as_string()).unwrap_or_default(),
        rev: get("rev").and_then(|v| v.as_f64()).unwrap_or(0.0) as u64,
        json: get("json").and_then(|v| v.as_string()),
    })
}

/// A read-modify-write of one record: gets what is stored, returns what to write.
pub type Merge = Box<dyn FnOnce(Option<&Stored>) -> Option<Record>>;

/// A change to make in one transaction.
pub enum Op {
    /// Writes a record whatever is stored (new records, derived summaries).
    Put(StoreName, Record),
    /// Writes a record only if the stored one still has revision `base` (or is absent and
    /// `base` is 0); otherwise nothing is written and a [`Conflict`] is reported.
    PutIfRev(StoreName, Record, u64),
    /// Read-modify-write of one record inside the transaction: `apply` gets the stored JSON
    /// and revision and returns the record to write (or `None` to leave it). Used where a paid
    /// result must land on whatever another tab wrote meanwhile.
    Merge(StoreName, String, Merge),
    /// Deletes a record or `Blob` by key.
    Delete(StoreName, String),
    /// Stores a `Blob` by key.
    PutBlob(StoreName, String, Blob),
}

impl Op {
    /// The store it writes.
    pub fn store(&self) -> StoreName {
        match self {
            Op::Put(s, _) | Op::PutIfRev(s, _, _) | Op::Merge(s, _, _) => *s,
            Op::Delete(s, _) | Op::PutBlob(s, _, _) => *s,
        }
    }
}

/// A write refused because the stored record is newer than the one it was based on.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The store.
    pub store: StoreName,
    /// The key.
    pub key: String,
    /// What is stored now.
    pub stored: Option<Stored>,
}

/// Figures of the writes made by this page, for the benchmark (`window.__continuityIdb`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Record bytes (JSON) handed to IndexedDB.
    pub bytes: u64,
    /// Puts of records and `Blob`s.
    pub puts: u64,
    /// Transactions committed.
    pub transactions: u64,
}

thread_local! {
    static STATS: Cell<WriteStats> = const { Cell::new(WriteStats { bytes: 0, puts: 0, transactions: 0 }) };
}

/// Writes made so far by this page.
pub fn write_stats() -> WriteStats {
    STATS.with(|s| s.get())
}

fn count(bytes: usize, puts: u64, committed: bool) {
    STATS.with(|s| {
        let mut v = s.get();
        v.bytes += bytes as u64;
        v.puts += puts;
        v.transactions += u64::from(committed);
        s.set(v);
        // The browser benchmark reads these figures from the page.
        if let Some(w) = web_sys::window() {
            let o = Object::new();
            let _ = Reflect::set(&o, &"bytes".into(), &(v.bytes as f64).into());
            let _ = Reflect::set(&o, &"puts".into(), &(v.puts as f64).into());
            let _ = Reflect::set(&o, &"transactions".into(), &(v.transactions as f64).into());
            let _ = Reflect::set(&w, &"__continuityIdb".into(), &o);
        }
    });
}

/// Fault injection for browser tests (debug builds only): the next write transactions are
/// really aborted, as Chromium aborts them when the disk or quota is full, and fail with the
/// `QuotaExceededError` the browser reports. (The DevTools quota override does not reach
/// IndexedDB in the Chromium this project tests with, so this is how a full disk is made.)
#[cfg(debug_assertions)]
pub mod faults {
    use super::{classify, StorageError};
    use std::cell::Cell;

    thread_local! {
        static QUOTA_FAILURES: Cell<u32> = const { Cell::new(0) };
    }

    /// The next `n` write transactions abort with a quota error.
    pub fn fail_writes_with_quota(n: u32) {
        QUOTA_FAILURES.with(|f| f.set(n));
    }

    pub(super) fn take() -> Result<(), StorageError> {
        QUOTA_FAILURES.with(|f| {
            if f.get() == 0 {
                return Ok(());
            }
            f.set(f.get() - 1);
            let e = web_sys::DomException::new_with_message_and_name(
                "The quota has been exceeded.",
                "QuotaExceededError",
            )
            .expect("a DOMException");
            Err(classify(e.into()))
        })
    }
}

/// An open database.
#[derive(Clone, Debug)]
pub struct Db {
    db: IdbDatabase,
}

impl Db {
    /// Opens (and creates or upgrades the stores of) the database `name`. `on_version_change`
    /// runs when another tab opens a newer version: this connection closes so it is not
    /// blocked, and the app tells the user to reload.
    pub async fn open(
        name: &str,
        on_version_change: impl Fn() + 'static,
    ) -> Result<Db, StorageError> {
        let factory = web_sys::window()
            .ok_or_else(|| StorageError::Unavailable("no window".into()))?
            .indexed_db()
            .map_err(classify)?
            .ok_or_else(|| StorageError::Unavailable("indexedDB is missing".into()))?;
        let open: IdbOpenDbRequest = factory.open_with_u32(name, DB_VERSION).map_err(classify)?;
        let upgrading = open.clone();
        let on_upgrade = Closure::<dyn FnMut()>::new(move || {
            if let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                create_stores(&db);
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let result = request(open.clone().unchecked_into()).await;
        open.set_onupgradeneeded(None);
        drop(on_upgrade);
        let db: IdbDatabase = result?
            .dyn_into()
            .map_err(|_| StorageError::Unavailable("open failed".into()))?;
        let closing = db.clone();
        let on_version_change = Closure::<dyn FnMut()>::new(move || {
            closing.close();
            on_version_change();
        });
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        on_version_change.forget();
        Ok(Db { db })
    }

    fn transaction(
        &self,
        stores: &[StoreName],
        write: bool,
        strict: bool,
    ) -> Result<IdbTransaction, StorageError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s.name())).collect();
        if !write {
            return self
                .db
                .transaction_with_str_sequence(&names)
                .map_err(classify);
        }
        // `transaction(names, "readwrite", {durability})`: web-sys exposes the options only
        // behind unstable APIs, so call the JS function; browsers without it ignore the member.
        let options = Object::new();
        let durability = if strict { "strict" } else { "relaxed" };
        let _ = Reflect::set(&options, &"durability".into(), &durability.into());
        let transaction: js_sys::Function = Reflect::get(&self.db, &"transaction".into())
            .map_err(classify)?
            .unchecked_into();
        transaction
            .call3(&self.db, &names, &JsValue::from_str("readwrite"), &options)
            .map(JsCast::unchecked_into)
            .map_err(classify)
    }

    /// Applies `ops` in one transaction: all of them, or — on an abort — none. `strict` asks
    /// for a flushed commit (paid results); text edits use the relaxed default. Conflicting
    /// [`Op::PutIfRev`]s are skipped and reported; the rest is written.
    pub async fn write(&self, ops: Vec<Op>, strict: bool) -> Result<Vec<Conflict>, StorageError> {
        let mut names: Vec<StoreName> = Vec::new();
        for op in &ops {
            if !names.contains(&op.store()) {
                names.push(op.store());
            }
        }
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.transaction(&names, true, strict)?;
        let done = committed(tx.clone());
        let mut conflicts = Vec::new();
        let (mut bytes, mut puts) = (0usize, 0u64);
        // Requests are issued in order; reads inside the transaction are awaited (an IDB
        // request's success keeps the transaction active for the continuation), nothing else.
        let result: Result<(), StorageError> = async {
            for op in ops {
                match op {
                    Op::PutIfRev(store, record, base) => {
                        let stored = get_stored(&tx, store, &record.id).await?;
                        let current = stored.as_ref().map_or(0, |s| s.rev);
                        if current != base {
                            conflicts.push(Conflict {
                                store,
                                key: record.id.clone(),
                                stored,
                            });
                            continue;
                        }
                        bytes += record.json.len();
                        puts += 1;
                        put(&tx, store, &record)?;
                    }
                    Op::Merge(store, key, apply) => {
                        let stored = get_stored(&tx, store, &key).await?;
                        if let Some(record) = apply(stored.as_ref()) {
                            bytes += record.json.len();
                            puts += 1;
                            put(&tx, store, &record)?;
                        }
                    }
                    plain => {
                        let (b, p) = issue_now(&tx, plain)?;
                        bytes += b;
                        puts += p;
                    }
                }
            }
            Ok(())
        }
        .await;
        #[cfg(debug_assertions)]
        let result = result.and_then(|()| faults::take());
        if let Err(e) = result {
            let _ = tx.abort();
            let _ = done.await;
            return Err(e);
        }
        done.await?;
        count(bytes, puts, true);
        Ok(conflicts)
    }

    /// Writes `ops` (plain puts and deletes: nothing is read first) in a transaction opened
    /// and filled now, before this returns, and asks the browser to commit it at once. For
    /// the moment the page is hidden or left: an `await` there may never resume, but a
    /// transaction whose requests were all issued inside the event handler is carried out.
    /// The future says how it ended, for a page that stays.
    pub fn write_now(
        &self,
        ops: Vec<Op>,
    ) -> impl std::future::Future<Output = Result<(), StorageError>> {
        let issued = self.issue_all_now(ops);
        async move {
            let (done, bytes, puts) = issued?;
            done.await?;
            count(bytes, puts, true);
            Ok(())
        }
    }

    #[allow(clippy::type_complexity)]
    fn issue_all_now(
        &self,
        ops: Vec<Op>,
    ) -> Result<
        (
            impl std::future::Future<Output = Result<(), StorageError>>,
            usize,
            u64,
        ),
        StorageError,
    > {
        let mut names: Vec<StoreName> = Vec::new();
        for op in &ops {
            if !names.contains(&op.store()) {
                names.push(op.store());
            }
        }
        let tx = self.transaction(&names, true, false)?;
        let done = committed(tx.clone());
        let (mut bytes, mut puts) = (0usize, 0u64);
        for op in ops {
            match issue_now(&tx, op) {
                Ok((b, p)) => {
                    bytes += b;
                    puts += p;
                }
                Err(e) => {
                    let _ = tx.abort();
                    return Err(e);
                }
            }
        }
        // `commit()` (Chromium 76+, Firefox 74+, Safari 15+): no more requests are coming,
        // so the browser need not wait for this page to go idle, which it may never do.
        let commit = Reflect::get(&tx, &"commit".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(commit) = commit {
            let _ = commit.call0(&tx);
        }
        Ok((done, bytes, puts))
    }

    /// One stored record.
    pub async fn get(&self, store: StoreName, key: &str) -> Result<Option<Stored>, StorageError> {
        let tx = self.transaction(&[store], false, false)?;
        get_stored(&tx, store, key).await
    }

    /// Every record of a series in a store (by the `series_id` index).
    pub async fn of_series(
        &self,
        store: StoreName,
        series_id: &str,
    ) -> Result<Vec<Stored>, StorageError> {
        let tx = self.transaction(&[store], false, false)?;
        let index = object_store(&tx, store)?
            .index(BY_SERIES)
            .map_err(classify)?;
        let all: Array = request(
            index
                .get_all_with_key(&JsValue::from_str(series_id))
                .map_err(classify)?,
        )
        .await?
        .unchecked_into();
        Ok(all.iter().filter_map(|v| read_stored(&v)).collect())
    }

    /// Every record of a store.
    pub async fn all(&self, store: StoreName) -> Result<Vec<Stored>, StorageError> {
        let tx = self.transaction(&[store], false, false)?;
        let all: Array = request(object_store(&tx, store)?.get_all().map_err(classify)?)
            .await?
            .unchecked_into();
        Ok(all.iter().filter_map(|v| read_stored(&v)).collect())
    }

    /// Every key of a store (e.g. every stored image's hash).
    pub async fn keys(&self, store: StoreName) -> Result<Vec<String>, StorageError> {
        let tx = self.transaction(&[store], false, false)?;
        let keys: Array = request(object_store(&tx, store)?.get_all_keys().map_err(classify)?)
            .await?
            .unchecked_into();
        Ok(keys.iter().filter_map(|k| k.as_string()).collect())
    }

    /// Format-1 records (`projects`: JSON strings keyed by id), if that store still exists.
    pub async fn v1_projects(&self) -> Result<Vec<(String, JsValue)>, StorageError> {
        if !self.db.object_store_names().contains(V1_PROJECTS.name()) {
            return Ok(Vec::new());
        }
        let tx = self.transaction(&[V1_PROJECTS], false, false)?;
        let store = object_store(&tx, V1_PROJECTS)?;
        let keys: Array = request(store.get_all_keys().map_err(classify)?)
            .await?
            .unchecked_into();
        let values: Array = request(store.get_all().map_err(classify)?)
            .await?
            .unchecked_into();
        Ok(keys
            .iter()
            .zip(values.iter())
            .map(|(k, v)| (k.as_string().unwrap_or_default(), v))
            .collect())
    }

    /// A stored `Blob` (an image or a thumbnail).
    pub async fn blob(&self, store: StoreName, key: &str) -> Result<Option<Blob>, StorageError> {
        let tx = self.transaction(&[store], false, false)?;
        let value = request(
            object_store(&tx, store)?
                .get(&JsValue::from_str(key))
                .map_err(classify)?,
        )
        .await?;
        Ok(value.dyn_into::<Blob>().ok())
    }

    /// Deletes the images (and thumbnails) among `hashes` that no version and no series
    /// refers to any more, in one transaction that checks and deletes together. Returns the
    /// hashes deleted.
    pub async fn free_unused(&self, hashes: &[String]) -> Result<Vec<String>, StorageError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.transaction(&[VERSIONS, SERIES, IMAGES, THUMBS], true, false)?;
        let done = committed(tx.clone());
        let mut freed = Vec::new();
        let result: Result<(), StorageError> = async {
            for hash in hashes {
                let key = JsValue::from_str(hash);
                let mut used = 0.0;
                for store in [VERSIONS, SERIES] {
                    let index = object_store(&tx, store)?.index(BY_USE).map_err(classify)?;
                    used += request(index.count_with_key(&key).map_err(classify)?)
                        .await?
                        .as_f64()
                        .unwrap_or(1.0);
                }
                if used == 0.0 {
                    object_store(&tx, IMAGES)?.delete(&key).map_err(classify)?;
                    object_store(&tx, THUMBS)?.delete(&key).map_err(classify)?;
                    freed.push(hash.clone());
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = tx.abort();
            let _ = done.await;
            return Err(e);
        }
        done.await?;
        Ok(freed)
    }

    /// Moves an unreadable record aside: a copy in `quarantine` with the reason, then removed
    /// from its store, in one transaction (so it is never lost, and never read again as data).
    pub async fn quarantine(
        &self,
        store: StoreName,
        key: &str,
        value: JsValue,
        reason: &str,
    ) -> Result<(), StorageError> {
        let tx = self.transaction(&[store, QUARANTINE], true, true)?;
        let done = committed(tx.clone());
        let entry = Object::new();
        let _ = Reflect::set(&entry, &"store".into(), &store.name().into());
        let _ = Reflect::set(&entry, &"key".into(), &key.into());
        let _ = Reflect::set(&entry, &"reason".into(), &reason.into());
        let _ = Reflect::set(&entry, &"value".into(), &value);
        let _ = Reflect::set(&entry, &"time".into(), &js_sys::Date::now().into());
        object_store(&tx, QUARANTINE)?
            .add(&entry)
            .map_err(classify)?;
        object_store(&tx, store)?
            .delete(&JsValue::from_str(key))
            .map_err(classify)?;
        done.await
    }

    /// How many records are in quarantine.
    pub async fn quarantined(&self) -> Result<u32, StorageError> {
        let tx = self.transaction(&[QUARANTINE], false, false)?;
        let n = request(object_store(&tx, QUARANTINE)?.count().map_err(classify)?).await?;
        Ok(n.as_f64().unwrap_or(0.0) as u32)
    }

    /// Closes the connection (tests close it to simulate the browser dropping it).
    pub fn close(&self) {
        self.db.close();
    }
}

fn object_store(tx: &IdbTransaction, name: StoreName) -> Result<IdbObjectStore, StorageError> {
    tx.object_store(name.name()).map_err(classify)
}

/// Issues a write that needs no read (`Put`, `Delete`, `PutBlob`) at once; returns the
/// record bytes and puts it adds to the figures. A read-modify-write is refused here.
fn issue_now(tx: &IdbTransaction, op: Op) -> Result<(usize, u64), StorageError> {
    match op {
        Op::Put(store, record) => {
            put(tx, store, &record)?;
            Ok((record.json.len(), 1))
        }
        Op::Delete(store, key) => {
            object_store(tx, store)?
                .delete(&JsValue::from_str(&key))
                .map_err(classify)?;
            Ok((0, 0))
        }
        Op::PutBlob(store, key, blob) => {
            object_store(tx, store)?
                .put_with_key(&blob, &JsValue::from_str(&key))
                .map_err(classify)?;
            Ok((0, 1))
        }
        Op::PutIfRev(..) | Op::Merge(..) => Err(StorageError::Aborted(
            "a read-modify-write cannot be issued at once".into(),
        )),
    }
}

fn put(tx: &IdbTransaction, store: StoreName, record: &Record) -> Result<(), StorageError> {
    object_store(tx, store)?
        .put(&record_to_js(record))
        .map(|_| ())
        .map_err(classify)
}

async fn get_stored(
    tx: &IdbTransaction,
    store: StoreName,
    key: &str,
) -> Result<Option<Stored>, StorageError> {
    let value = request(
        object_store(tx, store)?
            .get(&JsValue::from_str(key))
            .map_err(classify)?,
    )
    .await?;
    Ok(read_stored(&value))
}

/// Creates what is missing, version by version. Never drops or renames a store here without
/// migrating its records first: that would wipe user work.
fn create_stores(db: &IdbDatabase) {
    let names = db.object_store_names();
    // Format 1 (out-of-line keys): `projects` and `images`. A fresh database gets `images`
    // only; `projects` exists only where format 1 wrote it.
    if !names.contains(IMAGES.name()) {
        let _ = db.create_object_store(IMAGES.name());
    }
    for store in [THUMBS] {
        if !names.contains(store.name()) {
            let _ = db.create_object_store(store.name());
        }
    }
    // Format 2 records: in-line keys (`id`) with the indexes they are looked up by.
    let keyed = web_sys::IdbObjectStoreParameters::new();
    keyed.set_key_path(&JsValue::from_str("id"));
    let multi = IdbIndexParameters::new();
    multi.set_multi_entry(true);
    for store in [SERIES, FRAMES, VERSIONS, SUMMARIES] {
        if names.contains(store.name()) {
            continue;
        }
        if let Ok(created) = db.create_object_store_with_optional_parameters(store.name(), &keyed) {
            if store != SUMMARIES {
                let _ = created.create_index_with_str(BY_SERIES, "series_id");
            }
            if store == VERSIONS || store == SERIES {
                let _ =
                    created.create_index_with_str_and_optional_parameters(BY_USE, "uses", &multi);
            }
        }
    }
    if !names.contains(QUARANTINE.name()) {
        let auto = web_sys::IdbObjectStoreParameters::new();
        auto.set_auto_increment(true);
        let _ = db.create_object_store_with_optional_parameters(QUARANTINE.name(), &auto);
    }
}

/// Deletes a whole database (tests use a fresh name each).
pub async fn delete_database(name: &str) -> Result<(), StorageError> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(|| StorageError::Unavailable("indexedDB is missing".into()))?;
    let req = factory.delete_database(name).map_err(classify)?;
    request(req.unchecked_into()).await.map(|_| ())
}

/// Opens `name` at format 1 and writes `records` (JSON strings keyed by id) and `images`
/// (`Blob`s keyed by take or reference id) exactly as the first release did. Tests use it to
/// build a format-1 database and check the upgrade.
pub async fn write_v1_fixture(
    name: &str,
    records: &[(String, String)],
    images: &[(String, Blob)],
) -> Result<(), StorageError> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or_else(|| StorageError::Unavailable("indexedDB is missing".into()))?;
    let open: IdbOpenDbRequest = factory.open_with_u32(name, 1).map_err(classify)?;
    let upgrading = open.clone();
    let on_upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
            for store in [V1_PROJECTS, IMAGES] {
                let _ = db.create_object_store(store.name());
            }
        }
    });
    open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let db: IdbDatabase = request(open.clone().unchecked_into())
        .await?
        .unchecked_into();
    drop(on_upgrade);
    let names: Array = [V1_PROJECTS, IMAGES]
        .iter()
        .map(|s| JsValue::from_str(s.name()))
        .collect();
    let tx = db
        .transaction_with_str_sequence_and_mode(&names, web_sys::IdbTransactionMode::Readwrite)
        .map_err(classify)?;
    for (id, json) in records {
        object_store(&tx, V1_PROJECTS)?
            .put_with_key(&JsValue::from_str(json), &JsValue::from_str(id))
            .map_err(classify)?;
    }
    for (key, blob) in images {
        object_store(&tx, IMAGES)?
            .put_with_key(blob, &JsValue::from_str(key))
            .map_err(classify)?;
    }
    committed(tx).await?;
    db.close();
    Ok(())
}
