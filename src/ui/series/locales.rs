//! The locale matrix: frames × locales, each cell the version that shows that frame's text
//! in that language (tagged with its locale), or what it still needs; "Make locale
//! variants" makes every missing one, planned, budgeted and retried like a batch.

use crate::app::edits;
use crate::app::said::{self, Place};
use crate::app::state::{AppState, FrameRun};
use crate::ui::inspector::InspectorTarget;
use crate::ui::said::SaidHere;
use crate::ui::thumb::Thumb;
use continuity_core::locale::{instruction, name, NotReady};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// What one cell shows.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    /// An image: the frame's active version (source column) or its locale variant.
    Image(String),
    /// A request for it is running (live state).
    Running(String),
    /// It can be made now.
    Missing,
    /// It cannot be made yet, and why.
    NotReady(String),
}

/// The matrix of the series (shown when it has more than one locale).
#[component]
pub fn LocaleMatrix(
    /// The series.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let locales = Memo::new(move |_| store.locales().get());
    let rows = Memo::new(move |_| {
        let locales = locales.get();
        let runs = state.runs.get();
        store.with(|s| {
            s.frames
                .iter()
                .map(|f| {
                    let cells: Vec<(String, Cell)> = locales
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let job = format!("{}@{l}", f.id);
                            let cell = if i == 0 {
                                s.active(f)
                                    .map_or(Cell::NotReady("No image yet".into()), |v| {
                                        Cell::Image(v.image.hash.clone())
                                    })
                            } else if let Some(v) =
                                f.locale_versions.get(l).and_then(|id| s.version(id))
                            {
                                Cell::Image(v.image.hash.clone())
                            } else if let Some(run) = runs.get(&job) {
                                Cell::Running(match run {
                                    FrameRun::Queued => "Queued".into(),
                                    FrameRun::Retrying { reason, .. } => reason.clone(),
                                    _ => "Running".into(),
                                })
                            } else if s.active(f).is_none() {
                                Cell::NotReady("Generate the frame first".into())
                            } else {
                                match instruction(&f.shot.texts, l) {
                                    Ok(_) => Cell::Missing,
                                    Err(NotReady::NoText) => {
                                        Cell::NotReady("No text in this frame".into())
                                    }
                                    Err(e) => Cell::NotReady(e.to_string()),
                                }
                            };
                            (l.clone(), cell)
                        })
                        .collect();
                    (f.id.clone(), f.title.clone(), cells)
                })
                .collect::<Vec<_>>()
        })
    });
    let missing = Memo::new(move |_| {
        rows.with(|r| {
            r.iter()
                .flat_map(|(_, _, c)| c)
                .filter(|(_, c)| *c == Cell::Missing)
                .count()
        })
    });
    let make_all = move |_| {
        said::from(state, Place::Locales);
        let frames = store.frame_order().get_untracked();
        edits::start_locales(state, store, edits::locale_items(store, &frames));
    };
    let inspector = use_context::<InspectorTarget>();
    view! {
        <Show when=move || locales.with(|l| l.len() > 1)>
            <section class="card locales" aria-labelledby="locales-title">
                <div class="row">
                    <h2 id="locales-title">"Locales"</h2>
                    <div class="row end grow">
                        <span class="muted small">{move || format!("{} to make", missing.get())}</span>
                        <button class="btn" data-testid="make-all-locales" disabled=move || missing.get() == 0 on:click=make_all>"Make locale variants"</button>
                    </div>
                </div>
                <SaidHere place=Place::Locales/>
                <div class="matrix-scroll">
                    <table class="locale-matrix" data-testid="locale-matrix">
                        <caption>{move || format!("Locales: {} frames × {} languages ({} is the source)", rows.with(Vec::len), locales.with(Vec::len), locales.with(|l| l.first().map(|t| name(t)).unwrap_or_default()))}</caption>
                        <thead><tr>
                            <th scope="col">"Frame"</th>
                            {move || locales.get().into_iter().map(|l| view! { <th scope="col" lang=l.clone()>{name(&l)} " " <small class="muted">{l.clone()}</small></th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {move || rows.get().into_iter().map(|(fid, title, cells)| {
                                let open = fid.clone();
                                view! {
                                    <tr data-frame-id=fid.clone()>
                                        <th scope="row"><button class="link" on:click=move |_| if let Some(i) = inspector { i.open(&open) }>{title}</button></th>
                                        {cells.into_iter().map(|(locale, cell)| {
                                            let status = match &cell { Cell::Image(_) => "done", Cell::Running(_) => "running", Cell::Missing => "missing", Cell::NotReady(_) => "blocked" };
                                            let body = match cell {
                                                Cell::Image(hash) => view! { <span class="matrix-thumb"><Thumb hash=Signal::derive(move || Some(hash.clone())) alt=format!("{locale} variant")/></span> }.into_any(),
                                                Cell::Running(text) => view! { <span class="muted small" role="status">{text}</span> }.into_any(),
                                                Cell::Missing => view! { <span class="muted small">"Not made yet"</span> }.into_any(),
                                                Cell::NotReady(why) => view! { <span class="field-warning">{why}</span> }.into_any(),
                                            };
                                            view! { <td data-locale=locale.clone() data-status=status>{body}</td> }
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        </Show>
    }
}
