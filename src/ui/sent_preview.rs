//! "What will be sent": the exact prompt and reference images of a frame's next request,
//! compiled the same way the runner compiles it, before any money is spent.

use super::thumb::Thumb;
use crate::state::AppState;
use continuity_core::compiler::compile;
use continuity_core::cost::format_usd;
use leptos::prelude::*;

/// The preview of one frame's request.
#[component]
pub fn SentPreview(
    /// The series.
    project_id: String,
    /// The frame.
    frame_id: String,
) -> impl IntoView {
    let state = AppState::get();
    let compiled = Memo::new(move |_| {
        state.projects.with(|ps| {
            let p = ps.iter().find(|p| p.id == project_id)?;
            let index = p.frames.iter().position(|f| f.id == frame_id)?;
            Some(compile(p, index))
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
                            <div class="ref-image"><Thumb take_id=Signal::derive(move || Some(key.clone())) alt=r.label.clone()/></div>
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

/// The actual cost line of a take, e.g. "$0.053 · 1756 output tokens", plus a warning when
/// earlier failed attempts may have been billed too.
pub fn cost_line(take: &continuity_core::model::Take) -> String {
    let mut line = match (take.cost_usd, take.usage.as_ref().map(|u| u.output_tokens)) {
        (Some(c), Some(t)) => format!("{} · {t} output tokens", format_usd(c)),
        (Some(c), None) => format_usd(c),
        _ => String::new(),
    };
    match take.maybe_billed_attempts {
        0 => {}
        1 => line.push_str(" · 1 earlier attempt may have been billed"),
        n => line.push_str(&format!(" · {n} earlier attempts may have been billed")),
    }
    line
}
