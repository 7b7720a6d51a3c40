//! Tests of the series model: frames, versions, the anchor, staleness, records, format 1.

use super::*;
use crate::model::action::{Edit, FrameEdit};
use crate::model::bible::{Entity, EntityKind, RefImage};
use crate::model::v1;
use crate::model::version::Version;
use std::collections::HashMap;

fn counter() -> impl FnMut() -> u64 {
    let mut n = 0;
    move || {
        n += 1;
        n
    }
}

fn version(id: &str, frame: &str, anchor: Option<&str>) -> Version {
    Version::sample(id, frame, anchor)
}

fn series(template: Template) -> Series {
    Series::from_template("x", template, "gpt-image-2", 1.0, counter())
}

#[test]
fn frames_can_be_added_duplicated_moved_and_deleted() {
    let mut p = series(Template::Comic);
    let first = p.frames[0].id.clone();
    p.frames[0].prompt = "setup".into();
    p.apply(Edit::result(&first, vec![version("t1", &first, None)]))
        .unwrap();
    p.set_anchor_frame(Some(&first));
    let copy = p.duplicate_frame(&first, 99).unwrap();
    assert_eq!(p.frames[1].id, copy);
    assert_eq!(p.frames[1].prompt, "setup");
    assert!(
        p.versions_of(&copy).next().is_none(),
        "images are not copied"
    );
    let added = p.add_frame(None, 100);
    assert_eq!(p.frames.last().unwrap().id, added);
    assert!(p.move_frame(&added, -1));
    assert_eq!(p.frames[p.frames.len() - 2].id, added);
    assert!(!p.move_frame(&first, -1), "already first");
    let (at, frame, gone) = p.delete_frame(&first).unwrap();
    assert_eq!((at, frame.id.as_str()), (0, first.as_str()));
    assert_eq!(gone.len(), 1);
    assert!(p.versions.is_empty());
    assert_eq!(
        p.anchor, None,
        "deleting the anchor frame clears the anchor"
    );
    assert_eq!(p.frames.len(), 5);
    assert_eq!(
        p.frame_order,
        p.frames.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        "the stored order follows every change"
    );
    p.restore_frame(at, frame, gone);
    assert_eq!(p.frames[0].id, first, "undo puts it back where it was");
    assert_eq!(p.versions.len(), 1);
    assert_eq!(p.frame_order[0], first);
}

#[test]
fn frames_move_to_any_position() {
    let mut p = series(Template::Storyboard);
    let ids: Vec<String> = p.frame_order.clone();
    assert!(p.move_frame_to(&ids[0], 5));
    assert_eq!(p.frame_order[5], ids[0]);
    assert_eq!(p.frame_order[0], ids[1]);
    assert!(p.move_frame_to(&ids[0], 999), "clamped to the end");
    assert_eq!(p.frame_order.last(), Some(&ids[0]));
    assert!(!p.move_frame_to(&ids[0], 999), "already there");
}

#[test]
fn frames_interrupted_by_a_reload_are_flagged_not_half_written() {
    let mut p = series(Template::Comic);
    p.frames[1].in_flight_since = Some(5.0);
    p.frames[3].in_flight_since = Some(6.0);
    let (flagged, cleared) = p.reconcile_interrupted();
    assert_eq!((flagged.len(), cleared.len()), (2, 0));
    assert!(p.frames[1].error.as_ref().unwrap().may_be_billed);
    assert!(p.frames.iter().all(|f| f.in_flight_since.is_none()));
    assert_eq!(p.missing_frames().len(), 4);
    assert_eq!(
        p.reconcile_interrupted(),
        (Vec::new(), Vec::new()),
        "idempotent"
    );
}

