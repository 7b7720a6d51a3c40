//! The two Web Workers (see `worker/src/lib.rs`): the one main-thread module that talks to
//! them. The **pixel worker** (`continuity-worker`, `worker/`) encodes masks, measures the leak
//! and its heat map, composites, and makes consistency signatures and thumbnails, so no long
//! task blocks the page while they work on full-size images; the **files worker**
//! (`continuity-files-worker`, `files-worker/`) assembles exports and reads imports. Which one
//! runs an operation is [`WorkerKind::of`]; a first mask or thumbnail never loads the export
//! and import code.
//!
//! Each worker starts on its first use and stays; answers are matched to requests by id. Images
//! go as `Blob`s (structured clone: the bytes are shared, not copied) or `ImageBitmap`s
//! (transferred: detached here afterwards) and come back as `Blob`s; the workers decode and
//! encode them with the browser's codecs. Every request ends: with the worker's answer, with
//! its refusal in words ([`WorkerError::Refused`]), or after [`DEFAULT_TIMEOUT_MS`] with
//! [`WorkerError::Timeout`]. A worker that crashed, timed out or failed to load is dropped, and
//! the next call to it starts a fresh one; the other worker is not touched.
//!
//! **Loading.** Trunk builds each worker from its
//! `<link data-trunk rel="rust" data-type="worker" data-loader-shim data-bindgen-target="web">`
//! in `index.html` into three unhashed files at the dist root: `<bin>_loader.js` (a module that
//! imports the glue and awaits `init()`), `<bin>.js` and `<bin>_bg.wasm`. The loader is
//! resolved against `document.baseURI` (Trunk's `<base href>` = the public URL) and started as
//! a module worker; the glue finds its wasm next to itself (`import.meta.url`), so a sub-path
//! deployment (`--public-url /sub/`) works.

mod client;
mod hook;
mod message;
pub use hook::dispatch;

use client::call;
use message::Request;

use std::fmt;
use std::future::Future;

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, ImageBitmap};

pub use continuity_core::pixels::{Consistency, DriftThresholds};

/// How long a request may take, start-up included, before it fails with
/// [`WorkerError::Timeout`] (a 1536 × 1024 operation takes well under a second).
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// The message protocol this client speaks (`worker/src/protocol.rs`).
const PROTOCOL: u32 = 3;

/// One of the two workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    /// `continuity-worker`: mask, leak, composite, signature, compare, thumbnail.
    Pixels,
    /// `continuity-files-worker`: export and import.
    Files,
}

impl WorkerKind {
    /// The worker that runs operation `op`: export and import (and `cancel-exports`) are the
    /// files worker's, everything else is pixel work.
    pub fn of(op: &str) -> Self {
        match op {
            "export" | "import" | "cancel-exports" => WorkerKind::Files,
            _ => WorkerKind::Pixels,
        }
    }

    /// Its binary's name (the worker's name in the browser's tools).
    fn bin(self) -> &'static str {
        match self {
            WorkerKind::Pixels => "continuity-worker",
            WorkerKind::Files => "continuity-files-worker",
        }
    }

    /// The loader Trunk writes for it (see the module documentation).
    fn loader(self) -> &'static str {
        match self {
            WorkerKind::Pixels => "continuity-worker_loader.js",
            WorkerKind::Files => "continuity-files-worker_loader.js",
        }
    }
}

/// How errors name it.
impl fmt::Display for WorkerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WorkerKind::Pixels => "the image worker",
            WorkerKind::Files => "the export and import worker",
        })
    }
}

/// An image for the worker.
#[derive(Debug, Clone)]
pub enum Source {
    /// Cloned by reference: the bytes are not copied, the `Blob` stays usable here.
    Blob(Blob),
    /// Transferred: detached (unusable) here afterwards. Cheap to make from a canvas
    /// (`createImageBitmap(canvas)`), e.g. the mask painter's.
    Bitmap(ImageBitmap),
}

impl From<Blob> for Source {
    fn from(blob: Blob) -> Self {
        Source::Blob(blob)
    }
}

impl From<&Blob> for Source {
    fn from(blob: &Blob) -> Self {
        Source::Blob(blob.clone())
    }
}

