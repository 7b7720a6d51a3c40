//! Component tests of issue 10's controls: the "Export" menu offers its five choices by
//! name and closes again. (Import is read and checked in the worker, which this runner does
//! not serve: its refusals are tested end to end, `e2e/import.test.mjs`.)
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::state::AppState;
use continuity::ui::series::export_menu::ExportMenu;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn names(root: &web_sys::Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|n| n.text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_export_menu_offers_its_five_choices_by_name() {
    let (root, _handle) = mount(|| {
        let state = AppState::new("unused-export-db");
        provide_context(state);
        let mut n = 0;
        let series = Series::from_template("Menu", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let store = state.insert_series(series);
        let plan_open = RwSignal::new(None);
        view! { <ExportMenu store=store plan_open=plan_open/> }
    });
    let button: web_sys::HtmlElement = root
        .query_selector("[data-testid=export]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(button.text_content().unwrap(), "Export");
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(names(&root, "[role=menuitem]").is_empty());
    button.click();
    tick().await;
    assert_eq!(
        button.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(
        names(&root, "[role=menu] [role=menuitem]"),
        [
            "ZIP",
            "Contact sheet",
            "PDF storyboard",
            "Animatic GIF",
            "Share page"
        ]
    );
    button.click();
    tick().await;
    assert!(
        names(&root, "[role=menuitem]").is_empty(),
        "a second click closes the menu"
    );
}
