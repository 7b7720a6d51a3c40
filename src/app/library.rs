//! The saved series as a whole: opening storage (upgrading a format-1 database), listing
//! summaries, loading one series into a keyed store, creating, renaming and deleting.

use crate::app::state::AppState;
use crate::app::sync;
use crate::web::idb::{self, Db, Op, Record, StorageError};
use continuity_core::model::records::{frame_from_json, series_uses, version_from_json};
use continuity_core::model::{Series, SeriesSummary};
use leptos::prelude::*;
use reactive_stores::Store;

/// Opens the database, upgrades what format 1 left, and loads the series list. The upgrade is
/// a lazily loaded part (`upgrade`), called only when format-1 records exist.
pub async fn load(state: AppState) {
    let db = match Db::open(state.db_name(), move || state.version_changed()).await {
        Ok(db) => db,
        Err(e) => {
            state.error(e.to_string());
            state.loaded.set(true);
            return;
        }
    };
    state.set_db(Some(db.clone()));
    let mut problems = Vec::new();
    if db.v1_projects().await.is_ok_and(|old| !old.is_empty()) {
        match crate::parts::upgrade_v1(db.clone()).await {
            Ok(Ok(report)) => problems.extend(report.problems),
            Ok(Err(e)) => problems.push(format!("Upgrading saved series stopped ({e}); it will be tried again on the next load, nothing was lost.")),
            Err(missing) => problems.push(missing.to_string()),
        }
    }
    match summaries(&db).await {
        Ok((list, bad)) => {
            state.summaries.set(list);
            problems.extend(bad);
        }
        Err(e) => problems.push(e.to_string()),
    }
    if let Ok(n) = db.quarantined().await {
        if n > 0 {
            problems.push(format!("{n} stored record(s) could not be read; they are kept aside in this browser's storage and were not changed."));
        }
    }
    if !problems.is_empty() {
        state.error(problems.join(" "));
    }
    state.loaded.set(true);
}

/// After the list is on screen: the storage meter, and the images deleted last time (kept for
/// undo while that page was open) freed.
pub async fn after_load(state: AppState) {
    crate::app::storage::refresh(state);
    let Some(db) = state.db() else { return };
    if let Ok(keys) = db.keys(idb::IMAGES).await {
        let _ = db.free_unused(&keys).await;
    }
}

/// Every summary, newest change first, and messages about unreadable ones.
async fn summaries(db: &Db) -> Result<(Vec<SeriesSummary>, Vec<String>), StorageError> {
    let mut list = Vec::new();
    let mut problems = Vec::new();
    for stored in db.all(idb::SUMMARIES).await? {
        // Parsed by the browser and read by core's rule: no JSON parser on the first screen.
        let fields = stored
            .json
            .as_deref()
            .and_then(crate::web::json::JsFields::parse);
        match fields.as_ref().map(continuity_core::fields::summary) {
            Some(Ok(s)) => list.push(s),
            Some(Err(e)) => problems.push(e),
            None => problems.push(format!("The summary of {} is not readable.", stored.id)),
        }
    }
    list.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
    Ok((list, problems))
}

/// Reads a whole series from storage: its record, frames and versions, and messages about
/// records that could not be read (they are left untouched).
pub async fn read_series(db: &Db, id: &str) -> Result<Option<(Series, Vec<String>)>, StorageError> {
    let Some(stored) = db.get(idb::SERIES, id).await? else {
        return Ok(None);
    };
    let record = Series::from_record_json(stored.json.as_deref().unwrap_or(""))
        .map_err(StorageError::Corrupt)?;
    let mut frames = Vec::new();
    let mut problems = Vec::new();
    for f in db.of_series(idb::FRAMES, id).await? {
        match f.json.as_deref().map(frame_from_json) {
            Some(Ok(frame)) => frames.push(frame),
            Some(Err(e)) => problems.push(e),
            None => problems.push("A frame record is not readable.".into()),
        }
    }
    let mut versions = Vec::new();
    for v in db.of_series(idb::VERSIONS, id).await? {
        match v.json.as_deref().map(version_from_json) {
            Some(Ok(version)) => versions.push(version),
            Some(Err(e)) => problems.push(e),
            None => problems.push("A version record is not readable.".into()),
        }
    }
    Ok(Some((
        Series::from_parts(record, frames, versions),
        problems,
    )))
}

