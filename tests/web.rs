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

/// A lazy part on screen (`LazyView`): "Loading…" until its module is there, then the part; a
/// module that cannot be fetched says so with "Retry", and Retry loads it. (In these tests the
/// library is not split, so the part's future stands in for the module's fetch.)
#[wasm_bindgen_test]
async fn a_lazy_part_shows_loading_then_itself_or_a_retry() {
    use continuity::parts::PartMissing;
    use continuity::ui::lazy_view::LazyView;
    use futures_channel::oneshot;
    use std::cell::RefCell;
    use std::rc::Rc;

    // Each load waits for the test to answer it: Ok (the module arrived) or Err (it did not).
    let answers: Rc<RefCell<Vec<oneshot::Sender<bool>>>> = Rc::default();
    let pending = answers.clone();
    let (root, _handle) = mount(move || {
        let pending = pending.clone();
        let load = move || {
            let (send, wait) = oneshot::channel();
            pending.borrow_mut().push(send);
            async move {
                match wait.await {
                    Ok(true) => Ok(view! { <p data-testid="the-part">"The part"</p> }.into_any()),
                    _ => Err(PartMissing),
                }
            }
        };
        view! { <LazyView load=load/> }
    });
    leptos::task::tick().await;
    assert_eq!(root.text_content().unwrap(), "Loading…");

    // The module cannot be fetched: the reason and Retry, announced (role=alert).
    answers.borrow_mut().remove(0).send(false).unwrap();
    wait_for("the failure message", || {
        query("[data-testid=part-failed]").is_some()
    })
    .await;
    let failed = query("[data-testid=part-failed]").unwrap();
    assert_eq!(failed.get_attribute("role").as_deref(), Some("alert"));
    assert!(failed
        .text_content()
        .unwrap()
        .contains("could not be loaded"));

    // Retry asks again; this time the module arrives and the part replaces the message.
    click("[data-testid=part-failed] button");
    leptos::task::tick().await;
    assert_eq!(root.text_content().unwrap(), "Loading…");
    answers.borrow_mut().remove(0).send(true).unwrap();
    wait_for("the part", || query("[data-testid=the-part]").is_some()).await;
    assert!(query("[data-testid=part-failed]").is_none());
}

/// A lazy part whose view goes away while its module loads (the screen changed) never builds
/// its views under the gone view: no panic, nothing shown later.
#[wasm_bindgen_test]
async fn a_lazy_part_that_went_away_while_loading_stays_away() {
    use continuity::parts::PartMissing;
    use continuity::ui::lazy_view::LazyView;
    use futures_channel::oneshot;

    #[derive(Clone, Copy)]
    struct Marker;
    let slot: StoredValue<Option<oneshot::Sender<()>>, LocalStorage> = StoredValue::new_local(None);
    let shown = RwSignal::new(true);
    let (root, _handle) = mount(move || {
        // The part needs context from its owner, as the app's parts need the app state.
        provide_context(Marker);
        let load = move || {
            let (send, wait) = oneshot::channel();
            slot.set_value(Some(send));
            async move {
                wait.await.map_err(|_| PartMissing)?;
                let _ = expect_context::<Marker>();
                Ok(view! { <p data-testid="late-part">"Late"</p> }.into_any())
            }
        };
        view! { <Show when=move || shown.get()><LazyView load=load/></Show> }
    });
    leptos::task::tick().await;
    shown.set(false);
    leptos::task::tick().await;
    slot.try_update_value(Option::take)
        .flatten()
        .unwrap()
        .send(())
        .unwrap();
    for _ in 0..5 {
        leptos::task::tick().await;
    }
    assert!(query("[data-testid=late-part]").is_none());
    assert_eq!(root.text_content().unwrap(), "");
}
