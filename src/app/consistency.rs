//! The consistency signal: every frame's active image scored against the series' reference
//! (the anchor's active image, or the anchor reference image) — a palette distance (ΔE) and a
//! structural distance (ΔL\*) from `core::pixels` signatures computed in the worker. A
//! **heuristic**, not a judgement (see `core::pixels::consistency` and the README).
//!
//! Cost: a signature is computed once per image hash and kept for the tab's life; a score
//! once per (image, reference) pair. What triggers work is a memo of the pairs, which tracks
//! only frame order, active pointers, versions and the anchor — typing changes none of them,
//! so a keystroke costs nothing here.

use crate::app::state::AppState;
use crate::web::worker::{self, Consistency, DriftThresholds, SignatureJson};
use continuity_core::guard::consistency_targets;
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

thread_local! {
    /// Signatures by image hash (an image's bytes never change under its hash).
    static SIGNATURES: RefCell<HashMap<String, SignatureJson>> = RefCell::new(HashMap::new());
    /// Hashes whose signature is being computed or failed (not asked for twice).
    static ASKED: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// The reference image's hash and `(frame id, image hash)` of every other frame with an image.
type Targets = Option<(String, Vec<(String, String)>)>;

/// The scores of the open series, by frame id. Provided by the series screen.
#[derive(Clone, Copy)]
pub struct Scores {
    /// `(image hash, reference hash)` → score: every pair scored so far.
    by_pair: RwSignal<HashMap<(String, String), Consistency>>,
    /// What is scored against what.
    targets: Memo<Targets>,
}

impl Scores {
    /// The scores of the series screen in context, if any.
    pub fn get() -> Option<Self> {
        use_context::<Scores>()
    }

    /// The score of a frame against the current reference (`None`: not scored (yet), no
    /// reference, or the frame shows the reference itself).
    pub fn of(&self, frame_id: &str) -> Option<Consistency> {
        let pair = self.targets.with(|t| {
            let (reference, frames) = t.as_ref()?;
            let (_, hash) = frames.iter().find(|(f, _)| f == frame_id)?;
            Some((hash.clone(), reference.clone()))
        })?;
        self.by_pair.with(|m| m.get(&pair).cloned())
    }

    /// Frame ids flagged drifted, in series order.
    pub fn drifted(&self) -> HashSet<String> {
        let pairs = self.targets.with(|t| {
            t.as_ref().map(|(reference, frames)| {
                frames
                    .iter()
                    .map(|(f, h)| (f.clone(), (h.clone(), reference.clone())))
                    .collect::<Vec<_>>()
            })
        });
        let Some(pairs) = pairs else {
            return HashSet::new();
        };
        self.by_pair.with(|m| {
            pairs
                .into_iter()
                .filter(|(_, p)| m.get(p).is_some_and(|c| c.drifted))
                .map(|(f, _)| f)
                .collect()
        })
    }
}

/// Starts scoring the series' frames and provides [`Scores`] to the screen's components.
pub fn provide(state: AppState, store: Store<Series>) -> Scores {
    let targets = Memo::new(move |_| {
        // Tracked: what decides which images are compared, nothing else.
        let order = store.frame_order().get();
        let frames = store.frames();
        for id in &order {
            let _ = frames.at_key(id.clone()).active_version().try_get();
        }
        store.versions().track();
        store.anchor().track();
        store.with_untracked(consistency_targets)
    });
    let scores = Scores {
        by_pair: RwSignal::new(HashMap::new()),
        targets,
    };
    Effect::new(move |_| {
        let Some((reference, frames)) = targets.get() else {
            return;
        };
        let todo: Vec<String> = scores.by_pair.with_untracked(|m| {
            frames
                .iter()
                .filter(|(_, h)| !m.contains_key(&(h.clone(), reference.clone())))
                .map(|(_, h)| h.clone())
                .collect()
        });
        if todo.is_empty() {
            return;
        }
        spawn_local(async move {
            let Some(reference_sig) = signature(state, &reference).await else {
                return;
            };
            // One at a time: the worker decodes full-size images, and the grid stays usable.
            for hash in todo {
                let Some(sig) = signature(state, &hash).await else {
                    continue;
                };
                let Ok(c) = worker::compare(&sig, &reference_sig, DriftThresholds::default()).await
                else {
                    continue;
                };
                let _ = scores.by_pair.try_update(|m| {
                    m.insert((hash, reference.clone()), c);
                });
            }
        });
    });
    provide_context(scores);
    scores
}

/// The signature of image `hash`: cached, or computed in the worker once.
async fn signature(state: AppState, hash: &str) -> Option<SignatureJson> {
    if let Some(s) = SIGNATURES.with(|m| m.borrow().get(hash).cloned()) {
        return Some(s);
    }
    if !ASKED.with(|a| a.borrow_mut().insert(hash.to_string())) {
        return None;
    }
    let blob = crate::app::images::image(state, hash).await?;
    let sig = worker::signature(blob).await.ok()?;
    SIGNATURES.with(|m| m.borrow_mut().insert(hash.to_string(), sig.clone()));
    Some(sig)
}

/// The numbers in words, e.g. "Palette ΔE 18.2 (drifted beyond 15) · structure ΔL 4.1".
pub fn describe(c: &Consistency) -> String {
    let t = DriftThresholds::default();
    let part = |name: &str, value: f32, drifted: bool, limit: f32| {
        if drifted {
            format!("{name} {value:.1} (beyond {limit})")
        } else {
            format!("{name} {value:.1}")
        }
    };
    format!(
        "{} · {}",
        part(
            "palette ΔE",
            c.palette_distance,
            c.palette_drifted,
            t.palette_delta_e
        ),
        part(
            "structure ΔL",
            c.structural_distance,
            c.structure_drifted,
            t.structure_delta_l
        )
    )
}
