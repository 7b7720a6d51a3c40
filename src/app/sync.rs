//! Tabs in step: after each write a tab posts which records it wrote; the other tabs re-read
//! those records from IndexedDB (the source of truth) and put the newer ones into their
//! stores. A write refused because another tab wrote first reloads the record the same way.

use crate::app::state::{refresh_keys, AppState};
use crate::web::channel::Channel;
use crate::web::idb::{self, Conflict, StoreName};
use continuity_core::model::records::{frame_from_json, version_from_json};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::{Series, SeriesSummary};
use leptos::prelude::*;
use reactive_stores::Store;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeSet;

const CHANNEL: &str = "continuity-records";

/// What a tab tells the others after a write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Announcement {
    /// The writing tab (a tab ignores its own messages; BroadcastChannel does not echo, but a
    /// test page may host two apps).
    pub tab: String,
    /// The series written.
    pub series: String,
    /// `(store, id, rev)` of each record written.
    pub records: Vec<(String, String, u64)>,
    /// Frames deleted.
    pub deleted_frames: Vec<String>,
    /// Versions deleted.
    pub deleted_versions: Vec<String>,
    /// The whole series was deleted.
    pub deleted_series: bool,
}

thread_local! {
    static CHANNEL_HANDLE: RefCell<Option<(String, Channel)>> = const { RefCell::new(None) };
}

/// Joins the channel; each message from another tab goes to `deliver`, which hands it to
/// [`receive_text`] (a lazily loaded part: reading and applying records is not first-screen
/// code, so the first screen holds only the channel).
pub fn start(deliver: impl Fn(String) + 'static) {
    let tab = continuity_core::model::make_id("tab", crate::web::clock::random_u64());
    if let Some(channel) = Channel::open(CHANNEL, deliver) {
        CHANNEL_HANDLE.with(|c| *c.borrow_mut() = Some((tab, channel)));
    }
}

/// A message from the channel: updates this tab's stores and series list, unless it is this
/// tab's own (BroadcastChannel does not echo, but a test page may host two apps).
pub async fn receive_text(state: AppState, text: &str) {
    let Ok(message) = serde_json::from_str::<Announcement>(text) else {
        return;
    };
    let mine = CHANNEL_HANDLE.with(|c| c.borrow().as_ref().map(|(tab, _)| tab.clone()));
    if mine.as_deref() != Some(message.tab.as_str()) {
        receive(state, message).await;
    }
}

/// Tells the other tabs what this tab wrote.
pub fn announce<'a>(
    series_id: &str,
    written: &[(StoreName, String, u64)],
    deleted_frames: &BTreeSet<String>,
    deleted_versions: impl Iterator<Item = &'a String>,
) {
    CHANNEL_HANDLE.with(|c| {
        if let Some((tab, channel)) = c.borrow().as_ref() {
            let message = Announcement {
                tab: tab.clone(),
                series: series_id.to_string(),
                records: written
                    .iter()
                    .map(|(s, id, rev)| (s.name().to_string(), id.clone(), *rev))
                    .collect(),
                deleted_frames: deleted_frames.iter().cloned().collect(),
                deleted_versions: deleted_versions.cloned().collect(),
                deleted_series: false,
            };
            if let Ok(text) = serde_json::to_string(&message) {
                channel.post(&text);
            }
        }
    });
}

/// Tells the other tabs a series was deleted.
pub fn announce_deleted(series_id: &str) {
    CHANNEL_HANDLE.with(|c| {
        if let Some((tab, channel)) = c.borrow().as_ref() {
            let message = Announcement {
                tab: tab.clone(),
                series: series_id.to_string(),
                deleted_series: true,
                ..Announcement::default()
            };
            if let Ok(text) = serde_json::to_string(&message) {
                channel.post(&text);
            }
        }
    });
}