impl From<ImageBitmap> for Source {
    fn from(bitmap: ImageBitmap) -> Self {
        Source::Bitmap(bitmap)
    }
}

/// A painted area, and how to read it.
#[derive(Debug, Clone)]
pub enum Mask {
    /// The painter's canvas: its alpha is the painted amount (painted from 128 up).
    Coverage(Source),
    /// A mask PNG as sent to OpenAI: painted where alpha is 0 (e.g. the one stored with a
    /// version).
    OpenAi(Source),
    /// A markup layer as sent with an edit: its marks (alpha > 0) widened by
    /// `continuity_core::pixels::MARKUP_MARGIN` pixels are the area that may change.
    Markup(Source),
}

/// Why a worker request failed. All but a refusal and a cancel name the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerError {
    /// The worker refused the request: an undecodable image, sizes that do not match, a bad
    /// parameter. The text says which, in words.
    Refused(String),
    /// The worker could not be started (its script is missing or blocked, or the browser
    /// has no module workers).
    Unavailable(WorkerKind, String),
    /// No answer in time; the worker was stopped and its next request starts a new one.
    Timeout {
        /// The worker that did not answer.
        worker: WorkerKind,
        /// The limit that passed, in milliseconds.
        ms: u32,
    },
    /// The worker crashed while working; its next request starts a new one.
    Crashed(WorkerKind, String),
    /// The answer had an unexpected shape (a worker of another version).
    BadAnswer(WorkerKind, String),
    /// The request was cancelled ([`cancel_exports`]).
    Cancelled,
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Refused(why) => f.write_str(why),
            WorkerError::Unavailable(worker, why) => write!(f, "{worker} could not start: {why}"),
            WorkerError::Timeout { worker, ms } => write!(
                f,
                "{worker} did not answer within {} s; it was restarted",
                ms.div_ceil(1000)
            ),
            WorkerError::Crashed(worker, why) => write!(f, "{worker} crashed: {why}"),
            WorkerError::BadAnswer(worker, why) => {
                write!(f, "{worker} answered unexpectedly: {why}")
            }
            WorkerError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// The leak of an edit (see `core::pixels::leak`), measured outside the mask, or over the
/// whole image without one.
#[derive(Debug, Clone)]
pub struct LeakReport {
    /// Pixels compared: outside the mask, or all.
    pub measured: u32,
    /// Of those, pixels whose colour changed by more than `threshold` (ΔE).
    pub changed: u32,
    /// `changed / measured`, 0 ‥ 1.
    pub share: f64,
    /// The largest ΔE among the measured pixels.
    pub max_delta_e: f32,
    /// The ΔE threshold applied.
    pub threshold: f32,
    /// Whether a mask was applied (otherwise this is the changed-area map).
    pub masked: bool,
    /// PNG overlay of the image's size: changed pixels coloured by ΔE, the rest transparent.
    pub heat_map: Blob,
    /// Width of the images, pixels.
    pub width: u32,
    /// Height of the images, pixels.
    pub height: u32,
}

/// An encoded image the worker made, with its size.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The encoded image.
    pub blob: Blob,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// A consistency signature (`core::pixels::Signature`) as the worker wrote it, in JSON: store
/// it with the image's hash and hand it back to [`compare`]. Kept as text so that the main
/// bundle carries no code to parse it; [`SignatureJson::parse`] reads it where the palette is
/// wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureJson(pub String);

