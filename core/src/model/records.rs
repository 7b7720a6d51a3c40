//! How the model is cut into stored records: each record's JSON at a given revision and the
//! content hashes it uses (indexed by storage, so an image is freed only when no record uses
//! it). Pure, so the split is tested natively.

use super::{Frame, Series, SeriesSummary, Version};

/// A stored record of the `series`, `frames`, `versions` or `summaries` store: the fields
/// storage indexes, beside the record's JSON. Each kind has one constructor here.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its key.
    pub id: String,
    /// The series it belongs to (indexed).
    pub series_id: String,
    /// Content hashes it refers to (indexed, so an image is freed only when nothing uses it).
    pub uses: Vec<String>,
    /// Revision written.
    pub rev: u64,
    /// The record itself.
    pub json: String,
}

impl Record {
    /// The series record at revision `rev` (it uses its reference images).
    pub fn series(series: &Series, rev: u64) -> Self {
        Record {
            id: series.id.clone(),
            series_id: series.id.clone(),
            uses: series_uses(series),
            rev,
            json: series_json(series, rev),
        }
    }

    /// A frame record of series `series_id` at revision `rev`.
    pub fn frame(series_id: &str, frame: &Frame, rev: u64) -> Self {
        Record {
            id: frame.id.clone(),
            series_id: series_id.to_string(),
            uses: Vec::new(),
            rev,
            json: frame_json(frame, rev),
        }
    }

    /// A version record of series `series_id` at revision `rev` (it uses its image and mask).
    pub fn version(series_id: &str, version: &Version, rev: u64) -> Self {
        Record {
            id: version.id.clone(),
            series_id: series_id.to_string(),
            uses: version_uses(version),
            rev,
            json: version_json(version, rev),
        }
    }

    /// The summary the series list shows (not revisioned: derived, rewritten with each write).
    pub fn summary(summary: &SeriesSummary) -> Self {
        Record {
            id: summary.id.clone(),
            series_id: summary.id.clone(),
            uses: Vec::new(),
            rev: 0,
            json: summary.to_json(),
        }
    }
}

/// The series record (no frames, no versions) at revision `rev`.
pub fn series_json(series: &Series, rev: u64) -> String {
    let mut record = series.record();
    record.rev = rev;
    serde_json::to_string(&record).expect("a series record always serialises")
}

/// A frame record at revision `rev`.
pub fn frame_json(frame: &Frame, rev: u64) -> String {
    let mut record = frame.clone();
    record.rev = rev;
    serde_json::to_string(&record).expect("a frame always serialises")
}

/// A version record at revision `rev`.
pub fn version_json(version: &Version, rev: u64) -> String {
    let mut record = version.clone();
    record.rev = rev;
    serde_json::to_string(&record).expect("a version always serialises")
}

/// The whole series as one JSON document, frames and versions included (the series record
/// alone leaves them out): how the main thread hands a series to the worker to export.
pub fn whole_json(series: &Series) -> String {
    #[derive(serde::Serialize)]
    struct Whole<'a> {
        series: &'a Series,
        frames: &'a [Frame],
        versions: &'a [Version],
    }
    let whole = Whole {
        series,
        frames: &series.frames,
        versions: &series.versions,
    };
    serde_json::to_string(&whole).expect("a series always serialises")
}

/// Reads a document written by [`whole_json`].
pub fn whole_from_json(json: &str) -> Result<Series, String> {
    #[derive(serde::Deserialize)]
    struct Whole {
        series: Series,
        frames: Vec<Frame>,
        versions: Vec<Version>,
    }
    let whole: Whole =
        serde_json::from_str(json).map_err(|e| format!("the series could not be read: {e}"))?;
    Ok(Series::from_parts(
        whole.series,
        whole.frames,
        whole.versions,
    ))
}

/// Images the series record uses: its reference images.
pub fn series_uses(series: &Series) -> Vec<String> {
    series.bible.image_keys().map(str::to_string).collect()
}

/// Images a version record uses: its image and its mask.
pub fn version_uses(version: &Version) -> Vec<String> {
    let mut uses = vec![version.image.hash.clone()];
    if let Some(mask) = &version.request.mask {
        if mask != &version.image.hash {
            uses.push(mask.clone());
        }
    }
    uses
}

/// Reads a frame record.
pub fn frame_from_json(json: &str) -> Result<Frame, String> {
    serde_json::from_str(json).map_err(|e| format!("A frame record is damaged: {e}"))
}

/// Reads a version record.
pub fn version_from_json(json: &str) -> Result<Version, String> {
    serde_json::from_str(json).map_err(|e| format!("A version record is damaged: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::Template;

    #[test]
    fn records_carry_their_revision_and_round_trip() {
        let mut n = 0;
        let s = Series::from_template("R", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let json = frame_json(&s.frames[0], 7);
        let back = frame_from_json(&json).unwrap();
        assert_eq!(back.rev, 7);
        assert_eq!(back.prompt, s.frames[0].prompt);
        let record = Series::from_record_json(&series_json(&s, 3)).unwrap();
        assert_eq!(record.rev, 3);
        assert!(record.frames.is_empty());
        assert!(frame_from_json("{").unwrap_err().contains("damaged"));
    }

    #[test]
    fn the_whole_series_document_round_trips_frames_and_versions() {
        let mut n = 0;
        let mut s = Series::from_template("W", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let first = s.frames[0].id.clone();
        s.frames[0].prompt = "setup".into();
        s.apply(crate::model::action::Edit::result(
            &first,
            vec![crate::model::Version::sample("v1", &first, None)],
        ))
        .unwrap();
        let back = whole_from_json(&whole_json(&s)).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            back.versions.len(),
            1,
            "versions travel, unlike in the record"
        );
        assert!(whole_from_json("{}")
            .unwrap_err()
            .contains("could not be read"));
    }

    #[test]
    fn each_record_kind_indexes_what_it_uses() {
        let mut n = 0;
        let mut s = Series::from_template("R", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let f = s.frames[0].id.clone();
        let mut v = crate::model::Version::sample("v1", &f, None);
        v.request.mask = Some("m1".into());
        s.apply(crate::model::action::Edit::result(&f, vec![v.clone()]))
            .unwrap();
        let record = Record::version(&s.id, &v, 2);
        assert_eq!(record.uses, vec!["h-v1", "m1"]);
        assert_eq!((record.rev, record.series_id.as_str()), (2, s.id.as_str()));
        let frame = Record::frame(&s.id, &s.frames[0], 3);
        assert_eq!(frame_from_json(&frame.json).unwrap().rev, 3);
        assert!(frame.uses.is_empty());
        assert_eq!(Record::series(&s, 1).id, s.id);
        assert_eq!(Record::summary(&s.summary_at(2.0)).rev, 0);
    }

    #[test]
    fn a_frame_record_stays_small_whatever_the_series_size() {
        let mut n = 0;
        let mut s = Series::from_template(
            "Big",
            Template::Custom { frames: 48 },
            "gpt-image-2",
            1.0,
            || {
                n += 1;
                n
            },
        );
        s.frames[5].prompt = "x".repeat(40);
        // What a keystroke in one frame writes: that frame's record only.
        assert!(frame_json(&s.frames[5], 1).len() < 2048);
    }
}