/// Issue 23: a frame whose image could not be stored at first says so; once the image is
/// stored (its version is there) the message goes at the next load, and if the tab closed
/// before it was stored, the frame is flagged like an interrupted request.
#[test]
fn a_not_saved_yet_message_goes_once_the_image_is_stored() {
    let mut p = series(Template::Comic);
    let (stored, lost) = (p.frames[0].id.clone(), p.frames[1].id.clone());
    p.apply(Edit::result(&stored, vec![version("v1", &stored, None)]))
        .unwrap();
    for id in [&stored, &lost] {
        p.apply(Edit::frame(id, FrameEdit::NotSaved("no room".into())))
            .unwrap();
    }
    // The lost frame points at a version that never reached storage.
    p.frames[1].active_version = Some("never-stored".into());
    let (flagged, cleared) = p.reconcile_interrupted();
    assert_eq!((flagged, cleared), (vec![lost], vec![stored]));
    assert!(p.frames[0].error.is_none());
    assert!(!p.frames[1].error.as_ref().unwrap().unsaved);
}

#[test]
fn regenerating_the_anchor_makes_dependents_stale() {
    let mut p = series(Template::Storyboard);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    assert!(!p.approve_anchor(), "nothing to approve yet");
    p.apply(Edit::result(&anchor, vec![version("a1", &anchor, None)]))
        .unwrap();
    assert!(p.approve_anchor());
    assert!(p.anchor_approved());
    for f in 1..12 {
        let id = p.frames[f].id.clone();
        p.apply(Edit::result(
            &id,
            vec![version(&format!("t{f}"), &id, Some("h-a1"))],
        ))
        .unwrap();
    }
    assert!(p.stale_frames().is_empty());
    p.apply(Edit::result(&anchor, vec![version("a2", &anchor, None)]))
        .unwrap();
    assert!(
        !p.anchor_approved(),
        "a new anchor image needs approval again"
    );
    assert_eq!(p.stale_frames().len(), 11);
    assert!(
        !p.is_stale(&p.frames[0]),
        "the anchor itself is never stale"
    );
    // Making the old anchor version active again makes them fresh again.
    p.frames[0].active_version = Some("a1".into());
    assert!(p.stale_frames().is_empty());
}

fn mira(reference: &str) -> Entity {
    Entity {
        id: "e1".into(),
        kind: EntityKind::Character,
        name: "Mira".into(),
        description: String::new(),
        must_not_change: vec![],
        references: vec![RefImage {
            id: reference.into(),
            name: "sheet.png".into(),
            mime: "image/png".into(),
            width: 1024,
            height: 1024,
        }],
    }
}

#[test]
fn reference_anchors_are_approved_while_the_image_exists() {
    let mut p = series(Template::CharacterSheet);
    p.bible.entities.push(mira("r1"));
    p.anchor = Some(Anchor::Reference {
        entity_id: "e1".into(),
        image_id: "r1".into(),
    });
    assert_eq!(p.anchor_image().as_deref(), Some("r1"));
    assert!(p.anchor_approved());
    assert!(p.image_hashes().contains(&"r1".to_string()));
    p.bible.entities[0].references.clear();
    assert_eq!(p.anchor_image(), None);
}

#[test]
fn a_carousel_gets_nine_ordered_slots_of_a_valid_size() {
    let p = Series::from_template("Launch", Template::Carousel, "gpt-image-2", 1.0, counter());
    assert_eq!(p.frames.len(), 9);
    assert_eq!(p.output.size, Size::new(1024, 1280));
    assert_eq!(p.frames[0].title, "Slide 1 · Hook");
    assert!(p.frames.iter().all(|f| f.series_id == p.id));
    let ids: std::collections::HashSet<_> = p.frames.iter().map(|f| &f.id).collect();
    assert_eq!(ids.len(), 9, "frame ids are unique");
}

#[test]
fn blank_names_fall_back_or_are_refused() {
    let mut p = Series::from_template("  ", Template::Storyboard, "gpt-image-2", 1.0, counter());
    assert_eq!(p.name, "12-panel storyboard");
    assert!(!p.rename(" \n "));
    assert!(p.rename("  Pilot\u{202E}  "));
    assert_eq!(p.name, "Pilot");
}