/// The series `id` in a keyed store, loading it from storage when it is not loaded yet.
/// Frames whose request was in flight when the page closed are flagged (may be billed).
pub async fn open(state: AppState, id: &str) -> Result<Option<Store<Series>>, StorageError> {
    if let Some(store) = state.series(id) {
        return Ok(Some(store));
    }
    let Some(db) = state.db() else {
        return Err(StorageError::Closed("storage is not open".into()));
    };
    let Some((mut series, problems)) = read_series(&db, id).await? else {
        return Ok(None);
    };
    if !problems.is_empty() {
        state.error(format!(
            "Some records of this series could not be read and were left untouched: {}",
            problems.join(" ")
        ));
    }
    // Another caller may have loaded it meanwhile.
    if let Some(store) = state.series(id) {
        return Ok(Some(store));
    }
    state.saver().know(&series);
    let (interrupted, cleared) = series.reconcile_interrupted();
    // Paid is paid: a series stored before the ledger (or whose record missed an entry)
    // gets one from its versions; the flags above may have added entries too.
    let ledgered = series.settle_ledger() || !interrupted.is_empty();
    let recoverable = !series.recoverable_jobs().is_empty();
    let store = state.insert_series(series);
    for fid in interrupted.iter().chain(&cleared) {
        state.saver().frame_changed(state, id, fid);
    }
    if ledgered {
        state.saver().series_changed(state, id);
    }
    if recoverable {
        state.info("Some frames were still being generated when the page closed; Continuity is asking the server for their images.");
    } else if !interrupted.is_empty() {
        state.info("Some frames were still being generated when the page closed; they are marked and can be generated again.");
    }
    crate::app::recovery::install(state);
    crate::app::recovery::recover(state, store);
    Ok(Some(store))
}

/// Stores a new series (its record, frames and summary) and adds it to the list.
pub async fn create(state: AppState, series: Series) -> Result<(), StorageError> {
    let db = state
        .db()
        .ok_or_else(|| StorageError::Closed("storage is not open".into()))?;
    let mut ops = vec![Op::PutIfRev(idb::SERIES, Record::series(&series, 1), 0)];
    for f in &series.frames {
        ops.push(Op::PutIfRev(
            idb::FRAMES,
            Record::frame(&series.id, f, 1),
            0,
        ));
    }
    let summary = series.summary_at(series.updated_ms);
    ops.push(Op::Put(idb::SUMMARIES, Record::summary(&summary)));
    let conflicts = db.write(ops, true).await?;
    if !conflicts.is_empty() {
        return Err(StorageError::Aborted(
            "a series with this id already exists".into(),
        ));
    }
    let mut stored = series;
    stored.rev = 1;
    let mut written = vec![(idb::SERIES, stored.id.clone(), 1)];
    for f in &mut stored.frames {
        f.rev = 1;
        written.push((idb::FRAMES, f.id.clone(), 1));
    }
    let id = stored.id.clone();
    state.saver().know(&stored);
    state.insert_series(stored);
    state.upsert_summary(summary);
    sync::announce(&id, &written, &Default::default(), std::iter::empty());
    Ok(())
}

