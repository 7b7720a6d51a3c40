//! Small form fields bound to a project. Their props are type-erased (`Signal`, `Callback`),
//! so each field component is compiled once however many fields a screen has — that keeps
//! the wasm bundle small.

use crate::state::AppState;
use continuity_core::model::Project;
use leptos::prelude::*;

/// A labelled text input or textarea.
#[component]
pub fn TextField(
    /// Visible label.
    label: &'static str,
    /// Current value.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the new value on every edit.
    #[prop(into)]
    on_change: Callback<String>,
    /// Rows for a textarea; 0 for a single-line input.
    #[prop(optional)]
    rows: u8,
    /// Placeholder text.
    #[prop(optional)]
    placeholder: &'static str,
    /// Hint shown after the label.
    #[prop(optional)]
    hint: &'static str,
    /// `data-testid`, for tests.
    #[prop(optional)]
    testid: &'static str,
) -> impl IntoView {
    let input = move |ev: leptos::ev::Event| on_change.run(event_target_value(&ev));
    let control = if rows == 0 {
        view! { <input type="text" placeholder=placeholder data-testid=testid prop:value=move || value.get() on:input=input/> }
            .into_any()
    } else {
        view! {
            <textarea rows=rows placeholder=placeholder data-testid=testid prop:value=move || value.get() on:input=input></textarea>
        }
        .into_any()
    };
    view! {
        <label class="field">
            <span>{label} {(!hint.is_empty()).then(|| view! { <small class="muted">" " {hint}</small> })}</span>
            {control}
        </label>
    }
}

/// A value of one project, read and written through plain functions (no closures, so one
/// instantiation serves every field).
pub fn project_field(
    state: AppState,
    project_id: String,
    get: fn(&Project) -> String,
    set: fn(&mut Project, String),
) -> (Signal<String>, Callback<String>) {
    let id = project_id.clone();
    let value = Signal::derive(move || {
        state
            .projects
            .with(|ps| ps.iter().find(|p| p.id == id).map(get).unwrap_or_default())
    });
    let on_change = Callback::new(move |text: String| {
        state.update_project(&project_id, |p| set(p, text));
    });
    (value, on_change)
}