impl SignatureJson {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The signature itself (palette and lightness layout).
    pub fn parse(&self) -> Result<continuity_core::pixels::Signature, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// Encodes the painted area as OpenAI's mask PNG for an image of `width × height`: painted
/// pixels alpha 0, the rest opaque white. `coverage` is the painter's canvas (alpha = painted
/// amount) and must have the image's size.
pub fn mask(
    coverage: impl Into<Source>,
    width: u32,
    height: u32,
) -> impl Future<Output = Result<Blob, WorkerError>> {
    mask_of(coverage.into(), width, height)
}

// The public functions are generic shims over these, so each request's code exists once
// whatever the callers pass.
async fn mask_of(coverage: Source, width: u32, height: u32) -> Result<Blob, WorkerError> {
    let mut req = Request::new("mask");
    req.image("coverage", coverage);
    req.set("width", width.into());
    req.set("height", height.into());
    call(req).await?.blob("image")
}

/// Measures how much of `result` changed against `parent` outside `mask` (ΔE > `threshold`,
/// `core::pixels::LEAK_DELTA_E` = 10 by default), or everywhere without a mask, with a heat
/// map. The images must have the same size.
pub fn leak(
    parent: impl Into<Source>,
    result: impl Into<Source>,
    mask: Option<Mask>,
    threshold: f32,
) -> impl Future<Output = Result<LeakReport, WorkerError>> {
    leak_of(parent.into(), result.into(), mask, threshold)
}

async fn leak_of(
    parent: Source,
    result: Source,
    mask: Option<Mask>,
    threshold: f32,
) -> Result<LeakReport, WorkerError> {
    let mut req = Request::new("leak");
    req.image("parent", parent);
    req.image("result", result);
    if let Some(mask) = mask {
        req.mask(mask);
    }
    req.set("threshold", threshold.into());
    let a = call(req).await?;
    Ok(LeakReport {
        measured: a.number("measured")? as u32,
        changed: a.number("changed")? as u32,
        share: a.number("share")?,
        max_delta_e: a.number("maxDeltaE")? as f32,
        threshold: a.number("threshold")? as f32,
        masked: a.field("masked").as_bool().unwrap_or(false),
        heat_map: a.blob("heatMap")?,
        width: a.number("width")? as u32,
        height: a.number("height")? as u32,
    })
}

/// "Keep outside mask": `result` inside the mask, feathered over `feather` pixels inside its
/// edge, and `parent`'s own pixels everywhere else. Returns a PNG of the parent's size.
pub fn composite(
    parent: impl Into<Source>,
    result: impl Into<Source>,
    mask: Mask,
    feather: u32,
) -> impl Future<Output = Result<Blob, WorkerError>> {
    composite_of(parent.into(), result.into(), mask, feather)
}

async fn composite_of(
    parent: Source,
    result: Source,
    mask: Mask,
    feather: u32,
) -> Result<Blob, WorkerError> {
    let mut req = Request::new("composite");
    req.image("parent", parent);
    req.image("result", result);
    req.mask(mask);
    req.set("feather", feather.into());
    call(req).await?.blob("image")
}

/// The consistency signature of an image (compute once per image; compare many times).
pub fn signature(
    image: impl Into<Source>,
) -> impl Future<Output = Result<SignatureJson, WorkerError>> {
    signature_of(image.into())
}

async fn signature_of(image: Source) -> Result<SignatureJson, WorkerError> {
    let mut req = Request::new("signature");
    req.image("image", image);
    call(req).await?.text("signature").map(SignatureJson)
}

/// The consistency of an image against a reference (the anchor), from their signatures.
pub async fn compare(
    image: &SignatureJson,
    reference: &SignatureJson,
    thresholds: DriftThresholds,
) -> Result<Consistency, WorkerError> {
    let req = Request::new("compare");
    req.set("image", image.as_str().into());
    req.set("reference", reference.as_str().into());
    req.set("paletteDeltaE", thresholds.palette_delta_e.into());
    req.set("structureDeltaL", thresholds.structure_delta_l.into());
    let a = call(req).await?;
    Ok(Consistency {
        palette_distance: a.number("paletteDistance")? as f32,
        structural_distance: a.number("structuralDistance")? as f32,
        palette_drifted: a.flag("paletteDrifted")?,
        structure_drifted: a.flag("structureDrifted")?,
        drifted: a.flag("drifted")?,
    })
}

/// A WebP thumbnail whose long edge is at most `max_edge` pixels (never upscaled;
/// `core::pixels::THUMB_MAX_EDGE` = 384 is the app's).
pub fn thumbnail(
    image: impl Into<Source>,
    max_edge: u32,
) -> impl Future<Output = Result<Picture, WorkerError>> {
    thumbnail_of(image.into(), max_edge)
}

async fn thumbnail_of(image: Source, max_edge: u32) -> Result<Picture, WorkerError> {
    let mut req = Request::new("thumbnail");
    req.image("image", image);
    req.set("maxEdge", max_edge.into());
    let a = call(req).await?;
    Ok(Picture {
        blob: a.blob("image")?,
        width: a.number("width")? as u32,
        height: a.number("height")? as u32,
    })
}

/// A file the worker assembled ([`export`]).
#[derive(Debug, Clone)]
pub struct ExportedFile {
    /// The file.
    pub blob: Blob,
    /// Its download name (`my-series.zip`, `my-series-storyboard.pdf`, …).
    pub file_name: String,
    /// What the user should know (images missing from storage, text the PDF font lacks).
    pub warnings: Vec<String>,
}

/// Assembles an export file in the files worker: `kind` is `"zip"`, `"contact-sheet"`, `"pdf"`,
/// `"gif"` or `"share"`; `series_json` the whole series
/// (`continuity_core::model::records::whole_json`); `images` the stored image `Blob`s
/// by hash (sent by reference, not copied); `options` the kind's fields (`allVersions`,
/// `nowMs`, `pdfLayout`, `gifSeconds`: see `worker/src/export/mod.rs`). `on_progress` gets
/// `(done, total)` before each step. The time limit applies to the silence between steps,
/// not to the whole export. Fails with [`WorkerError::Cancelled`] after [`cancel_exports`].
pub async fn export(
    kind: &str,
    series_json: &str,
    images: &std::collections::HashMap<String, Blob>,
    options: &[(&str, JsValue)],
    on_progress: impl Fn(u32, u32) + 'static,
) -> Result<ExportedFile, WorkerError> {
    let req = Request::new("export");
    req.set("kind", kind.into());
    req.set("series", series_json.into());
    let blobs = Object::new();
    for (hash, blob) in images {
        let _ = Reflect::set(&blobs, &hash.into(), blob);
    }
    req.set("images", blobs.into());
    for (key, value) in options {
        req.set(key, value.clone());
    }
    let a = client::call_with_progress(req, Some(std::rc::Rc::new(on_progress))).await?;
    Ok(ExportedFile {
        blob: a.blob("blob")?,
        file_name: a.text("fileName")?,
        warnings: a.strings("warnings"),
    })
}

/// What the worker read from an import file ([`import`]).
#[derive(Debug, Clone)]
pub struct ImportedFile {
    /// The whole new series as JSON (`continuity_core::model::records::whole_json`).
    pub series_json: String,
    /// What was dropped or adjusted, for the user.
    pub warnings: Vec<String>,
    /// The images to store, by hash.
    pub images: std::collections::HashMap<String, Blob>,
}

/// Reads, unpacks and strictly checks an import file (a ZIP export or a bare manifest) in the
/// files worker. A refusal is [`WorkerError::Refused`] with the import's own message.
pub async fn import(file: &Blob, now_ms: f64) -> Result<ImportedFile, WorkerError> {
    let req = Request::new("import");
    req.set("file", file.into());
    req.set("nowMs", now_ms.into());
    let a = client::call_with_progress(req, None).await?;
    let images = a.field("images");
    let mut blobs = std::collections::HashMap::new();
    if let Some(object) = images.dyn_ref::<Object>() {
        for key in Object::keys(object).iter() {
            let blob = Reflect::get(object, &key)
                .ok()
                .and_then(|b| b.dyn_into::<Blob>().ok())
                .ok_or_else(|| a.bad("images"))?;
            blobs.insert(key.as_string().unwrap_or_default(), blob);
        }
    }
    Ok(ImportedFile {
        series_json: a.text("series")?,
        warnings: a.strings("warnings"),
        images: blobs,
    })
}

/// Stops every export the files worker is assembling before its next step.
pub fn cancel_exports() {
    client::cancel_exports();
}

/// Sets the time limit of requests made from now on, to either worker (default
/// [`DEFAULT_TIMEOUT_MS`]).
pub fn set_timeout_ms(ms: u32) {
    client::set_timeout_ms(ms);
}
