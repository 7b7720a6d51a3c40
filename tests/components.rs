//! Component tests: mount one component with an in-memory store, act as a user does, let
//! Leptos apply the change (`tick().await`), and assert what is on screen. A state change that
//! never reaches the screen is exactly the kind of bug app-level tests miss (leptos
//! `examples/counter/tests/web.rs` is the model).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::state::{AppState, StorageStatus};
use continuity::ui::bible::BiblePanel;
use continuity::ui::frame::card::{probe, FrameCard};
use continuity::ui::frame::shot_editor::ShotEditor;
use continuity::ui::storage_meter::{SaveState, StorageLine};
use continuity_core::model::bible::{Entity, EntityKind};
use continuity_core::model::series::SeriesStoreFields;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use leptos::prelude::*;
use leptos::task::tick;
use reactive_stores::Store;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A comic (four frames) in a store, with the app state the components expect in context.
/// Storage is not opened: these tests are about what reaches the screen.
fn comic() -> (AppState, Store<Series>) {
    let state = AppState::new("unused-components-db");
    provide_context(state);
    let mut n = 0;
    let series = Series::from_template("Comic", Template::Comic, "gpt-image-2", 1.0, || {
        n += 1;
        n
    });
    let store = state.insert_series(series);
    (state, store)
}

fn entity(id: &str, name: &str) -> Entity {
    Entity {
        id: id.into(),
        kind: EntityKind::Character,
        name: name.into(),
        description: String::new(),
        must_not_change: Vec::new(),
        references: Vec::new(),
    }
}

/// Typing a colour into the palette shows its swatch at once (it used to appear only after a
/// reload: the swatches read the series untracked).
#[wasm_bindgen_test]
async fn palette_swatches_appear_as_colours_are_typed() {
    let (root, _handle) = mount(|| {
        let (_, store) = comic();
        view! { <BiblePanel store=store/> }
    });
    let palette = find(&root, "[data-testid=bible-palette]");
    assert_eq!(query_all_in(&root, "[data-testid=swatch]").len(), 0);
    type_into(&palette, "#1F6FEB teal");
    tick().await;
    let swatches = query_all_in(&root, "[data-testid=swatch]");
    assert_eq!(swatches.len(), 1, "the first colour shows");
    assert_eq!(
        swatches[0].get_attribute("title").as_deref(),
        Some("#1F6FEB")
    );
    type_into(&palette, "#1F6FEB teal, #f60 coral, nonsense");
    tick().await;
    let titles: Vec<String> = query_all_in(&root, "[data-testid=swatch]")
        .iter()
        .filter_map(|s| s.get_attribute("title"))
        .collect();
    assert_eq!(titles, ["#1F6FEB", "#FF6600"]);
    assert!(text_of(&root).contains("Not a colour: nonsense"));
}

/// An entity added to the bible after a frame's card was mounted appears among the frame's
/// "appears in this frame" checkboxes (it used to be missing until a reload).
#[wasm_bindgen_test]
async fn entity_checkboxes_follow_the_bible() {
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        let fid = store.frame_order().get_untracked()[0].clone();
        let frame = store.frames().at_key(fid.clone()).into();
        view! { <ShotEditor store=store frame=frame frame_id=fid/> }
    });
    let store = holder.get_untracked().unwrap();
    assert_eq!(query_all_in(&root, "[data-testid=entity-pick]").len(), 0);
    store
        .bible()
        .update(|b| b.entities.push(entity("e1", "Mira")));
    tick().await;
    let picks = query_all_in(&root, "label.check");
    assert_eq!(picks.len(), 1, "the new entity is offered");
    assert_eq!(text_of(&picks[0]), "Mira");
    // Ticking it puts the entity into this frame's shot.
    find(&root, "[data-testid=entity-pick]")
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    tick().await;
    let fid = store.frame_order().get_untracked()[0].clone();
    assert_eq!(
        store.get_untracked().frame(&fid).unwrap().shot.entities,
        ["e1"]
    );
    let checkbox: web_sys::HtmlInputElement =
        find(&root, "[data-testid=entity-pick]").unchecked_into();
    assert!(checkbox.checked());
}

