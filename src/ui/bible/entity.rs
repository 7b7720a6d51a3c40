//! One bible entity: name, kind, description, must-not-change list and reference images.

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::references::{add_references, files_of, files_of_transfer, remove_reference};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use crate::ui::thumb::Thumb;
use continuity_core::model::action::EntityText;
use continuity_core::model::bible::Entity;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;

/// The editor of one entity.
#[component]
pub fn EntityEditor(
    /// The series.
    store: Store<Series>,
    /// The entity.
    entity_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let eid = StoredValue::new(entity_id.clone());
    let entity = Memo::new(move |_| store.bible().with(|b| b.entity(&eid.get_value()).cloned()));
    let send = move |change: SeriesEdit| {
        let _ = edit::user(state, store, Edit::Series(change));
    };
    let bind = move |get: fn(&Entity) -> String, field: EntityText| {
        let value =
            Signal::derive(move || entity.with(|e| e.as_ref().map(get).unwrap_or_default()));
        let on_change = Callback::new(move |text: String| {
            send(SeriesEdit::Entity {
                id: eid.get_value(),
                field,
                text,
            })
        });
        (value, on_change)
    };
    let (name, set_name) = bind(|e| e.name.clone(), EntityText::Name);
    let (description, set_description) = bind(|e| e.description.clone(), EntityText::Description);
    let (keep, set_keep) = bind(|e| e.must_not_change.join("\n"), EntityText::MustNotChange);
    let upload = move |files: Vec<web_sys::File>| {
        if !files.is_empty() {
            spawn_local(async move { add_references(state, store, &eid.get_value(), files).await });
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        upload(files_of(input.files()));
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        upload(files_of_transfer(ev.data_transfer()));
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let files = files_of_transfer(ev.clipboard_data());
        if !files.is_empty() {
            ev.prevent_default();
            upload(files);
        }
    };
    let remove = move |_| {
        let name = entity.get_untracked().map(|e| e.name).unwrap_or_default();
        send(SeriesEdit::RemoveEntity(eid.get_value()));
        state.undoable(format!("“{name}” removed from the bible."));
    };
    let refs = move || {
        let list = entity.get().map(|e| e.references).unwrap_or_default();
        let count = list.len();
        list.into_iter()
            .enumerate()
            .map(|(i, r)| {
                let rid = StoredValue::new(r.id.clone());
                let key = r.id.clone();
                let swap = move |a: usize, b: usize| {
                    send(SeriesEdit::SwapReferences {
                        entity_id: eid.get_value(),
                        a,
                        b,
                    })
                };
                let use_as_anchor = move |_| {
                    send(SeriesEdit::AnchorReference {
                        entity_id: eid.get_value(),
                        image_id: rid.get_value(),
                    })
                };
                view! {
                    <li class="ref" data-testid="reference">
                        <div class="ref-image"><Thumb hash=Signal::derive(move || Some(key.clone())) alt=format!("{} ({}×{})", r.name, r.width, r.height)/></div>
                        <span class="small">{format!("{}. {}", i + 1, if i == 0 { "identity" } else { "reference" })}</span>
                        <div class="row-actions">
                            <button class="btn ghost small" disabled=i == 0 aria-label="Move earlier" on:click=move |_| swap(i, i - 1)>"←"</button>
                            <button class="btn ghost small" disabled=i + 1 == count aria-label="Move later" on:click=move |_| swap(i, i + 1)>"→"</button>
                            <button class="btn ghost small" data-testid="use-as-anchor" on:click=use_as_anchor>"Anchor"</button>
                            <button class="btn ghost small danger" aria-label="Remove reference" on:click=move |_| remove_reference(state, store, &eid.get_value(), &rid.get_value())>"✕"</button>
                        </div>
                    </li>
                }
            })
            .collect_view()
    };
    let kind = move || entity.get().map(|e| e.kind.label()).unwrap_or("");
    let input_id = format!("refs-{entity_id}");
    view! {
        <div class="entity card" data-testid="entity" data-entity-id=eid.get_value() on:paste=on_paste on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <div class="row">
                <span class="badge-inline">{kind}</span>
                <div class="grow"><TextField label="Name" value=name on_change=set_name testid="entity-name"/></div>
                <button class="btn ghost small danger" on:click=remove>"Remove"</button>
            </div>
            <TextField label="Canonical description" value=description on_change=set_description rows=2 hint="sent verbatim in every frame it appears in" testid="entity-description"/>
            <TextField label="Must not change" value=keep on_change=set_keep rows=2 hint="one feature per line"/>
            <ul class="refs">{refs}</ul>
            <label class="btn small file-btn" for=input_id.clone()>"Add reference images"</label>
            <input id=input_id class="sr-only" type="file" multiple accept="image/png,image/jpeg,image/webp" data-testid="reference-input" on:change=on_pick/>
            <span class="muted small">" or drop / paste images here"</span>
        </div>
    }
}
