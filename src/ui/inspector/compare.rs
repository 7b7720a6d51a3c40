//! Comparing two versions of a frame: side by side, or one over the other with a slider that
//! reveals the second image from the left.

use crate::ui::thumb::FullImage;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// Two versions compared.
#[component]
pub fn Compare(
    /// The series.
    store: Store<Series>,
    /// The version shown on the left (and under the slider).
    left: String,
    /// The version it is compared with.
    right: String,
) -> impl IntoView {
    let image = move |id: &str| {
        store.with_untracked(|s| {
            s.version(id)
                .map(|v| (v.image.hash.clone(), v.image.width, v.image.height))
        })
    };
    let (l, r) = (image(&left), image(&right));
    let slider = RwSignal::new(false);
    let at = RwSignal::new(50.0f64);
    let Some(((lh, w, h), (rh, _, _))) = l.zip(r) else {
        return view! { <p class="muted">"That version is gone."</p> }.into_any();
    };
    let (lh2, rh2) = (lh.clone(), rh.clone());
    view! {
        <div class="compare" data-testid="compare">
            <div class="row">
                <button class="btn small" aria-pressed=move || (!slider.get()).to_string() on:click=move |_| slider.set(false)>"Side by side"</button>
                <button class="btn small" aria-pressed=move || slider.get().to_string() data-testid="compare-slider-mode" on:click=move |_| slider.set(true)>"Slider"</button>
            </div>
            <Show when=move || slider.get() fallback={
                let (lh, rh) = (lh.clone(), rh.clone());
                move || {
                    let (lh, rh) = (lh.clone(), rh.clone());
                    view! {
                        <div class="compare-pair">
                            <figure><FullImage hash=Signal::derive(move || Some(lh.clone())) alt="Version A"/><figcaption>"A"</figcaption></figure>
                            <figure><FullImage hash=Signal::derive(move || Some(rh.clone())) alt="Version B"/><figcaption>"B"</figcaption></figure>
                        </div>
                    }
                }
            }>
                {
                    let (lh, rh) = (lh2.clone(), rh2.clone());
                    view! {
                        <div class="compare-slider" style:aspect-ratio=format!("{w} / {h}")>
                            <FullImage hash=Signal::derive(move || Some(lh.clone())) alt="Version A"/>
                            <div class="compare-top" data-testid="compare-top" style:clip-path=move || format!("inset(0 0 0 {:.1}%)", at.get())>
                                <FullImage hash=Signal::derive(move || Some(rh.clone())) alt="Version B"/>
                            </div>
                        </div>
                        <label class="field">
                            <span class="sr-only">"Compare slider"</span>
                            <input type="range" min="0" max="100" step="0.5" data-testid="compare-range" aria-label="Compare slider: left shows A, right shows B"
                                prop:value=move || at.get().to_string()
                                on:input:target=move |ev| { if let Ok(v) = ev.target().value().parse::<f64>() { at.set(v.clamp(0.0, 100.0)) } }/>
                        </label>
                    }
                }
            </Show>
        </div>
    }
    .into_any()
}
