//! One frame of a series: its image (or live preview), status, prompt and error.

use super::thumb::Thumb;
use crate::runner;
use crate::state::{AppState, FrameRun};
use leptos::prelude::*;

/// What the badge says.
fn badge(run: Option<&FrameRun>, has_image: bool, has_error: bool) -> (&'static str, String) {
    match run {
        Some(FrameRun::Queued) => ("queued", "Queued".into()),
        Some(FrameRun::WaitingForAnchor) => ("waiting", "Waiting for anchor".into()),
        Some(FrameRun::Running { attempt }) if *attempt > 1 => {
            ("running", format!("Running · attempt {attempt}"))
        }
        Some(FrameRun::Running { .. }) => ("running", "Running".into()),
        Some(FrameRun::Streaming { .. }) => ("running", "Rendering preview".into()),
        Some(FrameRun::Retrying { seconds, .. }) => {
            ("waiting", format!("Retrying in {seconds:.0} s"))
        }
        Some(FrameRun::Saving) => ("running", "Saving".into()),
        Some(FrameRun::Cancelled {
            may_be_billed: true,
        }) => ("failed", "Cancelled · may be billed".into()),
        Some(FrameRun::Cancelled { .. }) => ("idle", "Cancelled".into()),
        Some(FrameRun::Skipped { .. }) => ("idle", "Not sent".into()),
        None if has_error => ("failed", "Failed".into()),
        None if has_image => ("done", "Done".into()),
        None => ("idle", "Empty".into()),
    }
}

/// A frame card.
#[component]
pub fn FrameCard(
    /// The series.
    project_id: String,
    /// The frame.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let frame = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        Memo::new(move |_| {
            state.projects.with(|ps| {
                ps.iter()
                    .find(|p| p.id == pid)
                    .and_then(|p| p.frame(&fid).cloned())
            })
        })
    };
    let aspect = {
        let pid = project_id.clone();
        Memo::new(move |_| {
            state.projects.with(|ps| {
                ps.iter()
                    .find(|p| p.id == pid)
                    .map(|p| format!("{} / {}", p.output.size.width, p.output.size.height))
            })
        })
    };
    let run = {
        let fid = frame_id.clone();
        Memo::new(move |_| state.runs.with(|r| r.get(&fid).cloned()))
    };
    let title = move || frame.get().map(|f| f.title).unwrap_or_default();
    let take_id = Signal::derive(move || {
        // While saving, the take exists in memory but not yet in storage: show it only after.
        if matches!(run.get(), Some(FrameRun::Saving)) {
            return None;
        }
        frame
            .get()
            .and_then(|f| f.current_take().map(|t| t.id.clone()))
    });
    let status = move || {
        let f = frame.get();
        let has_image = f.as_ref().is_some_and(|f| f.current_take().is_some());
        let has_error = f.as_ref().is_some_and(|f| f.error.is_some());
        badge(run.get().as_ref(), has_image, has_error)
    };
    let preview = move || match run.get() {
        Some(FrameRun::Streaming { preview_url }) => {
            Some(view! { <img class="preview" src=preview_url alt="Partial preview"/> })
        }
        _ => None,
    };
    let error = move || {
        let live = match run.get() {
            Some(FrameRun::Retrying { reason, .. }) => Some(reason),
            Some(FrameRun::Skipped { reason }) => Some(reason),
            _ => None,
        };
        live.or_else(|| {
            frame.get().and_then(|f| f.error).map(|e| {
                if e.may_be_billed {
                    format!("{} (This attempt may have been billed.)", e.message)
                } else {
                    e.message
                }
            })
        })
    };
    let prompt_id = format!("prompt-{frame_id}");
    let on_input = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            state.update_project(&pid, |p| {
                if let Some(f) = p.frame_mut(&fid) {
                    f.prompt = value;
                }
            });
        }
    };
    let regenerate = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move |_| runner::generate(state, &pid, Some(vec![fid.clone()]))
    };
    let busy = move || {
        run.get()
            .is_some_and(|r| !matches!(r, FrameRun::Cancelled { .. } | FrameRun::Skipped { .. }))
    };
    view! {
        <article class="frame-card card" data-testid="frame-card" data-frame-id=frame_id.clone()
            data-status=move || status().0 aria-labelledby=format!("title-{frame_id}")>
            <div class="frame-image" style:aspect-ratio=move || aspect.get().unwrap_or_else(|| "1 / 1".into())>
                <Thumb take_id=take_id alt=Signal::derive(move || format!("Image for {}", title()))/>
                {preview}
                <span class=move || format!("badge {}", status().0) data-testid="frame-status" role="status">
                    {move || status().1}
                </span>
            </div>
            <div class="frame-body">
                <h3 id=format!("title-{frame_id}")>{title}</h3>
                <label for=prompt_id.clone() class="sr-only">{move || format!("Prompt for {}", title())}</label>
                <textarea id=prompt_id rows="3" placeholder="What happens in this frame?" data-testid="frame-prompt"
                    prop:value=move || frame.get().map(|f| f.prompt).unwrap_or_default() on:input=on_input></textarea>
                {move || error().map(|e| view! { <p class="frame-error" role="alert" data-testid="frame-error">{e}</p> })}
                <div class="frame-actions">
                    <button class="btn small" on:click=regenerate disabled=busy data-testid="generate-frame">
                        {move || if take_id.get().is_some() { "Regenerate" } else { "Generate" }}
                    </button>
                </div>
            </div>
        </article>
    }
}
