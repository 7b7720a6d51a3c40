//! Form fields bound to the model. Their props are type-erased (`Signal`, `Callback`), so each
//! field component is compiled once however many fields a screen has — that keeps the wasm
//! bundle small.
//!
//! The rule they keep: **a field the user is typing in is never rewritten from state while it
//! has focus.** The model may normalise what it receives (trim lines, parse a palette), but
//! that never flows back into the field under the caret; the field shows the model's value
//! again when it loses focus, or when the model changes while it is not focused (another tab,
//! an undo). IME composition is not sent to the model until it is committed.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Whether `element` has the keyboard focus.
fn focused(element: &web_sys::Element) -> bool {
    element
        .owner_document()
        .and_then(|d| d.active_element())
        .is_some_and(|active| &active == element)
}

/// Keeps a text control in step with `value` except while it is focused (pair it with
/// [`set_value`] on `blur`, so the field shows the model's value again when left).
pub(crate) fn bind_text<E>(node: NodeRef<E>, value: Signal<String>)
where
    E: html::ElementType + 'static,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        let wanted = value.get();
        let Some(el) = node.get() else { return };
        let el: web_sys::Element = el.unchecked_into();
        if focused(&el) {
            return;
        }
        set_value(&el, &wanted);
    });
}

/// Puts `text` into an input or textarea, unless it already shows exactly that (so the caret
/// does not jump).
pub(crate) fn set_value(el: &web_sys::Element, text: &str) {
    if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
        if input.value() != text {
            input.set_value(text);
        }
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        if area.value() != text {
            area.set_value(text);
        }
    }
}

/// The `input` handler: sends the text unless an IME composition is in progress (its
/// `compositionend` sends the committed text instead).
fn on_input(on_change: Callback<String>) -> impl Fn(leptos::ev::Event) + Clone {
    move |ev: leptos::ev::Event| {
        let composing = ev
            .dyn_ref::<web_sys::InputEvent>()
            .is_some_and(|e| e.is_composing());
        if !composing {
            on_change.run(event_target_value(&ev));
        }
    }
}

/// On blur, shows the model's value again (normalised). A focused field removed with its row
/// (a closed menu, a deleted frame) is blurred after its signals are gone: nothing to do then,
/// hence the `try_` reads instead of a panic.
fn restore(el: Option<impl JsCast>, value: Signal<String>) {
    if let (Some(el), Some(text)) = (el, value.try_get_untracked()) {
        set_value(el.unchecked_ref(), &text);
    }
}

/// A page-unique element id starting with `prefix` (for a `<label for>` and its control).
pub fn unique_id(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A labelled text input or textarea: named by its label only (`<label for>`); the hint
/// describes it.
#[component]
pub fn TextField(
    /// Visible label.
    label: &'static str,
    /// The model's value (shown whenever the field is not focused).
    #[prop(into)]
    value: Signal<String>,
    /// Called with the typed text on every edit (normalise it on the way into the model).
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
    let id = unique_id("field");
    let hint_id = (!hint.is_empty()).then(|| format!("{id}-hint"));
    let control = text_control(
        value,
        on_change,
        rows,
        placeholder,
        testid,
        Some(id.clone()),
        hint_id.clone(),
    );
    view! {
        <div class="field">
            <span><label for=id>{label}</label> {hint_id.map(|h| view! { <small class="muted" id=h>" " {hint}</small> })}</span>
            {control}
        </div>
    }
}

/// The bare control of a [`TextField`] (for rows that label it themselves): `id` for their
/// `<label for>`, and the id of what describes it (a hint), if anything.
#[allow(clippy::too_many_arguments)]
pub fn text_control(
    value: Signal<String>,
    on_change: Callback<String>,
    rows: u8,
    placeholder: &'static str,
    testid: &'static str,
    id: Option<String>,
    described_by: Option<String>,
) -> AnyView {
    let input = on_input(on_change);
    let commit = move |ev: leptos::ev::CompositionEvent| {
        on_change.run(event_target_value(&ev));
    };
    if rows == 0 {
        let node = NodeRef::<html::Input>::new();
        bind_text(node, value);
        let blur = move |_| restore(node.try_get_untracked().flatten(), value);
        view! {
            <input type="text" node_ref=node id=id placeholder=placeholder data-testid=testid aria-describedby=described_by
                on:input=input on:compositionend=commit on:blur=blur/>
        }
        .into_any()
    } else {
        let node = NodeRef::<html::Textarea>::new();
        bind_text(node, value);
        let blur = move |_| restore(node.try_get_untracked().flatten(), value);
        view! {
            <textarea rows=rows node_ref=node id=id placeholder=placeholder data-testid=testid aria-describedby=described_by
                on:input=input on:compositionend=commit on:blur=blur></textarea>
        }
        .into_any()
    }
}
