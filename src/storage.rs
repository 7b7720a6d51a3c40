//! IndexedDB: the only module that touches it.
//!
//! Two object stores: `projects` (one JSON record per series, keyed by project id) and
//! `images` (one `Blob` per take, keyed by take id). Image bytes stay in `Blob`s end to end;
//! they never pass through wasm memory. A finished image and the project record that refers
//! to it are written in **one** `readwrite` transaction with `durability: "strict"`, so a
//! crash can never leave a frame marked done without its image (or the reverse).

use continuity_core::model::Project;
use js_sys::{Array, Promise};
use std::fmt;
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DomException, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction};

/// The database name used by the app.
pub const DB_NAME: &str = "continuity";
const DB_VERSION: u32 = 1;
const PROJECTS: &str = "projects";
const IMAGES: &str = "images";

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The browser refused to store more (disk or quota full).
    Quota,
    /// IndexedDB is not available (private mode in some browsers, disabled storage).
    Unavailable(String),
    /// A transaction was aborted for another reason.
    Aborted(String),
    /// A stored record could not be read.
    Corrupt(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Quota => f.write_str(
                "The browser has no room left to save images. Free disk space or delete old series; nothing already saved was lost.",
            ),
            StorageError::Unavailable(why) => write!(
                f,
                "This browser does not allow saving (IndexedDB unavailable: {why}). Private windows often block it; use a normal window."
            ),
            StorageError::Aborted(why) => write!(f, "Saving failed ({why}); nothing was changed. Try again."),
            StorageError::Corrupt(why) => f.write_str(why),
        }
    }
}

fn classify(error: JsValue) -> StorageError {
    let name = error
        .dyn_ref::<DomException>()
        .map(|e| e.name())
        .unwrap_or_default();
    let message = error
        .dyn_ref::<DomException>()
        .map(|e| e.message())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into());
    match name.as_str() {
        "QuotaExceededError" => StorageError::Quota,
        "InvalidStateError" | "SecurityError" | "UnknownError" => {
            StorageError::Unavailable(message)
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

/// Waits until a transaction commits. A quota failure arrives as an `abort` (not an `error`)
/// in Chromium, so both are listened to; wrappers that miss it hang forever.
async fn committed(tx: IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let failed = tx.clone();
        let reject_abort = reject.clone();
        let on_abort = Closure::once_into_js(move || {
            let err = failed
                .error()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("transaction aborted"));
            let _ = reject_abort.call1(&JsValue::NULL, &err);
        });
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        tx.set_onabort(Some(on_abort.unchecked_ref()));
        // `error` bubbles to the transaction and is followed by `abort`; reject on abort only so
        // the reason is the transaction's error.
    });
    JsFuture::from(promise).await.map(|_| ()).map_err(classify)
}

/// An open database.
#[derive(Clone, Debug)]
pub struct Db {
    db: IdbDatabase,
}

impl Db {
    /// Opens (and on first use creates) the database `name`.
    pub async fn open(name: &str) -> Result<Db, StorageError> {
        let factory = web_sys::window()
            .ok_or_else(|| StorageError::Unavailable("no window".into()))?
            .indexed_db()
            .map_err(classify)?
            .ok_or_else(|| StorageError::Unavailable("indexedDB is missing".into()))?;
        let open: IdbOpenDbRequest = factory.open_with_u32(name, DB_VERSION).map_err(classify)?;
        let upgrading = open.clone();
        let on_upgrade = Closure::<dyn FnMut()>::new(move || {
            // Version 1: create the two stores. Later versions add steps here, one per version,
            // and never drop a store without migrating it (that would wipe user work).
            if let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
                let names = db.object_store_names();
                for store in [PROJECTS, IMAGES] {
                    if !names.contains(store) {
                        let _ = db.create_object_store(store);
                    }
                }
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let result = request(open.clone().unchecked_into()).await;
        open.set_onupgradeneeded(None);
        drop(on_upgrade);
        let db: IdbDatabase = result?
            .dyn_into()
            .map_err(|_| StorageError::Unavailable("open failed".into()))?;
        // Another tab upgrading the schema: close so it is not blocked; this tab reloads later.
        let closing = db.clone();
        let on_version_change = Closure::<dyn FnMut()>::new(move || closing.close());
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        on_version_change.forget();
        Ok(Db { db })
    }

    fn transaction(&self, stores: &[&str], write: bool) -> Result<IdbTransaction, StorageError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        if write {
            // Paid results: ask for a flushed commit (`durability: "strict"`), not the relaxed
            // default. web-sys only exposes the options argument behind unstable APIs, so call
            // `transaction(names, "readwrite", {durability})` through the JS function itself;
            // browsers without durability ignore the extra member.
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"durability".into(), &"strict".into());
            let transaction: js_sys::Function =
                js_sys::Reflect::get(&self.db, &"transaction".into())
                    .map_err(classify)?
                    .unchecked_into();
            let tx = transaction
                .call3(&self.db, &names, &JsValue::from_str("readwrite"), &options)
                .map_err(classify)?;
            Ok(tx.unchecked_into())
        } else {
            self.db
                .transaction_with_str_sequence(&names)
                .map_err(classify)
        }
    }