#[test]
fn new_versions_become_active_and_clear_errors() {
    let mut p = series(Template::Comic);
    let fid = p.frames[1].id.clone();
    p.frames[1].error = Some(FrameError {
        message: "blocked".into(),
        may_be_billed: false,
        request_ids: Vec::new(),
        unsaved: false,
    });
    p.apply(Edit::result(&fid, vec![version("t1", &fid, None)]))
        .unwrap();
    p.apply(Edit::result(
        &fid,
        vec![version("t2", &fid, None), version("t3", &fid, None)],
    ))
    .unwrap();
    let f = p.frame(&fid).unwrap();
    assert_eq!(p.active(f).unwrap().id, "t2", "the first of a request");
    assert!(f.error.is_none());
    assert_eq!(p.frames_done(), 1);
    assert!(p
        .apply(Edit::result(
            "missing",
            vec![version("t4", "missing", None)]
        ))
        .is_err());
    assert_eq!(p.image_hashes(), vec!["h-t1", "h-t2", "h-t3"]);
    assert!((p.spent_usd() - 0.135).abs() < 1e-9);
    let s = p.summary_at(9.0);
    assert_eq!(s.updated_ms, 9.0);
    assert_eq!((s.frame_count, s.frames_done), (4, 1));
    assert_eq!(s.cover, vec!["h-t2"]);
}

#[test]
fn a_series_round_trips_through_its_records() {
    let mut p = Series::from_template(
        "Round trip",
        Template::CharacterSheet,
        "gpt-image-2",
        7.0,
        counter(),
    );
    p.bible.style.look = "Flat vector, teal/coral".into();
    p.frames[0].prompt = "Front view, arms relaxed".into();
    let fid = p.frames[0].id.clone();
    p.apply(Edit::result(&fid, vec![version("t1", &fid, None)]))
        .unwrap();
    let record = Series::from_record_json(&p.record_json()).unwrap();
    assert!(record.frames.is_empty() && record.versions.is_empty());
    // Frames arrive in any order from storage; the record's order puts them back.
    let mut frames = p.frames.clone();
    frames.reverse();
    let back = Series::from_parts(record, frames, p.versions.clone());
    assert_eq!(back, p);
}

#[test]
fn a_damaged_order_never_hides_a_frame() {
    let p = series(Template::Comic);
    let mut record = p.record();
    record.frame_order = vec!["gone".into(), p.frames[2].id.clone()];
    let back = Series::from_parts(record, p.frames.clone(), Vec::new());
    assert_eq!(back.frames.len(), 4);
    assert_eq!(back.frames[0].id, p.frames[2].id);
    assert_eq!(back.frame_order.len(), 4);
}

#[test]
fn newer_records_are_refused_not_misread() {
    let mut p = series(Template::Comic);
    p.schema = SCHEMA_VERSION + 1;
    let err = Series::from_record_json(&p.record_json()).unwrap_err();
    assert!(err.contains("newer version"));
    assert!(Series::from_record_json("{")
        .unwrap_err()
        .contains("damaged"));
}

/// A format-1 record as the first release wrote it: two frames, three takes (two of them
/// siblings of one request), a reference image, an approved frame anchor.
const V1_RECORD: &str = r#"{"schema":1,"id":"p_1","name":"Old","template":{"kind":"custom","frames":2},
 "created_ms":1,"updated_ms":2,"style":"ink","budget_usd":0.5,
 "bible":{"entities":[{"id":"e1","kind":"character","name":"Mira","references":[{"id":"r_1","name":"m.png","mime":"image/png","width":512,"height":512}]}]},
 "anchor":{"frame":{"frame_id":"f_1","approved_take":"t_a"}},
 "output":{"model":"gpt-image-2","size":{"width":1024,"height":1024},"quality":"low","variants":2},
 "frames":[
  {"id":"f_1","title":"One","prompt":"hello","takes":[{"id":"t_a","width":1024,"height":1024,"mime":"image/png","created_ms":10,"prompt":"P1","usage":{"input_tokens":5,"output_tokens":100,"total_tokens":105},"cost_usd":0.02,"request_id":"req_a","references":["r_1"]}],"selected_take":"t_a"},
  {"id":"f_2","title":"Two","takes":[
    {"id":"t_b","width":1024,"height":1024,"mime":"image/png","created_ms":20,"prompt":"P2","usage":{"input_tokens":5,"output_tokens":200,"total_tokens":205},"cost_usd":0.03,"request_id":"req_b","anchor_image":"t_a","references":["t_a","r_1"]},
    {"id":"t_c","width":1024,"height":1024,"mime":"image/png","created_ms":21,"prompt":"P2","cost_usd":0.03,"request_id":"req_b","anchor_image":"t_a","references":["t_a","r_1"]}],
   "selected_take":"t_c","error":{"message":"old failure","may_be_billed":true},"in_flight_since":99}
 ],"unknown_future_field":true}"#;

