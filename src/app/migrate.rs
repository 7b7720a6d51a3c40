//! Upgrading a format-1 database in place. Each format-1 series record is upgraded on its own,
//! in one transaction: its images are re-keyed by the SHA-256 of their bytes (hashed before
//! the transaction opens — a transaction cannot wait for anything but its own requests), its
//! series, frame, version and summary records are written, and only then are the old record
//! and the old image keys deleted. An interrupted upgrade leaves the old record in place and
//! runs again on the next load; a record that cannot be read is moved aside, never deleted.

use crate::web::blob;
use crate::web::idb::{self, Db, Op, Record, StorageError};
use continuity_core::model::v1;
use std::collections::HashMap;

/// What the upgrade did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Series upgraded.
    pub upgraded: usize,
    /// Messages about records moved aside or images that were already missing.
    pub problems: Vec<String>,
}

/// Upgrades every format-1 series still stored.
pub async fn upgrade_v1(db: &Db) -> Result<Report, StorageError> {
    let mut report = Report::default();
    for (key, value) in db.v1_projects().await? {
        let parsed = value
            .as_string()
            .ok_or_else(|| "the record is not text".to_string())
            .and_then(|json| v1::Project::from_json(&json));
        let project = match parsed {
            Ok(p) => p,
            Err(why) => {
                db.quarantine(idb::V1_PROJECTS, &key, value, &why).await?;
                report.problems.push(format!(
                    "A stored series ({key}) could not be read and was kept aside: {why}"
                ));
                continue;
            }
        };
        if project.schema > 1 {
            report.problems.push(format!(
                "“{}” was saved by a newer version of Continuity; reload the page to update.",
                project.name
            ));
            continue;
        }
        upgrade_one(db, project, &mut report).await?;
    }
    Ok(report)
}

async fn upgrade_one(
    db: &Db,
    project: v1::Project,
    report: &mut Report,
) -> Result<(), StorageError> {
    let old_id = project.id.clone();
    let name = project.name.clone();
    // Hash every image first (reading a Blob and hashing it are not IndexedDB requests).
    let mut hashes = HashMap::new();
    let mut blobs = Vec::new();
    let mut sizes = HashMap::new();
    for key in project.image_keys() {
        if hashes.contains_key(&key) {
            continue;
        }
        if let Some(b) = db.blob(idb::IMAGES, &key).await? {
            if let Ok(hash) = blob::sha256(&b).await {
                sizes.insert(hash.clone(), b.size() as u64);
                hashes.insert(key.clone(), hash.clone());
                blobs.push((key, hash, b));
            }
        }
    }
    let upgraded = v1::upgrade(project, &hashes);
    if !upgraded.missing_images.is_empty() {
        report.problems.push(format!(
            "“{name}”: {} image(s) were already missing before the upgrade; their entries are kept.",
            upgraded.missing_images.len()
        ));
    }
    let mut series = upgraded.series;
    for v in &mut series.versions {
        if let Some(bytes) = sizes.get(&v.image.hash) {
            v.image.bytes = *bytes;
        }
    }
    let mut ops = Vec::new();
    for (_, hash, b) in &blobs {
        ops.push(Op::PutBlob(idb::IMAGES, hash.clone(), b.clone()));
    }
    ops.push(Op::Put(idb::SERIES, Record::series(&series, 1)));
    for f in &series.frames {
        ops.push(Op::Put(idb::FRAMES, Record::frame(&series.id, f, 1)));
    }
    for v in &series.versions {
        ops.push(Op::Put(idb::VERSIONS, Record::version(&series.id, v, 1)));
    }
    let summary = series.summary_at(series.updated_ms);
    ops.push(Op::Put(idb::SUMMARIES, Record::summary(&summary)));
    // Old keys go last, in the same transaction: the images now live under their hashes.
    for (old_key, hash, _) in &blobs {
        if old_key != hash {
            ops.push(Op::Delete(idb::IMAGES, old_key.clone()));
        }
    }
    ops.push(Op::Delete(idb::V1_PROJECTS, old_id));
    db.write(ops, true).await?;
    report.upgraded += 1;
    Ok(())
}
