//! The pixel worker (`continuity-worker`, see `worker/`): the one main-thread module that talks
//! to it. Mask encoding, the leak and its heat map, composites, consistency signatures and
//! thumbnails run there, so no long task blocks the page while they work on full-size images.
//!
//! The worker starts on first use and stays; answers are matched to requests by id. Images go
//! as `Blob`s (structured clone: the bytes are shared, not copied) or `ImageBitmap`s
//! (transferred: detached here afterwards) and come back as `Blob`s; the worker decodes and
//! encodes them with the browser's codecs. Every request ends: with the worker's answer, with
//! its refusal in words ([`WorkerError::Refused`]), or after [`DEFAULT_TIMEOUT_MS`] with
//! [`WorkerError::Timeout`]. A worker that crashed, timed out or failed to load is dropped, and
//! the next call starts a fresh one.
//!
//! **Loading.** Trunk builds the worker from `index.html`'s
//! `<link data-trunk rel="rust" data-type="worker" data-loader-shim data-bindgen-target="web">`
//! into three unhashed files at the dist root: `continuity-worker_loader.js` (a module that
//! imports the glue and awaits `init()`), `continuity-worker.js` and
//! `continuity-worker_bg.wasm`. The loader is resolved against `document.baseURI` (Trunk's
//! `<base href>` = the public URL) and started as a module worker; the glue finds its wasm
//! next to itself (`import.meta.url`), so a sub-path deployment (`--public-url /sub/`) works.

mod client;
mod hook;
pub use hook::dispatch;

use client::call;

use std::fmt;
use std::future::Future;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, ImageBitmap};

pub use continuity_core::pixels::{Consistency, DriftThresholds};

/// How long a request may take, start-up included, before it fails with
/// [`WorkerError::Timeout`] (a 1536 × 1024 operation takes well under a second).
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// The loader Trunk writes for the worker (see the module documentation).
const LOADER: &str = "continuity-worker_loader.js";
/// The message protocol this client speaks (`worker/src/protocol.rs`).
const PROTOCOL: u32 = 2;

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
}

