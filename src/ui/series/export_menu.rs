//! The series screen's "Export" menu: ZIP, Contact sheet, PDF storyboard, Animatic GIF and
//! Share page (the names are a public contract), the ZIP's "every version" choice and the
//! storyboard's panels per page, the animatic's seconds per frame (and each frame's own, in
//! [`FrameDurations`]), then the running export's progress with "Cancel export".

use crate::app::export::{self, ExportChoices, ExportJob, ExportKind};
use crate::app::state::AppState;
use crate::ui::series::frame_durations::FrameDurations;
use crate::ui::series::rerun::RerunButton;
use continuity_core::export::pdf::PageLayout;
use continuity_core::model::Series;
use continuity_core::plan::Scope;
use leptos::prelude::*;
use reactive_stores::Store;

/// The menu button, its choices and the progress of the export it started.
#[component]
pub fn ExportMenu(
    /// The series to export.
    store: Store<Series>,
    /// Opens the plan dialog (for "Re-run from manifest").
    plan_open: RwSignal<Option<Scope>>,
) -> impl IntoView {
    let state = AppState::get();
    let open = RwSignal::new(false);
    let all_versions = RwSignal::new(false);
    let seconds = RwSignal::new(1.5f64);
    let layout = RwSignal::new(None::<PageLayout>);
    let job = ExportJob::new();
    let choose = move |kind: ExportKind| {
        open.set(false);
        let choices = ExportChoices {
            all_versions: all_versions.get_untracked(),
            gif_seconds: seconds.get_untracked(),
            pdf_layout: layout.get_untracked(),
        };
        export::start(state, store.get_untracked(), kind, choices, job);
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    view! {
        <div class="export-menu" on:keydown=on_key>
            <button class="btn" aria-haspopup="menu" aria-controls="export-choices" data-testid="export"
                aria-expanded=move || open.get().to_string()
                disabled=move || job.running.get().is_some()
                on:click=move |_| open.update(|o| *o = !*o)>"Export"</button>
            <Show when=move || open.get()>
                <div class="card export-choices" id="export-choices">
                    <div role="menu" aria-label="Export as">
                        {ExportKind::ALL.into_iter().map(|kind| view! {
                            <button class="btn" role="menuitem" on:click=move |_| choose(kind)>{kind.label()}</button>
                        }).collect_view()}
                        <RerunButton store=store plan_open=plan_open/>
                    </div>
                    <label class="check"><input type="checkbox" prop:checked=move || all_versions.get()
                        on:change:target=move |ev| all_versions.set(ev.target().checked())/>
                        " ZIP: include every version"</label>
                    <div class="field narrow"><label for="pdf-layout">"PDF: panels per page"</label>
                        <select id="pdf-layout" data-testid="pdf-layout" on:change:target=move |ev| layout.set(match ev.target().value().as_str() {
                            "1" => Some(PageLayout::One),
                            "2x3" => Some(PageLayout::TwoByThree),
                            "3x2" => Some(PageLayout::ThreeByTwo),
                            _ => None,
                        })>
                            <option value="auto" selected=move || layout.get().is_none()>"6, by the images' shape"</option>
                            <option value="1" selected=move || layout.get() == Some(PageLayout::One)>"1 (one page per panel)"</option>
                            <option value="2x3" selected=move || layout.get() == Some(PageLayout::TwoByThree)>"2 × 3"</option>
                            <option value="3x2" selected=move || layout.get() == Some(PageLayout::ThreeByTwo)>"3 × 2"</option>
                        </select>
                    </div>
                    <div class="field narrow"><label for="gif-seconds">"Animatic: seconds per frame"</label>
                        <input id="gif-seconds" type="number" min="0.1" max="60" step="0.1" prop:value=move || seconds.get().to_string()
                            on:change:target=move |ev| {
                                if let Ok(s) = ev.target().value().parse::<f64>() {
                                    seconds.set(s.clamp(0.1, 60.0));
                                }
                            }/>
                    </div>
                    <FrameDurations store=store default_seconds=seconds/>
                </div>
            </Show>
            {move || job.running.get().map(|kind| {
                let (done, total) = job.done.get();
                view! {
                    <div class="export-progress" role="status" data-testid="export-progress">
                        <span>{format!("Exporting {}… {done} of {total}", kind.label())}</span>
                        <progress max=total.max(1) value=done aria-label=format!("{} export", kind.label())></progress>
                        <button class="btn" on:click=move |_| job.request_cancel()>"Cancel export"</button>
                    </div>
                }
            })}
        </div>
    }
}
