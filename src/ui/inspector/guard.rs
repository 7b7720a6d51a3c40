//! What changed, shown in the inspector: for an edit, the share of pixels outside its mask
//! that changed (or, without a mask, the changed area against the parent) with a heat map
//! over the image, and "Keep outside mask"; for any frame, its consistency with the anchor.

use crate::app::consistency::{self, Scores};
use crate::app::guard::{self, leak_text};
use crate::app::state::AppState;
use crate::web::blob::ObjectUrl;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;
use std::rc::Rc;

use continuity_core::model::Series;

/// The heat map shown over the stage (an object URL of the worker's PNG), when on.
pub type HeatMap = RwSignal<Option<Rc<ObjectUrl>>, LocalStorage>;

/// The measured change of one version.
#[derive(Clone)]
struct Measured {
    version: String,
    text: String,
    heat: Rc<ObjectUrl>,
}

/// The guard panel of the shown version.
#[component]
pub fn GuardPanel(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame_id: String,
    /// The version shown.
    shown: Memo<Option<String>>,
    /// The version picked in the tree (cleared after a composite so the new one shows).
    picked: RwSignal<Option<String>>,
    /// Where the heat map is published for the stage.
    heat: HeatMap,
) -> impl IntoView {
    let state = AppState::get();
    let measured: RwSignal<Option<Measured>, LocalStorage> = RwSignal::new_local(None);
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let show_heat = RwSignal::new(true);
    let inputs = Memo::new(move |_| {
        let id = shown.get()?;
        store.track();
        guard::inputs(store, &id)
    });
    // Measure whenever the shown version is an edit (in the worker; nothing blocks meanwhile).
    Effect::new(move |_| {
        let id = shown.get();
        let Some(inputs) = inputs.get() else {
            measured.set(None);
            problem.set(None);
            return;
        };
        let id = id.unwrap_or_default();
        if measured.with_untracked(|m| m.as_ref().is_some_and(|m| m.version == id)) {
            return;
        }
        measured.set(None);
        problem.set(None);
        spawn_local(async move {
            let outcome = guard::measure(state, &inputs).await;
            // The user may have moved on to another version meanwhile.
            if shown.try_get_untracked().flatten().as_deref() != Some(id.as_str()) {
                return;
            }
            match outcome {
                Ok(report) => {
                    let heat = ObjectUrl::new(&report.heat_map).map(Rc::new);
                    let _ = measured.try_set(heat.map(|heat| Measured {
                        version: id,
                        text: leak_text(&report, inputs.markup_hash.is_some()),
                        heat,
                    }));
                }
                Err(e) => {
                    let _ =
                        problem.try_set(Some(format!("What changed could not be measured: {e}")));
                }
            }
        });
    });
    Effect::new(move |_| {
        let url = show_heat
            .get()
            .then(|| measured.with(|m| m.as_ref().map(|m| m.heat.clone())))
            .flatten();
        heat.set(url);
    });
    on_cleanup(move || {
        let _ = heat.try_set(None);
    });
    let keep = move |_| {
        let Some(id) = shown.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match guard::keep_outside_mask(state, store, &id).await {
                Ok(_) => {
                    let _ = picked.try_set(None);
                    state.info("Kept outside the mask: the composite is a new version.");
                }
                Err(e) => state.error(e),
            }
            let _ = busy.try_set(false);
        });
    };
    let fid = StoredValue::new(frame_id);
    let scores = Scores::get();
    let consistency = move || {
        let c = scores?.of(&fid.get_value())?;
        let verdict = if c.drifted {
            "Drifted from the anchor"
        } else {
            "Close to the anchor"
        };
        Some(view! {
            <p class="small" data-testid="consistency" data-drifted=c.drifted.to_string()>
                <strong>{verdict}</strong>": "{consistency::describe(&c)}
                <span class="muted">" — a heuristic on colours and layout, not a judgement."</span>
            </p>
        })
    };
    view! {
        <section class="guard" aria-label="What changed">
            {move || inputs.get().map(|i| view! {
                <h3>"What changed"</h3>
                <p data-testid="leak-figure" role="status">
                    {move || measured.with(|m| m.as_ref().map(|m| m.text.clone()))
                        .or_else(|| problem.get())
                        .unwrap_or_else(|| "Measuring what changed…".into())}
                </p>
                <div class="row">
                    <button type="button" class="btn small" aria-pressed=move || show_heat.get().to_string()
                        disabled=move || measured.with(Option::is_none)
                        on:click=move |_| show_heat.update(|s| *s = !*s)>"Heat map"</button>
                    {i.can_composite.then(|| view! {
                        <button type="button" class="btn small" data-testid="keep-outside-mask"
                            disabled=move || busy.get() on:click=keep>"Keep outside mask"</button>
                    })}
                </div>
            })}
            {consistency}
        </section>
    }
}
