//! The series' output settings: locales, model, quality, format, variants per frame (style
//! lives in the bible: one place for it).

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// Output settings: locales, model, quality, format, variants per frame.
#[component]
pub fn OutputSettingsCard(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let locales = Signal::derive(move || store.locales().get().join(", "));
    let set_locales = Callback::new(move |text: String| {
        let list = continuity_core::locale::parse_list(&text);
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::Locales(list)));
    });
    let output = Memo::new(move |_| Some(store.output().get()));
    let set = move |apply: fn(&mut continuity_core::model::OutputSettings, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let mut output = store.output().get_untracked();
            apply(&mut output, value);
            let _ = edit::user(state, store, Edit::Series(SeriesEdit::Output(output)));
        }
    };
    let options = move |values: Vec<(String, String)>, current: String| {
        values
            .into_iter()
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    // Ended models are not offered (the series' own stays visible, labelled ended).
    let today = || continuity_core::model_line::date_of_ms(crate::web::clock::now_ms());
    let models = move || {
        let current = output.get().map(|o| o.model).unwrap_or_default();
        let list =
            continuity_core::model_line::choices(&state.catalogue().get(), &current, &today())
                .into_iter()
                .map(|c| (c.id, c.label))
                .collect();
        options(list, current)
    };
    let lifecycle = move || {
        let current = output.get()?.model;
        let note = continuity_core::model_line::lifecycle_note(
            &state.catalogue().get(),
            &current,
            &today(),
        )?;
        Some(
            view! { <p class="field-warning" role="status" data-testid="model-lifecycle">{note}</p> },
        )
    };
    let model_note = move || {
        let o = output.get()?;
        let c = state.catalogue().get();
        let m = c.get(&o.model)?;
        let size_problem = m.check_size(o.size).err().map(|e| format!(" {e}"));
        Some(format!("{}{}", m.note, size_problem.unwrap_or_default()))
    };
    let qualities = move || {
        let o = output.get();
        let current = o.as_ref().map(|o| o.quality.clone()).unwrap_or_default();
        let list = o
            .and_then(|o| {
                state
                    .catalogue()
                    .get()
                    .get(&o.model)
                    .map(|m| m.qualities.clone())
            })
            .unwrap_or_default()
            .into_iter()
            .map(|q| (q.clone(), q))
            .collect();
        options(list, current)
    };
    let formats = move || {
        let current = output.get().map(|o| o.output_format).unwrap_or_default();
        options(
            ["png", "jpeg", "webp"]
                .iter()
                .map(|f| (f.to_string(), f.to_uppercase()))
                .collect(),
            current,
        )
    };
    let variants = move || {
        let current = output
            .get()
            .map(|o| o.variants.to_string())
            .unwrap_or_default();
        options(
            (1..=4).map(|n| (n.to_string(), n.to_string())).collect(),
            current,
        )
    };
    // Each select is named by its own label only (`for`), never by its options' text.
    view! {
        <div class="series-settings">
            <div class="grow">
                <TextField label="Locales" hint="the language of your text first, then the languages to make variants in" value=locales on_change=set_locales
                    placeholder="en, zh-Hans, ar, hi, ru" testid="series-locales"/>
            </div>
            <div class="field model"><label for="series-model">"Model"</label>
                <select id="series-model" on:change=set(|o, v| o.model = v) data-testid="model">{models}</select></div>
            <div class="field narrow"><label for="series-quality">"Quality"</label>
                <select id="series-quality" on:change=set(|o, v| o.quality = v) data-testid="quality">{qualities}</select></div>
            <div class="field narrow"><label for="series-format">"Format"</label>
                <select id="series-format" on:change=set(|o, v| o.output_format = v) data-testid="format">{formats}</select></div>
            <div class="field narrow"><label for="series-variants">"Variants"</label>
                <select id="series-variants" on:change=set(|o, v| o.variants = v.parse().unwrap_or(1)) data-testid="variants">{variants}</select></div>
            {lifecycle}
            <p class="muted small model-note">{model_note}</p>
        </div>
    }
}
