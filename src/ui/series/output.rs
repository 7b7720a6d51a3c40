//! The series' output settings: locales, model, quality, format, variants per frame (style
//! lives in the bible: one place for it).

use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::output_options::{
    complexities, fit_to_model, transparent_note, transparent_unsupported, with_transparent,
};
use leptos::prelude::*;
use reactive_stores::Store;

/// Output settings: locales, model, quality (and complexity where the model takes it),
/// format, variants per frame, transparent background.
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
    // What a change of model or of transparency dropped or switched, said where it happened.
    let notices = RwSignal::new(Vec::<String>::new());
    let save = move |output: continuity_core::model::OutputSettings, said: Vec<String>| {
        notices.set(said);
        let _ = edit::user(state, store, Edit::Series(SeriesEdit::Output(output)));
    };
    // A new model keeps only the quality and complexity it takes (each drop is said).
    let set_model = move |ev: leptos::ev::Event| {
        let mut output = store.output().get_untracked();
        output.model = event_target_value(&ev);
        let fitted = state
            .catalogue()
            .with_untracked(|c| c.get(&output.model).map(|m| fit_to_model(&output, m)));
        let (output, said) = fitted.unwrap_or((output, Vec::new()));
        save(output, said);
    };
    let set_transparent = move |ev: leptos::ev::Event| {
        let (output, notice) =
            with_transparent(&store.output().get_untracked(), event_target_checked(&ev));
        save(output, notice.into_iter().collect());
    };
    let set_complexity = move |ev: leptos::ev::Event| {
        let mut output = store.output().get_untracked();
        let value = event_target_value(&ev);
        output.complexity = (!value.is_empty()).then_some(value);
        save(output, Vec::new());
    };
    let model_info = move || {
        let model = output.get()?.model;
        state.catalogue().with(|c| c.get(&model).cloned())
    };
    let transparent = move || output.get().is_some_and(|o| o.transparent_background);
    let transparent_why = move || model_info().and_then(|m| transparent_unsupported(&m));
    let transparent_hint = move || match (transparent_why(), model_info()) {
        (Some(why), _) => why,
        (None, Some(m)) => format!("PNG or WebP only{}.", transparent_note(&m)),
        (None, None) => String::new(),
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
    // JPEG has no alpha channel: not offered with a transparent background.
    let formats = move || {
        let current = output.get().map(|o| o.output_format).unwrap_or_default();
        let with_alpha = transparent();
        options(
            ["png", "jpeg", "webp"]
                .iter()
                .filter(|f| !(with_alpha && **f == "jpeg"))
                .map(|f| (f.to_string(), f.to_uppercase()))
                .collect(),
            current,
        )
    };
    // Shown only on models that take `complexity`; empty leaves it to the model.
    let complexity = move || {
        let m = model_info()?;
        let values = complexities(&m);
        if values.is_empty() {
            return None;
        }
        let current = output.get()?.complexity.unwrap_or_default();
        let list = std::iter::once((String::new(), "Model decides".to_string()))
            .chain(values.iter().map(|v| (v.to_string(), v.to_string())))
            .collect();
        let choices = options(list, current);
        Some(view! {
            <div class="field narrow"><label for="series-complexity">"Complexity"</label>
                <select id="series-complexity" on:change=set_complexity data-testid="complexity">{choices}</select></div>
        })
    };
    let said = move || {
        notices
            .get()
            .into_iter()
            .map(|text| view! { <p class="field-warning" role="status" data-testid="output-notice">{text}</p> })
            .collect_view()
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
                <select id="series-model" on:change=set_model data-testid="model">{models}</select></div>
            <div class="field narrow"><label for="series-quality">"Quality"</label>
                <select id="series-quality" on:change=set(|o, v| o.quality = v) data-testid="quality">{qualities}</select></div>
            <div class="field narrow"><label for="series-format">"Format"</label>
                <select id="series-format" on:change=set(|o, v| o.output_format = v) data-testid="format">{formats}</select></div>
            <div class="field narrow"><label for="series-variants">"Variants"</label>
                <select id="series-variants" on:change=set(|o, v| o.variants = v.parse().unwrap_or(1)) data-testid="variants">{variants}</select></div>
            {complexity}
            <div class="field transparent">
                // Disabled where the model cannot make it, unless ticked (so it can be unticked).
                <label class="check"><input type="checkbox" data-testid="transparent-background"
                    prop:checked=transparent on:change=set_transparent aria-describedby="transparent-why"
                    prop:disabled=move || !transparent() && transparent_why().is_some()/>"Transparent background"</label>
                <p id="transparent-why" class="muted small" data-testid="transparent-reason">{transparent_hint}</p>
            </div>
            {said}
            {lifecycle}
            <p class="muted small model-note">{model_note}</p>
        </div>
    }
}
