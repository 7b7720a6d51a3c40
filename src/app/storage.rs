//! Storage governance: the meter (used and available space, what the open series uses), the
//! warning before space runs out, and asking the browser to keep our data (`persist()`) at
//! the first saved image.

use crate::app::state::{AppState, StorageStatus};
use crate::web::quota;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::Cell;

/// Warn when less than this share of the quota is left…
pub const LOW_SHARE: f64 = 0.10;
/// …or less than this many bytes.
pub const LOW_BYTES: f64 = 200.0 * 1024.0 * 1024.0;

thread_local! {
    static ASKED_PERSIST: Cell<bool> = const { Cell::new(false) };
}

/// Re-reads usage, quota and whether storage is persistent.
pub fn refresh(state: AppState) {
    spawn_local(async move {
        let estimate = quota::estimate().await;
        let persisted = quota::persisted().await;
        let status = StorageStatus {
            usage: estimate.map(|e| e.usage),
            quota: estimate.map(|e| e.quota),
            persisted,
        };
        if state.storage.try_get_untracked() != Some(status) {
            let _ = state.storage.try_set(status);
        }
    });
}

/// After the first image is stored: ask once per page for persistent storage (Chromium
/// grants it by heuristics without a prompt, Firefox asks), then refresh the meter.
pub fn after_first_image(state: AppState) {
    if !ASKED_PERSIST.with(|a| a.replace(true)) {
        spawn_local(async move {
            let _ = quota::persist().await;
            refresh(state);
        });
    } else {
        refresh(state);
    }
}

/// The warning to show, if space is running out.
pub fn low_space_warning(status: &StorageStatus) -> Option<String> {
    let (usage, quota) = (status.usage?, status.quota?);
    continuity_core::meter::low_space(usage, quota, LOW_SHARE, LOW_BYTES)
}
