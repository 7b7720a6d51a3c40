//! The series bible editor: style, palette, world, typography, always/never rules, and the
//! characters / products / props with their reference images (file picker, drag and drop,
//! paste; order matters, identity first). It edits the bible through the series' store.

mod entity;

use crate::app::history::{edit_record, edit_structure, Touched};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use crate::web::clock::random_u64;
use continuity_core::model::bible::{
    lines, palette_text, parse_palette, Bible, Entity, EntityKind,
};
use continuity_core::model::make_id;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use entity::EntityEditor;
use leptos::prelude::*;
use reactive_stores::Store;

/// A text field of the bible, read and written through plain functions (one instantiation
/// serves every field).
fn bible_field(
    state: AppState,
    store: Store<Series>,
    get: fn(&Bible) -> String,
    set: fn(&mut Bible, String),
) -> (Signal<String>, Callback<String>) {
    let value = Signal::derive(move || store.bible().with(get));
    // One undo step per burst of typing in this field (keyed by the getter).
    let key = format!("bible:{:p}", get as *const ());
    let on_change = Callback::new(move |text: String| {
        edit_record(state, store, &key, || {
            store.bible().update(|b| set(b, text))
        });
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
    let field = move |get: fn(&Bible) -> String, set: fn(&mut Bible, String)| {
        bible_field(state, store, get, set)
    };
    let (look, set_look) = field(|b| b.style.look.clone(), |b, v| b.style.look = v);
    let (medium, set_medium) = field(|b| b.style.medium.clone(), |b, v| b.style.medium = v);
    let (rendering, set_rendering) =
        field(|b| b.style.rendering.clone(), |b, v| b.style.rendering = v);
    let (lens, set_lens) = field(|b| b.style.lens.clone(), |b, v| b.style.lens = v);
    let (lighting, set_lighting) = field(|b| b.style.lighting.clone(), |b, v| b.style.lighting = v);
    let (setting, set_setting) = field(|b| b.setting.clone(), |b, v| b.setting = v);
    let (typography, set_typography) = field(|b| b.typography.clone(), |b, v| b.typography = v);
    // Lists are typed as text; the model keeps trimmed non-empty lines, the field keeps
    // exactly what is typed while it has focus.
    let (always, set_always) = field(|b| b.always.join("\n"), |b, v| b.always = lines(&v));
    let (never, set_never) = field(|b| b.never.join("\n"), |b, v| b.never = lines(&v));
    // The palette: parsed on every edit; what is not a colour is shown, the rest is kept.
    let palette = Signal::derive(move || store.bible().with(|b| palette_text(&b.palette)));
    let palette_bad = RwSignal::new(Vec::<String>::new());
    let set_palette = Callback::new(move |text: String| {
        let (swatches, bad) = parse_palette(&text);
        palette_bad.set(bad);
        edit_record(state, store, "bible:palette", || {
            store.bible().update(|b| b.palette = swatches)
        });
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
            let frames = store.frame_order().get_untracked();
            let touched = Touched {
                record: true,
                frames,
                versions: Vec::new(),
            };
            let new_id = id.clone();
            edit_structure(state, store, "Add entity", touched, move |s| {
                let b = &mut s.bible;
                let n = b.entities.iter().filter(|e| e.kind == kind).count() + 1;
                b.entities.push(Entity {
                    id: new_id.clone(),
                    kind,
                    name: format!("{} {n}", kind.label()),
                    description: String::new(),
                    must_not_change: Vec::new(),
                    references: Vec::new(),
                });
                // New entities appear in every frame; frames can opt out in their shot spec.
                for f in &mut s.frames {
                    f.shot.entities.push(new_id.clone());
                }
            });
        }
    };
    view! {
        <details class="card bible" data-testid="bible">
            <summary><h2>"Series bible"</h2><span class="muted small">" Compiled into every frame’s prompt"</span></summary>
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
        </details>
    }
}
