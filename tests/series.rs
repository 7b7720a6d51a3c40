//! Browser tests of the series engine, driven through the real UI (the whole `App` on a
//! throwaway IndexedDB database) against the real fake server (`continuity-server --provider
//! fake`, see scripts/test.sh): reference images from the file picker, "What will be sent"
//! against what the fake received, the plan's budget refusal, variants, and stale frames after
//! the anchor changes.
//!
//! Every series gets a random token in its style text, which the compiler puts at the start of
//! every frame's prompt: `journal_for(token)` is then exactly this series' requests (the fake's
//! journal is shared by every test and outlives a run). Each test proves what was sent with
//! the fake's journal and what was kept with a second IndexedDB connection, never with the
//! app's own account of it.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::web::idb::{delete_database, Db};
use continuity::App;
use continuity_core::model::Series;
use continuity_core::settings::{ConnectionKind, Settings};
use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

/// The `localStorage` key of the settings (src/web_storage.rs).
const STORED_SETTINGS: &str = "continuity.settings";

/// A mounted app with one freshly created series.
struct Open {
    /// The element the app is mounted in (every query stays inside it).
    root: Element,
    /// The throwaway database.
    db: &'static str,
    /// The random token in the series style, hence in every prompt of this series.
    token: String,
    /// The series' project id.
    series_id: String,
}

/// Pre-seeds the settings the Settings dialog would save: the fake as a custom endpoint (no
/// key), no streamed previews (so a request is one plain response), four requests at once.
fn seed_fake_settings() {
    let settings = Settings {
        connection: ConnectionKind::Custom,
        custom_base_url: format!("{}/v1", fake_url()),
        remember_key: false,
        concurrency: 4,
        stream_previews: false,
        text_model: String::new(),
    };
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item(STORED_SETTINGS, &serde_json::to_string(&settings).unwrap())
        .unwrap();
}

fn forget_settings() {
    if let Ok(Some(storage)) = web_sys::window().unwrap().local_storage() {
        let _ = storage.remove_item(STORED_SETTINGS);
    }
}

/// Mounts the app connected to the fake, creates a series (a 9-slide carousel, or a custom one
/// of `custom_frames` frames) and puts the token into its style. Returns the series and the
/// mount handle (keep it alive; [`finish`] drops it).
async fn open_series(name: &str, custom_frames: Option<usize>) -> (Open, impl Sized) {
    let token = unique_name("series");
    let db = leak(&token);
    reset_hash();
    seed_fake_settings();
    let (root, handle) = mount(move || view! { <App db_name=db/> });
    wait_for("the empty project list", || {
        query_in(&root, "[data-testid=no-projects]").is_some()
    })
    .await;
    create_series(&root, name, custom_frames).await;
    load_bible(&root).await;
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    let series_id = hash
        .strip_prefix("#/series/")
        .unwrap_or_else(|| panic!("not on a series screen: {hash:?}"))
        .to_string();
    type_into(
        &find(&root, "[data-testid=series-style]"),
        &format!("Soft gouache illustration {token}"),
    );
    let series = Open {
        root,
        db,
        token,
        series_id,
    };
    (series, handle)
}

/// Unmounts, forgets the settings and deletes the database.
async fn finish(series: Open, handle: impl Sized) {
    drop(handle);
    series.root.remove();
    reset_hash();
    forget_settings();
    // The app's connection closes itself on `versionchange`, so deleting is not blocked.
    delete_database(series.db).await.unwrap();
}

impl Open {
    fn cards(&self) -> Vec<Element> {
        query_all_in(&self.root, "[data-testid=frame-card]")
    }

    fn card(&self, index: usize) -> Element {
        self.cards()
            .into_iter()
            .nth(index)
            .unwrap_or_else(|| panic!("no frame card {index}"))
    }

    /// The series as stored, through a second connection (proves it was committed).
    async fn stored(&self) -> Series {
        let db = Db::open(self.db, || {}).await.expect("open");
        let (series, problems) = continuity::app::library::read_series(&db, &self.series_id)
            .await
            .expect("load")
            .expect("the series is stored");
        assert!(problems.is_empty(), "{problems:?}");
        db.close();
        series
    }

