//! Browser tests of the data layer against real IndexedDB in headless Chromium: records and
//! revisions, the format-1 upgrade, a connection the browser drops, and the saver's
//! debounced writes. Run by `cargo test --target wasm32-unknown-unknown` (scripts/test.sh).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use continuity::app::edit::{self, Edit};
use continuity::app::library::{self, read_series};
use continuity::app::state::AppState;
use continuity::web::blob::blob_from_bytes;
use continuity::web::idb::{self, delete_database, write_v1_fixture, Db, Op, Record};
use continuity_core::model::action::FrameEdit;
use continuity_core::model::template::Template;
use continuity_core::model::Series;
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn record(id: &str, rev: u64, json: &str) -> Record {
    Record {
        id: id.into(),
        series_id: "s_1".into(),
        uses: vec![format!("hash-{id}")],
        rev,
        json: json.into(),
    }
}

/// A record and a `Blob` written in one transaction come back equal through a second
/// connection; an image is freed only when no record uses it any more.
#[wasm_bindgen_test]
async fn records_and_blobs_round_trip_and_images_are_freed_only_when_unused() {
    let name = unique_name("idb");
    let db = Db::open(&name, || {}).await.expect("open");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let blob = blob_from_bytes(&bytes, "image/png").unwrap();
    db.write(
        vec![
            Op::PutBlob(idb::IMAGES, "hash-v1".into(), blob),
            Op::Put(idb::VERSIONS, record("v1", 1, r#"{"a":1}"#)),
            Op::Put(idb::VERSIONS, record("v2", 1, r#"{"a":2}"#)),
        ],
        true,
    )
    .await
    .expect("write");
    let again = Db::open(&name, || {}).await.unwrap();
    let stored = again.get(idb::VERSIONS, "v1").await.unwrap().unwrap();
    assert_eq!(
        (stored.rev, stored.json.as_deref()),
        (1, Some(r#"{"a":1}"#))
    );
    assert_eq!(
        again.of_series(idb::VERSIONS, "s_1").await.unwrap().len(),
        2
    );
    let image = again.blob(idb::IMAGES, "hash-v1").await.unwrap().unwrap();
    assert_eq!(blob_bytes(&image).await, bytes);

    // v2 also uses hash-v1 (two versions showing the same bytes).
    let mut shared = record("v2", 2, r#"{"a":2}"#);
    shared.uses = vec!["hash-v1".into()];
    again
        .write(vec![Op::Put(idb::VERSIONS, shared)], false)
        .await
        .unwrap();
    again
        .write(vec![Op::Delete(idb::VERSIONS, "v1".into())], false)
        .await
        .unwrap();
    assert!(
        again
            .free_unused(&["hash-v1".into()])
            .await
            .unwrap()
            .is_empty(),
        "v2 still uses it"
    );
    assert!(again.blob(idb::IMAGES, "hash-v1").await.unwrap().is_some());
    again
        .write(vec![Op::Delete(idb::VERSIONS, "v2".into())], false)
        .await
        .unwrap();
    assert_eq!(
        again.free_unused(&["hash-v1".into()]).await.unwrap(),
        vec!["hash-v1"]
    );
    assert!(again.blob(idb::IMAGES, "hash-v1").await.unwrap().is_none());
    db.close();
    again.close();
    delete_database(&name).await.unwrap();
}

/// Two tabs, same record: a write based on an older revision than the stored one is refused
/// and reported (the stale tab never overwrites the newer record); the rest of the
/// transaction is written.
#[wasm_bindgen_test]
async fn a_write_based_on_an_old_revision_is_refused_not_applied() {
    let name = unique_name("rev");
    let tab_a = Db::open(&name, || {}).await.unwrap();
    let tab_b = Db::open(&name, || {}).await.unwrap();
    tab_a
        .write(
            vec![Op::PutIfRev(idb::FRAMES, record("f1", 1, "first"), 0)],
            false,
        )
        .await
        .unwrap();
    // Tab B saw revision 1 and writes revision 2.
    let refused = tab_b
        .write(
            vec![Op::PutIfRev(idb::FRAMES, record("f1", 2, "newer"), 1)],
            false,
        )
        .await
        .unwrap();
    assert!(refused.is_empty());
    // Tab A still believes revision 1 is current: its write is refused, another goes through.
    let conflicts = tab_a
        .write(
            vec![
                Op::PutIfRev(idb::FRAMES, record("f1", 2, "older"), 1),
                Op::PutIfRev(idb::FRAMES, record("f2", 1, "other"), 0),
            ],
            false,
        )
        .await
        .unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].key, "f1");
    let stored = conflicts[0].stored.as_ref().unwrap();
    assert_eq!(
        (stored.rev, stored.json.as_deref()),
        (2, Some("newer")),
        "the conflict carries what is stored"
    );
    let now = tab_b.get(idb::FRAMES, "f1").await.unwrap().unwrap();
    assert_eq!(now.json.as_deref(), Some("newer"));
    assert!(tab_b.get(idb::FRAMES, "f2").await.unwrap().is_some());
    tab_a.close();
    tab_b.close();
    delete_database(&name).await.unwrap();
}

/// The format-1 record of `series_test.rs` (two frames, three takes, one reference, an approved
/// anchor), as the first release wrote it.
const V1_RECORD: &str = r#"{"schema":1,"id":"p_1","name":"Old","template":{"kind":"custom","frames":2},
 "created_ms":1,"updated_ms":2,"style":"ink","budget_usd":0.5,
 "bible":{"entities":[{"id":"e1","kind":"character","name":"Mira","references":[{"id":"r_1","name":"m.png","mime":"image/png","width":8,"height":8}]}]},
 "anchor":{"frame":{"frame_id":"f_1","approved_take":"t_a"}},
 "output":{"model":"gpt-image-2","size":{"width":1024,"height":1024},"quality":"low","variants":2},
 "frames":[
  {"id":"f_1","title":"One","prompt":"hello 你好","takes":[{"id":"t_a","width":8,"height":8,"mime":"image/png","created_ms":10,"prompt":"P1","cost_usd":0.02,"request_id":"req_a","references":["r_1"]}],"selected_take":"t_a"},
  {"id":"f_2","title":"Two","takes":[
    {"id":"t_b","width":8,"height":8,"mime":"image/png","created_ms":20,"prompt":"P2","usage":{"input_tokens":5,"output_tokens":200,"total_tokens":205},"cost_usd":0.03,"request_id":"req_b","anchor_image":"t_a","references":["t_a","r_1"]},
    {"id":"t_c","width":8,"height":8,"mime":"image/png","created_ms":21,"prompt":"P2","cost_usd":0.03,"request_id":"req_b","anchor_image":"t_a","references":["t_a","r_1"]}],
   "selected_take":"t_c"}
 ]}"#;

/// A database written by format 1 (kept as a fixture writer: `write_v1_fixture`) opens in the
/// current app and upgrades in place: every frame, take, image and reference is kept, images
/// are re-keyed by the SHA-256 of their bytes, the old record and keys are gone, a damaged
/// record is kept aside (not deleted), and opening again changes nothing.
#[wasm_bindgen_test]
async fn a_format_1_database_upgrades_in_place_without_loss() {
    let name = leak(&unique_name("v1"));
    let png = |seed: u8| png_rgba(8, 8, move |x, y| [seed, x as u8 * 20, y as u8 * 20, 255]);
    let images: Vec<(String, Vec<u8>)> = vec![
        ("t_a".into(), png(1)),
        ("t_b".into(), png(2)),
        ("t_c".into(), png(3)),
        ("r_1".into(), png(4)),
    ];
    let blobs: Vec<(String, web_sys::Blob)> = images
        .iter()
        .map(|(k, b)| (k.clone(), blob_from_bytes(b, "image/png").unwrap()))
        .collect();
    write_v1_fixture(
        name,
        &[
            ("p_1".into(), V1_RECORD.into()),
            ("p_bad".into(), "{ not json".into()),
        ],
        &blobs,
    )
    .await
    .unwrap();
    let mut sha = std::collections::HashMap::new();
    for (k, b) in &images {
        sha.insert(k.clone(), sha256_hex(b).await);
    }

    init_executor();
    let owner = Owner::new();
    owner.set();
    let state = AppState::new(name);
    library::load(state).await;
    let summaries = state.summaries.get_untracked();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].name, "Old");
    let notice = state
        .notice
        .get_untracked()
        .expect("the damaged record is reported");
    assert!(notice.text.contains("kept aside"), "{}", notice.text);

    let db = Db::open(name, || {}).await.unwrap();
    let (series, problems) = read_series(&db, "p_1").await.unwrap().unwrap();
    assert!(problems.is_empty());
    assert_eq!(series.frames.len(), 2);
    assert_eq!(series.frames[0].prompt, "hello 你好");
    assert_eq!(series.versions.len(), 3, "every take is a version");
    for v in &series.versions {
        assert_eq!(
            v.image.hash, sha[&v.id],
            "version {} keyed by its bytes",
            v.id
        );
        let stored = db.blob(idb::IMAGES, &v.image.hash).await.unwrap().unwrap();
        assert_eq!(sha256_hex(&blob_bytes(&stored).await).await, v.image.hash);
        assert_eq!(v.image.bytes, stored.size() as u64);
    }
    assert_eq!(series.bible.entities[0].references[0].id, sha["r_1"]);
    assert!(db.blob(idb::IMAGES, &sha["r_1"]).await.unwrap().is_some());
    assert_eq!(series.frames[1].active_version.as_deref(), Some("t_c"));
    assert!(series.anchor_approved());
    assert_eq!(
        series.version("t_b").unwrap().request.images,
        vec![sha["t_a"].clone(), sha["r_1"].clone()]
    );
    let mut keys = stored_image_keys(name).await;
    keys.sort();
    let mut want: Vec<String> = sha.values().cloned().collect();
    want.sort();
    assert_eq!(keys, want, "old image keys are gone, nothing else is");
    assert!(
        db.v1_projects().await.unwrap().is_empty(),
        "format-1 records are upgraded or kept aside"
    );
    assert_eq!(
        db.quarantined().await.unwrap(),
        1,
        "the damaged record is kept aside"
    );

    // Loading again is a no-op.
    let again = AppState::new(name);
    library::load(again).await;
    assert_eq!(again.summaries.get_untracked().len(), 1);
    let (same, _) = read_series(&db, "p_1").await.unwrap().unwrap();
    assert_eq!(same, series);
    db.close();
    for s in [state, again] {
        if let Some(d) = s.db() {
            d.close();
        }
    }
    drop(owner);
    delete_database(name).await.unwrap();
}

/// The browser drops the connection (Safari does after backgrounding): the next write fails,
/// the change stays in memory and is counted as not saved, the saver reconnects and writes it.
#[wasm_bindgen_test]
async fn a_dropped_connection_loses_nothing() {
    let (name, owner, state, sid, frames) = app_with_series("drop", Template::Comic).await;
    let fid = frames[1].clone();
    let store = state.series(&sid).unwrap();

    state.db().unwrap().close();
    let typed = FrameEdit::Prompt("typed while the connection was gone".into());
    edit::user(state, store, Edit::frame(&fid, typed)).unwrap();
    state.saver().flush(state).await;
    // The first attempt fails on the closed connection; the saver reconnects and retries.
    wait_for("the change to be written", || {
        state.saving.with_untracked(|s| s.unsaved == 0)
    })
    .await;
    let db = Db::open(name, || {}).await.unwrap();
    let (stored, _) = read_series(&db, &sid).await.unwrap().unwrap();
    assert_eq!(
        stored.frame(&fid).unwrap().prompt,
        "typed while the connection was gone"
    );
    tear_down(name, owner, state, db).await;
}

/// Text edits are written debounced: forty quick keystrokes in one frame become a handful
/// of small writes of that frame's record (plus the summary), never the whole series.
#[wasm_bindgen_test]
async fn typing_writes_one_small_record_debounced() {
    let big = Template::Custom { frames: 48 };
    let (name, owner, state, sid, frames) = app_with_series("debounce", big).await;
    let fid = frames[7].clone();
    let store = state.series(&sid).unwrap();
    let before = idb::write_stats();
    let sentence = "A lighthouse keeper reads by lamplight.";
    let mut typed = String::new();
    for c in sentence.chars() {
        typed.push(c);
        let text = typed.clone();
        edit::user(state, store, Edit::frame(&fid, FrameEdit::Prompt(text))).unwrap();
        continuity::web::clock::sleep(15, None).await.unwrap();
    }
    wait_for("the debounced write", || {
        state.saving.with_untracked(|s| s.unsaved == 0)
    })
    .await;
    assert_eq!(
        store.get_untracked().frame(&fid).unwrap().prompt,
        sentence,
        "in memory"
    );
    let after = idb::write_stats();
    let transactions = after.transactions - before.transactions;
    let bytes = after.bytes - before.bytes;
    assert!(
        transactions <= 3,
        "{transactions} transactions for one burst of typing"
    );
    assert!(
        bytes / transactions.max(1) < 2048,
        "{bytes} bytes in {transactions} writes: more than one frame's record each"
    );
    let db = Db::open(name, || {}).await.unwrap();
    let (stored, _) = read_series(&db, &sid).await.unwrap().unwrap();
    assert_eq!(stored.frame(&fid).unwrap().prompt, sentence);
    tear_down(name, owner, state, db).await;
}

/// A full disk (STO-01, simulated: the transaction is really aborted with the browser's
/// `QuotaExceededError`): a paid image that cannot be stored is reported in words, kept in the
/// tab (and shown from there), counted as not saved, and written by the retry once there is
/// room. Nothing is lost.
#[wasm_bindgen_test]
async fn a_full_disk_keeps_paid_images_in_the_tab_until_they_are_written() {
    use continuity::app::saver::{PaidResult, Pointer};
    let (name, owner, state, sid, frames) = app_with_series("quota", Template::Comic).await;
    let fid = frames[0].clone();
    let frame = state
        .series(&sid)
        .unwrap()
        .with_untracked(|s| s.frames[0].clone());

    let bytes = png_rgba(16, 16, |x, y| [x as u8 * 9, y as u8 * 9, 90, 255]);
    let hash = sha256_hex(&bytes).await;
    let blob = blob_from_bytes(&bytes, "image/png").unwrap();
    let version = paid_version("v_paid", &sid, &fid, &hash, bytes.len());
    idb::faults::fail_writes_with_quota(2);
    let paid = PaidResult {
        series_id: sid.clone(),
        frame_id: fid.clone(),
        versions: vec![version],
        images: vec![(hash.clone(), blob, None)],
        frame,
        pointer: Pointer::Active,
        on_stored: None,
    };
    let refused = state.saver().save_paid(state, paid).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("The browser has no room left to save"),
        "{refused}"
    );
    let waiting = state.saving.get_untracked();
    assert_eq!(waiting.unsaved, 1, "the image waits, counted");
    assert!(waiting.problem.unwrap().contains("no room left"));
    // Kept in the tab: the thumbnail falls back to the image held in memory.
    let held = state.saver().pending_image(&hash).expect("kept in memory");
    assert_eq!(blob_bytes(&held).await, bytes);
    let db = Db::open(name, || {}).await.unwrap();
    assert!(
        db.blob(idb::IMAGES, &hash).await.unwrap().is_none(),
        "nothing half-written"
    );

    // Room again (the fault is used up after the first retry): the retry writes it.
    wait_for("the retry to store the image", || {
        state.saving.with_untracked(|s| s.unsaved == 0)
    })
    .await;
    let stored = db
        .blob(idb::IMAGES, &hash)
        .await
        .unwrap()
        .expect("stored by the retry");
    assert_eq!(blob_bytes(&stored).await, bytes);
    let (after, _) = read_series(&db, &sid).await.unwrap().unwrap();
    assert_eq!(
        after.frame(&fid).unwrap().active_version.as_deref(),
        Some("v_paid")
    );
    assert!(state.saver().pending_image(&hash).is_none());
    tear_down(name, owner, state, db).await;
}

/// Issue 21: an image that has arrived is kept even if the frame's other writes are
/// interrupted. The frame's debounced write (a typed prompt) fails; the paid result's own
/// strict transaction still stores the image, its version and the frame's pointer to it;
/// the typed text is written by the retry, and neither overwrites the other.
#[wasm_bindgen_test]
async fn an_arrived_image_is_kept_when_the_frames_other_writes_fail() {
    use continuity::app::edit::Arrival;
    use continuity::app::saver::Pointer;
    let (name, owner, state, sid, frames) = app_with_series("paid-own", Template::Comic).await;
    let fid = frames[1].clone();
    let store = state.series(&sid).unwrap();
    let typed = FrameEdit::Prompt("typed just before the image arrived".into());
    edit::user(state, store, Edit::frame(&fid, typed)).unwrap();
    // The frame's own write is interrupted (its transaction aborts).
    idb::faults::fail_writes_with_quota(1);
    state.saver().save_now(state).await;
    assert!(
        state.saving.with_untracked(|s| s.unsaved > 0),
        "the typed text waits, counted"
    );
    let bytes = png_rgba(16, 16, |x, y| [40, x as u8 * 7, y as u8 * 7, 255]);
    let hash = sha256_hex(&bytes).await;
    // The result lands as a live one does: in memory, then its own transaction.
    let arrival = Arrival {
        frame_id: fid.clone(),
        versions: vec![paid_version("v_own", &sid, &fid, &hash, bytes.len())],
        images: vec![(
            hash.clone(),
            blob_from_bytes(&bytes, "image/png").unwrap(),
            None,
        )],
        pointer: Pointer::Active,
    };
    edit::arrived(state, store, arrival)
        .await
        .expect("the paid image's own transaction is written");
    let db = Db::open(name, || {}).await.unwrap();
    let stored = db.blob(idb::IMAGES, &hash).await.unwrap().expect("stored");
    assert_eq!(blob_bytes(&stored).await, bytes);
    let (after, _) = read_series(&db, &sid).await.unwrap().unwrap();
    assert_eq!(
        after.frame(&fid).unwrap().active_version.as_deref(),
        Some("v_own")
    );
    assert!(after.version("v_own").is_some());
    // The retry writes the text on top: the pointer to the paid image stays.
    wait_for("the typed text to be written", || {
        state.saving.with_untracked(|s| s.unsaved == 0)
    })
    .await;
    let (after, _) = read_series(&db, &sid).await.unwrap().unwrap();
    let frame = after.frame(&fid).unwrap();
    assert_eq!(frame.prompt, "typed just before the image arrived");
    assert_eq!(frame.active_version.as_deref(), Some("v_own"));
    tear_down(name, owner, state, db).await;
}

/// A generated version of frame `fid` whose image has content hash `hash`.
fn paid_version(
    id: &str,
    sid: &str,
    fid: &str,
    hash: &str,
    bytes: usize,
) -> continuity_core::model::Version {
    use continuity_core::model::{ImageRef, SentRequest, Version, VersionKind};
    Version {
        id: id.into(),
        series_id: sid.into(),
        frame_id: fid.into(),
        rev: 1,
        parent: None,
        group: Some("g".into()),
        kind: VersionKind::Generated,
        image: ImageRef {
            hash: hash.into(),
            width: 16,
            height: 16,
            mime: "image/png".into(),
            bytes: bytes as u64,
        },
        created_ms: 5.0,
        request: SentRequest::default(),
        instruction: None,
        locale: None,
        usage: None,
        request_cost_usd: Some(0.04),
        cost_usd: Some(0.04),
        request_id: None,
        anchor_image: None,
        maybe_billed_attempts: 0,
    }
}

/// Issue 23: a result whose first write fails (a full disk) says "not saved yet" on its
/// frame — not a failed request, so "Retry failed" does not offer to pay for it again — and
/// the retry that stores it clears that message in memory and in the stored frame record,
/// and takes down the notice it raised. After a reload the frame is simply done.
#[wasm_bindgen_test]
async fn a_save_that_succeeds_clears_the_not_saved_error() {
    use continuity::app::edit::{Arrival, ArrivalError};
    use continuity::app::saver::Pointer;
    let (name, owner, state, sid, frames) = app_with_series("unsaved", Template::Comic).await;
    let fid = frames[2].clone();
    let store = state.series(&sid).unwrap();
    let derived = continuity::app::derived::memo(store);
    let bytes = png_rgba(16, 16, |x, y| [x as u8 * 5, 40, y as u8 * 5, 255]);
    let hash = sha256_hex(&bytes).await;
    let arrival = Arrival {
        frame_id: fid.clone(),
        versions: vec![paid_version("v_later", &sid, &fid, &hash, bytes.len())],
        images: vec![(
            hash.clone(),
            blob_from_bytes(&bytes, "image/png").unwrap(),
            None,
        )],
        pointer: Pointer::Active,
    };
    idb::faults::fail_writes_with_quota(2);
    let refused = edit::arrived(state, store, arrival).await.unwrap_err();
    assert!(matches!(refused, ArrivalError::NotSaved(_)), "{refused:?}");
    let error = store.with_untracked(|s| s.frame(&fid).unwrap().error.clone());
    assert!(
        error.is_some_and(|e| e.unsaved),
        "the frame says not saved yet"
    );
    assert!(
        derived.with_untracked(|d| d.failed.is_empty()),
        "an image waiting to be stored is not a failed request"
    );
    assert!(state.notice.with_untracked(|n| n.is_some()));

    wait_for("the retry to store the image", || {
        state.saving.with_untracked(|s| s.unsaved == 0)
    })
    .await;
    let in_memory = store.with_untracked(|s| s.frame(&fid).unwrap().clone());
    assert_eq!(in_memory.error, None, "cleared in memory");
    assert!(
        state.notice.with_untracked(|n| n.is_none()),
        "notice taken down"
    );
    let db = Db::open(name, || {}).await.unwrap();
    let (stored, _) = read_series(&db, &sid).await.unwrap().unwrap();
    let frame = stored.frame(&fid).unwrap();
    assert_eq!(frame.error, None, "cleared in the stored record");
    assert_eq!(frame.active_version.as_deref(), Some("v_later"));
    tear_down(name, owner, state, db).await;
}

/// A fresh app on a throwaway database (its name starts with `label`) with a stored series
/// made from `template`: `(database name, the owner to keep alive, the state, the series id,
/// its frame ids)`.
async fn app_with_series(
    label: &str,
    template: Template,
) -> (&'static str, Owner, AppState, String, Vec<String>) {
    let name = leak(&unique_name(label));
    init_executor();
    let owner = Owner::new();
    owner.set();
    let state = AppState::new(name);
    library::load(state).await;
    let mut n = 0;
    let series = Series::from_template(label, template, "gpt-image-2", 1.0, || {
        n += 1;
        n
    });
    let (sid, frames) = (series.id.clone(), series.frame_order.clone());
    library::create(state, series).await.unwrap();
    (name, owner, state, sid, frames)
}

/// Closes the connections of a test (its own `db` and the app's), drops its reactive owner
/// and deletes its database.
async fn tear_down(name: &str, owner: Owner, state: AppState, db: Db) {
    db.close();
    if let Some(d) = state.db() {
        d.close();
    }
    drop(owner);
    delete_database(name).await.unwrap();
}