/// Why a worker request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerError {
    /// The worker refused the request: an undecodable image, sizes that do not match, a bad
    /// parameter. The text says which, in words.
    Refused(String),
    /// The worker could not be started (its script is missing or blocked, or the browser
    /// has no module workers).
    Unavailable(String),
    /// No answer in time; the worker was stopped and the next request starts a new one.
    Timeout {
        /// The limit that passed, in milliseconds.
        ms: u32,
    },
    /// The worker crashed while working; the next request starts a new one.
    Crashed(String),
    /// The answer had an unexpected shape (a worker of another version).
    BadAnswer(String),
    /// The request was cancelled ([`cancel_exports`]).
    Cancelled,
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Refused(why) => f.write_str(why),
            WorkerError::Unavailable(why) => write!(f, "the image worker could not start: {why}"),
            WorkerError::Timeout { ms } => write!(
                f,
                "the image worker did not answer within {} s; it was restarted",
                ms.div_ceil(1000)
            ),
            WorkerError::Crashed(why) => write!(f, "the image worker crashed: {why}"),
            WorkerError::BadAnswer(why) => {
                write!(f, "the image worker answered unexpectedly: {why}")
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
    blob(&call(req).await?, "image")
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
        measured: number(&a, "measured")? as u32,
        changed: number(&a, "changed")? as u32,
        share: number(&a, "share")?,
        max_delta_e: number(&a, "maxDeltaE")? as f32,
        threshold: number(&a, "threshold")? as f32,
        masked: field(&a, "masked").as_bool().unwrap_or(false),
        heat_map: blob(&a, "heatMap")?,
        width: number(&a, "width")? as u32,
        height: number(&a, "height")? as u32,
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
    blob(&call(req).await?, "image")
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
    let a = call(req).await?;
    field(&a, "signature")
        .as_string()
        .map(SignatureJson)
        .ok_or_else(|| bad("signature"))
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
    let flag = |key: &str| field(&a, key).as_bool().ok_or_else(|| bad(key));
    Ok(Consistency {
        palette_distance: number(&a, "paletteDistance")? as f32,
        structural_distance: number(&a, "structuralDistance")? as f32,
        palette_drifted: flag("paletteDrifted")?,
        structure_drifted: flag("structureDrifted")?,
        drifted: flag("drifted")?,
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
        blob: blob(&a, "image")?,
        width: number(&a, "width")? as u32,
        height: number(&a, "height")? as u32,
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

/// Assembles an export file in the worker: `kind` is `"zip"`, `"contact-sheet"`, `"pdf"`,
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
        blob: blob(&a, "blob")?,
        file_name: field(&a, "fileName")
            .as_string()
            .ok_or_else(|| bad("fileName"))?,
        warnings: strings(&a, "warnings"),
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
/// worker. A refusal is [`WorkerError::Refused`] with the import's own message.
pub async fn import(file: &Blob, now_ms: f64) -> Result<ImportedFile, WorkerError> {
    let req = Request::new("import");
    req.set("file", file.into());
    req.set("nowMs", now_ms.into());
    let a = client::call_with_progress(req, None).await?;
    let images = field(&a, "images");
    let mut blobs = std::collections::HashMap::new();
    if let Some(object) = images.dyn_ref::<Object>() {
        for key in Object::keys(object).iter() {
            let blob = Reflect::get(object, &key)
                .ok()
                .and_then(|b| b.dyn_into::<Blob>().ok())
                .ok_or_else(|| bad("images"))?;
            blobs.insert(key.as_string().unwrap_or_default(), blob);
        }
    }
    Ok(ImportedFile {
        series_json: field(&a, "series")
            .as_string()
            .ok_or_else(|| bad("series"))?,
        warnings: strings(&a, "warnings"),
        images: blobs,
    })
}

/// Stops every export the worker is assembling before its next step.
pub fn cancel_exports() {
    client::cancel_exports();
}

/// Sets the time limit of requests made from now on (default [`DEFAULT_TIMEOUT_MS`]).
pub fn set_timeout_ms(ms: u32) {
    client::set_timeout_ms(ms);
}

// ---- requests and answers ------------------------------------------------------------------

/// A message being built, with the objects it transfers.
struct Request {
    message: Object,
    transfer: Array,
}

impl Request {
    fn new(op: &str) -> Self {
        let r = Request {
            message: Object::new(),
            transfer: Array::new(),
        };
        r.set("op", op.into());
        r
    }

    fn set(&self, key: &str, value: JsValue) {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&self.message, &key.into(), &value);
    }

    fn image(&mut self, key: &str, source: Source) {
        match source {
            Source::Blob(blob) => self.set(key, blob.into()),
            Source::Bitmap(bitmap) => {
                self.transfer.push(&bitmap);
                self.set(key, bitmap.into());
            }
        }
    }

    fn mask(&mut self, mask: Mask) {
        let (kind, source) = match mask {
            Mask::Coverage(s) => ("coverage", s),
            Mask::OpenAi(s) => ("openai", s),
        };
        self.set("maskKind", kind.into());
        self.image("mask", source);
    }
}

fn field(answer: &Object, key: &str) -> JsValue {
    Reflect::get(answer, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A list of texts (none when absent).
fn strings(answer: &Object, key: &str) -> Vec<String> {
    field(answer, key)
        .dyn_into::<Array>()
        .map(|list| list.iter().filter_map(|w| w.as_string()).collect())
        .unwrap_or_default()
}

fn bad(key: &str) -> WorkerError {
    WorkerError::BadAnswer(format!("no valid \"{key}\""))
}

fn number(answer: &Object, key: &str) -> Result<f64, WorkerError> {
    field(answer, key).as_f64().ok_or_else(|| bad(key))
}

fn blob(answer: &Object, key: &str) -> Result<Blob, WorkerError> {
    field(answer, key).dyn_into::<Blob>().map_err(|_| bad(key))
}
