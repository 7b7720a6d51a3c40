//! One frame of a series: its image (or live preview), status, anchor role, variants, prompt,
//! shot spec, the exact request it will send, and its error.

use super::sent_preview::{cost_line, SentPreview};
use super::shot_editor::ShotEditor;
use super::thumb::Thumb;
use crate::platform::random_u64;
use crate::references::delete_later;
use crate::runner;
use crate::state::{AppState, FrameRun};
use continuity_core::model::Project;
use continuity_core::plan::Scope;
use leptos::prelude::*;

/// What the badge says: (css class, text).
fn badge(
    run: Option<&FrameRun>,
    has_image: bool,
    has_error: bool,
    stale: bool,
) -> (&'static str, String) {
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
        None if stale => ("stale", "Stale".into()),
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
    // Everything the card shows about its frame, derived from the project in one memo so the
    // card re-renders only when its own frame (or the anchor) changes.
    #[derive(Clone, PartialEq)]
    struct View {
        frame: continuity_core::model::Frame,
        aspect: String,
        is_anchor: bool,
        anchor_approved: bool,
        stale: bool,
        position: usize,
        count: usize,
    }
    let data = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        Memo::new(move |_| {
            state.projects.with(|ps| {
                let p: &Project = ps.iter().find(|p| p.id == pid)?;
                let position = p.frames.iter().position(|f| f.id == fid)?;
                let frame = p.frames[position].clone();
                Some(View {
                    aspect: format!("{} / {}", p.output.size.width, p.output.size.height),
                    is_anchor: p.anchor_frame_id() == Some(fid.as_str()),
                    anchor_approved: p.anchor_approved(),
                    stale: p.is_stale(&frame),
                    frame,
                    position,
                    count: p.frames.len(),
                })
            })
        })
    };
    let run = {
        let fid = frame_id.clone();
        Memo::new(move |_| state.runs.with(|r| r.get(&fid).cloned()))
    };
    let title = move || data.get().map(|d| d.frame.title).unwrap_or_default();
    let take_id = Signal::derive(move || {
        // While saving, the take exists in memory but not yet in storage: show it only after.
        if matches!(run.get(), Some(FrameRun::Saving)) {
            return None;
        }
        data.get()
            .and_then(|d| d.frame.current_take().map(|t| t.id.clone()))
    });
    let status = move || {
        let d = data.get();
        let has_image = d.as_ref().is_some_and(|d| d.frame.current_take().is_some());
        let has_error = d.as_ref().is_some_and(|d| d.frame.error.is_some());
        let stale = d.as_ref().is_some_and(|d| d.stale);
        badge(run.get().as_ref(), has_image, has_error, stale)
    };
    let preview = move || match run.get() {
        Some(FrameRun::Streaming { preview_url }) => {
            Some(view! { <img class="preview" src=preview_url alt="Partial preview"/> })
        }
        _ => None,
    };
    let message = move || {
        let live = match run.get() {
            Some(FrameRun::Retrying { reason, .. }) | Some(FrameRun::Skipped { reason }) => {
                Some(reason)
            }
            _ => None,
        };
        live.or_else(|| {
            data.get().and_then(|d| d.frame.error).map(|e| {
                let mut text = e.message;
                if e.may_be_billed {
                    text.push_str(" (This attempt may have been billed.)");
                }
                if !e.request_ids.is_empty() {
                    // What OpenAI support asks for.
                    text.push_str(&format!(" Request ID: {}.", e.request_ids.join(", ")));
                }
                text
            })
        })
    };
    let cost = move || {
        data.get()
            .and_then(|d| d.frame.current_take().map(cost_line))
            .unwrap_or_default()
    };
    let busy = move || {
        run.get()
            .is_some_and(|r| !matches!(r, FrameRun::Cancelled { .. } | FrameRun::Skipped { .. }))
    };

    let edit = {
        let pid = project_id.clone();
        move |change: Box<dyn FnOnce(&mut Project)>| {
            state.update_project(&pid, change);
        }
    };
    let on_prompt = {
        let (edit, fid) = (edit.clone(), frame_id.clone());
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let fid = fid.clone();
            edit(Box::new(move |p| {
                if let Some(f) = p.frame_mut(&fid) {
                    f.prompt = value;
                }
            }));
        }
    };
    let act = {
        let (edit, fid) = (edit.clone(), frame_id.clone());
        move |action: &'static str| {
            let (edit, fid) = (edit.clone(), fid.clone());
            move |_| {
                let fid = fid.clone();
                match action {
                    "anchor" => edit(Box::new(move |p| p.set_anchor_frame(Some(&fid)))),
                    "unanchor" => edit(Box::new(|p| p.set_anchor_frame(None))),
                    "approve" => edit(Box::new(|p| {
                        p.approve_anchor();
                    })),
                    "duplicate" => edit(Box::new(move |p| {
                        p.duplicate_frame(&fid, random_u64());
                    })),
                    "earlier" => edit(Box::new(move |p| {
                        p.move_frame(&fid, -1);
                    })),
                    "later" => edit(Box::new(move |p| {
                        p.move_frame(&fid, 1);
                    })),
                    _ => {}
                }
            }
        }
    };
    let delete = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move |_| {
            let mut keys = Vec::new();
            state.update_project(&pid, |p| keys = p.delete_frame(&fid));
            delete_later(state, keys);
        }
    };
    let generate = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move |_| runner::generate(state, &pid, Scope::Frames(vec![fid.clone()]))
    };
    let cancel = {
        let fid = frame_id.clone();
        move |_| runner::cancel_frame(&fid)
    };
    let variants = {
        let (pid, fid) = (project_id.clone(), frame_id.clone());
        move || {
            let d = data.get()?;
            if d.frame.takes.len() < 2 {
                return None;
            }
            let current = d.frame.current_take().map(|t| t.id.clone());
            // Oldest first, the newest eight: the strip reads like the frame's history.
            let skip = d.frame.takes.len().saturating_sub(8);
            let items = d.frame.takes.iter().skip(skip).map(|t| {
                let (pid, fid, tid) = (pid.clone(), fid.clone(), t.id.clone());
                let key = t.id.clone();
                let selected = current.as_deref() == Some(t.id.as_str());
                view! {
                    <button class="variant" class:selected=selected aria-pressed=selected.to_string() data-testid="variant"
                        aria-label="Keep this image" on:click=move |_| {
                            let tid = tid.clone();
                            state.update_project(&pid, |p| if let Some(f) = p.frame_mut(&fid) { f.selected_take = Some(tid) });
                        }>
                        <Thumb take_id=Signal::derive(move || Some(key.clone())) alt="Variant"/>
                    </button>
                }
            }).collect_view();
            Some(
                view! { <div class="variants" role="group" aria-label="Images of this frame">{items}</div> },
            )
        }
    };
    let prompt_id = format!("prompt-{frame_id}");
    let title_id = format!("title-{frame_id}");
    let anchor_controls = {
        let act = act.clone();
        move || {
            let d = data.get()?;
            Some(if d.is_anchor {
                let approve = (!d.anchor_approved && d.frame.current_take().is_some()).then(|| {
                    view! { <button class="btn small primary" on:click=act("approve") data-testid="approve-anchor">"Approve anchor"</button> }
                });
                view! {
                    <span class="anchor-tag" data-testid="anchor-tag">{if d.anchor_approved { "Anchor · approved" } else { "Anchor" }}</span>
                    {approve}
                    <button class="btn ghost small" on:click=act("unanchor")>"Unset"</button>
                }
                .into_any()
            } else {
                view! { <button class="btn ghost small" on:click=act("anchor") data-testid="make-anchor">"Make anchor"</button> }.into_any()
            })
        }
    };
    view! {
        <article class="frame-card card" data-testid="frame-card" data-frame-id=frame_id.clone()
            data-status=move || status().0 data-stale=move || data.get().is_some_and(|d| d.stale).to_string()
            aria-labelledby=title_id.clone()>
            <div class="frame-image" style:aspect-ratio=move || data.get().map(|d| d.aspect).unwrap_or_else(|| "1 / 1".into())>
                <Thumb take_id=take_id alt=Signal::derive(move || format!("Image for {}", title()))/>
                {preview}
                <span class=move || format!("badge {}", status().0) data-testid="frame-status" role="status">{move || status().1}</span>
            </div>
            {variants}
            <div class="frame-body">
                <div class="frame-head">
                    <h3 id=title_id.clone()>{title}</h3>
                    <span class="muted small">{cost}</span>
                </div>
                <div class="row-actions">{anchor_controls}</div>
                <label for=prompt_id.clone() class="sr-only">{move || format!("Prompt for {}", title())}</label>
                <textarea id=prompt_id rows="3" placeholder="What happens in this frame?" data-testid="frame-prompt"
                    prop:value=move || data.get().map(|d| d.frame.prompt).unwrap_or_default() on:input=on_prompt></textarea>
                {move || message().map(|e| view! { <p class="frame-error" role="alert" data-testid="frame-error">{e}</p> })}
                <details class="more">
                    <summary>"Shot, text and entities"</summary>
                    <ShotEditor project_id=project_id.clone() frame_id=frame_id.clone()/>
                </details>
                <details class="more" data-testid="sent-details">
                    <summary>"What will be sent"</summary>
                    <SentPreview project_id=project_id.clone() frame_id=frame_id.clone()/>
                </details>
                <div class="frame-actions">
                    <Show when=busy fallback={
                        let generate = generate.clone();
                        move || view! {
                            <button class="btn small" on:click=generate.clone() data-testid="generate-frame">
                                {move || if take_id.get().is_some() { "Regenerate" } else { "Generate" }}
                            </button>
                        }
                    }>
                        <button class="btn small danger" on:click=cancel.clone() data-testid="cancel-frame">"Cancel"</button>
                    </Show>
                    <button class="btn ghost small" aria-label="Move earlier" disabled=move || data.get().is_none_or(|d| d.position == 0) on:click=act("earlier")>"←"</button>
                    <button class="btn ghost small" aria-label="Move later" disabled=move || data.get().is_none_or(|d| d.position + 1 >= d.count) on:click=act("later")>"→"</button>
                    <button class="btn ghost small" on:click=act("duplicate")>"Duplicate"</button>
                    <button class="btn ghost small danger" on:click=delete disabled=busy>"Delete"</button>
                </div>
            </div>
        </article>
    }
}
