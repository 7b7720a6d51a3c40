//! "Edit selected": one instruction (and, optionally, one region given in percent of the
//! image, the same for every frame) becomes one directed edit per selected frame, each from
//! its own active version. The dialog shows the plan — one request per frame with an image,
//! the frames skipped for having none, the estimated cost against the budget — and "Start"
//! runs it through the same runner as any batch.

use crate::app::edits;
use crate::app::said::{self, Place};
use crate::app::selection::Selection;
use crate::app::state::AppState;
use crate::ui::fields::TextField;
use continuity_core::bulk_edit::{items, Region};
use continuity_core::cost::format_usd;
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The "Edit selected" dialog; closes by setting `open` to false.
#[component]
pub fn EditSelected(
    /// The series.
    store: Store<Series>,
    /// Whether the dialog is open.
    open: RwSignal<bool>,
    /// The frames chosen on the board.
    selection: Selection,
) -> impl IntoView {
    let state = AppState::get();
    let instruction = RwSignal::new(String::new());
    let use_region = RwSignal::new(false);
    let corners = [
        RwSignal::new("0".to_string()),
        RwSignal::new("0".to_string()),
        RwSignal::new("100".to_string()),
        RwSignal::new("100".to_string()),
    ];
    let region = Memo::new(move |_| -> Option<Result<Region, String>> {
        use_region.get().then(|| {
            let [l, t, w, h] = corners.map(|c| c.get());
            Region::from_percent(&l, &t, &w, &h)
        })
    });
    // One edit per chosen frame with an image; re-planned as the series or the text changes.
    let planned = Memo::new(move |_| {
        if !open.get() {
            return None;
        }
        store.track();
        state.settings.track();
        let chosen = selection.in_order(&store.frame_order().get());
        let masked = matches!(region.get(), Some(Ok(_)));
        let text = instruction.get();
        let (items, skipped) = store.with_untracked(|s| items(s, &chosen, &text, masked));
        let plan = edits::plan(state, store, &items);
        Some((items, skipped, plan))
    });
    // Said inside the dialog (the page behind it is inert while it is open).
    let problem = RwSignal::new(None::<String>);
    // Closing forgets the form: the next "Edit selected" starts empty.
    let close = move || {
        open.set(false);
        instruction.set(String::new());
        use_region.set(false);
        problem.set(None);
    };
    let start = move |_| {
        said::from(state, Place::Series);
        let text = instruction.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some(
                "Write what to change first, e.g. “change only the logo to the new one”.".into(),
            ));
            return;
        }
        let region = match region.get_untracked() {
            Some(Err(e)) => {
                problem.set(Some(e));
                return;
            }
            r => r.and_then(Result::ok),
        };
        let Some((items, _, _)) = planned.get_untracked() else {
            return;
        };
        close();
        edits::start_many(state, store, items, region);
    };
    let corner_field = move |label: &'static str, testid: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field narrow"><span>{label}</span>
                <input type="text" inputmode="decimal" data-testid=testid prop:value=move || value.get()
                    on:input:target=move |ev| value.set(ev.target().value())/></label>
        }
    };
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    crate::ui::modal::show_when_mounted(dialog);
    view! {
        <Show when=move || open.get()>
            <dialog class="dialog card" aria-labelledby="edit-selected-title" data-testid="edit-selected-dialog" node_ref=dialog
                on:close=move |_| close()>
                <h2 id="edit-selected-title">"Edit selected"</h2>
                <p class="muted small">"One edit per selected frame, each from the image it shows now; the result becomes a new version under it."</p>
                <TextField label="Instruction" value=Signal::derive(move || instruction.get())
                    on_change=Callback::new(move |t: String| instruction.set(t)) rows=2
                    placeholder="Change only … (everything else stays)" testid="bulk-instruction"/>
                <label class="check"><input type="checkbox" data-testid="bulk-use-region" prop:checked=move || use_region.get()
                    on:change=move |ev| use_region.set(event_target_checked(&ev))/>" Only a region may change (in % of each image)"</label>
                <Show when=move || use_region.get()>
                    <div class="row">
                        {corner_field("Left %", "region-left", corners[0])}
                        {corner_field("Top %", "region-top", corners[1])}
                        {corner_field("Width %", "region-width", corners[2])}
                        {corner_field("Height %", "region-height", corners[3])}
                    </div>
                    {move || match region.get() {
                        Some(Err(e)) => Some(view! { <p class="frame-error" role="alert" data-testid="region-error">{e}</p> }),
                        _ => None,
                    }}
                </Show>
                {move || planned.get().map(|(items, skipped, plan)| {
                    let summary = format!(
                        "{} edit{} · estimated {}",
                        items.len(),
                        if items.len() == 1 { "" } else { "s" },
                        format_usd(plan.total_usd)
                    );
                    let rows = plan.requests.iter().map(|r| view! {
                        <li data-testid="plan-row">
                            <span class="plan-title">{r.title.clone()}</span>
                            <span class="plan-cost">{format_usd(r.estimate_usd)}</span>
                            {(!r.blockers.is_empty()).then(|| view! { <span class="frame-error">{r.blockers.join(" ")}</span> })}
                        </li>
                    }).collect_view();
                    view! {
                        <p data-testid="bulk-summary">{summary}</p>
                        <ol class="plan-list">{rows}</ol>
                        {(!skipped.is_empty()).then(|| view! {
                            <p class="muted small" data-testid="bulk-skipped">{format!("No image to edit yet, so not edited: {}.", skipped.join(", "))}</p>
                        })}
                        {plan.refusal().map(|r| view! { <p class="frame-error" role="alert" data-testid="plan-refusal">{r}</p> })}
                    }
                })}
                {move || problem.get().map(|p| view! { <p class="frame-error" role="alert" data-testid="bulk-problem">{p}</p> })}
                <div class="row end">
                    <button class="btn ghost" on:click=move |_| close()>"Cancel"</button>
                    <button class="btn primary" data-testid="start-bulk-edit" on:click=start
                        disabled=move || planned.with(|p| p.as_ref().is_none_or(|(i, _, plan)| i.is_empty() || plan.refusal().is_some()))>"Start"</button>
                </div>
            </dialog>
        </Show>
    }
}