/// Deletes a series with its frames, versions and summary, then frees the images nothing
/// else uses. Loaded copies are dropped.
pub async fn delete(state: AppState, id: &str) -> Result<(), StorageError> {
    let db = state
        .db()
        .ok_or_else(|| StorageError::Closed("storage is not open".into()))?;
    let frames = db.of_series(idb::FRAMES, id).await?;
    let versions = db.of_series(idb::VERSIONS, id).await?;
    let record = db.get(idb::SERIES, id).await?;
    let mut hashes: Vec<String> = versions
        .iter()
        .filter_map(|v| v.json.as_deref().and_then(|j| version_from_json(j).ok()))
        .flat_map(|v| continuity_core::model::records::version_uses(&v))
        .collect();
    if let Some(s) = record
        .as_ref()
        .and_then(|r| r.json.as_deref())
        .and_then(|j| Series::from_record_json(j).ok())
    {
        hashes.extend(series_uses(&s));
    }
    let mut ops: Vec<Op> = frames
        .iter()
        .map(|f| Op::Delete(idb::FRAMES, f.id.clone()))
        .chain(
            versions
                .iter()
                .map(|v| Op::Delete(idb::VERSIONS, v.id.clone())),
        )
        .collect();
    ops.push(Op::Delete(idb::SERIES, id.to_string()));
    ops.push(Op::Delete(idb::SUMMARIES, id.to_string()));
    db.write(ops, true).await?;
    state.unload_series(id);
    state.summaries.update(|l| l.retain(|s| s.id != id));
    sync::announce_deleted(id);
    hashes.sort();
    hashes.dedup();
    let _ = db.free_unused(&hashes).await;
    crate::app::storage::refresh(state);
    Ok(())
}

/// Renames a loaded series (blank names are refused): the app's edit, not an undo step.
pub fn rename(state: AppState, store: Store<Series>, name: &str) -> bool {
    let edit = crate::app::edit::Edit::Series(crate::app::edit::SeriesEdit::Rename {
        name: name.to_string(),
        now_ms: crate::web::clock::now_ms(),
    });
    crate::app::edit::app(state, store, edit).is_ok()
}

/// Renames a series from the list: through its store when it is loaded, otherwise by
/// rewriting its stored record and summary in one transaction (nothing else is read).
pub async fn rename_by_id(state: AppState, id: &str, name: &str) -> Result<bool, StorageError> {
    if let Some(store) = state.series(id) {
        return Ok(rename(state, store, name));
    }
    let Some(clean) = continuity_core::model::clean_name(name) else {
        return Ok(false);
    };
    let db = state
        .db()
        .ok_or_else(|| StorageError::Closed("storage is not open".into()))?;
    let now = crate::web::clock::now_ms();
    let (series_name, summary_name) = (clean.clone(), clean.clone());
    let written = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let rev_out = written.clone();
    let ops = vec![
        Op::Merge(
            idb::SERIES,
            id.to_string(),
            Box::new(move |stored: Option<&idb::Stored>| {
                let stored = stored?;
                let mut s = Series::from_record_json(stored.json.as_deref()?).ok()?;
                s.name = series_name;
                s.updated_ms = now;
                let rev = stored.rev + 1;
                rev_out.set(rev);
                Some(Record::series(&s, rev))
            }),
        ),
        Op::Merge(
            idb::SUMMARIES,
            id.to_string(),
            Box::new(move |stored: Option<&idb::Stored>| {
                let mut s = SeriesSummary::from_json(stored?.json.as_deref()?).ok()?;
                s.name = summary_name;
                s.updated_ms = now;
                Some(Record::summary(&s))
            }),
        ),
    ];
    db.write(ops, false).await?;
    if written.get() > 0 {
        state.saver().saw(idb::SERIES, id, written.get());
        sync::announce(
            id,
            &[(idb::SERIES, id.to_string(), written.get())],
            &Default::default(),
            std::iter::empty(),
        );
    }
    state.summaries.update(|list| {
        if let Some(s) = list.iter_mut().find(|s| s.id == id) {
            s.name = clean;
            s.updated_ms = now;
        }
        list.sort_by(|a, b| b.updated_ms.total_cmp(&a.updated_ms));
    });
    Ok(true)
}
