//! Component test of "Check every result" on the card: a version's check lands through the one
//! door and the card says "Checks n / m"; a failed check call says "Check failed", never a pass.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::edit::{self, Edit};
use continuity::app::state::AppState;
use continuity::app::text_call::{send_counted, CountedIn, TextOptions};
use continuity::ui::frame::card::FrameCard;
use continuity::ui::series::progress::SpendLine;
use continuity_core::brief::check::{CheckReport, Verdict};
use continuity_core::brief::check_frame::{Asked, CheckOutcome, ResultCheck};
use continuity_core::brief::describe::{self, ImageSource};
use continuity_core::cost::format_usd;
use continuity_core::export::share::data_url;
use continuity_core::model::action::{FrameEdit, Pointer};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::shot::OnImageText;
use continuity_core::model::template::Template;
use continuity_core::model::{ImageRef, Series, Version};
use continuity_core::settings::Endpoint;
use continuity_core::text_models::TextCatalogue;
use leptos::prelude::*;
use leptos::task::tick;
use reactive_stores::Store;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn version(id: &str, frame_id: &str) -> Version {
    Version {
        id: id.into(),
        series_id: String::new(),
        frame_id: frame_id.into(),
        rev: 1,
        parent: None,
        group: None,
        kind: Default::default(),
        image: ImageRef {
            hash: format!("hash-{id}"),
            width: 1024,
            height: 1024,
            mime: "image/png".into(),
            bytes: 0,
        },
        created_ms: 1.0,
        request: Default::default(),
        instruction: None,
        locale: None,
        usage: None,
        request_cost_usd: Some(0.05),
        cost_usd: Some(0.05),
        request_id: None,
        anchor_image: None,
        maybe_billed_attempts: 0,
        check: None,
    }
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn the_card_shows_the_checks_score_and_a_failed_check_as_failed() {
    let holder: RwSignal<Option<(AppState, Store<Series>)>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let state = AppState::new("unused-checks-db");
        provide_context(state);
        let mut n = 0;
        let mut series =
            Series::from_template("Checks", Template::Comic, "gpt-image-2", 1.0, || {
                n += 1;
                n
            });
        series.check_results = true;
        series.frames[0].shot.texts = vec![OnImageText {
            text: "限时 5 折".into(),
            ..Default::default()
        }];
        series.frames[0].shot.shot_size = "close-up".into();
        let store = state.insert_series(series);
        holder.set(Some((state, store)));
        continuity::app::derived::provide(store);
        let fid = store.frame_order().get_untracked()[0].clone();
        view! { <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/> }
    });
    let (state, store) = holder.get_untracked().unwrap();
    let fid = store.frame_order().get_untracked()[0].clone();
    edit::app(
        state,
        store,
        Edit::frame(
            &fid,
            FrameEdit::ResultArrived {
                versions: vec![version("v1", &fid)],
                pointer: Pointer::Active,
            },
        ),
    )
    .unwrap();
    tick().await;
    assert!(
        query_in(&root, "[data-testid=frame-checks]").is_none(),
        "not checked yet"
    );

    let asked = store.with_untracked(|s| Asked::of(s, s.frame(&fid).unwrap()));
    let report = CheckReport {
        texts: vec!["限时 5 抙".into()],
        constraints: asked
            .constraints
            .iter()
            .map(|c| Verdict {
                id: c.id.clone(),
                met: true,
                reason: "ok".into(),
            })
            .collect(),
    };
    let all = 1 + asked.constraints.len();
    let land = |outcome| {
        edit::app(
            state,
            store,
            Edit::frame(
                &fid,
                FrameEdit::Checked {
                    version: "v1".into(),
                    check: ResultCheck {
                        asked: asked.clone(),
                        outcome,
                        cost_usd: 0.01,
                    },
                },
            ),
        )
        .unwrap()
    };
    land(CheckOutcome::Report(report));
    tick().await;
    let badge = find(&root, "[data-testid=frame-checks]");
    assert_eq!(text_of(&badge), format!("Checks {} / {all}", all - 1));
    assert_eq!(badge.get_attribute("data-passed").as_deref(), Some("false"));

    land(CheckOutcome::Failed(
        "The check failed: the server is busy.".into(),
    ));
    tick().await;
    let badge = find(&root, "[data-testid=frame-checks]");
    assert_eq!(text_of(&badge), "Check failed");
    assert_eq!(badge.get_attribute("data-passed").as_deref(), Some("false"));
}

