//! Component test of "Check every result" on the card: a version's check lands through the one
//! door and the card says "Checks n / m"; a failed check call says "Check failed", never a pass.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::edit::{self, Edit};
use continuity::app::state::AppState;
use continuity::ui::frame::card::FrameCard;
use continuity_core::brief::check::{CheckReport, Verdict};
use continuity_core::brief::check_frame::{Asked, CheckOutcome, ResultCheck};
use continuity_core::model::action::{FrameEdit, Pointer};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::shot::OnImageText;
use continuity_core::model::template::Template;
use continuity_core::model::{ImageRef, Series, Version};
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