async fn receive(state: AppState, message: Announcement) {
    let Some(db) = state.db() else {
        return;
    };
    if message.deleted_series {
        state
            .summaries
            .update(|l| l.retain(|s| s.id != message.series));
        if let Some(store) = state.series(&message.series) {
            state.unload_series(&message.series);
            let _ = store;
            if state.route.get_untracked()
                == crate::app::route::Route::Series(message.series.clone())
            {
                state.info("This series was deleted in another tab.");
            }
        }
        return;
    }
    if let Ok(Some(stored)) = db.get(idb::SUMMARIES, &message.series).await {
        if let Some(summary) = stored
            .json
            .as_deref()
            .and_then(|j| SeriesSummary::from_json(j).ok())
        {
            state.upsert_summary(summary);
        }
    }
    let Some(store) = state.series(&message.series) else {
        return;
    };
    let saver = state.saver();
    for (store_name, id, rev) in &message.records {
        let Some(store_name) = StoreName::of_record(store_name) else {
            continue;
        };
        if *rev <= saver.rev(store_name, id) {
            continue;
        }
        if saver.is_dirty(&message.series, store_name, id) {
            // This tab is editing the same record right now: its text stays, and its next
            // write (based on the newer revision) wins. Say so.
            saver.saw(store_name, id, *rev);
            state.info("This series was also changed in another tab; the text you are editing here was kept.");
            continue;
        }
        if let Ok(Some(fresh)) = db.get(store_name, id).await {
            apply(state, store, store_name, fresh.rev, fresh.json.as_deref());
        }
    }
    if !message.deleted_frames.is_empty() || !message.deleted_versions.is_empty() {
        store.update(|s| {
            s.frames.retain(|f| !message.deleted_frames.contains(&f.id));
            s.versions
                .retain(|v| !message.deleted_versions.contains(&v.id));
            s.frame_order
                .retain(|id| !message.deleted_frames.contains(id));
        });
        refresh_keys(store);
    }
}

/// Puts a stored record into a loaded series' store.
fn apply(
    state: AppState,
    store: Store<Series>,
    store_name: StoreName,
    rev: u64,
    json: Option<&str>,
) {
    let Some(json) = json else {
        return;
    };
    let saver = state.saver();
    match store_name {
        StoreName::Frames => {
            let Ok(frame) = frame_from_json(json) else {
                return;
            };
            saver.saw(idb::FRAMES, &frame.id, rev);
            let exists = store
                .frames()
                .with_untracked(|fs| fs.iter().any(|f| f.id == frame.id));
            if exists {
                store.frames().at_key(frame.id.clone()).set(frame);
            } else {
                store.update(|s| {
                    if !s.frame_order.contains(&frame.id) {
                        s.frame_order.push(frame.id.clone());
                    }
                    let order = s.frame_order.clone();
                    s.frames.push(frame);
                    s.frames
                        .sort_by_key(|f| order.iter().position(|id| id == &f.id));
                });
                refresh_keys(store);
            }
        }
        StoreName::Versions => {
            let Ok(version) = version_from_json(json) else {
                return;
            };
            saver.saw(idb::VERSIONS, &version.id, rev);
            store.update(|s| {
                s.versions.retain(|v| v.id != version.id);
                s.versions.push(version);
                s.versions
                    .sort_by(|a, b| a.created_ms.total_cmp(&b.created_ms).then(a.id.cmp(&b.id)));
            });
            refresh_keys(store);
        }
        StoreName::Series => {
            let Ok(record) = Series::from_record_json(json) else {
                return;
            };
            saver.saw(idb::SERIES, &record.id, rev);
            store.update(|s| {
                let frames = std::mem::take(&mut s.frames);
                let versions = std::mem::take(&mut s.versions);
                *s = Series::from_parts(record, frames, versions);
            });
            refresh_keys(store);
        }
        // Only user records are announced and refused.
        StoreName::Images
        | StoreName::Thumbs
        | StoreName::Summaries
        | StoreName::Quarantine
        | StoreName::V1Projects => {}
    }
}

/// A write was refused because another tab stored a newer record first: this tab reloads
/// the newer record and says so.
pub fn resolve_conflicts(state: AppState, store: Store<Series>, conflicts: Vec<Conflict>) {
    let mut names = Vec::new();
    for c in conflicts {
        if c.store == idb::FRAMES {
            if let Some(title) = store
                .frames()
                .with_untracked(|fs| fs.iter().find(|f| f.id == c.key).map(|f| f.title.clone()))
            {
                names.push(format!("“{title}”"));
            }
        } else if c.store == idb::SERIES {
            names.push("the series settings".to_string());
        }
        if let Some(stored) = c.stored {
            apply(state, store, c.store, stored.rev, stored.json.as_deref());
        }
    }
    if !names.is_empty() {
        state.info(format!(
            "{} changed in another tab at the same time; this tab now shows the newer version.",
            names.join(", ")
        ));
    }
}
