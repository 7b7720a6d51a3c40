//! Exports of a series: what the "Export" menu starts, its progress and cancel, and the
//! download at the end. The files themselves are put together behind one seam,
//! [`assemble`] (ZIP, share page) and [`media`] (contact sheet, PDF, GIF), which takes a
//! series and its stored image `Blob`s and returns the finished `Blob` — the part that moves
//! into the worker.

pub mod assemble;
pub mod media;

use crate::app::state::AppState;
use crate::web::{clock, download};
use assemble::{ExportError, Finished, Progress};
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;

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

impl Progress for ExportJob {
    fn step(&self, done: usize, total: usize) -> bool {
        let _ = self.done.try_set((done, total));
        !self.cancel.get_untracked()
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
) -> Result<Finished, ExportError> {
    let db = state
        .db()
        .ok_or_else(|| ExportError::Failed("storage is not open".into()))?;
    let images = assemble::stored_images(&db, &series.image_hashes()).await?;
    match kind {
        ExportKind::Zip => {
            assemble::zip(series, &images, choices.all_versions, clock::now_ms(), job).await
        }
        ExportKind::SharePage => assemble::share(series, &images, job).await,
        ExportKind::ContactSheet => media::contact_sheet(series, &images, job).await,
        ExportKind::Pdf => media::pdf(series, &images, choices.pdf_layout, job).await,
        ExportKind::Gif => media::gif(series, &images, choices.gif_seconds, job).await,
    }
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
