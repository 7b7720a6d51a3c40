//! Search and filter inside a series: by text in titles, prompts and on-image text (in every
//! locale), and by status (failed, stale, empty, done, drifted from the anchor, checks
//! failed). The grid
//! shows the matches, in series order or drifted frames first.

use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;
use std::collections::HashSet;

pub use crate::ui::frame::FrameFilter;

/// Whether a frame matches the search words (every word, case-insensitive, any field).
fn matches(frame: &continuity_core::model::Frame, words: &[String]) -> bool {
    let mut hay = format!("{}\n{}", frame.title, frame.prompt);
    for t in &frame.shot.texts {
        hay.push('\n');
        hay.push_str(&t.text);
        for tr in t.translations.values() {
            hay.push('\n');
            hay.push_str(tr);
        }
    }
    let hay = hay.to_lowercase();
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The search field and status filter; returns the filter the grid uses.
#[component]
pub fn FrameSearch(
    /// The series.
    store: Store<Series>,
    /// Where the filter is published.
    filter: RwSignal<Option<FrameFilter>>,
    /// Whether the grid shows drifted frames first.
    drifted_first: RwSignal<bool>,
    /// How large the cards are: "small", "medium" or "large".
    density: RwSignal<String>,
) -> impl IntoView {
    let derived = crate::app::derived::get();
    let scores = crate::app::consistency::Scores::get();
    let query = RwSignal::new(String::new());
    let status = RwSignal::new("all".to_string());
    let shown = Memo::new(move |_| {
        let q = query.get();
        let st = status.get();
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() && st == "all" {
            return None;
        }
        let d = derived.get();
        let drifted = match (st.as_str(), scores) {
            ("drifted", Some(scores)) => scores.drifted(),
            _ => HashSet::new(),
        };
        Some(store.with(|s| {
            s.frames
                .iter()
                .filter(|f| {
                    let frame = d.frame(&f.id);
                    let has_image = frame.active.is_some();
                    let ok_status = match st.as_str() {
                        "failed" => frame.has_error,
                        "stale" => frame.stale,
                        "empty" => !has_image,
                        "drifted" => drifted.contains(&f.id),
                        // A failed check call is not a pass either.
                        "checks-failed" => s
                            .active(f)
                            .and_then(|v| v.check.as_ref())
                            .is_some_and(|c| !c.passed()),
                        "done" => has_image && !frame.has_error && !frame.stale,
                        _ => true,
                    };
                    ok_status && matches(f, &words)
                })
                .map(|f| f.id.clone())
                .collect::<HashSet<_>>()
        }))
    });
    filter.set(Some(FrameFilter(shown)));
    let count = move || {
        shown.with(|s| {
            s.as_ref().map(|set| {
                let n = set.len();
                format!("{n} frame{} shown", if n == 1 { "" } else { "s" })
            })
        })
    };
    // Every control is named by its own label (`for`), never by its options' text.
    view! {
        <div class="frame-search" role="search">
            <label for="frame-search" class="sr-only">"Search frames"</label>
            <input type="search" id="frame-search" class="search" data-testid="frame-search" placeholder="Search titles, prompts and text in images  ( / )"
                prop:value=move || query.get() on:input:target=move |ev| query.set(ev.target().value())/>
            <span class="filter-controls">
                <label for="status-filter" class="sr-only">"Show frames"</label>
                <select id="status-filter" data-testid="status-filter" on:change:target=move |ev| status.set(ev.target().value())>
                    <option value="all">"All frames"</option>
                    <option value="failed">"Failed"</option>
                    <option value="stale">"Stale"</option>
                    <option value="empty">"Empty"</option>
                    <option value="done">"Done"</option>
                    <option value="drifted">"Drifted"</option>
                    <option value="checks-failed">"Checks failed"</option>
                </select>
                <label for="frame-order" class="sr-only">"Order"</label>
                <select id="frame-order" data-testid="frame-order"
                    on:change:target=move |ev| drifted_first.set(ev.target().value() == "drifted")>
                    <option value="series">"Series order"</option>
                    <option value="drifted">"Drifted first"</option>
                </select>
                <label for="card-size" class="sr-only">"Card size"</label>
                <select id="card-size" data-testid="density" on:change:target=move |ev| density.set(ev.target().value())>
                    {["small", "medium", "large"].into_iter().map(|d| view! {
                        <option value=d selected=move || density.get() == d>{match d { "small" => "Small cards", "large" => "Large cards", _ => "Medium cards" }}</option>
                    }).collect_view()}
                </select>
            </span>
            <span class="muted small" role="status">{count}</span>
        </div>
    }
}
