//! The directed edit of the shown version: an instruction ("change only …"), an optional mask
//! painted over the image or marks drawn on it ("Mark changes", on models with markup edits),
//! what will be sent, and "Edit". Each edit starts from the version it
//! is made on, so a chain of edits is a path in the version tree.

use super::mask_painter::Mask;
use crate::app::edits::{self, EditJob};
use crate::app::said::{self, Place};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use crate::ui::said::SaidHere;
use crate::web::markup::Mark;
use continuity_core::compiler::{compile_edit, EditSpec};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The edit form.
#[component]
pub fn EditForm(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame_id: String,
    /// The version the edit starts from (the shown one).
    base: Memo<Option<String>>,
    /// Whether the mask painter is shown.
    painting: RwSignal<bool>,
    /// The painted mask.
    mask: RwSignal<Mask>,
    /// Whether the markup layer ("Mark changes") is shown; never together with the mask.
    marking: RwSignal<bool>,
    /// The marks drawn.
    marks: RwSignal<Vec<Mark>>,
) -> impl IntoView {
    let state = AppState::get();
    let fid = StoredValue::new(frame_id);
    let instruction = RwSignal::new(String::new());
    let set_instruction = Callback::new(move |t: String| instruction.set(t));
    let masked = Memo::new(move |_| {
        painting.get() && mask.with(|m| crate::web::canvas::paints_anything(&m.strokes, m.inverted))
    });
    // Why the series' model cannot take markup (`None`: it can).
    let no_markup = Memo::new(move |_| {
        let model = store.output().with(|o| o.model.clone());
        state.catalogue().with(|c| {
            let m = c.get(&model)?;
            (!m.markup).then(|| {
                format!(
                    "{} has no markup edits: choose a 2.5 or 2.6 model in the series settings to mark changes.",
                    m.label
                )
            })
        })
    });
    let marked = Memo::new(move |_| {
        !masked.get()
            && marking.get()
            && no_markup.with(Option::is_none)
            && marks.with(|m| crate::web::markup::marks_anything(m))
    });
    // The mask and the marks exclude each other (the API refuses both in one request).
    let toggle_mask = move |_| {
        marking.set(false);
        painting.update(|p| *p = !*p);
    };
    let toggle_marks = move |_| {
        painting.set(false);
        marking.update(|m| *m = !*m);
    };
    let preview = move || {
        let base_id = base.get()?;
        let text = instruction.get();
        store.with(|s| {
            let index = s.frames.iter().position(|f| f.id == fid.get_value())?;
            let v = s.version(&base_id)?;
            let spec = EditSpec {
                base_key: v.image.hash.clone(),
                base_label: edits::base_label(s, v),
                instruction: if text.trim().is_empty() {
                    "(your instruction)".into()
                } else {
                    text.trim().to_string()
                },
                masked: masked.get(),
                marked: marked.get(),
                replaces_text: false,
            };
            Some(compile_edit(s, index, &spec).prompt)
        })
    };
    // What the edit should cost, before anything is sent (the plan the runner will use).
    let estimate = move || {
        let base_id = base.get()?;
        let item = continuity_core::requests::Item {
            job_id: fid.get_value(),
            frame_id: fid.get_value(),
            work: continuity_core::requests::Work::Edit {
                base: base_id,
                instruction: instruction.get(),
                masked: masked.get(),
                marked: marked.get(),
            },
        };
        store.track();
        let plan = edits::plan(state, store, &[item]);
        Some(format!(
            "Estimated {}",
            continuity_core::cost::format_usd(plan.total_usd)
        ))
    };
    let locale_missing = Memo::new(move |_| {
        store.track();
        store.with_untracked(|s| continuity_core::locale::missing_locales(s, &fid.get_value()))
    });
    let locale_line = move || {
        let missing = locale_missing.get();
        if missing.is_empty() {
            "Every locale with translated text has its variant (translations are typed in the frame's text rows).".to_string()
        } else {
            format!(
                "To make: {}.",
                missing
                    .iter()
                    .map(|l| continuity_core::locale::name(l))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    let send = move |_| {
        let Some(base_id) = base.get_untracked() else {
            return;
        };
        let text = instruction.get_untracked();
        said::from(state, Place::Inspector);
        if text.trim().is_empty() {
            said::refuse(
                state,
                "Write what to change first, e.g. “change only the jacket to red”.",
            );
            return;
        }
        let m = masked.get_untracked().then(|| mask.get_untracked());
        let drawn = marked.get_untracked().then(|| marks.get_untracked());
        edits::start(
            state,
            store,
            EditJob {
                frame_id: fid.get_value(),
                base_version: base_id,
                instruction: text.trim().to_string(),
                mask: m,
                marks: drawn,
            },
        );
    };
    view! {
        <section class="edit-form" aria-label="Edit this version">
            <h3>"Edit"</h3>
            <TextField label="Instruction" value=Signal::derive(move || instruction.get()) on_change=set_instruction rows=2
                placeholder="Change only … (everything else stays)" testid="edit-instruction"/>
            <div class="row">
                <button type="button" class="btn small" aria-pressed=move || painting.get().to_string()
                    on:click=toggle_mask>"Paint mask"</button>
                <button type="button" class="btn small" aria-pressed=move || marking.get().to_string()
                    data-testid="mark-changes" disabled=move || no_markup.with(Option::is_some)
                    title=move || no_markup.get().unwrap_or_default() aria-describedby="markup-why"
                    on:click=toggle_marks>"Mark changes"</button>
                <span class="muted small" data-testid="edit-overlay-note">{move || if masked.get() {
                    "Only the painted area may change."
                } else if marked.get() {
                    "The marks are sent as markup: they show what to change (never drawn into the result)."
                } else {
                    "No mask or marks: the instruction alone says what changes."
                }}</span>
            </div>
            <p id="markup-why" class="muted small" data-testid="markup-unavailable">{move || no_markup.get()}</p>
            <details class="more">
                <summary>"What will be sent"</summary>
                <pre class="prompt" data-testid="edit-sent-prompt">{preview}</pre>
            </details>
            <div class="row end">
                <span class="muted small" data-testid="edit-estimate">{estimate}</span>
                <button class="btn primary" data-testid="send-edit" on:click=send>"Edit"</button>
            </div>
            <SaidHere place=Place::Inspector/>
        </section>
        <Show when=move || store.locales().with(|l| l.len() > 1)>
            <section class="locale-actions" aria-label="Locales of this frame">
                <h3>"Locales"</h3>
                <p class="muted small">{locale_line}</p>
                <button class="btn small" data-testid="make-frame-locales" disabled=move || locale_missing.with(Vec::is_empty)
                    on:click=move |_| {
                        said::from(state, Place::Inspector);
                        edits::start_locales(state, store, edits::locale_items(store, &[fid.get_value()]))
                    }>"Make locale variants"</button>
            </section>
        </Show>
    }
}
