//! The shown version's check ("Check every result"): the score, each miss in words ("Text
//! differs: asked 限时 5 折, reads 限时 5 拆"), a failed check call said as such, and "Edit to
//! fix", which drafts a directed edit from the misses for the user to send as any edit.

use continuity_core::brief::check_frame::{CheckOutcome, ResultCheck};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The check of the version the inspector shows, when it has one.
#[component]
pub fn CheckFindings(
    /// The series.
    store: Store<Series>,
    /// The version shown (the edit's base).
    base: Memo<Option<String>>,
    /// Puts a drafted instruction into the edit form.
    draft: Callback<String>,
) -> impl IntoView {
    let check: Memo<Option<ResultCheck>> = Memo::new(move |_| {
        let id = base.get()?;
        store
            .versions()
            .with(|vs| vs.iter().find(|v| v.id == id).and_then(|v| v.check.clone()))
    });
    move || {
        check.get().map(|c| {
            let (headline, failed_call) = match (&c.outcome, c.score()) {
                (_, Some((passed, all))) => (format!("Checks {passed} / {all}"), None),
                (CheckOutcome::Failed(why), None) => ("Check failed".to_string(), Some(why.clone())),
                (CheckOutcome::Report(_), None) => (String::new(), None),
            };
            let misses = c.misses();
            let fix = c.fix_instruction();
            view! {
                <section class="check-findings" aria-label="Checks" data-testid="check-findings">
                    <h3>{headline}</h3>
                    {failed_call.map(|why| view! { <p class="frame-error" data-testid="check-failed">{why}</p> })}
                    <ul class="check-misses" data-testid="check-misses">
                        {misses.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                    {fix.map(|text| view! {
                        <button type="button" class="btn small" data-testid="edit-to-fix"
                            on:click=move |_| draft.run(text.clone())>"Edit to fix"</button>
                    })}
                </section>
            }
        })
    }
}