/// Typing into one frame's prompt updates that frame's card only: the other cards' frames
/// are not notified and their DOM is not re-created.
#[wasm_bindgen_test]
async fn a_prompt_edit_re_renders_its_own_card_only() {
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        continuity::app::derived::provide(store);
        view! {
            <For each=move || store.frame_order().get() key=|id| id.clone() let:fid>
                <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/>
            </For>
        }
    });
    let store = holder.get_untracked().unwrap();
    let ids = store.frame_order().get_untracked();
    tick().await;
    let cards_before = query_all_in(&root, "[data-testid=frame-card]");
    assert_eq!(cards_before.len(), 4);
    let before: Vec<usize> = ids.iter().map(|id| probe::count(id)).collect();

    let prompt = find(&cards_before[2], "[data-testid=frame-prompt]");
    let mut typed = String::new();
    for c in "限时 5 折".chars() {
        typed.push(c);
        type_into(&prompt, &typed);
        tick().await;
    }
    let after: Vec<usize> = ids.iter().map(|id| probe::count(id)).collect();
    for i in [0, 1, 3] {
        assert_eq!(
            after[i], before[i],
            "card {i} was notified by an edit of card 2"
        );
    }
    assert!(after[2] > before[2], "card 2 saw its own edit");
    assert_eq!(
        store.get_untracked().frame(&ids[2]).unwrap().prompt,
        "限时 5 折"
    );
    let cards_after = query_all_in(&root, "[data-testid=frame-card]");
    for (a, b) in cards_before.iter().zip(&cards_after) {
        assert!(a.is_same_node(Some(b)), "cards are kept, not re-created");
    }
    // The field keeps exactly what was typed (nothing is rewritten under the caret).
    let area: web_sys::HtmlTextAreaElement = prompt.unchecked_into();
    assert_eq!(area.value(), "限时 5 折");
}

/// One key typed into frame 3's prompt wakes the readers of frame 3's prompt and nothing
/// else: not the readers of frame 3's other fields (title, shot, active version, error), not
/// frame 2's prompt, not the series' order, anchor, versions or bible — which are all the
/// derived state reads, so it is not recomputed either. Counts: frame 3's prompt reader 1,
/// every other reader 0.
#[wasm_bindgen_test]
async fn a_keystroke_wakes_only_the_prompt_readers_of_its_frame() {
    use continuity_core::model::frame::FrameStoreFields;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;
    let counts: Rc<RefCell<BTreeMap<&'static str, usize>>> = Rc::default();
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let seen = counts.clone();
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        continuity::app::derived::provide(store);
        let ids = store.frame_order().get_untracked();
        let count = move |name: &'static str, track: Box<dyn Fn()>| {
            let seen = seen.clone();
            Effect::new(move |_| {
                track();
                *seen.borrow_mut().entry(name).or_default() += 1;
            });
        };
        let (f2, f3) = (
            store.frames().at_key(ids[1].clone()),
            store.frames().at_key(ids[2].clone()),
        );
        let f = f3.clone();
        count(
            "frame 3 prompt",
            Box::new(move || f.clone().prompt().track()),
        );
        let f = f3.clone();
        count("frame 3 title", Box::new(move || f.clone().title().track()));
        let f = f3.clone();
        count("frame 3 shot", Box::new(move || f.clone().shot().track()));
        let f = f3.clone();
        count(
            "frame 3 active version",
            Box::new(move || f.clone().active_version().track()),
        );
        let f = f3.clone();
        count("frame 3 error", Box::new(move || f.clone().error().track()));
        count(
            "frame 2 prompt",
            Box::new(move || f2.clone().prompt().track()),
        );
        count("frame order", Box::new(move || store.frame_order().track()));
        count("anchor", Box::new(move || store.anchor().track()));
        count("versions", Box::new(move || store.versions().track()));
        count("bible", Box::new(move || store.bible().track()));
        view! {
            <For each=move || store.frame_order().get() key=|id| id.clone() let:fid>
                <FrameCard store=store frame=store.frames().at_key(fid.clone()).into() frame_id=fid/>
            </For>
        }
    });
    let store = holder.get_untracked().unwrap();
    tick().await;
    let before = counts.borrow().clone();
    let card = &query_all_in(&root, "[data-testid=frame-card]")[2];
    type_into(&find(card, "[data-testid=frame-prompt]"), "A");
    tick().await;
    let after = counts.borrow().clone();
    let woken: BTreeMap<&str, usize> = after
        .iter()
        .map(|(name, n)| (*name, n - before[name]))
        .collect();
    let expected: BTreeMap<&str, usize> = before
        .keys()
        .map(|name| (*name, usize::from(*name == "frame 3 prompt")))
        .collect();
    assert_eq!(woken, expected);
    let ids = store.frame_order().get_untracked();
    assert_eq!(store.get_untracked().frame(&ids[2]).unwrap().prompt, "A");
}

