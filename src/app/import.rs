//! Import: a ZIP export or a bare `manifest.json` chosen by the user becomes a **new** series
//! (fresh ids: it never overwrites one), after the strict checks of
//! `continuity_core::export::import`, which run in the worker (`worker/src/import.rs`): the
//! file's bytes, the inflater and the strict manifest types never reach the main thread.
//! Every refusal is a message that says what is wrong, and
//! nothing is written unless everything passed: the images, series, frames, versions and
//! summary go into storage in one transaction. Import never starts a generation and never
//! touches settings, keys or endpoints.

use crate::app::state::AppState;
use crate::app::sync;
use crate::web::clock::now_ms;
use crate::web::idb::{self, Op, Record};
use crate::web::worker;
use continuity_core::model::records::whole_from_json;
use continuity_core::model::Series;
use std::collections::HashMap;
use web_sys::Blob;

/// Largest file accepted (the ZIP reader's own limits apply inside it).
pub const MAX_IMPORT_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;

/// Imports `file`. `Ok` says what was imported (and any warnings); `Err` is the refusal.
pub async fn import_file(state: AppState, file: &Blob) -> Result<String, String> {
    if file.size() > MAX_IMPORT_BYTES {
        return Err("The file is larger than 1 GiB; a Continuity export never is.".into());
    }
    let imported = worker::import(file, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    let series = whole_from_json(&imported.series_json)?;
    store(state, series, imported.warnings, &imported.images).await
}

async fn store(
    state: AppState,
    mut series: Series,
    warnings: Vec<String>,
    images: &HashMap<String, Blob>,
) -> Result<String, String> {
    let db = state.db().ok_or("storage is not open")?;
    let mut ops = Vec::new();
    for (hash, blob) in images {
        ops.push(Op::PutBlob(idb::IMAGES, hash.clone(), blob.clone()));
    }
    // Base revision 0: written only if no record has this id (fresh ids never collide, but
    // import must never overwrite anything, so the write says so).
    ops.push(Op::PutIfRev(idb::SERIES, Record::series(&series, 1), 0));
    for f in &series.frames {
        ops.push(Op::PutIfRev(
            idb::FRAMES,
            Record::frame(&series.id, f, 1),
            0,
        ));
    }
    for v in &series.versions {
        ops.push(Op::PutIfRev(
            idb::VERSIONS,
            Record::version(&series.id, v, 1),
            0,
        ));
    }
    let summary = series.summary_at(series.updated_ms);
    ops.push(Op::Put(idb::SUMMARIES, Record::summary(&summary)));
    let conflicts = db.write(ops, true).await.map_err(|e| e.to_string())?;
    if !conflicts.is_empty() {
        return Err("A series with the same id already exists; nothing was imported.".into());
    }
    series.rev = 1;
    let mut written = vec![(idb::SERIES, series.id.clone(), 1)];
    for f in &mut series.frames {
        f.rev = 1;
        written.push((idb::FRAMES, f.id.clone(), 1));
    }
    for v in &mut series.versions {
        v.rev = 1;
        written.push((idb::VERSIONS, v.id.clone(), 1));
    }
    let (id, name, frames) = (series.id.clone(), series.name.clone(), series.frames.len());
    state.saver().know(&series);
    state.insert_series(series);
    state.upsert_summary(summary);
    sync::announce(&id, &written, &Default::default(), std::iter::empty());
    let mut message = format!(
        "Imported “{name}” as a new series ({frames} frame{}, {} image{}).",
        if frames == 1 { "" } else { "s" },
        images.len(),
        if images.len() == 1 { "" } else { "s" }
    );
    for w in warnings {
        message.push(' ');
        message.push_str(&w);
    }
    Ok(message)
}
