//! A frame's shot spec: framing, lighting, mood, on-image text (one row per line of text:
//! the text, its language, where it goes), constraints, and which bible entities appear.

use crate::app::edit::{self, Edit};
use crate::app::state::AppState;
use crate::ui::fields::{text_control, unique_id, TextField};
use continuity_core::model::action::{FrameEdit, ShotText, TextPart};
use continuity_core::model::frame::FrameStoreFields;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::shot::{OnImageText, ShotSpec, ShotSpecStoreFields, TEXT_LANGUAGES};
use continuity_core::model::{Frame, Series};
use leptos::prelude::*;
use reactive_stores::{Field, Store};

/// The shot editor of one frame.
#[component]
pub fn ShotEditor(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame: Field<Frame>,
    /// The frame's id.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let edit = move |change: FrameEdit| {
        let _ = edit::user(state, store, Edit::frame(&fid.get_value(), change));
    };
    let bind = move |get: fn(&ShotSpec) -> String, make: fn(String) -> FrameEdit| {
        let value = Signal::derive(move || frame.shot().try_with(get).unwrap_or_default());
        let on_change = Callback::new(move |text: String| edit(make(text)));
        (value, on_change)
    };
    let (shot_size, set_shot_size) = bind(
        |s| s.shot_size.clone(),
        |v| FrameEdit::Shot(ShotText::ShotSize, v),
    );
    let (angle, set_angle) = bind(
        |s| s.camera_angle.clone(),
        |v| FrameEdit::Shot(ShotText::CameraAngle, v),
    );
    let (setting, set_setting) = bind(
        |s| s.setting.clone(),
        |v| FrameEdit::Shot(ShotText::Setting, v),
    );
    let (lighting, set_lighting) = bind(
        |s| s.lighting.clone(),
        |v| FrameEdit::Shot(ShotText::Lighting, v),
    );
    let (mood, set_mood) = bind(|s| s.mood.clone(), |v| FrameEdit::Shot(ShotText::Mood, v));
    let (composition, set_composition) = bind(
        |s| s.composition.clone(),
        |v| FrameEdit::Shot(ShotText::Composition, v),
    );
    // Normalised on the way in (one constraint per non-empty line); the field keeps what is
    // typed while it has focus.
    let (constraints, set_constraints) = bind(|s| s.constraints.join("\n"), FrameEdit::Constraints);
    // Entities come from the bible (tracked: an entity added later shows up here).
    let entities = move || {
        let chosen = frame.shot().entities().try_get().unwrap_or_default();
        store
            .bible()
            .with(|b| {
                b.entities
                    .iter()
                    .map(|e| (e.id.clone(), e.name.clone()))
                    .collect::<Vec<_>>()
            })
            .into_iter()
            .map(|(eid, name)| {
                let checked = chosen.contains(&eid);
                let toggle = move |_| edit(FrameEdit::ToggleEntity(eid.clone()));
                view! { <label class="check"><input type="checkbox" data-testid="entity-pick" prop:checked=checked on:change=toggle/>{name}</label> }
            })
            .collect_view()
    };
    let text_count = Memo::new(move |_| frame.shot().texts().try_with(Vec::len).unwrap_or(0));
    let add_text = move |_| edit(FrameEdit::AddText);
    view! {
        <div class="shot-grid">
            <TextField label="Shot size" value=shot_size on_change=set_shot_size placeholder="wide / medium / close-up"/>
            <TextField label="Camera angle" value=angle on_change=set_angle placeholder="eye level"/>
            <TextField label="Setting" value=setting on_change=set_setting/>
            <TextField label="Lighting" value=lighting on_change=set_lighting/>
            <TextField label="Mood" value=mood on_change=set_mood/>
            <TextField label="Composition" value=composition on_change=set_composition rows=2/>
            <fieldset class="texts" data-testid="shot-texts">
                <legend>"Text in the image" <small class="muted">" exactly as written, any script"</small></legend>
                <For each=move || 0..text_count.get() key=|i| *i let:i>
                    <TextRow frame=frame index=i locales=Signal::derive(move || store.locales().get().into_iter().skip(1).collect()) edit=Callback::new(move |change: (usize, TextPart, String)| {
                        let (i, part, value) = change;
                        edit(FrameEdit::Text(i, part, value));
                    }) remove=Callback::new(move |i: usize| edit(FrameEdit::RemoveText(i)))/>
                </For>
                <button type="button" class="btn ghost small" on:click=add_text data-testid="add-text">"+ Add text"</button>
            </fieldset>
            <TextField label="Constraints" value=constraints on_change=set_constraints rows=2 hint="one per line"/>
            <fieldset class="entity-picks"><legend>"Appears in this frame"</legend>{entities}</fieldset>
        </div>
    }
}

