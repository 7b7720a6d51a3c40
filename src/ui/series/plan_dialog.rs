//! The plan preview: before a batch spends money, it shows every request (which wait for the
//! anchor, which carry reference images), the estimated cost and the series budget, and
//! refuses to start a plan over the budget.

use crate::app::runner;
use crate::app::said::{self, Place};
use crate::app::state::AppState;
use continuity_core::cost::{format_usd, BATCH_PRICE_FACTOR, BATCH_RATE_LABEL};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The plan dialog for `scope`; closes by setting `open` to `None`.
#[component]
pub fn PlanDialog(
    /// The series.
    store: Store<Series>,
    /// The scope being planned, or `None` when closed.
    open: RwSignal<Option<Scope>>,
) -> impl IntoView {
    let state = AppState::get();
    let pid = StoredValue::new(store.id().get_untracked());
    let plan = Memo::new(move |_| {
        // Re-plan whenever the series or settings change while the dialog is open (and
        // only then: closed, it tracks nothing).
        let scope = open.get()?;
        store.track();
        state.settings.track();
        runner::plan_for(state, &pid.read_value(), &scope)
    });
    let budget_text = move || {
        store
            .budget_usd()
            .get()
            .map(|b| format!("{b:.2}"))
            .unwrap_or_default()
    };
    let set_budget = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let budget = text
            .trim()
            .trim_start_matches('$')
            .parse::<f64>()
            .ok()
            .filter(|b| b.is_finite() && *b > 0.0);
        let budget = crate::app::edit::Edit::Series(crate::app::edit::SeriesEdit::Budget(budget));
        let _ = crate::app::edit::user(state, store, budget);
    };
    // "Now" or "Batch: half price, within 24 h" (the anchor is always made now).
    let batch_mode = RwSignal::new(false);
    let offers_batch = move || {
        plan.with(|p| {
            p.as_ref()
                .is_some_and(|p| p.requests.iter().any(|r| !r.is_anchor))
        })
    };
    // Whether this browser may reach the Batch API, asked when Batch is chosen (before
    // anything is uploaded): `None` while asking.
    let batch_check: RwSignal<Option<Result<(), String>>> = RwSignal::new(None);
    let choose_batch = move |_| {
        batch_mode.set(true);
        batch_check.set(None);
        leptos::task::spawn_local(async move {
            let answer = crate::parts::batch_check(state)
                .await
                .unwrap_or_else(|missing| Err(missing.to_string()));
            let _ = batch_check.try_set(Some(answer));
        });
    };
    let batch_blocked = move || batch_mode.get() && !matches!(batch_check.get(), Some(Ok(())));
    let start = move |_| {
        if let Some(plan) = plan.get_untracked() {
            // Read before the dialog closes (closed, it plans nothing).
            let batch = batch_mode.get_untracked() && plan.requests.iter().any(|r| !r.is_anchor);
            open.set(None);
            // The dialog closes: a refusal is said by the button that opened it.
            said::from(state, Place::Series);
            if batch {
                let series_id = pid.read_value().clone();
                leptos::task::spawn_local(async move {
                    if let Err(missing) = crate::parts::batch_submit(state, series_id, plan).await {
                        said::refuse(state, missing.to_string());
                    }
                });
            } else {
                runner::start(state, &pid.read_value(), &plan);
            }
        }
    };
    let close = move || open.set(None);
    // A native modal: focus moves in and stays in, Escape closes it.
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    crate::ui::modal::show_when_mounted(dialog);
    view! {
        <Show when=move || open.get().is_some()>
            <dialog class="dialog card" aria-labelledby="plan-title" data-testid="plan" node_ref=dialog
                on:close=move |_| close()>
                <h2 id="plan-title">"Plan"</h2>
                {move || plan.get().map(|p| {
                    let waiting = p.waiting_for_anchor();
                    let anchor = p.requests.iter().find(|r| r.is_anchor).map(|r| r.title.clone());
                    let assumed = p.requests.iter().any(|r| r.estimate_assumed);
                    let summary = format!(
                        "{} request{} · estimated {}{}",
                        p.requests.len(),
                        if p.requests.len() == 1 { "" } else { "s" },
                        format_usd(p.total_usd),
                        if assumed { " (includes assumed prices)" } else { "" }
                    );
                    let refusal = p.refusal();
                    let anchor_usd: f64 = p.requests.iter().filter(|r| r.is_anchor).map(|r| r.estimate_usd).sum();
                    let rows = p.requests.into_iter().map(|r| {
                        // A request waiting for a new anchor gets it as image 1 when it starts.
                        let images = r.compiled.references.len() + usize::from(r.waits_for_anchor && !r.compiled.uses_anchor);
                        let plural = if images == 1 { "" } else { "s" };
                        let kind = if r.is_anchor {
                            "the anchor · made first".to_string()
                        } else if r.waits_for_anchor || r.compiled.uses_anchor {
                            // Image 1 is the anchor; the rest are the entities' references.
                            let others = images.saturating_sub(1);
                            let wait = if r.waits_for_anchor { "waits for the anchor, then " } else { "" };
                            match others {
                                0 => format!("{wait}made from the anchor"),
                                1 => format!("{wait}made from the anchor and 1 reference image"),
                                n => format!("{wait}made from the anchor and {n} reference images"),
                            }
                        } else if r.is_edit() {
                            format!("made with {images} reference image{plural}")
                        } else {
                            "generation".to_string()
                        };
                        view! {
                            <li data-testid="plan-row" data-waits=r.waits_for_anchor.to_string()>
                                <span class="plan-title">{r.title}</span>
                                <span class="muted small">{kind}</span>
                                <span class="plan-cost">{format_usd(r.estimate_usd)}</span>
                                {(!r.blockers.is_empty()).then(|| view! { <span class="frame-error">{r.blockers.join(" ")}</span> })}
                            </li>
                        }
                    }).collect_view();
                    let batch_usd = anchor_usd + (p.total_usd - anchor_usd) * BATCH_PRICE_FACTOR;
                    let now_usd = p.total_usd;
                    view! {
                        <p data-testid="plan-summary">{summary}</p>
                        <Show when=offers_batch>
                            <fieldset class="plan-mode" data-testid="plan-mode">
                                <legend>"When"</legend>
                                <div class="row">
                                    <label><input type="radio" name="plan-mode" aria-describedby="plan-price-now"
                                        prop:checked=move || !batch_mode.get() on:change=move |_| batch_mode.set(false)/>"Now"</label>
                                    <span id="plan-price-now" class="muted small" data-testid="price-now">{format_usd(now_usd)}</span>
                                </div>
                                <div class="row">
                                    <label><input type="radio" name="plan-mode" aria-describedby="plan-price-batch"
                                        prop:checked=move || batch_mode.get() on:change=choose_batch/>"Batch: half price, within 24 h"</label>
                                    <span id="plan-price-batch" class="muted small" data-testid="price-batch">
                                        {format!("{} ({}{})", format_usd(batch_usd), BATCH_RATE_LABEL,
                                            if anchor_usd > 0.0 { "; the anchor is made now at the full price" } else { "" })}
                                    </span>
                                </div>
                                <Show when=move || batch_mode.get()>
                                    {move || match batch_check.get() {
                                        None => view! { <p class="muted small">"Checking that this browser can reach the Batch API…"</p> }.into_any(),
                                        Some(Ok(())) => view! { <p class="muted small">"The anchor (if any) is made now; the other frames go in one batch, answered within 24 hours. You may close the tab meanwhile."</p> }.into_any(),
                                        Some(Err(why)) => view! { <p class="frame-error" role="alert" data-testid="batch-refusal">{why}</p> }.into_any(),
                                    }}
                                </Show>
                            </fieldset>
                        </Show>
                        {anchor.map(|a| view! { <p class="small">"The anchor (" {a} ") runs first; " {waiting} " request(s) are made from it."</p> })}
                        <ol class="plan-list">{rows}</ol>
                        {refusal.map(|r| view! { <p class="frame-error" role="alert" data-testid="plan-refusal">{r}</p> })}
                    }
                })}
                <div class="row">
                    <div class="field narrow">
                        <label for="plan-budget">"Budget (US$)"</label>
                        <input id="plan-budget" type="text" inputmode="decimal" placeholder="no cap" data-testid="budget" prop:value=budget_text on:change=set_budget/>
                    </div>
                    <div class="row end grow">
                        <button class="btn ghost" on:click=move |_| close()>"Cancel"</button>
                        <button class="btn primary" data-testid="start-plan" on:click=start
                            disabled=move || plan.get().is_none_or(|p| p.refusal().is_some()) || (offers_batch() && batch_blocked())>"Start"</button>
                    </div>
                </div>
            </dialog>
        </Show>
    }
}