/// The storage meter shows used and available space, warns before space runs out, and counts
/// changes that are not saved yet.
#[wasm_bindgen_test]
async fn the_storage_meter_shows_space_warnings_and_unsaved_changes() {
    let holder: RwSignal<Option<AppState>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (state, _) = comic();
        holder.set(Some(state));
        view! { <StorageLine series_bytes=Signal::derive(|| Some(2_500_000.0))/><SaveState/> }
    });
    let state = holder.get_untracked().unwrap();
    state.storage.set(StorageStatus {
        usage: Some(2e9),
        quota: Some(100e9),
        persisted: Some(true),
    });
    tick().await;
    let line = text_of(&find(&root, "[data-testid=storage-line]"));
    assert_eq!(
        line,
        "2.0 GB used of 100 GB · this series 2.5 MB · kept by the browser"
    );
    assert!(query_in(&root, "[data-testid=storage-warning]").is_none());

    // Changes waiting for their debounced write: a quiet "Saving…", no warning.
    state.saving.set(continuity::app::state::SaveStatus {
        unsaved: 2,
        problem: None,
    });
    tick().await;
    assert_eq!(text_of(&find(&root, "[data-testid=saving]")), "Saving…");
    assert!(query_in(&root, "[data-testid=unsaved]").is_none());

    state.storage.set(StorageStatus {
        usage: Some(99.9e9),
        quota: Some(100e9),
        persisted: Some(false),
    });
    state.saving.set(continuity::app::state::SaveStatus {
        unsaved: 3,
        problem: Some("The browser has no room left to save.".into()),
    });
    tick().await;
    let warning = text_of(&find(&root, "[data-testid=storage-warning]"));
    assert!(
        warning.starts_with("Only 100 MB of browser storage is left"),
        "{warning}"
    );
    let unsaved = text_of(&find(&root, "[data-testid=unsaved]"));
    assert_eq!(
        unsaved,
        "3 changes not saved yet: The browser has no room left to save."
    );
    assert!(text_of(&root).contains("may be cleared by the browser"));
}

/// A scripted stroke on the mask painter (pointer events, as a mouse, pen or finger makes
/// them) gives the mask OpenAI expects: a PNG of the image's size, fully transparent where
/// painted and opaque elsewhere; undo removes the stroke.
#[wasm_bindgen_test]
async fn the_mask_painter_turns_a_stroke_into_the_expected_mask_png() {
    use continuity::ui::inspector::mask_painter::{Mask, MaskPainter};
    let mask = RwSignal::new(Mask::default());
    let (root, _handle) = mount(move || {
        view! { <div style="position: relative; width: 200px; height: 100px"><MaskPainter width=400 height=200 mask=mask/></div> }
    });
    tick().await;
    let canvas = find(&root, "[data-testid=mask-canvas]");
    let rect = canvas.get_bounding_client_rect();
    // From (10%, 50%) to (40%, 50%) of the canvas: image x 40..160, y 100.
    let at = |fx: f64, fy: f64| {
        (
            rect.left() + rect.width() * fx,
            rect.top() + rect.height() * fy,
        )
    };
    let pointer = |kind: &str, (x, y): (f64, f64)| {
        let init = web_sys::PointerEventInit::new();
        init.set_bubbles(true);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        init.set_pointer_id(7);
        init.set_pointer_type("pen");
        let ev = web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap();
        canvas.dispatch_event(&ev).unwrap();
    };
    pointer("pointerdown", at(0.1, 0.5));
    pointer("pointermove", at(0.25, 0.5));
    pointer("pointermove", at(0.4, 0.5));
    pointer("pointerup", at(0.4, 0.5));
    tick().await;
    let m = mask.get_untracked();
    assert_eq!(m.strokes.len(), 1);
    let png = continuity::web::canvas::mask_png(400, 200, &m.strokes, m.inverted)
        .await
        .unwrap();
    let (w, h, alpha) = decode_alpha(&png).await;
    assert_eq!((w, h), (400, 200), "the mask has the image's size");
    let a = |x: u32, y: u32| alpha[(y * w + x) as usize];
    assert_eq!(a(100, 100), 0, "painted: fully transparent (may change)");
    assert_eq!(a(40, 100), 0);
    assert_eq!(a(300, 100), 255, "unpainted: opaque (kept)");
    assert_eq!(a(100, 10), 255);
    // Invert, then undo the stroke: with nothing painted an inverted mask covers everything.
    click_in(&root, "[data-testid=invert-mask]");
    click_in(&root, "[data-testid=undo-stroke]");
    tick().await;
    let m = mask.get_untracked();
    assert!(m.strokes.is_empty() && m.inverted);
    let png = continuity::web::canvas::mask_png(400, 200, &m.strokes, m.inverted)
        .await
        .unwrap();
    let (_, _, alpha) = decode_alpha(&png).await;
    assert!(
        alpha.iter().all(|&a| a == 0),
        "inverted and empty: all may change"
    );
}

