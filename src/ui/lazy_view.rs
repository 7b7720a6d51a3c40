//! [`LazyView`]: a lazily loaded part of the app on screen, with "Loading…" while its module
//! loads and a message with "Retry" when it cannot (see [`crate::parts`]).

use crate::parts::PartMissing;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use std::future::Future;

/// Shows a lazy part: "Loading…" while its module loads, the part once it has, or — when the
/// module could not be loaded — the reason and a "Retry" button (never a blank screen).
#[component]
pub fn LazyView<F, Fut>(
    /// Loads the part (one of the functions declared above), called again on "Retry".
    load: F,
    /// Shown while loading.
    #[prop(optional, into)]
    loading: Option<&'static str>,
) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, PartMissing>> + 'static,
{
    let attempt = RwSignal::new(0u32);
    let loading = loading.unwrap_or("Loading…");
    view! {
        <Suspense fallback=move || view! { <p class="muted" role="status">{loading}</p> }>
            {move || {
                attempt.track();
                let part = load();
                // The page has one thread: the part's future never leaves it.
                Suspend::new(SendWrapper::new(async move {
                    match part.await {
                        Ok(view) => view,
                        Err(missing) => view! { <PartFailed missing=missing attempt=attempt/> }.into_any(),
                    }
                }))
            }}
        </Suspense>
    }
}

/// The message for a part that could not be loaded, with "Retry".
#[component]
fn PartFailed(
    /// What went wrong.
    missing: PartMissing,
    /// Bumped by "Retry" to load again.
    attempt: RwSignal<u32>,
) -> impl IntoView {
    view! {
        <div class="card part-failed" role="alert" data-testid="part-failed">
            <p>{missing.to_string()}</p>
            <button class="btn primary" on:click=move |_| attempt.update(|n| *n += 1)>"Retry"</button>
        </div>
    }
}
