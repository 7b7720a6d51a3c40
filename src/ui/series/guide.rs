//! The guided flow as a compact stepper under the title bar: the five steps (write the bible →
//! generate the anchor → approve it → generate the series → review, edit, export) as numbers
//! with the current one named, one sentence about it, and its one action — the series'
//! primary button, which walks the same steps (see [`continuity_core::model::derived`]; the
//! current step follows the state, it is never stored). Steps 1 and 5 add their own action
//! ("Open the bible", "Open the first frame").

use crate::ui::inspector::InspectorTarget;
use continuity_core::model::derived::STEPS;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// One sentence about each step, by number − 1.
const SENTENCES: [&str; 5] = [
    "Style, palette and the characters or products every frame must share (you can skip it).",
    "The anchor is the frame every other frame is made from, so characters and style hold. Frame 1 is the anchor until you choose another (More actions → Make anchor).",
    "Look at the anchor: every other frame will copy its look. Approve it, or regenerate it until it is right.",
    "Every other frame, made from the approved anchor; you see the plan and its cost first.",
    "Open a frame to edit it, compare versions, or make locale variants; then export.",
];

/// The stepper. `actions` is the primary button (and "Retry failed"), shown as the current
/// step's action.
#[component]
pub fn Stepper(
    /// The series.
    store: Store<Series>,
    /// Opens the bible drawer.
    open_bible: Callback<()>,
    /// The primary button and what goes with it.
    children: Children,
) -> impl IntoView {
    let derived = crate::app::derived::get();
    let inspector = use_context::<InspectorTarget>();
    let step = Memo::new(move |_| derived.with(|d| d.step));
    let review = move |_| {
        let first = store.frame_order().with(|o| o.first().cloned());
        if let (Some(i), Some(fid)) = (inspector, first) {
            i.open(&fid);
        }
    };
    let items = (1..=5u8)
        .map(|n| {
            let current = move || step.get() == n;
            let done = move || step.get() > n;
            let title = STEPS[usize::from(n - 1)];
            view! {
                <li class="step" class:current=current class:done=done data-step=n.to_string()
                    aria-current=move || current().then_some("step")>
                    <span class="step-number" aria-hidden="true">{move || if done() { "✓".to_string() } else { n.to_string() }}</span>
                    <span class="step-title" class:sr-only=move || !current()>
                        {title}{move || done().then_some(" (done)")}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="stepper" aria-label="Steps to a consistent series" data-testid="guide"
            data-step=move || step.get().to_string()>
            <ol class="steps">{items}</ol>
            <p class="step-sentence small muted" data-testid="guide-sentence">
                {move || SENTENCES[usize::from(step.get().clamp(1, 5) - 1)]}
            </p>
            <div class="step-actions">
                {move || match step.get() {
                    1 => Some(view! { <button class="btn small" data-testid="guide-bible" on:click=move |_| open_bible.run(())>"Open the bible"</button> }.into_any()),
                    5 => Some(view! { <button class="btn small" data-testid="guide-review" on:click=review>"Open the first frame"</button> }.into_any()),
                    _ => None,
                }}
                {children()}
            </div>
        </section>
    }
}