/// The output settings follow the series' model: Quality lists xhigh only where the model
/// does, Complexity shows only on 2.6, a switch drops what the new model lacks and says so on
/// screen, and "Transparent background" is disabled with the reason where unsupported.
#[wasm_bindgen_test]
async fn the_output_settings_follow_the_model() {
    use continuity::ui::series::output::OutputSettingsCard;
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        view! { <OutputSettingsCard store=store/> }
    });
    tick().await;
    let store = holder.get_untracked().unwrap();
    let choose = |selector: &str, value: &str| {
        let select: web_sys::HtmlSelectElement = find(&root, selector).unchecked_into();
        select.set_value(value);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let ev = web_sys::Event::new_with_event_init_dict("change", &init).unwrap();
        select.dispatch_event(&ev).unwrap();
    };
    let qualities = || -> Vec<String> {
        query_all_in(&root, "#series-quality option")
            .iter()
            .map(|o| o.get_attribute("value").unwrap_or_default())
            .collect()
    };
    let checkbox = || -> web_sys::HtmlInputElement {
        find(&root, "[data-testid=transparent-background]").unchecked_into()
    };
    assert!(!qualities().contains(&"xhigh".to_string()));
    assert!(query_in(&root, "#series-complexity").is_none());
    assert!(
        !checkbox().disabled(),
        "gpt-image-2 makes transparent backgrounds (preview)"
    );
    choose("#series-model", "gpt-image-2.5-flare");
    tick().await;
    assert!(qualities().contains(&"xhigh".to_string()));
    choose("#series-quality", "xhigh");
    tick().await;
    choose("#series-model", "gpt-image-2.6-flare");
    tick().await;
    assert_eq!(store.output().get_untracked().quality, "high");
    assert!(!qualities().contains(&"xhigh".to_string()));
    assert!(
        text_of(&find(&root, "[data-testid=output-notice]"))
            .contains("Quality “xhigh” is not available on GPT Image 2.6 Flare"),
        "the drop is said"
    );
    assert!(query_in(&root, "#series-complexity").is_some());
    assert!(checkbox().disabled());
    assert!(text_of(&find(&root, "[data-testid=transparent-reason]"))
        .contains("cannot make transparent backgrounds"));
}

