//! Export assembly: a series and its stored image `Blob`s in, the finished file out, off the
//! main thread. The pure writers (`continuity_core::export`) plan each file; image bytes enter
//! wasm memory one image at a time, only where a writer needs them (the ZIP's CRC-32, the
//! share page's base64, the GIF's pixels), and stored images are placed into the finished
//! file as the `Blob`s storage holds — never copied twice.
//!
//! Request `{ id, op: "export", kind, series, images, … }`:
//!
//! | field | meaning |
//! |---|---|
//! | `kind` | `"zip"`, `"contact-sheet"`, `"pdf"`, `"gif"` or `"share"` |
//! | `series` | the series with its frames and versions as JSON text (`core::model::records::whole_json`) |
//! | `images` | a plain object: image hash → stored `Blob` (those storage has) |
//! | `nowMs` | the export time, ms since the epoch (ZIP entry dates, manifest) |
//! | `allVersions` | ZIP: every version, not only the active ones |
//! | `pdfLayout` | PDF: `"1"`, `"2x3"` or `"3x2"`; absent: by the images' shape |
//! | `gifSeconds` | GIF: seconds a frame shows unless it has its own |
//!
//! While working it posts `{ id, progress: done, total }` before each step; the answer is
//! `{ id, ok: true, blob, fileName, warnings: [text…] }`. `{ op: "cancel-exports" }` (no id,
//! no answer) stops every running export before its next step; each then answers
//! `{ id, ok: false, cancelled: true, error }`.

mod files;
mod media;
pub(crate) mod raster;

use std::cell::Cell;
use std::collections::HashMap;

use continuity_core::model::records::whole_from_json;
use continuity_core::model::Series;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, DedicatedWorkerGlobalScope};

use continuity_worker::protocol::{object, Request};

thread_local! {
    /// Bumped by `cancel-exports`: an export started under an older generation stops.
    static GENERATION: Cell<u32> = const { Cell::new(0) };
}

/// Why an export stopped.
pub enum Stop {
    /// `cancel-exports` arrived.
    Cancelled,
    /// Something failed; the text says what.
    Failed(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Failed(s)
    }
}

impl From<&str> for Stop {
    fn from(s: &str) -> Self {
        Stop::Failed(s.to_string())
    }
}

/// A finished export: the file, its name, and what the user should know.
pub struct Finished {
    /// The file.
    pub blob: Blob,
    /// Its download name.
    pub file_name: String,
    /// Warnings (images missing from storage, text that looks like a key, lossy PDF text).
    pub warnings: Vec<String>,
}

/// Reports progress to the main thread and notices a cancel.
pub struct Steps {
    id: JsValue,
    generation: u32,
}

impl Steps {
    /// Steps of request `id`, cancelled by the next `cancel-exports`.
    pub fn new(id: JsValue) -> Self {
        Steps {
            id,
            generation: GENERATION.with(Cell::get),
        }
    }

    /// Posts `{ id, progress: done, total }`; `Err(Cancelled)` once the export was cancelled.
    pub fn step(&self, done: usize, total: usize) -> Result<(), Stop> {
        if GENERATION.with(Cell::get) != self.generation {
            return Err(Stop::Cancelled);
        }
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let message = object(&[
            ("id", self.id.clone()),
            ("progress", (done as u32).into()),
            ("total", (total as u32).into()),
        ]);
        let _ = scope.post_message(&message);
        Ok(())
    }
}

/// Stops every running export before its next step.
pub fn cancel_all() {
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

/// Runs an `export` request: `Ok` with the answer's fields, or why it stopped.
pub async fn export(request: &Request) -> Result<Object, Stop> {
    let steps = Steps::new(request.id());
    let series: Series = whole_from_json(&request.text("series")?)?;
    let images = images(&request.get("images"))?;
    let finished = match request.text("kind")?.as_str() {
        "zip" => {
            let all_versions = request.get("allVersions").as_bool().unwrap_or(false);
            let now_ms = request.number("nowMs", 0.0)?;
            files::zip(&series, &images, all_versions, now_ms, &steps).await?
        }
        "share" => files::share(&series, &images, &steps).await?,
        "contact-sheet" => media::contact_sheet(&series, &images, &steps).await?,
        "pdf" => {
            let layout = if request.has("pdfLayout") {
                Some(media::page_layout(&request.text("pdfLayout")?)?)
            } else {
                None
            };
            media::pdf(&series, &images, layout, &steps).await?
        }
        "gif" => {
            let seconds = request.number("gifSeconds", 1.5)?;
            media::gif(&series, &images, seconds, &steps).await?
        }
        other => return Err(Stop::Failed(format!("no export of kind \"{other}\""))),
    };
    let warnings: Array = finished
        .warnings
        .iter()
        .map(|w| JsValue::from_str(w))
        .collect();
    Ok(object(&[
        ("blob", finished.blob.into()),
        ("fileName", finished.file_name.into()),
        ("warnings", warnings.into()),
    ]))
}

/// The `images` field: hash → `Blob`.
fn images(value: &JsValue) -> Result<HashMap<String, Blob>, String> {
    if !value.is_object() {
        return Err("the field \"images\" must be an object of Blobs".into());
    }
    let mut out = HashMap::new();
    for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
        let blob = Reflect::get(value, &key)
            .ok()
            .and_then(|b| b.dyn_into::<Blob>().ok())
            .ok_or("every entry of \"images\" must be a Blob")?;
        out.insert(key.as_string().unwrap_or_default(), blob);
    }
    Ok(out)
}

/// The series' name as a file stem (`my-series`), `series` if nothing is left.
pub fn file_stem(series: &Series) -> String {
    match continuity_core::export::manifest::names::slug(&series.name) {
        s if s.is_empty() => "series".into(),
        s => s,
    }
}

/// What a frame's caption says: what happens, then its on-image text.
pub fn caption(frame: &continuity_core::model::Frame) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !frame.prompt.trim().is_empty() {
        parts.push(frame.prompt.trim());
    }
    for t in &frame.shot.texts {
        if !t.text.trim().is_empty() {
            parts.push(t.text.trim());
        }
    }
    parts.join(" — ")
}