    /// Every stored project, newest change first. Records that cannot be read are reported
    /// by message instead of failing the whole list (and are never overwritten).
    pub async fn load_projects(&self) -> Result<(Vec<Project>, Vec<String>), StorageError> {
        let tx = self.transaction(&[PROJECTS], false)?;
        let store = tx.object_store(PROJECTS).map_err(classify)?;
        let all: Array = request(store.get_all().map_err(classify)?)
            .await?
            .unchecked_into();
        let mut projects = Vec::new();
        let mut problems = Vec::new();
        for value in all.iter() {
            match value
                .as_string()
                .ok_or_else(|| "A project record is not text.".to_string())
                .and_then(|s| Project::from_json(&s))
            {
                Ok(p) => projects.push(p),
                Err(e) => problems.push(e),
            }
        }
        projects.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
        Ok((projects, problems))
    }

    /// One project by id.
    pub async fn load_project(&self, id: &str) -> Result<Option<Project>, StorageError> {
        let tx = self.transaction(&[PROJECTS], false)?;
        let store = tx.object_store(PROJECTS).map_err(classify)?;
        let value = request(store.get(&JsValue::from_str(id)).map_err(classify)?).await?;
        match value.as_string() {
            Some(json) => Project::from_json(&json)
                .map(Some)
                .map_err(StorageError::Corrupt),
            None => Ok(None),
        }
    }

    /// Writes a project record.
    pub async fn save_project(&self, project: &Project) -> Result<(), StorageError> {
        let tx = self.transaction(&[PROJECTS], true)?;
        let store = tx.object_store(PROJECTS).map_err(classify)?;
        store
            .put_with_key(
                &JsValue::from_str(&project.to_json()),
                &JsValue::from_str(&project.id),
            )
            .map_err(classify)?;
        committed(tx).await
    }

    /// Stores finished images (or new reference images) and the project record that refers to
    /// them, atomically: either all of them are stored or none is.
    pub async fn save_images_with_project(
        &self,
        images: &[(String, Blob)],
        project: &Project,
    ) -> Result<(), StorageError> {
        let tx = self.transaction(&[IMAGES, PROJECTS], true)?;
        let store = tx.object_store(IMAGES).map_err(classify)?;
        for (key, blob) in images {
            store
                .put_with_key(blob, &JsValue::from_str(key))
                .map_err(classify)?;
        }
        tx.object_store(PROJECTS)
            .map_err(classify)?
            .put_with_key(
                &JsValue::from_str(&project.to_json()),
                &JsValue::from_str(&project.id),
            )
            .map_err(classify)?;
        committed(tx).await
    }

    /// Deletes images that nothing refers to any more (a removed reference or frame).
    pub async fn delete_images(&self, keys: &[String]) -> Result<(), StorageError> {
        let tx = self.transaction(&[IMAGES], true)?;
        let store = tx.object_store(IMAGES).map_err(classify)?;
        for key in keys {
            store.delete(&JsValue::from_str(key)).map_err(classify)?;
        }
        committed(tx).await
    }

    /// Deletes a project and every image it refers to, atomically.
    pub async fn delete_project(&self, project: &Project) -> Result<(), StorageError> {
        let tx = self.transaction(&[IMAGES, PROJECTS], true)?;
        let images = tx.object_store(IMAGES).map_err(classify)?;
        for key in project.image_keys() {
            images.delete(&JsValue::from_str(&key)).map_err(classify)?;
        }
        tx.object_store(PROJECTS)
            .map_err(classify)?
            .delete(&JsValue::from_str(&project.id))
            .map_err(classify)?;
        committed(tx).await
    }

    /// A stored image.
    pub async fn image(&self, key: &str) -> Result<Option<Blob>, StorageError> {
        let tx = self.transaction(&[IMAGES], false)?;
        let store = tx.object_store(IMAGES).map_err(classify)?;
        let value = request(store.get(&JsValue::from_str(key)).map_err(classify)?).await?;
        Ok(value.dyn_into::<Blob>().ok())
    }

    /// Closes the connection (tests delete their database afterwards).
    pub fn close(&self) {
        self.db.close();
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
