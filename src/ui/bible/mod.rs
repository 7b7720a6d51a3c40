//! The series bible editor: style, palette, world, typography, always/never rules, and the
//! characters / products / props with their reference images (file picker, drag and drop,
//! paste; order matters, identity first). It edits the bible through the series' store. It is
//! the "Bible" drawer's content (a lazy part of its own).

mod describe;
mod entity;

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use crate::web::clock::random_u64;
use continuity_core::model::action::BibleText;
use continuity_core::model::bible::{palette_text, parse_palette, Bible, EntityKind};
use continuity_core::model::make_id;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use entity::EntityEditor;
use leptos::prelude::*;
use reactive_stores::Store;

/// A text field of the bible, read through a plain function and changed by an edit (one
/// instantiation serves every field).
fn bible_field(
    state: AppState,
    store: Store<Series>,
    get: fn(&Bible) -> String,
    field: BibleText,
) -> (Signal<String>, Callback<String>) {
    let value = Signal::derive(move || store.bible().with(get));
    let on_change = Callback::new(move |text: String| {
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::Bible(field, text)));
    });
    (value, on_change)
}

/// The bible editor for one series.
#[component]
pub fn BiblePanel(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let field =
        move |get: fn(&Bible) -> String, field: BibleText| bible_field(state, store, get, field);
    let (look, set_look) = field(|b| b.style.look.clone(), BibleText::Look);
    let (medium, set_medium) = field(|b| b.style.medium.clone(), BibleText::Medium);
    let (rendering, set_rendering) = field(|b| b.style.rendering.clone(), BibleText::Rendering);
    let (lens, set_lens) = field(|b| b.style.lens.clone(), BibleText::Lens);
    let (lighting, set_lighting) = field(|b| b.style.lighting.clone(), BibleText::Lighting);
    let (setting, set_setting) = field(|b| b.setting.clone(), BibleText::Setting);
    let (typography, set_typography) = field(|b| b.typography.clone(), BibleText::Typography);
    // Lists are typed as text; the model keeps trimmed non-empty lines, the field keeps
    // exactly what is typed while it has focus.
    let (always, set_always) = field(|b| b.always.join("\n"), BibleText::Always);
    let (never, set_never) = field(|b| b.never.join("\n"), BibleText::Never);
    // The palette: parsed on every edit; what is not a colour is shown, the rest is kept.
    let palette = Signal::derive(move || store.bible().with(|b| palette_text(&b.palette)));
    let palette_bad = RwSignal::new(Vec::<String>::new());
    let set_palette = Callback::new(move |text: String| {
        let (swatches, bad) = parse_palette(&text);
        palette_bad.set(bad);
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::Palette(swatches)));
    });
    // Tracked: a colour added to the palette shows at once.
    let swatches = move || {
        store.bible().with(|b| {
            b.palette
                .iter()
                .map(|s| {
                    view! { <span class="swatch" data-testid="swatch" style:background=s.hex.clone() title=s.hex.clone() aria-label=format!("{} {}", s.hex, s.name)></span> }
                })
                .collect_view()
        })
    };
    let entity_ids = Memo::new(move |_| {
        store
            .bible()
            .with(|b| b.entities.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
    });
    let add = move |kind: EntityKind| {
        move |_| {
            let id = make_id("e", random_u64());
            // New entities appear in every frame; frames can opt out in their shot spec.
            let added = edit::user(
                state,
                store,
                Edit::Series(SeriesEdit::AddEntity {
                    id: id.clone(),
                    kind,
                }),
            );
            // The new entity is at the end of the drawer, below the fold: its name field takes
            // the focus (which scrolls it into view), ready for the name.
            if added.is_ok() {
                request_animation_frame(move || focus_name(&id));
            }
        }
    };
    view! {
        <div class="bible" data-testid="bible">
            <p class="muted small">"Compiled into every frame’s prompt."</p>
            <div class="bible-grid">
                // One place for style: the overall look first, in the user's words (its test id
                // is the old "series style" field's, which it replaces).
                <div class="wide">
                    <TextField label="Overall style" hint="the look every frame shares, in your words" value=look on_change=set_look rows=2
                        placeholder="e.g. Flat vector illustration, teal and coral palette, soft paper grain" testid="series-style"/>
                </div>
                <TextField label="Medium" value=medium on_change=set_medium placeholder="Flat vector illustration" testid="bible-medium"/>
                <TextField label="Rendering" value=rendering on_change=set_rendering placeholder="Clean lines, soft paper grain"/>
                <TextField label="Lens / camera" value=lens on_change=set_lens placeholder="50 mm, eye level"/>
                <TextField label="Lighting" value=lighting on_change=set_lighting placeholder="Soft morning light"/>
                <div class="field">
                    <TextField label="Palette" hint="hex codes with optional names, comma-separated" value=palette on_change=set_palette
                        placeholder="#1F6FEB teal, #FF6600 coral" testid="bible-palette"/>
                    <span class="swatches" data-testid="swatches">{swatches}</span>
                    {move || {
                        let bad = palette_bad.get();
                        (!bad.is_empty()).then(|| view! { <span class="field-warning" role="status">"Not a colour: " {bad.join(", ")}</span> })
                    }}
                </div>
                <TextField label="Setting / world" value=setting on_change=set_setting rows=2/>
                <TextField label="Typography" value=typography on_change=set_typography rows=2 hint="for text drawn in images"/>
                // "Always" and "Never" are a pair: side by side, half the width each, never one
                // alone on a row.
                <div class="bible-rules">
                    <TextField label="Always" value=always on_change=set_always rows=3 hint="one rule per line" testid="bible-always"/>
                    <TextField label="Never" value=never on_change=set_never rows=3 hint="one rule per line" testid="bible-never"/>
                </div>
            </div>
            <describe::DescribeFromImages store=store/>
            <h3>"Characters, products and props"</h3>
            <div class="entities">
                <For each=move || entity_ids.get() key=|id| id.clone() let:eid>
                    <EntityEditor store=store entity_id=eid/>
                </For>
            </div>
            <div class="row">
                <button class="btn small" on:click=add(EntityKind::Character) data-testid="add-character">"+ Character"</button>
                <button class="btn small" on:click=add(EntityKind::Product)>"+ Product"</button>
                <button class="btn small" on:click=add(EntityKind::Prop)>"+ Prop"</button>
            </div>
        </div>
    }
}

/// Focuses the name field of entity `id` (once its editor is in the page) and scrolls its
/// editor to the top of the drawer, so its reference images show as they are added.
fn focus_name(id: &str) {
    use wasm_bindgen::JsCast;
    let Some(editor) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(&format!("[data-entity-id=\"{id}\"]"))
            .ok()
            .flatten()
    }) else {
        return;
    };
    if let Some(field) = editor
        .query_selector("[data-testid=entity-name]")
        .ok()
        .flatten()
        .and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = field.focus();
    }
    editor.scroll_into_view();
}