/// One line of on-image text: the exact text, its language (or "detect from the script"),
/// and where it goes.
#[component]
fn TextRow(
    /// The frame.
    frame: Field<Frame>,
    /// Which row.
    index: usize,
    /// The series' locales to translate into (its first locale is the text's own).
    #[prop(into)]
    locales: Signal<Vec<String>>,
    /// Called with `(row, part, value)` on every edit.
    edit: Callback<(usize, TextPart, String)>,
    /// Called with the row to remove it.
    remove: Callback<usize>,
) -> impl IntoView {
    let part = move |get: fn(&OnImageText) -> String| {
        Signal::derive(move || {
            frame
                .shot()
                .texts()
                .try_with(|t| t.get(index).map(get).unwrap_or_default())
                .unwrap_or_default()
        })
    };
    let text = part(|t| t.text.clone());
    let language = part(|t| t.language.clone());
    let placement = part(|t| t.placement.clone());
    let set =
        move |which: TextPart| Callback::new(move |v: String| edit.run((index, which.clone(), v)));
    // One field per locale to translate into, typed like the text itself.
    let translations = move || {
        locales
            .get()
            .into_iter()
            .map(|locale| {
                let name = continuity_core::locale::name(&locale);
                let rtl = continuity_core::locale::is_rtl(&locale);
                let key = locale.clone();
                let value = Signal::derive(move || {
                    frame
                        .shot()
                        .texts()
                        .try_with(|t| t.get(index).and_then(|t| t.translations.get(&key).cloned()))
                        .flatten()
                        .unwrap_or_default()
                });
                let id = unique_id("translation");
                let control = text_control(value, set(TextPart::Translation(locale.clone())), 0, "translation", "text-translation",
                    Some(id.clone()), None);
                view! {
                    <div class="translation" lang=locale.clone() dir=if rtl { "rtl" } else { "auto" } data-locale=locale.clone()>
                        <label class="small muted" for=id>{format!("Text {} in {name}", index + 1)}</label>{control}
                    </div>
                }
            })
            .collect_view()
    };
    let languages = move || {
        let current = language.get();
        let known = current.is_empty() || TEXT_LANGUAGES.contains(&current.as_str());
        let mut options: Vec<(String, String)> =
            vec![(String::new(), "Detect from the script".into())];
        options.extend(
            TEXT_LANGUAGES
                .iter()
                .map(|l| (l.to_string(), l.to_string())),
        );
        if !known {
            options.push((current.clone(), current.clone()));
        }
        options
            .into_iter()
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let on_language =
        move |ev: leptos::ev::Event| edit.run((index, TextPart::Language, event_target_value(&ev)));
    let (text_id, language_id, placement_id) = (
        unique_id("text"),
        unique_id("language"),
        unique_id("placement"),
    );
    view! {
        <div class="text-row" data-testid="text-row">
            <label class="sr-only" for=text_id.clone()>{format!("Text {}", index + 1)}</label>
            {text_control(text, set(TextPart::Text), 0, "Exact text, e.g. 限时 5 折", "text-value", Some(text_id), None)}
            <label class="sr-only" for=language_id.clone()>{format!("Language of text {}", index + 1)}</label>
            <select id=language_id data-testid="text-language" on:change=on_language>{languages}</select>
            <label class="sr-only" for=placement_id.clone()>{format!("Placement of text {}", index + 1)}</label>
            {text_control(placement, set(TextPart::Placement), 0, "where, e.g. top third", "text-placement", Some(placement_id), None)}
            <button type="button" class="btn ghost small danger" aria-label=format!("Remove text {}", index + 1) on:click=move |_| remove.run(index)>"✕"</button>
            <div class="translations">{translations}</div>
        </div>
    }
}
