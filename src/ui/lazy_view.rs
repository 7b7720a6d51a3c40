//! [`LazyView`]: a lazily loaded part of the app on screen, with "Loading…" while its module
//! loads and a message with "Retry" when it cannot (see [`crate::parts`]).
//!
//! Built on a signal and a task rather than `<Suspense>`: it is first-screen code, and
//! Suspense's machinery costs more in the main wasm than this whole file.

use crate::parts::PartMissing;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// What a [`LazyView`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Loading,
    Loaded,
    Missing(PartMissing),
}

/// Shows a lazy part: "Loading…" while its module loads, the part once it has, or — when the
/// module could not be loaded — the reason and a "Retry" button (never a blank screen).
#[component]
pub fn LazyView<F, Fut>(
    /// Loads the part (one of the functions of [`crate::parts`]); called again on "Retry".
    load: F,
    /// Shown while loading, instead of "Loading…" (e.g. a disabled copy of a button).
    #[prop(optional, into)]
    fallback: Option<ViewFn>,
) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<AnyView, PartMissing>> + 'static,
{
    let stage = RwSignal::new(Stage::Loading);
    // The loaded view, taken once by the render below.
    let part = StoredValue::new_local(None::<AnyView>);
    let owner = Owner::current().unwrap_or_default();
    let load = Rc::new(load);
    let start = move || {
        stage.set(Stage::Loading);
        // The part builds its views while its future is polled: under this component's owner,
        // so they find the app's context and go away with this component.
        let future = InOwner {
            owner: owner.clone(),
            alive: stage,
            future: Box::pin(load()),
        };
        leptos::task::spawn_local(async move {
            // `None`: this view went away while its part loaded (the screen changed).
            let Some(loaded) = future.await else { return };
            let next = match loaded {
                Ok(view) => {
                    part.set_value(Some(view));
                    Stage::Loaded
                }
                Err(missing) => Stage::Missing(missing),
            };
            let _ = stage.try_set(next);
        });
    };
    start();
    let retry = UnsyncCallback::new(move |()| start());
    let fallback = fallback.unwrap_or_else(|| {
        ViewFn::from(|| view! { <p class="muted" role="status">"Loading…"</p> })
    });
    move || match stage.get() {
        Stage::Loading => fallback.run(),
        Stage::Loaded => part
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_else(|| ().into_any()),
        Stage::Missing(missing) => view! { <PartFailed missing=missing retry=retry/> }.into_any(),
    }
}

/// A future polled with a reactive owner set (what Leptos' `ScopedFuture` does, in few bytes),
/// and never again once the view it loads for is gone (`alive` disposed): a part must not
/// build its views under a disposed owner, where the app's context cannot be found.
struct InOwner<F> {
    owner: Owner,
    alive: RwSignal<Stage>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for InOwner<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let this = self.get_mut();
        if this.alive.is_disposed() {
            return Poll::Ready(None);
        }
        this.owner.with(|| this.future.as_mut().poll(cx)).map(Some)
    }
}

/// The message for a part that could not be loaded, with "Retry".
#[component]
fn PartFailed(
    /// What went wrong.
    missing: PartMissing,
    /// Loads the part again.
    retry: UnsyncCallback<()>,
) -> impl IntoView {
    view! {
        <div class="card part-failed" role="alert" data-testid="part-failed">
            <p>{missing.to_string()}</p>
            <button class="btn primary" on:click=move |_| retry.run(())>"Retry"</button>
        </div>
    }
}
