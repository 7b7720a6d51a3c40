//! "Template with variable rows" in "Add frames from a list": a frame template with
//! `{placeholders}` and a table of rows — pasted as CSV (its header row names the variables)
//! or typed into a grid whose columns are the template's placeholders — one frame per row.
//! The frames are previewed, with the table's or template's problem said plainly, before
//! "Add N frames" adds them as one undoable step.

use continuity_core::brief::rows::{list_preview, RowFrame, RowsError, VariableTable};
use continuity_core::export::csv::template::variables;
use continuity_core::export::csv::ListPreview;
use leptos::prelude::*;

/// The template, the rows and the preview; `add` receives the accepted frames.
#[component]
pub fn VariableRows(
    /// Called with the frames to add.
    add: Callback<ListPreview>,
) -> impl IntoView {
    let template = RwSignal::new(String::new());
    let typed = RwSignal::new(false);
    let csv = RwSignal::new(String::new());
    // Typed rows: one value per placeholder of the template, by name (a renamed placeholder
    // starts empty; the others keep what was typed).
    let grid: RwSignal<Vec<std::collections::BTreeMap<String, String>>> =
        RwSignal::new(vec![Default::default()]);
    // The grid is drawn anew only when rows are added (not on every keystroke in a cell).
    let row_count = Memo::new(move |_| grid.with(Vec::len));
    let columns = Memo::new(move |_| variables(&template.get()));
    let table = Memo::new(move |_| -> Option<Result<VariableTable, String>> {
        if typed.get() {
            let columns = columns.get();
            let rows: Vec<Vec<String>> = grid
                .get()
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .map(|c| r.get(c).cloned().unwrap_or_default())
                        .collect::<Vec<_>>()
                })
                .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
                .collect();
            // A blank cell in a typed grid is a value not typed yet, named like a missing one.
            for (i, row) in rows.iter().enumerate() {
                if let Some(c) = row.iter().position(|v| v.trim().is_empty()) {
                    return Some(Err(
                        RowsError::MissingValue(i + 1, columns[c].clone()).to_string()
                    ));
                }
            }
            return (!rows.is_empty()).then_some(Ok(VariableTable { columns, rows }));
        }
        let text = csv.get();
        (!text.trim().is_empty()).then(|| VariableTable::from_csv(&text).map_err(|e| e.to_string()))
    });
    let frames = Memo::new(
        move |_| -> Option<Result<(VariableTable, Vec<RowFrame>), String>> {
            let table = table.get()?;
            let t = template.get();
            if t.trim().is_empty() {
                return Some(Err(
                    "Write the frame template first, e.g. {product} on a kitchen table.".into(),
                ));
            }
            Some(table.and_then(|table| {
                let frames = table.preview(&t).map_err(|e| e.to_string())?;
                Ok((table, frames))
            }))
        },
    );
    let accept = move |_| {
        if let Some(Ok((table, rows))) = frames.get_untracked() {
            add.run(list_preview(&table, &rows));
            csv.set(String::new());
            grid.set(vec![Default::default()]);
        }
    };
    let typed_grid = move || {
        let columns = columns.get();
        if columns.is_empty() {
            return view! { <p class="muted small">"Put {placeholders} in the template: each becomes a column here."</p> }.into_any();
        }
        let head = columns
            .iter()
            .map(|c| view! { <th scope="col">{c.clone()}</th> })
            .collect_view();
        let body = (0..row_count.get()).map(|i| {
            let cells = columns.clone().into_iter().map(|c| {
                let name = c.clone();
                let label = format!("Row {} {c}", i + 1);
                view! {
                    <td><input type="text" data-testid="rows-cell" aria-label=label
                        prop:value=move || grid.with(|g| g.get(i).and_then(|r| r.get(&name)).cloned().unwrap_or_default())
                        on:input:target=move |ev| { let v = ev.target().value(); grid.update(|g| { if let Some(r) = g.get_mut(i) { r.insert(c.clone(), v); } }); }/></td>
                }
            }).collect_view();
            view! { <tr>{cells}</tr> }
        }).collect_view();
        view! {
            <table class="rows-grid" data-testid="rows-grid"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
            <button type="button" class="btn small" data-testid="rows-add-row"
                on:click=move |_| grid.update(|g| g.push(Default::default()))>"+ Add row"</button>
        }.into_any()
    };
    view! {
        <label class="field"><span>"Frame template, e.g. {product} on a {colour} table"</span>
            <input type="text" data-testid="rows-template" prop:value=move || template.get()
                on:input:target=move |ev| template.set(ev.target().value())/></label>
        <div class="row">
            <label class="check"><input type="radio" name="rows-kind" prop:checked=move || !typed.get() on:change=move |_| typed.set(false)/>" Paste rows as CSV"</label>
            <label class="check"><input type="radio" name="rows-kind" data-testid="rows-typed" prop:checked=move || typed.get() on:change=move |_| typed.set(true)/>" Type rows"</label>
        </div>
        <Show when=move || typed.get() fallback=move || view! {
            <label class="field"><span>"Rows (CSV: the first row names the variables)"</span>
                <textarea rows="5" data-testid="rows-csv" placeholder="product,colour\n\"Tea, green\",red"
                    prop:value=move || csv.get() on:input:target=move |ev| csv.set(ev.target().value())></textarea></label>
        }>
            {typed_grid}
        </Show>
        {move || frames.get().map(|f| match f {
            Err(e) => view! { <p class="error" role="alert" data-testid="rows-error">{e}</p> }.into_any(),
            Ok((_, rows)) => {
                let n = rows.len();
                let plural = if n == 1 { "" } else { "s" };
                view! {
                    <div class="list-preview" data-testid="rows-preview">
                        <p>{format!("{n} frame{plural} will be added:")}</p>
                        <ol>{rows.into_iter().map(|r| view! { <li data-testid="rows-frame">{r.prompt}</li> }).collect_view()}</ol>
                        <button class="btn" data-testid="rows-add" disabled={n == 0} on:click=accept>
                            {format!("Add {n} frame{plural}")}</button>
                    </div>
                }.into_any()
            }
        })}
    }
}
