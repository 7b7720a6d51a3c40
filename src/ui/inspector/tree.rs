//! The version tree of one frame: every image it has had, an edit indented under the version
//! it was made from, variants of one request marked as siblings. Pick one to see it; make it
//! active, delete it (with undo), or compare it with another.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::ui::thumb::Thumb;
use continuity_core::model::action::FrameEdit;
use continuity_core::model::tree::tree;
use continuity_core::model::version::lineage;
use continuity_core::model::{Series, VersionKind};
use leptos::prelude::*;
use reactive_stores::Store;

fn kind_label(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Generated => "Generated",
        VersionKind::Edited => "Edit",
        VersionKind::Composite => "Composite",
        VersionKind::Localized => "Locale",
        VersionKind::Imported => "Imported",
    }
}

/// The tree and the actions on the shown version.
#[component]
pub fn VersionTree(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame_id: String,
    /// The version picked in the tree (`None`: the active one is shown).
    picked: RwSignal<Option<String>>,
    /// The version shown.
    shown: Memo<Option<String>>,
    /// The version compared with the shown one, if comparing.
    compare_with: RwSignal<Option<String>>,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let nodes = Memo::new(move |_| store.with(|s| tree(s, &fid.get_value())));
    let choosing_compare = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let pick = move |id: String| {
        if choosing_compare.get_untracked() {
            choosing_compare.set(false);
            if shown.get_untracked().as_deref() != Some(id.as_str()) {
                compare_with.set(Some(id));
            }
        } else {
            compare_with.set(None);
            picked.set(Some(id));
        }
    };
    let rows = move || {
        let shown_id = shown.get();
        store.with(|s| {
            nodes
                .get()
                .into_iter()
                .filter_map(|n| {
                    let v = s.version(&n.id)?;
                    let id = n.id.clone();
                    let hash = v.image.hash.clone();
                    let selected = shown_id.as_deref() == Some(n.id.as_str());
                    let mut label = kind_label(v.kind).to_string();
                    if let Some(l) = &v.locale {
                        label.push_str(&format!(" · {l}"));
                    }
                    if n.siblings > 1 {
                        label.push_str(&format!(" · 1 of {} variants", n.siblings));
                    }
                    let recovered = s.is_recovered(&n.id);
                    let detail = v
                        .instruction
                        .clone()
                        .or_else(|| (!v.request.note.is_empty()).then(|| v.request.note.clone()))
                        .unwrap_or_else(|| v.cost_line());
                    Some(view! {
                        <li class="version-node" style:padding-left=format!("{}rem", n.depth as f32 * 1.1)
                            data-testid="version-node" data-depth=n.depth.to_string() data-active=n.active.to_string()>
                            <button class="version-pick" class:selected=selected aria-pressed=selected.to_string()
                                on:click=move |_| pick(id.clone())>
                                <span class="version-thumb"><Thumb hash=Signal::derive(move || Some(hash.clone())) alt=""/></span>
                                <span class="version-text">
                                    <span>{label}{n.active.then_some(" · active")}
                                        {recovered.then(|| view! { " · " <span class="note" data-testid="version-recovered">"recovered"</span> })}
                                    </span>
                                    <span class="muted small">{detail}</span>
                                </span>
                            </button>
                        </li>
                    })
                })
                .collect_view()
        })
    };
    let is_active = Memo::new(move |_| {
        let Some(id) = shown.get() else { return true };
        nodes.with(|ns| ns.iter().any(|n| n.id == id && n.active))
    });
    let make_active = move |_| {
        if let Some(vid) = shown.get_untracked() {
            let choose = Edit::frame(&fid.get_value(), FrameEdit::ChooseVersion(vid));
            let _ = edit::user(state, store, choose);
            picked.set(None);
        }
    };
    let delete = move |_| {
        confirming.set(false);
        let Some(vid) = shown.get_untracked() else {
            return;
        };
        // The deleted version, its children (re-attached to its parent) and the frame
        // (its active pointer) change together: one undoable step.
        match edit::user(state, store, Edit::Series(SeriesEdit::DeleteVersion(vid))) {
            Err(why) => state.error(why.to_string()),
            Ok(()) => {
                picked.set(None);
                compare_with.set(None);
                state.undoable("Version deleted.");
            }
        }
    };
    let chain = move || {
        let id = shown.get()?;
        let steps: Vec<String> = store.with(|s| {
            lineage(&s.versions, &id)
                .into_iter()
                .filter_map(|v| v.instruction.clone())
                .collect()
        });
        (!steps.is_empty()).then(|| {
            view! {
                <div class="chain">
                    <h4>"Edits that made this version"</h4>
                    <ol data-testid="edit-chain">{steps.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ol>
                </div>
            }
        })
    };
    let only_one = Memo::new(move |_| nodes.with(|n| n.len() < 2));
    view! {
        <section class="versions" aria-label="Versions of this frame">
            <h3>"Versions"</h3>
            <ul class="version-tree" data-testid="version-tree">{rows}</ul>
            <div class="row">
                <button class="btn small" on:click=make_active disabled=move || is_active.get()>"Make active"</button>
                <button class="btn small" aria-pressed=move || choosing_compare.get().to_string() disabled=move || only_one.get()
                    on:click=move |_| {
                        if compare_with.get_untracked().is_some() {
                            compare_with.set(None);
                        } else {
                            choosing_compare.update(|c| *c = !*c);
                        }
                    }>"Compare"</button>
                <Show when=move || confirming.get() fallback=move || view! {
                    <button class="btn ghost small danger" disabled=move || only_one.get() on:click=move |_| confirming.set(true)>"Delete version"</button>
                }>
                    <span class="confirm" role="alert">"Delete this version? You can undo until you close the page."</span>
                    <button class="btn small danger" data-testid="confirm-delete-version" on:click=delete>"Delete"</button>
                    <button class="btn ghost small" on:click=move |_| confirming.set(false)>"Keep"</button>
                </Show>
            </div>
            {move || choosing_compare.get().then(|| view! { <p class="muted small" role="status">"Pick the version to compare with."</p> })}
            {chain}
        </section>
    }
}
