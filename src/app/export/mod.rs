//! Exports of a series: what the "Export" menu starts, its progress and cancel, and the
//! download at the end. The files themselves (ZIP, contact sheet, PDF, GIF, share page) are
//! assembled in the worker (`worker/src/export/`): this side reads the stored image `Blob`s
//! from IndexedDB and hands them over by reference with the series, so no image is decoded,
//! quantised or re-encoded on the main thread, and the writers are not in the main bundle.

use crate::app::state::AppState;
use crate::web::idb::{self, Db};
use crate::web::worker::{self, ExportedFile, WorkerError};
use crate::web::{clock, download};
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::HashMap;
use wasm_bindgen::JsValue;
use web_sys::Blob;

/// The files a series can leave as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The archive with `manifest.json` (and every version, if asked).
    Zip,
    /// A PNG grid of the active images.
    ContactSheet,
    /// The storyboard PDF.
    Pdf,
    /// The animatic GIF.
    Gif,
    /// The self-contained HTML page.
    SharePage,
}

impl ExportKind {
    /// Every kind, in menu order.
    pub const ALL: [ExportKind; 5] = [
        ExportKind::Zip,
        ExportKind::ContactSheet,
        ExportKind::Pdf,
        ExportKind::Gif,
        ExportKind::SharePage,
    ];

    /// The menu item's name (a public contract: acceptance tests find them by these names).
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Zip => "ZIP",
            ExportKind::ContactSheet => "Contact sheet",
            ExportKind::Pdf => "PDF storyboard",
            ExportKind::Gif => "Animatic GIF",
            ExportKind::SharePage => "Share page",
        }
    }

    /// The worker's name for it (`worker/src/export/mod.rs`).
    fn code(self) -> &'static str {
        match self {
            ExportKind::Zip => "zip",
            ExportKind::ContactSheet => "contact-sheet",
            ExportKind::Pdf => "pdf",
            ExportKind::Gif => "gif",
            ExportKind::SharePage => "share",
        }
    }
}

/// Why an export stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportError {
    /// The user cancelled it.
    Cancelled,
    /// Something failed; the message says what.
    Failed(String),
}

/// Choices that shape an export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExportChoices {
    /// The ZIP includes every version, not only the active ones.
    pub all_versions: bool,
    /// Seconds each frame shows in the animatic.
    pub gif_seconds: f64,
    /// Panels per page of the storyboard PDF (`None`: 2×3 or 3×2 by the images' shape).
    pub pdf_layout: Option<continuity_core::export::pdf::PageLayout>,
}

impl Default for ExportChoices {
    fn default() -> Self {
        ExportChoices {
            all_versions: false,
            gif_seconds: 1.5,
            pdf_layout: None,
        }
    }
}

/// A running export's state, shown by the menu: which kind, how far, and the cancel flag.
#[derive(Debug, Clone, Copy)]
pub struct ExportJob {
    /// The export running, if any.
    pub running: RwSignal<Option<ExportKind>>,
    /// `(done, total)` steps.
    pub done: RwSignal<(usize, usize)>,
    /// Set by "Cancel export"; the export stops before its next image.
    pub cancel: RwSignal<bool>,
}

impl ExportJob {
    /// No export running.
    pub fn new() -> Self {
        ExportJob {
            running: RwSignal::new(None),
            done: RwSignal::new((0, 0)),
            cancel: RwSignal::new(false),
        }
    }
}

impl Default for ExportJob {
    fn default() -> Self {
        Self::new()
    }
}

impl ExportJob {
    /// "Cancel export": the worker stops before its next image.
    pub fn request_cancel(&self) {
        self.cancel.set(true);
        worker::cancel_exports();
    }
}

/// Starts exporting `series` as `kind` (one export at a time), then offers the file as a
/// download. Errors and warnings go to the notice banner.
pub fn start(
    state: AppState,
    series: Series,
    kind: ExportKind,
    choices: ExportChoices,
    job: ExportJob,
) {
    if job.running.get_untracked().is_some() {
        return;
    }
    job.running.set(Some(kind));
    job.cancel.set(false);
    job.done.set((0, 0));
    spawn_local(async move {
        let result = run(state, &series, kind, choices, &job).await;
        let _ = job.running.try_set(None);
        match result {
            Ok(f) => {
                if let Err(e) = download::save(&f.blob, &f.file_name) {
                    state.error(e);
                } else if !f.warnings.is_empty() {
                    state.info(f.warnings.join(" "));
                }
            }
            Err(ExportError::Cancelled) => {
                state.info(format!("{} export cancelled.", kind.label()))
            }
            Err(ExportError::Failed(e)) => {
                state.error(format!("The {} export failed: {e}", kind.label()))
            }
        }
    });
}