/// "Mark changes": a circle dragged with pointer events and a typed note become marks, and the
/// layer sent as `markup` is a PNG of the image's size (not the screen's), transparent except
/// for the ink; undo removes the last mark, clear all of them.
#[wasm_bindgen_test]
async fn the_markup_painter_draws_marks_on_a_layer_the_image_size() {
    use continuity::ui::inspector::markup_painter::MarkupPainter;
    use continuity::web::markup::{markup_png, Mark};
    let marks = RwSignal::new(Vec::<Mark>::new());
    let (root, _handle) = mount(move || {
        view! { <div style="position: relative; width: 200px; height: 100px"><MarkupPainter width=400 height=200 marks=marks/></div> }
    });
    tick().await;
    let canvas = find(&root, "[data-testid=markup-canvas]");
    let rect = canvas.get_bounding_client_rect();
    let at = |fx: f64, fy: f64| {
        (
            rect.left() + rect.width() * fx,
            rect.top() + rect.height() * fy,
        )
    };
    let pointer = |kind: &str, (x, y): (f64, f64)| {
        let init = web_sys::PointerEventInit::new();
        init.set_bubbles(true);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        init.set_pointer_id(3);
        init.set_pointer_type("mouse");
        let ev = web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap();
        canvas.dispatch_event(&ev).unwrap();
    };
    // The circle tool is the first choice: a drag from (25%, 20%) to (75%, 80%).
    pointer("pointerdown", at(0.25, 0.2));
    pointer("pointermove", at(0.5, 0.5));
    pointer("pointermove", at(0.75, 0.8));
    pointer("pointerup", at(0.75, 0.8));
    tick().await;
    assert_eq!(marks.get_untracked().len(), 1);
    assert!(matches!(marks.get_untracked()[0], Mark::Circle(..)));
    // A note: the tool, the text typed, a click where it goes.
    click_labelled(&root, "button", "Text note");
    tick().await;
    let note = find(&root, "[data-testid=markup-note]");
    type_into(&note, "blue");
    tick().await;
    pointer("pointerdown", at(0.05, 0.05));
    tick().await;
    let drawn = marks.get_untracked();
    assert_eq!(drawn.len(), 2);
    assert!(
        matches!(&drawn[1], Mark::Note(_, t) if t == "blue"),
        "{drawn:?}"
    );
    let png = markup_png(400, 200, &drawn).await.unwrap();
    let (w, h, alpha) = decode_alpha(&png).await;
    assert_eq!((w, h), (400, 200), "the layer has the image's size");
    let a = |x: u32, y: u32| alpha[(y * w + x) as usize];
    assert_eq!(a(200, 100), 0, "inside the circle: transparent");
    assert_eq!(a(395, 195), 0, "away from every mark: transparent");
    // The ellipse's leftmost point is near image (100, 100) (client pixels are whole).
    assert!((94..=106).any(|x| a(x, 100) > 0), "on the circle: ink");
    click_in(&root, "[data-testid=undo-mark]");
    tick().await;
    assert_eq!(marks.get_untracked().len(), 1, "undo removes the note");
    click_in(&root, "[data-testid=clear-marks]");
    tick().await;
    assert!(marks.get_untracked().is_empty());
}

/// The version tree draws an edit under the version it was made from, and a click shows it.
#[wasm_bindgen_test]
async fn the_version_tree_renders_branches() {
    use continuity::ui::inspector::tree::VersionTree;
    use continuity_core::model::Version;
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let picked: RwSignal<Option<String>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        let fid = store.frame_order().get_untracked()[0].clone();
        let version = |id: &str, parent: Option<&str>| {
            let mut v: Version = test_version(id, &fid);
            v.parent = parent.map(str::to_string);
            v
        };
        store.update(|s| {
            s.apply(continuity_core::model::action::Edit::result(
                &fid,
                vec![version("a", None)],
            ))
            .unwrap();
            s.versions.push(version("b", Some("a")));
            s.versions.push(version("c", Some("b")));
            s.versions.push(version("d", Some("a")));
        });
        continuity::app::state::refresh_keys(store);
        let active = Memo::new(move |_| Some("a".to_string()));
        let shown = Memo::new(move |_| picked.get().or_else(|| active.get()));
        view! { <VersionTree store=store frame_id=fid picked=picked shown=shown compare_with=RwSignal::new(None)/> }
    });
    tick().await;
    let nodes = query_all_in(&root, "[data-testid=version-node]");
    let depths: Vec<String> = nodes
        .iter()
        .filter_map(|n| n.get_attribute("data-depth"))
        .collect();
    assert_eq!(
        depths,
        ["0", "1", "2", "1"],
        "a; b under a; c under b; d under a"
    );
    assert_eq!(
        nodes[0].get_attribute("data-active").as_deref(),
        Some("true")
    );
    nodes[2]
        .query_selector("button")
        .unwrap()
        .unwrap()
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
    tick().await;
    assert_eq!(picked.get_untracked().as_deref(), Some("c"));
    let pressed = query_all_in(
        &root,
        "[data-testid=version-node] button[aria-pressed=true]",
    );
    assert_eq!(pressed.len(), 1);
    let _ = holder;
}