#[test]
fn a_format_1_series_upgrades_without_losing_anything() {
    let old = v1::Project::from_json(V1_RECORD).unwrap();
    assert_eq!(old.image_keys(), vec!["t_a", "t_b", "t_c", "r_1"]);
    let hashes: HashMap<String, String> = ["t_a", "t_b", "t_c", "r_1"]
        .iter()
        .map(|k| (k.to_string(), format!("sha-{k}")))
        .collect();
    let up = v1::upgrade(old, &hashes);
    assert!(up.missing_images.is_empty());
    let s = up.series;
    assert_eq!(s.schema, SCHEMA_VERSION);
    // The old separate style text now lives in the bible: one place for style.
    assert_eq!(s.name, "Old");
    assert_eq!((s.style.as_str(), s.bible.style.look.as_str()), ("", "ink"));
    assert_eq!(s.budget_usd, Some(0.5));
    assert_eq!(s.frame_order, vec!["f_1", "f_2"]);
    assert_eq!(s.frames[0].prompt, "hello");
    assert_eq!(s.frames[1].active_version.as_deref(), Some("t_c"));
    assert_eq!(
        s.frames[1].in_flight_since,
        Some(99.0),
        "reconciled later, as before"
    );
    assert!(s.frames[1].error.as_ref().unwrap().may_be_billed);
    assert_eq!(s.versions.len(), 3, "every take is a version");
    let b = s.version("t_b").unwrap();
    let c = s.version("t_c").unwrap();
    assert_eq!(b.group, c.group, "images of one request are siblings");
    assert_ne!(s.version("t_a").unwrap().group, b.group);
    assert_eq!(c.usage.as_ref().unwrap().output_tokens, 200, "usage shared");
    assert_eq!(c.request.n, 2);
    assert!((c.request_cost_usd.unwrap() - 0.06).abs() < 1e-9);
    assert_eq!(b.image.hash, "sha-t_b");
    assert_eq!(b.anchor_image.as_deref(), Some("sha-t_a"));
    assert_eq!(b.request.images, vec!["sha-t_a", "sha-r_1"]);
    assert_eq!(b.request.endpoint, "images/edits");
    assert_eq!(s.bible.entities[0].references[0].id, "sha-r_1");
    assert_eq!(
        s.anchor,
        Some(Anchor::Frame {
            frame_id: "f_1".into(),
            approved_image: Some("sha-t_a".into())
        })
    );
    assert!(s.anchor_approved(), "the approval survives the upgrade");
    assert!(s.stale_frames().is_empty());
    assert!((s.spent_usd() - 0.08).abs() < 1e-9);
}

#[test]
fn an_upgrade_keeps_records_whose_images_were_already_missing() {
    let old = v1::Project::from_json(V1_RECORD).unwrap();
    let hashes: HashMap<String, String> = [("t_a".to_string(), "sha-a".to_string())].into();
    let up = v1::upgrade(old, &hashes);
    assert_eq!(up.missing_images, vec!["r_1", "t_b", "t_c"]);
    assert_eq!(up.series.versions.len(), 3);
    assert_eq!(up.series.version("t_b").unwrap().image.hash, "t_b");
}

#[test]
fn an_old_series_style_folds_into_the_bible_look_once() {
    let mut p = Series::from_template("S", Template::Comic, "gpt-image-2", 1.0, counter());
    p.style = "  Ink and wash ".into();
    p.bible.style.look = "muted greens".into();
    assert!(p.fold_legacy_style());
    assert_eq!(p.bible.style.look, "Ink and wash\nmuted greens");
    assert!(p.style.is_empty());
    // Nothing left to move: loading again changes nothing, and the record no longer has it.
    assert!(!p.fold_legacy_style());
    assert!(!p.record_json().contains("\"style\":\""));
}
