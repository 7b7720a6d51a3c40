//! Browser tests of components and storage, run in headless Chromium by
//! `cargo test --target wasm32-unknown-unknown` (see scripts/test.sh).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::web::idb::delete_database;
use continuity::App;
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounting the whole app on a throwaway database, creating a carousel from the form leads to
/// the series screen with nine frame cards, each with its own prompt field.
#[wasm_bindgen_test]
async fn creating_a_carousel_shows_nine_frames() {
    let db = leak(&unique_name("ui"));
    reset_hash();
    let (_root, handle) = mount(move || view! { <App db_name=db/> });
    wait_for("the empty series list", || {
        query("[data-testid=no-projects]").is_some()
    })
    .await;

    set_input("[data-testid=new-name]", "Spring launch");
    click("[data-testid=create-series]");
    // Leptos applies updates asynchronously and storage is real: poll, don't count ticks.
    wait_for("nine frame cards", || {
        query_all("[data-testid=frame-card]").len() == 9
    })
    .await;
    assert_eq!(text("[data-testid=series-title]"), "Spring launch");
    assert_eq!(query_all("[data-testid=frame-prompt]").len(), 9);
    // The primary button starts the guided flow with the anchor (frame 1), and shows its plan
    // first: one request and what it should cost.
    assert_eq!(text("[data-testid=generate-all]"), "Generate the anchor");
    click("[data-testid=generate-all]");
    wait_for("the plan", || query("[data-testid=plan-summary]").is_some()).await;
    assert!(text("[data-testid=plan-summary]").starts_with("1 request · estimated $"));

    drop(handle);
    reset_hash();
    // The app's connection closes itself on `versionchange`, so deleting is not blocked.
    delete_database(db).await.unwrap();
}