/// Sends one "Describe from images" call for the whole series through `send_counted` with
/// the fake's `x-fake-fault` (or none), held to `worst_usd`; what came back: its cost, or the
/// failure.
async fn counted_call(
    state: AppState,
    store: Store<Series>,
    fault: Option<&str>,
    worst_usd: f64,
) -> Result<f64, String> {
    let model = TextCatalogue::builtin().default_model().cloned().unwrap();
    let image = data_url("image/png", &png_rgba(8, 8, |_, _| [200, 40, 40, 255]));
    let request = describe::request(&model.id, &[ImageSource::DataUrl(image)], &[]).unwrap();
    let endpoint = Endpoint {
        base_url: format!("{}/v1", fake_url()),
        bearer: Some("sk-test-browser-dummy".into()),
        continuity_server: false,
    };
    let options = TextOptions {
        extra_headers: fault
            .map(|f| vec![("x-fake-fault".to_string(), f.to_string())])
            .unwrap_or_default(),
        ..Default::default()
    };
    let into = CountedIn {
        state,
        store,
        frame_id: String::new(),
        worst_usd,
        refusal: "Not described",
    };
    // Any answer will do here: what is tested is the counting, not the validator.
    send_counted(into, &endpoint, &model, &request, &options, |text| {
        Ok::<_, String>(text.len())
    })
    .await
    .map(|answer| answer.cost_usd)
    .map_err(|failure| failure.message)
}

// A text call made for a series is in its ledger before it leaves (a tab closed while it is on
// its way leaves "may have been billed") and is settled from the answer's usage; what the user
// sees is the spend line. A cut answer keeps the flag; a refused key settles at nothing; a call
// whose worst case would pass the budget is not sent at all.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_text_call_is_counted_before_it_leaves_and_settled_from_its_answer() {
    let holder: RwSignal<Option<(AppState, Store<Series>)>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let state = AppState::new("unused-text-spend-db");
        provide_context(state);
        let mut n = 0;
        let series = Series::from_template("Spend", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let store = state.insert_series(series);
        holder.set(Some((state, store)));
        view! { <SpendLine store=store/> }
    });
    let (state, store) = holder.get_untracked().unwrap();
    let flagged = move || store.with_untracked(|s| s.maybe_billed_requests());

    // A slow answer: counted (flagged) while it is on its way, nothing spent on screen yet.
    let done: RwSignal<Option<Result<f64, String>>> = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        let result = counted_call(state, store, Some("stall,ms=400"), 0.0).await;
        done.set(Some(result));
    });
    wait_for("the call reserved", || flagged() == 1).await;
    assert!(done.get_untracked().is_none(), "reserved before the answer");
    tick().await;
    assert!(query_in(&root, "[data-testid=series-spend]").is_none());
    wait_for("the answer", || done.get_untracked().is_some()).await;
    let cost = done.get_untracked().unwrap().expect("answered");
    assert!(cost > 0.0, "the fake reports usage");
    assert_eq!(flagged(), 0, "settled under the same call id");
    tick().await;
    assert_eq!(
        text("[data-testid=series-spend]"),
        format!("{} spent · no budget", format_usd(cost))
    );

    // A 200 cut in half may have been billed: the flag stays, nothing is added.
    let cut = counted_call(state, store, Some("truncated_json"), 0.0).await;
    assert!(cut.is_err());
    assert_eq!(flagged(), 1);
    // A refused key was not billed: settled at nothing, no flag.
    let refused = counted_call(state, store, Some("invalid_key"), 0.0).await;
    assert!(refused.is_err());
    assert_eq!(flagged(), 1);
    let entries = store.with_untracked(|s| s.ledger.len());
    assert!((store.with_untracked(|s| s.spent_usd()) - cost).abs() < 1e-12);

    // Over the budget: refused before anything is reserved or sent.
    store.update(|s| s.budget_usd = Some(cost + 0.001));
    let over = counted_call(state, store, None, 0.002).await;
    let message = over.expect_err("refused");
    assert!(
        message
            .starts_with("Not described: the call (up to $0.002) would go over the series budget"),
        "{message}"
    );
    assert_eq!(
        store.with_untracked(|s| s.ledger.len()),
        entries,
        "nothing reserved"
    );
}
