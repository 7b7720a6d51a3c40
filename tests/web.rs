//! Browser tests of components and storage, run in headless Chromium by
//! `cargo test --target wasm32-unknown-unknown` (see scripts/test.sh).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::storage::{delete_database, Db};
use continuity::App;
use continuity_core::model::{template::Template, Project, Take};
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
    wait_for("the empty project list", || {
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
    // "Generate series" first shows the plan: nine requests and what they should cost.
    click("[data-testid=generate-all]");
    wait_for("the plan", || query("[data-testid=plan-summary]").is_some()).await;
    assert!(text("[data-testid=plan-summary]").starts_with("9 requests · estimated $"));

    drop(handle);
    reset_hash();
    // The app's connection closes itself on `versionchange`, so deleting is not blocked.
    delete_database(db).await.unwrap();
}

/// A project and an image `Blob` go into IndexedDB in one transaction and come back equal.
#[wasm_bindgen_test]
async fn indexeddb_round_trip_of_a_project_with_a_blob() {
    let name = unique_name("idb");
    let db = Db::open(&name).await.expect("open");
    let mut n = 0;
    let mut project = Project::from_template(
        "Round trip",
        Template::CharacterSheet,
        "gpt-image-2",
        1.0,
        || {
            n += 1;
            n
        },
    );
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let blob = continuity::images::blob_from_bytes(&bytes, "image/png").unwrap();
    let frame_id = project.frames[0].id.clone();
    project.add_take(
        &frame_id,
        Take {
            id: "t_1".into(),
            width: 1024,
            height: 1024,
            mime: "image/png".into(),
            created_ms: 2.0,
            prompt: "front view".into(),
            usage: None,
            cost_usd: Some(0.053),
            request_id: None,
            anchor_image: None,
            references: Vec::new(),
            maybe_billed_attempts: 0,
        },
    );
    db.save_images_with_project(&[("t_1".into(), blob.clone())], &project)
        .await
        .expect("save");

    // A second connection proves it was committed, not just cached.
    let again = Db::open(&name).await.unwrap();
    assert_eq!(
        again.load_project(&project.id).await.unwrap(),
        Some(project.clone())
    );
    let stored = again.image("t_1").await.unwrap().expect("image stored");
    assert_eq!(blob_bytes(&stored).await, bytes);
    let (all, problems) = again.load_projects().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(problems.is_empty());

    again.delete_project(&project).await.unwrap();
    assert_eq!(again.load_project(&project.id).await.unwrap(), None);
    assert!(
        again.image("t_1").await.unwrap().is_none(),
        "images go with their project"
    );
    db.close();
    again.close();
    delete_database(&name).await.unwrap();
}
