//! "What will be sent": the exact prompt and reference images of a frame's next request,
//! compiled the same way the runner compiles it, before any money is spent.

use crate::ui::thumb::Thumb;
use continuity_core::compiler::compile;
use continuity_core::model::Series;
use leptos::prelude::*;
use reactive_stores::Store;

/// The preview of one frame's request.
#[component]
pub fn SentPreview(
    /// The series.
    store: Store<Series>,
    /// The frame.
    frame_id: String,
) -> impl IntoView {
    // Mounted only while "What will be sent" is open, so this compiles only then.
    let compiled = Memo::new(move |_| {
        store.with(|s| {
            let index = s.frames.iter().position(|f| f.id == frame_id)?;
            Some(compile(s, index))
        })
    });
    move || {
        compiled.get().map(|c| {
            let refs = c
                .references
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let key = r.key.clone();
                    view! {
                        <li class="ref">
                            <div class="ref-image"><Thumb hash=Signal::derive(move || Some(key.clone())) alt=r.label.clone()/></div>
                            <span class="small">{format!("image {}: {}", i + 1, r.label)}</span>
                        </li>
                    }
                })
                .collect_view();
let endpoint = if c.references.is_empty() {
                "POST /v1/images/generations"
            } else {
                // Browsers encode multipart text with CRLF line breaks; the words are identical.
                "POST /v1/images/edits (multipart: line breaks travel as CRLF)"
            };
            let chars = c.prompt.chars().count();
            view! {
                <div class="sent" data-testid="sent-preview">
                    <p class="small muted">{endpoint} " · " {chars} " characters · " {c.checklist.len()} " constraints"</p>
                    {(!c.references.is_empty()).then(|| view! { <ol class="refs" data-testid="sent-refs">{refs}</ol> })}
                    <pre class="prompt" data-testid="sent-prompt">{c.prompt.clone()}</pre>
                    {c.warnings.iter().map(|w| view! { <p class="frame-error">{w.clone()}</p> }).collect_view()}
                </div>
            }
        })
    }
}