/// The compare slider reveals version B from the position the user drags it to.
#[wasm_bindgen_test]
async fn the_compare_slider_moves() {
    use continuity::ui::inspector::compare::Compare;
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        let fid = store.frame_order().get_untracked()[0].clone();
        store.update(|s| {
            let mut a = test_version("a", &fid);
            let mut b = test_version("b", &fid);
            a.image.hash = "ha".into();
            b.image.hash = "hb".into();
            s.apply(continuity_core::model::action::Edit::result(
                &fid,
                vec![a, b],
            ))
            .unwrap();
        });
        view! { <Compare store=store left="a".to_string() right="b".to_string()/> }
    });
    tick().await;
    click_in(&root, "[data-testid=compare-slider-mode]");
    tick().await;
    let top = find(&root, "[data-testid=compare-top]");
    assert_eq!(style_of(&top, "clip-path"), "inset(0px 0px 0px 50%)");
    let range = find(&root, "[data-testid=compare-range]");
    type_into(&range, "20");
    tick().await;
    assert_eq!(style_of(&top, "clip-path"), "inset(0px 0px 0px 20%)");
}

/// A version of frame `frame_id` whose image hash is `h-<id>` (as storage would read it back).
fn test_version(id: &str, frame_id: &str) -> continuity_core::model::Version {
    serde_json::from_value(serde_json::json!({
        "id": id, "series_id": "s", "frame_id": frame_id, "created_ms": 1.0,
        "image": {"hash": format!("h-{id}"), "width": 8, "height": 8, "mime": "image/png"}
    }))
    .unwrap()
}

fn click_in(root: &web_sys::Element, selector: &str) {
    find(root, selector)
        .unchecked_into::<web_sys::HtmlElement>()
        .click();
}

fn style_of(el: &web_sys::Element, property: &str) -> String {
    el.unchecked_ref::<web_sys::HtmlElement>()
        .style()
        .get_property_value(property)
        .unwrap_or_default()
}

/// Decodes a PNG in the browser and returns its size and the alpha of every pixel.
async fn decode_alpha(png: &web_sys::Blob) -> (u32, u32, Vec<u8>) {
    let window = web_sys::window().unwrap();
    let bitmap: web_sys::ImageBitmap =
        wasm_bindgen_futures::JsFuture::from(window.create_image_bitmap_with_blob(png).unwrap())
            .await
            .unwrap()
            .unchecked_into();
    let (w, h) = (bitmap.width(), bitmap.height());
    let canvas: web_sys::HtmlCanvasElement =
        doc().create_element("canvas").unwrap().unchecked_into();
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0).unwrap();
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .unwrap()
        .data()
        .0;
    (w, h, data.chunks(4).map(|p| p[3]).collect())
}

/// The series' one generate button says what it will do in each state: nothing made yet,
/// some missing, made from an approved anchor, stale frames first.
#[wasm_bindgen_test]
async fn the_generate_button_says_what_it_will_do() {
    use continuity::ui::series::SeriesView;
    let holder: RwSignal<Option<Store<Series>>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (_, store) = comic();
        holder.set(Some(store));
        view! { <SeriesView store=store/> }
    });
    tick().await;
    let store = holder.get_untracked().unwrap();
    let label = || text_of(&find(&root, "[data-testid=generate-all]"));
    // Frame 1 is the anchor of a new series: it is made first, alone.
    assert_eq!(label(), "Generate the anchor");
    let ids = store.frame_order().get_untracked();
    let mut anchor = test_version("a1", &ids[0]);
    anchor.image.hash = "anchor-1".into();
    store.update(|s| {
        s.apply(continuity_core::model::action::Edit::result(
            &ids[0],
            vec![anchor],
        ))
        .unwrap();
    });
    continuity::app::state::refresh_keys(store);
    tick().await;
    assert_eq!(label(), "Generate 3 missing");
    store.update(|s| {
        s.set_anchor_frame(Some(&ids[0]));
        s.approve_anchor();
    });
    tick().await;
    assert_eq!(label(), "Generate 3 frames from the anchor");
    // Frame 2 made from the anchor; then the anchor gets a new image: frame 2 is stale.
    let mut made = test_version("f2", &ids[1]);
    made.anchor_image = Some("anchor-1".into());
    let mut newer = test_version("a2", &ids[0]);
    newer.created_ms = 9.0;
    store.update(|s| {
        s.apply(continuity_core::model::action::Edit::result(
            &ids[1],
            vec![made],
        ))
        .unwrap();
        s.apply(continuity_core::model::action::Edit::result(
            &ids[0],
            vec![newer],
        ))
        .unwrap();
    });
    continuity::app::state::refresh_keys(store);
    tick().await;
    // The new anchor image is not approved yet (the approval names the image): approving it
    // comes first, then the stale frame.
    assert_eq!(label(), "Approve the anchor");
    store.update(|s| {
        s.approve_anchor();
    });
    tick().await;
    assert_eq!(label(), "Regenerate 1 stale");
}

