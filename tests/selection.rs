//! Component tests of issue 22's board selection and variable rows: the board's checkboxes
//! (a click, a Shift-click range, "Select all", "Clear selection") and what the selection bar
//! says; the variable-rows form's preview and its errors, and the frames it hands over.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::state::AppState;
use continuity::ui::series::variable_rows::VariableRows;
use continuity::ui::series::SeriesView;
use continuity_core::export::csv::ListPreview;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Clicks `el` as a person does, with Shift held or not (a trusted-looking `click` with
/// `shiftKey`; web-sys' `MouseEventInit` is not among the features this crate builds).
fn click_with_shift(el: &web_sys::Element, shift: bool) {
    let click = js_sys::Function::new_with_args(
        "el, shift",
        "el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, shiftKey: shift }))",
    );
    click
        .call2(&wasm_bindgen::JsValue::NULL, el, &shift.into())
        .unwrap();
}

fn checked(root: &web_sys::Element) -> Vec<bool> {
    query_all_in(root, "[data-testid=select-frame]")
        .into_iter()
        .map(|b| b.unchecked_into::<web_sys::HtmlInputElement>().checked())
        .collect()
}

/// Checkboxes, a Shift-click range either way, Select all and Clear selection; "Edit selected"
/// is offered only with something selected.
#[wasm_bindgen_test]
async fn frames_are_selected_by_click_shift_click_and_select_all() {
    let (root, _handle) = mount(move || {
        let state = AppState::new("unused-selection-db");
        provide_context(state);
        let mut n = 0;
        let series = Series::from_template(
            "Sel",
            Template::Custom { frames: 6 },
            "gpt-image-2",
            1.0,
            || {
                n += 1;
                n
            },
        );
        let store = state.insert_series(series);
        view! { <SeriesView store=store/> }
    });
    tick().await;
    let boxes = query_all_in(&root, "[data-testid=select-frame]");
    assert_eq!(boxes.len(), 6);
    let edit = || {
        find(&root, "[data-testid=edit-selected]")
            .unchecked_into::<web_sys::HtmlButtonElement>()
            .disabled()
    };
    let count = || text_of(&find(&root, "[data-testid=selected-count]"));
    assert!(edit(), "nothing selected: nothing to edit");
    // Each box is named by its label's text, "Select" and the frame's title.
    let label = boxes[0]
        .clone()
        .unchecked_into::<web_sys::HtmlInputElement>()
        .labels()
        .and_then(|labels| labels.item(0))
        .map(|label| label.text_content().unwrap_or_default());
    assert_eq!(label.as_deref(), Some("Select Frame 1"));
    click_with_shift(&boxes[4], false);
    tick().await;
    // Shift-click upwards: frames 2 to 5.
    click_with_shift(&boxes[1], true);
    tick().await;
    assert_eq!(checked(&root), [false, true, true, true, true, false]);
    assert_eq!(count(), "4 frames selected");
    assert!(!edit());
    // Shift-click from there unchecks a range the same way (frame 2 is now unchecked).
    click_with_shift(&boxes[2], false);
    tick().await;
    click_with_shift(&boxes[3], true);
    tick().await;
    assert_eq!(checked(&root), [false, true, false, false, true, false]);
    assert_eq!(count(), "2 frames selected");
    press(&root, "[data-testid=select-all]");
    tick().await;
    assert_eq!(checked(&root), [true; 6]);
    assert_eq!(count(), "6 frames selected");
    press(&root, "[data-testid=clear-selection]");
    tick().await;
    assert_eq!(checked(&root), [false; 6]);
    assert_eq!(count(), "");
    assert!(edit());
}

/// The variable rows: a typed CSV previews one filled template per row (quoted commas and
/// line breaks kept), errors are said and nothing can be added then, "Add" hands the frames
/// over; typed rows use the template's placeholders as columns.
#[wasm_bindgen_test]
async fn variable_rows_preview_frames_and_say_what_is_wrong() {
    let added: RwSignal<Option<ListPreview>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        view! { <VariableRows add=Callback::new(move |p| added.set(Some(p)))/> }
    });
    tick().await;
    type_into(
        &find(&root, "[data-testid=rows-csv]"),
        "product,colour\n\"Tea, green\",red\n\"Mug\nwith lid\",blue",
    );
    tick().await;
    assert!(
        text_of(&find(&root, "[data-testid=rows-error]")).starts_with("Write the frame template"),
        "no template yet"
    );
    let template = find(&root, "[data-testid=rows-template]");
    type_into(&template, "{product} in {size}");
    tick().await;
    assert_eq!(
        text_of(&find(&root, "[data-testid=rows-error]")),
        "The template uses {size}, but no column is called size (columns: product, colour)."
    );
    assert!(query_in(&root, "[data-testid=rows-add]").is_none());
    type_into(&template, "{product} on a {colour} table");
    tick().await;
    let frames: Vec<String> = query_all_in(&root, "[data-testid=rows-frame]")
        .iter()
        .map(|li| li.text_content().unwrap_or_default())
        .collect();
    assert_eq!(
        frames,
        ["Tea, green on a red table", "Mug\nwith lid on a blue table"]
    );
    press(&root, "[data-testid=rows-add]");
    tick().await;
    let list = added.get_untracked().expect("the frames were handed over");
    assert_eq!(list.rows.len(), 2);
    assert_eq!(list.rows[1].prompt, "Mug\nwith lid on a blue table");
    assert_eq!(
        find(&root, "[data-testid=rows-csv]")
            .unchecked_into::<web_sys::HtmlTextAreaElement>()
            .value(),
        "",
        "the table is cleared once its frames are added"
    );
    // A broken CSV says where.
    type_into(
        &find(&root, "[data-testid=rows-csv]"),
        "product,colour\n\"open,red",
    );
    tick().await;
    assert!(text_of(&find(&root, "[data-testid=rows-error]")).starts_with("Line 2:"));
    // Typed rows: the columns are the template's placeholders.
    press(&root, "[data-testid=rows-typed]");
    tick().await;
    let heads: Vec<String> = query_all_in(&root, "[data-testid=rows-grid] th")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(heads, ["product", "colour"]);
    let cells = query_all_in(&root, "[data-testid=rows-cell]");
    type_into(&cells[0], "Kettle");
    tick().await;
    assert_eq!(
        text_of(&find(&root, "[data-testid=rows-error]")),
        "Row 1 has no value for {colour}."
    );
    type_into(&cells[1], "green");
    tick().await;
    assert_eq!(
        text_of(&find(&root, "[data-testid=rows-frame]")),
        "Kettle on a green table"
    );
}