async fn run(
    state: AppState,
    series: &Series,
    kind: ExportKind,
    choices: ExportChoices,
    job: &ExportJob,
) -> Result<ExportedFile, ExportError> {
    let db = state
        .db()
        .ok_or_else(|| ExportError::Failed("storage is not open".into()))?;
    let images = stored_images(&db, &series.image_hashes())
        .await
        .map_err(ExportError::Failed)?;
    if job.cancel.get_untracked() {
        return Err(ExportError::Cancelled);
    }
    let json = continuity_core::model::records::whole_json(series);
    let mut options: Vec<(&str, JsValue)> = vec![("nowMs", clock::now_ms().into())];
    match kind {
        ExportKind::Zip => options.push(("allVersions", choices.all_versions.into())),
        ExportKind::Gif => options.push(("gifSeconds", choices.gif_seconds.into())),
        ExportKind::Pdf => {
            use continuity_core::export::pdf::PageLayout;
            if let Some(layout) = choices.pdf_layout {
                let code = match layout {
                    PageLayout::One => "1",
                    PageLayout::TwoByThree => "2x3",
                    PageLayout::ThreeByTwo => "3x2",
                };
                options.push(("pdfLayout", code.into()));
            }
        }
        ExportKind::ContactSheet | ExportKind::SharePage => {}
    }
    let done = job.done;
    let progress = move |step: u32, total: u32| {
        let _ = done.try_set((step as usize, total as usize));
    };
    worker::export(kind.code(), &json, &images, &options, progress)
        .await
        .map_err(|e| match e {
            WorkerError::Cancelled => ExportError::Cancelled,
            other => ExportError::Failed(other.to_string()),
        })
}

/// The stored image `Blob`s of `hashes` (those storage has).
async fn stored_images(db: &Db, hashes: &[String]) -> Result<HashMap<String, Blob>, String> {
    let mut out = HashMap::new();
    for h in hashes {
        if let Some(b) = db.blob(idb::IMAGES, h).await.map_err(|e| e.to_string())? {
            out.insert(h.clone(), b);
        }
    }
    Ok(out)
}

/// The download name of version `version_id`'s image: `01-hook.png` for a frame's active
/// image, with the locale (`01-hook-zh-Hans.png`) or the first hash digits of another version.
pub fn image_file_name(series: &Series, version_id: &str) -> Option<String> {
    use continuity_core::export::manifest::names::{extension, frame_file};
    let v = series.version(version_id)?;
    let at = series.frames.iter().position(|f| f.id == v.frame_id)?;
    let frame = &series.frames[at];
    let name = frame_file(
        at + 1,
        series.frames.len(),
        &frame.title,
        extension(&v.image.mime),
    );
    let (stem, ext) = name.rsplit_once('.')?;
    let suffix = match &v.locale {
        Some(l) => format!("-{l}"),
        None if frame.active_version.as_deref() == Some(version_id) => String::new(),
        None => format!("-{}", v.image.hash.chars().take(8).collect::<String>()),
    };
    Some(format!("{stem}{suffix}.{ext}"))
}

/// Downloads one version's stored image under [`image_file_name`].
pub fn download_image(state: AppState, series: &Series, version_id: &str) {
    let (Some(name), Some(v)) = (
        image_file_name(series, version_id),
        series.version(version_id),
    ) else {
        return;
    };
    let hash = v.image.hash.clone();
    spawn_local(async move {
        let Some(db) = state.db() else { return };
        match db.blob(crate::web::idb::IMAGES, &hash).await {
            Ok(Some(blob)) => {
                if let Err(e) = download::save(&blob, &name) {
                    state.error(e);
                }
            }
            Ok(None) => state.error("This image is not in this browser's storage."),
            Err(e) => state.error(e.to_string()),
        }
    });
}
