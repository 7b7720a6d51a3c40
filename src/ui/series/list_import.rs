//! "Add frames from a list": paste lines (one frame each) or a CSV with a header row (title,
//! prompt, text and text:<locale>, shot, and `{variables}` for a frame template), or choose a
//! `.csv` file. A preview shows the frames it will create and the bad rows with their line
//! numbers before anything changes; "Add N frames" is one undoable step. "Template with
//! variable rows" ([`super::variable_rows`]) makes one frame per row of a variables table.

use super::variable_rows::VariableRows;
use crate::app::edit::{self, Edit, SeriesEdit};
use crate::app::state::AppState;
use crate::web::clock::random_u64;
use crate::web::download::bytes;
use continuity_core::export::csv::{import_csv, import_lines, ListOptions, ListPreview};
use continuity_core::model::Series;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use reactive_stores::Store;

/// The list form and its preview.
#[component]
pub fn ListImport(
    /// The series the frames are added to.
    store: Store<Series>,
) -> impl IntoView {
    let state = AppState::get();
    let text = RwSignal::new(String::new());
    let csv = RwSignal::new(false);
    let rows = RwSignal::new(false);
    let template = RwSignal::new(String::new());
    let file = NodeRef::<Input>::new();
    let preview = Memo::new(move |_| -> Option<Result<ListPreview, String>> {
        let t = text.get();
        if t.trim().is_empty() {
            return None;
        }
        let options = ListOptions {
            template: Some(template.get()).filter(|s| !s.trim().is_empty()),
            ..ListOptions::default()
        };
        let result = if csv.get() {
            import_csv(&t, &options)
        } else {
            import_lines(&t, &options)
        };
        Some(result.map_err(|e| e.to_string()))
    });
    let on_file = move |_| {
        let Some(chosen) = file.get().and_then(|el| el.files()).and_then(|f| f.get(0)) else {
            return;
        };
        spawn_local(async move {
            match bytes(&chosen).await.map(String::from_utf8) {
                Ok(Ok(s)) => {
                    csv.set(true);
                    text.set(s);
                }
                _ => state.error(
                    "The file is not UTF-8 text; save the CSV as UTF-8 and choose it again.",
                ),
            }
        });
    };
    let import = move |p: ListPreview| {
        let random: Vec<u64> = p.rows.iter().map(|_| random_u64()).collect();
        let import = Edit::Series(SeriesEdit::ImportList { preview: p, random });
        if let Err(e) = edit::user(state, store, import) {
            state.error(e.to_string());
        }
    };
    let add = move |_| {
        let Some(Ok(p)) = preview.get_untracked() else {
            return;
        };
        import(p);
        text.set(String::new());
    };
    view! {
        <details class="more list-import" data-testid="list-import">
            <summary>"Add frames from a list"</summary>
            <div class="row">
                <label class="check"><input type="radio" name="list-kind" prop:checked=move || !csv.get() && !rows.get()
                    on:change=move |_| { csv.set(false); rows.set(false) }/>" One frame per line"</label>
                <label class="check"><input type="radio" name="list-kind" prop:checked=move || csv.get() && !rows.get()
                    on:change=move |_| { csv.set(true); rows.set(false) }/>" CSV with a header row"</label>
                <label class="check"><input type="radio" name="list-kind" data-testid="list-kind-rows" prop:checked=move || rows.get()
                    on:change=move |_| rows.set(true)/>" Template with variable rows"</label>
            </div>
            <Show when=move || !rows.get() fallback=move || view! { <VariableRows add=Callback::new(import)/> }>
            <label class="field"><span>"CSV file"</span>
                <input type="file" accept=".csv,text/csv,.txt,text/plain" node_ref=file on:change=on_file/></label>
            <label class="field"><span>"List"</span>
                <textarea rows="5" data-testid="list-input" placeholder="title,prompt,text,product\nHook,{product} on a table,Fresh,Tea"
                    prop:value=move || text.get() on:input:target=move |ev| text.set(ev.target().value())></textarea></label>
            <label class="field"><span>"Frame template (optional), e.g. {product} on a kitchen table"</span>
                <input type="text" data-testid="list-template" prop:value=move || template.get()
                    on:input:target=move |ev| template.set(ev.target().value())/></label>
            {move || preview.get().map(|p| match p {
                Err(e) => view! { <p class="error" role="alert">{format!("The list cannot be read: {e}")}</p> }.into_any(),
                Ok(p) => {
                    let n = p.rows.len();
                    view! {
                        <div class="list-preview" data-testid="list-preview">
                            <p>{format!("{n} frame{} will be added:", if n == 1 { "" } else { "s" })}</p>
                            <ol>{p.rows.iter().map(|r| view! {
                                <li>{format!("line {}: {} — {}", r.line, if r.title.is_empty() { "(untitled)" } else { r.title.as_str() }, r.prompt)}</li>
                            }).collect_view()}</ol>
                            {(!p.bad_rows.is_empty()).then(|| view! {
                                <ul class="error" data-testid="list-bad-rows">{p.bad_rows.iter().map(|b| view! {
                                    <li>{format!("Line {}: {}", b.line, b.message)}</li>
                                }).collect_view()}</ul>
                            })}
                            <button class="btn" data-testid="list-add" disabled={n == 0} on:click=add>
                                {format!("Add {n} frame{}", if n == 1 { "" } else { "s" })}</button>
                        </div>
                    }.into_any()
                }
            })}
            </Show>
        </details>
    }
}