/// Per-frame durations: a committed value goes into that frame's record and into the total;
/// a field being typed in is not rewritten from the model; left, it shows the model's value.
#[wasm_bindgen_test]
async fn a_frames_animatic_seconds_go_into_its_record() {
    use continuity::ui::series::frame_durations::FrameDurations;
    use continuity_core::model::frame::FrameStoreFields;
    let holder: RwSignal<Option<(AppState, Store<Series>)>> = RwSignal::new(None);
    let (root, _handle) = mount(move || {
        let (state, store) = comic();
        holder.set(Some((state, store)));
        store.update(|s| {
            for (i, id) in s.frame_order.clone().iter().enumerate() {
                s.apply(continuity_core::model::action::Edit::result(
                    id,
                    vec![test_version(&format!("v{i}"), id)],
                ))
                .unwrap();
            }
        });
        view! { <FrameDurations store=store default_seconds=Signal::stored(1.5)/> }
    });
    let (state, store) = holder.get_untracked().unwrap();
    let ids = store.frame_order().get_untracked();
    let field = |n: usize| -> web_sys::HtmlInputElement {
        find(&root, &format!("input[aria-label='Seconds for frame {n}']")).unchecked_into()
    };
    let total = || text_of(&find(&root, "[data-testid=animatic-total]"));
    tick().await;
    // Open the list as a user does (a field in a closed <details> cannot take focus).
    click_in(&root, ".frame-durations summary");
    assert_eq!(query_all_in(&root, "[data-testid=frame-seconds]").len(), 4);
    assert_eq!(field(2).placeholder(), "1.5", "empty shows the default");
    assert!(text_of(&root).contains("02 · "), "{}", text_of(&root));
    assert_eq!(total(), "Animatic: 6 s in all (4 frames with an image)");

    commit_value(&field(2), "2.5");
    tick().await;
    let hold = |i: usize| store.get_untracked().frame(&ids[i]).unwrap().hold_seconds;
    assert_eq!(hold(1), Some(2.5));
    assert_eq!([hold(0), hold(2), hold(3)], [None; 3], "only that frame");
    let series = store.id().get_untracked();
    assert!(
        state
            .saver()
            .is_dirty(&series, continuity::web::idb::FRAMES, &ids[1]),
        "its record is saved"
    );
    assert!(!state
        .saver()
        .is_dirty(&series, continuity::web::idb::FRAMES, &ids[0]));
    assert_eq!(field(2).value(), "2.5");
    assert_eq!(total(), "Animatic: 7 s in all (4 frames with an image)");

    // Typing in frame 3 while its time changes elsewhere (an undo, another tab).
    let three = field(3);
    three.focus().unwrap();
    type_into(&three, "7");
    let lens = store.frames().at_key(ids[2].clone());
    lens.hold_seconds().set(Some(4.0));
    tick().await;
    assert_eq!(three.value(), "7", "not rewritten under the caret");
    assert_eq!(total(), "Animatic: 9.5 s in all (4 frames with an image)");
    three.blur().unwrap();
    tick().await;
    assert_eq!(three.value(), "4", "the model's value once left");

    // Out of range is clamped into the model; empty goes back to the default.
    commit_value(&field(1), "600");
    commit_value(&field(2), "");
    tick().await;
    assert_eq!([hold(0), hold(1)], [Some(60.0), None]);
    assert_eq!(total(), "Animatic: 67 s in all (4 frames with an image)");
}