    /// How many versions frame `index` has in storage.
    async fn stored_versions(&self, index: usize) -> usize {
        let s = self.stored().await;
        s.versions_of(&s.frames[index].id).count()
    }

    /// The bytes of a stored image `Blob`.
    async fn stored_image(&self, key: &str) -> Vec<u8> {
        let db = Db::open(self.db, || {}).await.expect("open");
        let blob = db
            .blob(continuity::web::idb::IMAGES, key)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no stored image {key}"));
        db.close();
        blob_bytes(&blob).await
    }

    /// SHA-256 of the thumbnail stored for image `hash` (what a card or preview shows).
    async fn stored_thumb_sha(&self, hash: &str) -> String {
        let db = Db::open(self.db, || {}).await.expect("open");
        let blob = db
            .blob(continuity::web::idb::THUMBS, hash)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no stored thumbnail for {hash}"));
        db.close();
        sha256_hex(&blob_bytes(&blob).await).await
    }

    /// The stored series once `holds` is true of it (text edits are written debounced).
    async fn stored_when(&self, what: &str, holds: impl Fn(&Series) -> bool) -> Series {
        for _ in 0..150 {
            let s = self.stored().await;
            if holds(&s) {
                return s;
            }
            continuity::web::clock::sleep(20, None).await.unwrap();
        }
        panic!("the stored series never showed {what}");
    }

    /// SHA-256 of the image stored for frame `index`'s current take.
    async fn current_image_sha(&self, index: usize) -> String {
        let series = self.stored().await;
        let hash = series
            .active(&series.frames[index])
            .unwrap_or_else(|| panic!("frame {index} has no stored image"))
            .image
            .hash
            .clone();
        let sha = sha256_hex(&self.stored_image(&hash).await).await;
        assert_eq!(sha, hash, "images are keyed by the SHA-256 of their bytes");
        sha
    }

    /// Whether no batch runs ("Generate series" is back in place of "Cancel all").
    fn idle(&self) -> bool {
        query_in(&self.root, "[data-testid=generate-all]").is_some()
            && query_in(&self.root, "[data-testid=cancel-all]").is_none()
    }

    /// Clicks frame `index`'s own Generate / Regenerate and waits until it is done and the
    /// one-frame batch has ended.
    async fn generate_frame(&self, index: usize) {
        let before = self.stored_versions(index).await;
        // The card's main image, by its object URL: a new take gets a new URL. (Leptos updates
        // the DOM asynchronously, so right after the click the card still shows the old state.)
        let shown =
            || query_in(&self.card(index), ".frame-image img").and_then(|i| i.get_attribute("src"));
        // Thumbnails load near the viewport: look at the card, as a person does.
        self.card(index).scroll_into_view();
        let old = shown();
        press(&self.card(index), "[data-testid=generate-frame]");
        wait_for("the frame's new image", || {
            let now = shown();
            now.is_some()
                && now != old
                && self.card(index).get_attribute("data-status").as_deref() == Some("done")
                && query_in(&self.card(index), "[data-testid=generate-frame]").is_some()
                && self.idle()
        })
        .await;
        let after = self.stored_versions(index).await;
        assert!(after > before, "frame {index} has no new stored version");
    }

    /// Opens the bible, adds a character named `name` and uploads `files` as its references;
    /// waits until every thumbnail shows.
    async fn add_character(&self, name: &str, files: &[web_sys::File]) -> Element {
        // In the open "Bible" drawer (a closed one shows nothing, so no thumbnail loads).
        press(&self.root, "[data-testid=open-bible]");
        press(&self.root, "[data-testid=add-character]");
        wait_for("the character editor", || {
            query_in(&self.root, "[data-testid=entity]").is_some()
        })
        .await;
        let entity = find(&self.root, "[data-testid=entity]");
        type_into(&find(&entity, "[data-testid=entity-name]"), name);
        pick_files(&find(&entity, "[data-testid=reference-input]"), files);
        let want = files.len();
        wait_for("the reference thumbnails to decode", || {
            reveal_thumbs(&entity, "[data-testid=reference]") == want
        })
        .await;
        press(&self.root, "[data-testid=close-bible]");
        entity
    }

    /// Approves the anchor with the primary button, which offers it once the anchor has an
    /// image ("Approve the anchor").
    async fn approve_anchor(&self) {
        wait_for("the primary button to offer the approval", || {
            query_in(&self.root, "[data-testid=generate-all]")
                .is_some_and(|b| text_of(&b) == "Approve the anchor")
        })
        .await;
        press(&self.root, "[data-testid=generate-all]");
    }

    /// The fake's journal entries of this series, oldest first.
    async fn journal(&self) -> Vec<Value> {
        journal_for(&self.token).await
    }
}

/// Two distinct small PNGs (different sizes and colours, so order and identity both show).
fn two_pngs() -> (Vec<u8>, Vec<u8>) {
    let a = png_rgba(48, 32, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            [200, 40, 40, 255]
        } else {
            [250, 250, 250, 255]
        }
    });
    let b = png_rgba(40, 56, |x, _| {
        [40, 120, 200, if x < 20 { 255 } else { 200 }]
    });
    (a, b)
}

/// SHA-256 of each image part the fake received, in order.
fn image_shas(entry: &Value) -> Vec<String> {
    entry["images"]
        .as_array()
        .map(|images| {
            images
                .iter()
                .map(|i| i["sha256"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// How long a test took, in seconds, for the log.
fn took(started: f64) -> String {
    format!("{:.1} s", (js_sys::Date::now() - started) / 1000.0)
}

/// 1. Two PNGs put into the bible's file input become two reference thumbnails, in upload
/// order, that really decode; the stored project lists them as the character's `RefImage`s in
/// that order, and each one's stored `Blob` is byte for byte the file. An HTML page named
/// `.png` is refused with a notice naming it, and nothing is stored for it.
#[wasm_bindgen_test]
async fn references_from_the_file_input_are_stored_as_blobs_in_order() {
    let started = js_sys::Date::now();
    let (series, handle) = open_series("References", None).await;
    let (a, b) = two_pngs();
    let entity = series
        .add_character(
            "Mira",
            &[
                file_from_bytes(&a, "mira-front.png", "image/png"),
                file_from_bytes(&b, "mira-side.png", "image/png"),
            ],
        )
        .await;

    // What the user sees: two thumbnails in upload order, identity first, each decoded at the
    // file's own size.
    let refs = query_all_in(&entity, "[data-testid=reference]");
    assert_eq!(refs.len(), 2);
    let imgs: Vec<Element> = refs.iter().map(|r| find(r, "img")).collect();
    assert_eq!(
        imgs.iter()
            .map(|i| i.get_attribute("alt").unwrap_or_default())
            .collect::<Vec<_>>(),
        ["mira-front.png (48×32)", "mira-side.png (40×56)"]
    );
    assert_eq!(decoded_size(&imgs[0]), Some((48, 32)));
    assert_eq!(decoded_size(&imgs[1]), Some((40, 56)));
    assert!(
        text_of(&refs[0]).contains("1. identity"),
        "{}",
        text_of(&refs[0])
    );
    assert!(
        text_of(&refs[1]).contains("2. reference"),
        "{}",
        text_of(&refs[1])
    );

    // What was kept: the character's two RefImages in upload order, their Blobs exactly the
    // files' bytes (the thumbnail is read from storage, so it shows once the save committed).
    let stored = series.stored().await;
    assert_eq!(stored.bible.entities.len(), 1);
    let mira = &stored.bible.entities[0];
    assert_eq!(mira.name, "Mira");
    let stored: Vec<(&str, &str, u32, u32)> = mira
        .references
        .iter()
        .map(|r| (r.name.as_str(), r.mime.as_str(), r.width, r.height))
        .collect();
    assert_eq!(
        stored,
        [
            ("mira-front.png", "image/png", 48, 32),
            ("mira-side.png", "image/png", 40, 56)
        ]
    );
    assert_eq!(series.stored_image(&mira.references[0].id).await, a);
    assert_eq!(series.stored_image(&mira.references[1].id).await, b);
    let mut keys = stored_image_keys(series.db).await;
    keys.sort();
    let mut want: Vec<String> = mira.references.iter().map(|r| r.id.clone()).collect();
    want.sort();
    assert_eq!(
        keys, want,
        "the images store holds exactly the two references"
    );

    // An HTML page renamed .png (and even typed image/png) is refused by name; nothing changes.
    let html = b"<!DOCTYPE html><html><body>not an image</body></html>";
    pick_files(
        &find(&entity, "[data-testid=reference-input]"),
        &[file_from_bytes(html, "sneaky-page.png", "image/png")],
    );
    wait_for("the refusal notice", || {
        query_in(&series.root, "[data-testid=notice]")
            .is_some_and(|n| text_of(&n).contains("sneaky-page.png"))
    })
    .await;
    let notice = text_of(&find(&series.root, "[data-testid=notice]"));
    assert!(notice.starts_with("Not added: "), "{notice}");
    assert_eq!(
        find(&series.root, "[data-testid=notice]")
            .get_attribute("role")
            .as_deref(),
        Some("alert")
    );
    // Give a late save every chance to show up before counting.
    continuity::web::clock::sleep(200, None).await.unwrap();
    assert_eq!(query_all_in(&entity, "[data-testid=reference]").len(), 2);
    assert_eq!(
        series.stored().await.bible.entities[0].references,
        mira.references
    );
    let mut after = stored_image_keys(series.db).await;
    after.sort();
    assert_eq!(after, want, "nothing was stored for the refused file");

    console_log!("references test: {}", took(started));
    finish(series, handle).await;
}

/// 1b. The refusal of a non-image upload talks about the file the user picked. (Fails today:
/// `add_references` passes on `check_image`'s message, written for API responses — "the
/// response did not contain a PNG, JPEG, WebP or GIF image" — which speaks of a response and
/// offers GIF, a format the bible refuses.)
#[wasm_bindgen_test]
async fn a_refused_upload_is_explained_in_terms_of_the_file() {
    let (series, handle) = open_series("Refusal wording", None).await;
    press(&series.root, "[data-testid=add-character]");
    wait_for("the character editor", || {
        query_in(&series.root, "[data-testid=reference-input]").is_some()
    })
    .await;
    let html = b"<!DOCTYPE html><html><body>not an image</body></html>";
    pick_files(
        &find(&series.root, "[data-testid=reference-input]"),
        &[file_from_bytes(html, "notes.png", "image/png")],
    );
    wait_for("the refusal notice", || {
        query_in(&series.root, "[data-testid=notice] p").is_some()
    })
    .await;
    let notice = text_of(&find(&series.root, "[data-testid=notice] p"));
    finish(series, handle).await;
    assert!(notice.contains("notes.png"), "{notice}");
    assert!(
        !notice.contains("response"),
        "an uploaded file is not a response: {notice}"
    );
    assert!(
        !notice.contains("GIF image"),
        "GIF is not accepted for references, so it is not offered: {notice}"
    );
}

/// 2. "What will be sent" for a frame made from an approved anchor is what the fake receives:
/// the same prompt (modulo the CRLF line breaks of form encoding) and, as `image[]` in order,
/// the anchor's stored image and then the character's two references, byte for byte.
#[wasm_bindgen_test]
async fn what_will_be_sent_is_what_the_fake_receives() {
    let started = js_sys::Date::now();
    let (series, handle) = open_series("Sent preview", None).await;
    let token = series.token.clone();
    let (a, b) = two_pngs();
    let (sha_a, sha_b) = (sha256_hex(&a).await, sha256_hex(&b).await);
    series
        .add_character(
            "Mira",
            &[
                file_from_bytes(&a, "mira-front.png", "image/png"),
                file_from_bytes(&b, "mira-side.png", "image/png"),
            ],
        )
        .await;

    // Slide 1 is the anchor; slides 1 and 3 get prompts carrying the token.
    press(&series.card(0), "[data-testid=make-anchor]");
    wait_for("the anchor tag", || {
        query_in(&series.card(0), "[data-testid=anchor-tag]").is_some()
    })
    .await;
    type_into(
        &find(&series.card(0), "[data-testid=frame-prompt]"),
        &format!("Mira waves from a lighthouse door, {token}"),
    );
    type_into(
        &find(&series.card(2), "[data-testid=frame-prompt]"),
        &format!("Mira climbs the spiral stairs with a lantern, {token}"),
    );

    series.generate_frame(0).await;
    series.approve_anchor().await;
    wait_for("the approved anchor", || {
        query_in(&series.card(0), "[data-testid=anchor-tag]")
            .is_some_and(|t| text_of(&t) == "Anchor · approved")
    })
    .await;
    let first = series.journal().await;
    assert_eq!(first.len(), 1, "only the anchor was sent so far");
    assert_eq!(first[0]["endpoint"], "edits", "the anchor shows Mira");
    assert_eq!(image_shas(&first[0]), [sha_a.clone(), sha_b.clone()]);

    // Slide 3's "What will be sent": its prompt, and three images labelled in order.
    let card = series.card(2);
    press(&card, "[data-testid=sent-details] summary");
    wait_for("the sent preview", || {
        query_in(&card, "[data-testid=sent-prompt]").is_some()
            && reveal_thumbs(&card, "[data-testid=sent-refs] li") == 3
    })
    .await;
    let preview = find(&card, "[data-testid=sent-prompt]")
        .text_content()
        .unwrap_or_default();
    assert!(preview.contains(&token), "{preview}");
    let labels: Vec<String> = query_all_in(&card, "[data-testid=sent-refs] li .small")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(labels[0].starts_with("image 1: Anchor: "), "{labels:?}");
    assert_eq!(labels[1], "image 2: Mira (character), reference 1 of 2");
    assert_eq!(labels[2], "image 3: Mira (character), reference 2 of 2");
    let anchor_sha = series.current_image_sha(0).await;
    // The preview shows each image's thumbnail: the bytes on screen are the stored
    // thumbnails of exactly the images that will be sent.
    let mut shown = Vec::new();
    for img in query_all_in(&card, "[data-testid=sent-refs] li img") {
        shown.push(shown_sha256(&img).await);
    }
    let mut want = Vec::new();
    for hash in [&anchor_sha, &sha_a, &sha_b] {
        want.push(series.stored_thumb_sha(hash).await);
    }
    assert_eq!(
        shown, want,
        "the preview's thumbnails are the images that will be sent"
    );

    // Now send it, and compare with what the fake got.
    series.generate_frame(2).await;
    let journal = series.journal().await;
    assert_eq!(journal.len(), 2, "one more request, for slide 3");
    let sent = &journal[1];
    assert_eq!(sent["endpoint"], "edits");
    assert_eq!(sent["status"], 200);
    let sent_prompt = sent["params"]["prompt"]
        .as_str()
        .unwrap_or_default()
        .replace("\r\n", "\n");
    assert_eq!(
        sent_prompt, preview,
        "the preview prompt is the sent prompt"
    );
    assert_eq!(
        image_shas(sent),
        [anchor_sha.clone(), sha_a, sha_b],
        "image[] = [anchor, Mira 1, Mira 2]"
    );
    // And the take remembers what it was made from.
    let stored = series.stored().await;
    let take = stored.active(&stored.frames[2]).unwrap();
    let anchor_key = stored.active(&stored.frames[0]).unwrap().image.hash.clone();
    assert_eq!(take.anchor_image.as_ref(), Some(&anchor_key));
    let mut refs = vec![anchor_key];
    refs.extend(
        stored.bible.entities[0]
            .references
            .iter()
            .map(|r| r.id.clone()),
    );
    assert_eq!(take.request.images, refs);
    assert_eq!(take.request.prompt, preview);

    console_log!("sent preview test: {}", took(started));
    finish(series, handle).await;
}

/// 3. With a budget of $0.05, the plan of a 9-slide carousel is refused: the refusal names the
/// budget, Start is disabled, and nothing reaches the fake. Raising the budget to 100 enables
/// Start.
#[wasm_bindgen_test]
async fn plan_over_the_budget_is_refused_and_sends_nothing() {
    let started = js_sys::Date::now();
    let (series, handle) = open_series("Budget", None).await;
    let root = series.root.clone();
    plan_without_anchor(&root).await;
    wait_for("the plan", || {
        query_in(&root, "[data-testid=plan-summary]").is_some()
    })
    .await;
    let summary = text_of(&find(&root, "[data-testid=plan-summary]"));
    assert!(summary.starts_with("9 requests · estimated $"), "{summary}");
    let start = || find(&root, "[data-testid=start-plan]");
    assert!(query_in(&root, "[data-testid=plan-refusal]").is_none());
    assert!(!start().has_attribute("disabled"), "no budget: Start works");

    commit_value(&find(&root, "[data-testid=budget]"), "0.05");
    wait_for("the refusal", || {
        query_in(&root, "[data-testid=plan-refusal]").is_some()
    })
    .await;
    let refusal = text_of(&find(&root, "[data-testid=plan-refusal]"));
    assert!(
        refusal.contains("the series budget is $0.05"),
        "the refusal names the budget: {refusal}"
    );
    assert!(start().has_attribute("disabled"), "Start is disabled");
    // A click on the disabled button does nothing.
    start().unchecked_into::<web_sys::HtmlElement>().click();
    continuity::web::clock::sleep(300, None).await.unwrap();
    assert!(
        query_in(&root, "[data-testid=plan]").is_some(),
        "the plan stays open"
    );
    assert!(query_in(&root, "[data-testid=batch-progress]").is_none());
    assert_eq!(
        series.journal().await,
        Vec::<Value>::new(),
        "nothing was sent"
    );
    series
        .stored_when("the budget", |s| s.budget_usd == Some(0.05))
        .await;

    commit_value(&find(&root, "[data-testid=budget]"), "100");
    wait_for("the refusal to go", || {
        query_in(&root, "[data-testid=plan-refusal]").is_none()
    })
    .await;
    assert!(!start().has_attribute("disabled"), "Start is enabled again");
    click_labelled(&find(&root, "[data-testid=plan]"), "button", "Cancel");
    wait_for("the plan to close", || {
        query_in(&root, "[data-testid=plan]").is_none()
    })
    .await;
    assert!(series.journal().await.is_empty(), "still nothing sent");

    console_log!("budget test: {}", took(started));
    finish(series, handle).await;
}

/// 4. Variants = 3: one request with `n` = 3, three variant buttons on the card; picking
/// another one selects it (pressed), the card's main image becomes that take, and the choice
/// is stored.
#[wasm_bindgen_test]
async fn three_variants_come_from_one_request_and_can_be_picked() {
    let started = js_sys::Date::now();
    let (series, handle) = open_series("Variants", Some(2)).await;
    load_series_settings(&series.root).await;
    choose(&find(&series.root, "[data-testid=variants]"), "3");
    type_into(
        &find(&series.card(0), "[data-testid=frame-prompt]"),
        "A red kite over green dunes",
    );
    series.generate_frame(0).await;

    let journal = series.journal().await;
    assert_eq!(journal.len(), 1, "one request for three images");
    let n = &journal[0]["params"]["n"];
    assert!(n.as_u64() == Some(3) || n.as_str() == Some("3"), "n = {n}");
    assert_eq!(journal[0]["status"], 200);

    let card = series.card(0);
    wait_for("three variant thumbnails", || {
        reveal_thumbs(&card, "[data-testid=variant]") == 3
    })
    .await;
    let buttons = query_all_in(&card, "[data-testid=variant]");
    assert_eq!(buttons.len(), 3);
    let pressed = |b: &Element| b.get_attribute("aria-pressed").as_deref() == Some("true");
    assert_eq!(buttons.iter().filter(|b| pressed(b)).count(), 1);

    // Which take each button shows, by the bytes of its image.
    let stored = series.stored().await;
    let frame = &stored.frames[0];
    let versions: Vec<_> = stored.versions_of(&frame.id).cloned().collect();
    assert_eq!(versions.len(), 3);
    assert!(
        versions.iter().all(|v| v.group == versions[0].group),
        "the three variants are siblings of one request"
    );
    assert_eq!(
        frame.active_version.as_ref(),
        Some(&versions[0].id),
        "the first variant is kept until the user picks another"
    );
    // What is on screen is each version's thumbnail: map the thumbnails' bytes to versions.
    let mut take_of_sha = std::collections::HashMap::new();
    for take in &versions {
        let image = sha256_hex(&series.stored_image(&take.image.hash).await).await;
        assert_eq!(image, take.image.hash, "images are keyed by their SHA-256");
        let sha = series.stored_thumb_sha(&take.image.hash).await;
        take_of_sha.insert(sha, take.id.clone());
    }
    assert_eq!(take_of_sha.len(), 3, "the three variants differ");
    let mut shown = Vec::new();
    for button in &buttons {
        let sha = shown_sha256(&find(button, "img")).await;
        shown.push(take_of_sha.get(&sha).cloned().expect("a stored take"));
    }
    let main_img = || find(&series.card(0), ".frame-image img");
    let selected_before = frame.active_version.clone().unwrap();
    let pressed_at = buttons.iter().position(pressed).unwrap();
    assert_eq!(
        shown[pressed_at], selected_before,
        "the pressed variant is the kept one"
    );
    assert_eq!(
        take_of_sha.get(&shown_sha256(&main_img()).await),
        Some(&selected_before),
        "the main image is the kept take"
    );

    // Pick the last variant button that is not already selected.
    let pick = (0..3).rev().find(|&i| i != pressed_at).unwrap();
    let picked_take = shown[pick].clone();
    buttons[pick]
        .unchecked_ref::<web_sys::HtmlElement>()
        .click();
    wait_for("the picked variant to be pressed", || {
        let now = query_all_in(&series.card(0), "[data-testid=variant]");
        now.len() == 3 && pressed(&now[pick]) && now.iter().filter(|b| pressed(b)).count() == 1
    })
    .await;
    wait_for("the main image to show the picked take", || {
        series.card(0).scroll_into_view();
        query_in(&series.card(0), ".frame-image img").is_some()
    })
    .await;
    let mut main = String::new();
    for _ in 0..100 {
        main = shown_sha256(&main_img()).await;
        if take_of_sha.get(&main) == Some(&picked_take) {
            break;
        }
        continuity::web::clock::sleep(20, None).await.unwrap();
    }
    assert_eq!(
        take_of_sha.get(&main),
        Some(&picked_take),
        "the main image is the picked take"
    );
    let mut stored = None;
    for _ in 0..100 {
        stored = series.stored().await.frames[0].active_version.clone();
        if stored.as_ref() == Some(&picked_take) {
            break;
        }
        continuity::web::clock::sleep(20, None).await.unwrap();
    }
    assert_eq!(stored, Some(picked_take), "the choice is saved");
    assert_eq!(series.journal().await.len(), 1, "picking sends nothing");

    console_log!("variants test: {}", took(started));
    finish(series, handle).await;
}

/// 5. Regenerating an approved anchor marks the two frames made from it stale; one button
/// ("Regenerate 2 stale") plans exactly those two, and after they run nothing is stale and
/// both requests carried the NEW anchor image first.
#[wasm_bindgen_test]
async fn regenerating_the_anchor_marks_dependents_stale_and_one_action_remakes_them() {
    let started = js_sys::Date::now();
    let (series, handle) = open_series("Stale", Some(3)).await;
    let root = series.root.clone();
    press(&series.card(0), "[data-testid=make-anchor]");
    let prompts = [
        "A lighthouse at dusk",
        "The keeper at the door",
        "The lamp room",
    ];
    for (i, p) in prompts.iter().enumerate() {
        type_into(&find(&series.card(i), "[data-testid=frame-prompt]"), p);
    }
    series.generate_frame(0).await;
    series.approve_anchor().await;
    wait_for("the approved anchor", || {
        query_in(&series.card(0), "[data-testid=anchor-tag]")
            .is_some_and(|t| text_of(&t) == "Anchor · approved")
    })
    .await;
    let old_anchor = series.current_image_sha(0).await;

    // The two dependents, from the approved anchor.
    press(&root, "[data-testid=generate-all]");
    wait_for("the plan", || {
        query_in(&root, "[data-testid=plan-summary]").is_some()
    })
    .await;
    assert_eq!(query_all_in(&root, "[data-testid=plan-row]").len(), 2);
    press(&root, "[data-testid=start-plan]");
    wait_for("both dependents", || {
        series.idle()
            && series
                .cards()
                .iter()
                .all(|c| c.get_attribute("data-status").as_deref() == Some("done"))
    })
    .await;
    let journal = series.journal().await;
    assert_eq!(journal.len(), 3);
    for entry in &journal[1..] {
        assert_eq!(image_shas(entry), std::slice::from_ref(&old_anchor));
    }
    assert!(!text_of(&find(&root, "[data-testid=generate-all]")).contains("stale"));

    // A new anchor: the dependents are stale, the anchor is not.
    type_into(
        &find(&series.card(0), "[data-testid=frame-prompt]"),
        "A lighthouse at night",
    );
    series.generate_frame(0).await;
    let new_anchor = series.current_image_sha(0).await;
    assert_ne!(new_anchor, old_anchor, "the anchor image changed");
    wait_for("two stale frames", || {
        query_all_in(&root, "[data-testid=frame-card][data-stale=true]").len() == 2
    })
    .await;
    let stale: Vec<String> = series
        .cards()
        .iter()
        .map(|c| c.get_attribute("data-stale").unwrap_or_default())
        .collect();
    assert_eq!(stale, ["false", "true", "true"]);
    for i in [1, 2] {
        assert_eq!(
            text_of(&find(&series.card(i), "[data-testid=frame-status]")),
            "Stale"
        );
    }
    // A new anchor image waits for its approval before anything is made from it.
    series.approve_anchor().await;
    wait_for("the stale frames offered", || {
        text_of(&find(&root, "[data-testid=generate-all]")) == "Regenerate 2 stale"
    })
    .await;

    // One action: the plan has exactly those two, each made from the new anchor.
    press(&root, "[data-testid=generate-all]");
    wait_for("the plan", || {
        query_in(&root, "[data-testid=plan-summary]").is_some()
    })
    .await;
    let summary = text_of(&find(&root, "[data-testid=plan-summary]"));
    assert!(summary.starts_with("2 requests · estimated $"), "{summary}");
    let rows = query_all_in(&root, "[data-testid=plan-row]");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(
            text_of(row).contains("made from the anchor"),
            "{}",
            text_of(row)
        );
    }
    assert!(!find(&root, "[data-testid=start-plan]").has_attribute("disabled"));
    press(&root, "[data-testid=start-plan]");
    wait_for("the stale frames to be remade", || {
        series.idle()
            && query_in(&root, "[data-testid=plan]").is_none()
            && query_all_in(&root, "[data-testid=frame-card][data-stale=true]").is_empty()
            && series
                .cards()
                .iter()
                .all(|c| c.get_attribute("data-status").as_deref() == Some("done"))
    })
    .await;
    assert!(!text_of(&find(&root, "[data-testid=generate-all]")).contains("stale"));
    let journal = series.journal().await;
    assert_eq!(journal.len(), 6, "anchor, 2, new anchor, 2");
    assert_eq!(journal[3]["endpoint"], "generations", "the anchor itself");
    for entry in &journal[4..] {
        assert_eq!(entry["endpoint"], "edits");
        assert_eq!(entry["status"], 200);
        assert_eq!(
            image_shas(entry),
            std::slice::from_ref(&new_anchor),
            "made from the NEW anchor"
        );
    }
    let stored = series.stored().await;
    assert!(stored.stale_frames().is_empty());
    assert_eq!(series.stored_versions(1).await, 2);
    assert_eq!(series.stored_versions(2).await, 2);

    console_log!("stale test: {}", took(started));
    finish(series, handle).await;
}
