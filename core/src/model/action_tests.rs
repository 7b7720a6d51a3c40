//! Tests of [`Series::apply`]: every edit, what it says it touched, and that undo (restore)
//! puts the series back exactly.

use super::*;
use crate::model::bible::EntityKind;
use crate::model::template::Template;
use crate::model::{Anchor, LedgerEntry};
use proptest::prelude::*;

fn series() -> Series {
    let mut n = 0;
    let mut s = Series::from_template("A", Template::Comic, "gpt-image-2", 1.0, || {
        n += 1;
        n
    });
    let ids = s.frame_order.clone();
    s.apply(Edit::Series(SeriesEdit::AddEntity {
        id: "e1".into(),
        kind: EntityKind::Character,
    }))
    .unwrap();
    s.apply(Edit::result(
        &ids[0],
        vec![Version::sample("a1", &ids[0], None)],
    ))
    .unwrap();
    s.apply(Edit::result(
        &ids[1],
        vec![
            Version::sample("b1", &ids[1], Some("h-a1")),
            Version::sample("b2", &ids[1], Some("h-a1")),
        ],
    ))
    .unwrap();
    s
}

fn ids(s: &Series) -> Vec<String> {
    s.frame_order.clone()
}

/// Applies `edit` (the series is left edited), checks that restoring its undo gives the series back, and that restoring
/// the undo of that (redo) gives the edited series again. Returns what it touched.
fn round_trip(s: &mut Series, edit: Edit) -> Touched {
    let before = s.clone();
    let touched = s.apply(edit).expect("applies");
    let after = s.clone();
    let redo = s.restore(touched.undo.clone());
    // Undo restores exactly, except that it never un-pays: the ledger stays.
    assert_eq!(s.ledger, after.ledger, "undo keeps the ledger");
    let before = Series {
        ledger: after.ledger.clone(),
        ..before
    };
    assert_eq!(*s, before, "undo restores exactly");
    s.restore(redo.undo);
    assert_eq!(*s, after, "redo restores the edit exactly");
    touched
}

#[test]
fn a_keystroke_touches_its_frame_and_tells_only_the_prompt_readers() {
    let mut s = series();
    let f = ids(&s)[2].clone();
    let t = round_trip(&mut s, Edit::frame(&f, FrameEdit::Prompt("a fox".into())));
    assert_eq!(s.frame(&f).unwrap().prompt, "a fox");
    assert_eq!(t.frames, vec![f.clone()]);
    assert!(!t.record && t.versions.is_empty());
    assert_eq!(t.lenses, vec![Lens::Frame(f.clone(), FrameField::Prompt)]);
    // The same text again changes nothing: nothing to save, nothing to undo.
    assert!(s
        .apply(Edit::frame(&f, FrameEdit::Prompt("a fox".into())))
        .unwrap()
        .is_empty());
}

#[test]
fn frame_text_edits_set_their_field() {
    let mut s = series();
    let f = ids(&s)[3].clone();
    let cases: Vec<(FrameEdit, FrameField)> = vec![
        (FrameEdit::Title("Hook".into()), FrameField::Title),
        (
            FrameEdit::Shot(ShotText::CameraAngle, "low".into()),
            FrameField::Shot,
        ),
        (
            FrameEdit::Constraints(" a \n\n b ".into()),
            FrameField::Shot,
        ),
        (FrameEdit::AddText, FrameField::Shot),
        (
            FrameEdit::Text(0, TextPart::Translation("ar".into()), "نص".into()),
            FrameField::Shot,
        ),
        (FrameEdit::ToggleEntity("e1".into()), FrameField::Shot),
        (FrameEdit::Hold(Some(2.5)), FrameField::Hold),
    ];
    for (edit, field) in cases {
        let t = round_trip(&mut s, Edit::frame(&f, edit.clone()));
        assert_eq!(t.lenses, vec![Lens::Frame(f.clone(), field)], "{edit:?}");
    }
    let frame = s.frame(&f).unwrap();
    assert_eq!(frame.title, "Hook");
    assert_eq!(frame.shot.camera_angle, "low");
    assert_eq!(frame.shot.constraints, vec!["a", "b"]);
    assert_eq!(frame.shot.texts[0].translations["ar"], "نص");
    assert!(
        !frame.shot.entities.contains(&"e1".to_string()),
        "toggled off"
    );
    assert_eq!(frame.hold_seconds, Some(2.5));
    round_trip(&mut s, Edit::frame(&f, FrameEdit::RemoveText(0)));
    assert!(s.frame(&f).unwrap().shot.texts.is_empty());
}

#[test]
fn choosing_a_version_needs_one_of_the_frames_own() {
    let mut s = series();
    let f = ids(&s)[1].clone();
    let t = round_trip(
        &mut s,
        Edit::frame(&f, FrameEdit::ChooseVersion("b2".into())),
    );
    assert_eq!(
        t.lenses,
        vec![Lens::Frame(f.clone(), FrameField::ActiveVersion)]
    );
    assert!(s
        .apply(Edit::frame(&f, FrameEdit::ChooseVersion("a1".into())))
        .is_err());
    assert!(s
        .apply(Edit::frame("gone", FrameEdit::Prompt("x".into())))
        .is_err());
}

#[test]
fn a_result_lands_on_its_pointer_and_clears_the_error() {
    let mut s = series();
    let f = ids(&s)[2].clone();
    s.apply(Edit::frame(&f, FrameEdit::InFlight(3.0))).unwrap();
    let failed = FrameError {
        message: "blocked".into(),
        may_be_billed: false,
        request_ids: Vec::new(),
        unsaved: false,
    };
    let t = round_trip(&mut s, Edit::frame(&f, FrameEdit::Failed(failed.clone())));
    assert_eq!(
        t.lenses,
        vec![
            Lens::Frame(f.clone(), FrameField::Error),
            Lens::Frame(f.clone(), FrameField::InFlight)
        ]
    );
    let mut v = Version::sample("c1", "elsewhere", None);
    v.series_id = "other".into();
    let t = round_trip(&mut s, Edit::result(&f, vec![v.clone()]));
    assert_eq!(t.versions, vec!["c1".to_string()]);
    assert!(t.lenses.contains(&Lens::Versions));
    let frame = s.frame(&f).unwrap();
    assert_eq!(frame.active_version.as_deref(), Some("c1"));
    assert!(frame.error.is_none() && frame.in_flight_since.is_none());
    let stored = s.version("c1").unwrap();
    assert_eq!(
        (stored.frame_id.as_str(), stored.series_id.as_str()),
        (f.as_str(), s.id.as_str())
    );
    // A locale variant sets the locale pointer, not the active version.
    let zh = Version::sample("c2", &f, None);
    let t = round_trip(
        &mut s,
        Edit::frame(
            &f,
            FrameEdit::ResultArrived {
                versions: vec![zh],
                pointer: Pointer::Locale("zh".into()),
            },
        ),
    );
    assert!(t
        .lenses
        .contains(&Lens::Frame(f.clone(), FrameField::LocaleVersions)));
    let frame = s.frame(&f).unwrap();
    assert_eq!(frame.active_version.as_deref(), Some("c1"));
    assert_eq!(frame.locale_versions["zh"], "c2");
}

#[test]
fn in_flight_marks_and_save_errors_come_and_go() {
    let mut s = series();
    let f = ids(&s)[3].clone();
    round_trip(&mut s, Edit::frame(&f, FrameEdit::InFlight(9.0)));
    round_trip(&mut s, Edit::frame(&f, FrameEdit::Settled));
    round_trip(&mut s, Edit::frame(&f, FrameEdit::NotSaved("full".into())));
    let frame = s.frame(&f).unwrap();
    assert!(frame.error.as_ref().unwrap().unsaved && frame.in_flight_since.is_none());
    round_trip(&mut s, Edit::frame(&f, FrameEdit::Saved));
    assert!(s.frame(&f).unwrap().error.is_none());
    // "Saved" never clears the error of a request that failed.
    let failed = FrameError {
        message: "blocked".into(),
        may_be_billed: false,
        request_ids: Vec::new(),
        unsaved: false,
    };
    s.apply(Edit::frame(&f, FrameEdit::Failed(failed))).unwrap();
    assert!(s
        .apply(Edit::frame(&f, FrameEdit::Saved))
        .unwrap()
        .is_empty());
}

#[test]
fn anchor_edits_change_the_record_and_tell_anchor_readers() {
    let mut s = series();
    let f = ids(&s)[0].clone();
    let t = round_trip(&mut s, Edit::Series(SeriesEdit::AnchorFrame(f.clone())));
    assert!(t.record && t.frames.is_empty());
    assert_eq!(t.lenses, vec![Lens::Series(SeriesField::Anchor)]);
    round_trip(&mut s, Edit::Series(SeriesEdit::ApproveAnchor));
    assert!(s.anchor_approved());
    round_trip(&mut s, Edit::Series(SeriesEdit::ResetAnchor));
    let reference = Edit::Series(SeriesEdit::AnchorReference {
        entity_id: "e1".into(),
        image_id: "r1".into(),
    });
    round_trip(&mut s, reference);
    assert!(matches!(s.anchor, Some(Anchor::Reference { .. })));
    assert!(s
        .apply(Edit::Series(SeriesEdit::AnchorFrame("gone".into())))
        .is_err());
}

#[test]
fn structure_edits_say_which_records_come_and_go() {
    let mut s = series();
    let ids = ids(&s);
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::AddFrame {
            after: Some(0),
            random: 77,
        }),
    );
    assert!(t.record && t.frames.len() == 1 && t.lenses == vec![Lens::Whole]);
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::DuplicateFrame {
            id: ids[1].clone(),
            random: 78,
        }),
    );
    assert_eq!(t.frames.len(), 1);
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::MoveFrame {
            id: ids[0].clone(),
            to: 3,
        }),
    );
    assert!(t.record && t.frames.is_empty());
    let t = round_trip(&mut s, Edit::Series(SeriesEdit::DeleteVersion("b2".into())));
    assert!(t.record, "a paid version's cost stays in the series record");
    assert_eq!(t.frames, vec![ids[1].clone()]);
    assert_eq!(t.deleted_versions.len(), 1);
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::DeleteFrame(ids[1].clone())),
    );
    assert_eq!(t.deleted_frames, vec![ids[1].clone()]);
    assert_eq!(
        t.deleted_versions,
        vec![("b1".to_string(), vec!["h-b1".to_string()])]
    );
    assert!(
        s.apply(Edit::Series(SeriesEdit::DeleteVersion("a1".into())))
            .is_err(),
        "never a frame's last version"
    );
    let preview = crate::export::csv::import_lines("one\ntwo", &Default::default()).unwrap();
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::ImportList {
            preview,
            random: vec![500, 600],
        }),
    );
    assert_eq!(t.frames.len(), 2);
}

/// Money is counted once and never given back: deleting a paid version or a paid frame keeps
/// its cost in "spent" (and so in every budget check); undo puts the version back and the
/// deleted share back down, so the total never moves.
#[test]
fn deleting_paid_work_never_lowers_what_was_spent() {
    let mut s = series();
    let ids = ids(&s);
    // The costs as they arrived (set before the ledger recorded them).
    s.ledger.clear();
    for (id, usd) in [("a1", 0.04), ("b1", 0.02), ("b2", 0.03)] {
        s.versions.iter_mut().find(|v| v.id == id).unwrap().cost_usd = Some(usd);
    }
    assert!(s.settle_ledger(), "paid versions are ledgered once");
    assert!(!s.settle_ledger());
    let spent = s.spent_usd();
    assert!((spent - 0.09).abs() < 1e-12);

    let t = round_trip(&mut s, Edit::Series(SeriesEdit::DeleteVersion("b2".into())));
    assert!(t.record, "the paid share is kept in the series record");
    assert!((s.spent_usd() - spent).abs() < 1e-12);
    assert!((s.spent_on_deleted_now_usd() - 0.03).abs() < 1e-12);

    round_trip(
        &mut s,
        Edit::Series(SeriesEdit::DeleteFrame(ids[1].clone())),
    );
    assert!((s.spent_usd() - spent).abs() < 1e-12);
    assert!((s.spent_on_deleted_now_usd() - 0.05).abs() < 1e-12);
    assert!((s.spent_on_versions_usd() - 0.04).abs() < 1e-12);
    // What is stored and read back keeps it.
    let stored: Series =
        serde_json::from_str(&serde_json::to_string(&s.record()).unwrap()).unwrap();
    assert_eq!(stored.ledger, s.ledger);

    // Undo of the frame's delete: its versions are back, the deleted share goes down with it.
    let t = s
        .apply(Edit::Series(SeriesEdit::DeleteFrame(ids[0].clone())))
        .unwrap();
    s.restore(t.undo);
    assert!((s.spent_usd() - spent).abs() < 1e-12);
    assert!((s.spent_on_deleted_now_usd() - 0.05).abs() < 1e-12);
}

#[test]
fn bible_and_settings_edits_change_the_record() {
    let mut s = series();
    let edits = vec![
        (
            SeriesEdit::Bible(BibleText::Never, "no text\n\n".into()),
            SeriesField::Bible,
        ),
        (
            SeriesEdit::Palette(vec![crate::model::bible::Swatch {
                hex: "#112233".into(),
                name: String::new(),
            }]),
            SeriesField::Bible,
        ),
        (
            SeriesEdit::Entity {
                id: "e1".into(),
                field: EntityText::Name,
                text: "Mira".into(),
            },
            SeriesField::Bible,
        ),
        (
            SeriesEdit::Output(OutputSettings {
                variants: 3,
                ..s.output.clone()
            }),
            SeriesField::Output,
        ),
        (SeriesEdit::Budget(Some(2.0)), SeriesField::Budget),
        (
            SeriesEdit::Locales(vec!["en".into(), "ar".into()]),
            SeriesField::Locales,
        ),
        (
            SeriesEdit::Rename {
                name: " Pilot ".into(),
                now_ms: 9.0,
            },
            SeriesField::Name,
        ),
    ];
    for (edit, field) in edits {
        let t = round_trip(&mut s, Edit::Series(edit.clone()));
        assert!(t.record, "{edit:?}");
        assert_eq!(t.lenses, vec![Lens::Series(field)], "{edit:?}");
    }
    assert_eq!(s.bible.never, vec!["no text"]);
    assert_eq!((s.name.as_str(), s.updated_ms), ("Pilot", 9.0));
    assert!(s
        .apply(Edit::Series(SeriesEdit::Rename {
            name: "  ".into(),
            now_ms: 10.0
        }))
        .is_err());
}

#[test]
fn entities_and_references_reach_frames_and_the_anchor() {
    let mut s = series();
    let refs = |ids: &[&str]| -> Vec<crate::model::bible::RefImage> {
        ids.iter()
            .map(|id| crate::model::bible::RefImage {
                id: id.to_string(),
                name: String::new(),
                mime: "image/png".into(),
                width: 8,
                height: 8,
            })
            .collect()
    };
    let add = SeriesEdit::AddReferences {
        entity_id: "e1".into(),
        references: refs(&["r1", "r2", "r1"]),
    };
    round_trip(&mut s, Edit::Series(add));
    assert_eq!(s.bible.entities[0].references.len(), 2, "no image twice");
    let swap = SeriesEdit::SwapReferences {
        entity_id: "e1".into(),
        a: 0,
        b: 1,
    };
    round_trip(&mut s, Edit::Series(swap));
    assert_eq!(s.bible.entities[0].references[0].id, "r2");
    s.apply(Edit::Series(SeriesEdit::AnchorReference {
        entity_id: "e1".into(),
        image_id: "r1".into(),
    }))
    .unwrap();
    let remove = SeriesEdit::RemoveReference {
        entity_id: "e1".into(),
        image_id: "r1".into(),
    };
    round_trip(&mut s, Edit::Series(remove));
    assert!(s.anchor.is_none(), "the anchor on it is reset");
    let f = ids(&s)[2].clone();
    let t = round_trip(&mut s, Edit::Series(SeriesEdit::RemoveEntity("e1".into())));
    assert!(t.frames.contains(&f));
    assert!(t.lenses.contains(&Lens::Frame(f.clone(), FrameField::Shot)));
    assert!(s.frames.iter().all(|f| f.shot.entities.is_empty()));
    let t = round_trip(
        &mut s,
        Edit::Series(SeriesEdit::AddEntity {
            id: "p1".into(),
            kind: EntityKind::Prop,
        }),
    );
    assert_eq!(t.frames.len(), s.frames.len(), "shown in every frame");
}

fn frame_edit() -> impl Strategy<Value = FrameEdit> {
    let text = "[a-zé漢 ]{0,6}";
    prop_oneof![
        text.prop_map(FrameEdit::Prompt),
        text.prop_map(FrameEdit::Title),
        text.prop_map(|t| FrameEdit::Shot(ShotText::Mood, t)),
        text.prop_map(FrameEdit::Constraints),
        Just(FrameEdit::AddText),
        (0usize..3).prop_map(FrameEdit::RemoveText),
        (0usize..3, text).prop_map(|(i, t)| FrameEdit::Text(i, TextPart::Text, t)),
        Just(FrameEdit::ToggleEntity("e1".into())),
        proptest::option::of(0.1f64..60.0).prop_map(FrameEdit::Hold),
        prop_oneof![Just("a1"), Just("b1"), Just("b2")]
            .prop_map(|v| FrameEdit::ChooseVersion(v.into())),
        (1usize..3).prop_map(|n| FrameEdit::ResultArrived {
            versions: (0..n)
                .map(|_| Version::sample("new", "any", None))
                .collect(),
            pointer: Pointer::Active,
        }),
        (1.0f64..9.0).prop_map(FrameEdit::InFlight),
        Just(FrameEdit::Settled),
        text.prop_map(FrameEdit::NotSaved),
        Just(FrameEdit::Saved),
    ]
}

fn series_edit() -> impl Strategy<Value = SeriesEdit> {
    let frame = 0usize..5;
    prop_oneof![
        frame
            .clone()
            .prop_map(|i| SeriesEdit::AnchorFrame(format!("#{i}"))),
        Just(SeriesEdit::ApproveAnchor),
        Just(SeriesEdit::ResetAnchor),
        (proptest::option::of(0usize..5), 100u64..200)
            .prop_map(|(after, random)| SeriesEdit::AddFrame { after, random }),
        (frame.clone(), 200u64..300).prop_map(|(i, random)| SeriesEdit::DuplicateFrame {
            id: format!("#{i}"),
            random
        }),
        (frame.clone(), 0usize..6).prop_map(|(i, to)| SeriesEdit::MoveFrame {
            id: format!("#{i}"),
            to
        }),
        frame.prop_map(|i| SeriesEdit::DeleteFrame(format!("#{i}"))),
        prop_oneof![Just("a1"), Just("b1"), Just("b2")]
            .prop_map(|v| SeriesEdit::DeleteVersion(v.into())),
        "[a-z\n]{0,8}".prop_map(|t| SeriesEdit::Bible(BibleText::Always, t)),
        Just(SeriesEdit::AddEntity {
            id: "e2".into(),
            kind: EntityKind::Prop
        }),
        Just(SeriesEdit::RemoveEntity("e1".into())),
        proptest::option::of(0.5f64..9.0).prop_map(SeriesEdit::Budget),
        "[a-z ]{0,5}".prop_map(|name| SeriesEdit::Rename { name, now_ms: 4.0 }),
    ]
}

/// Frame ids in the strategies are `#n`: the n-th frame of the series the edit applies to.
fn resolve(s: &Series, edit: Edit) -> Edit {
    let id = |name: &str| -> String {
        name.strip_prefix('#')
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| s.frame_order.get(n).cloned())
            .unwrap_or_else(|| name.to_string())
    };
    // Fresh ids and times, as the app makes them: unique, and newer than every version.
    static FRESH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000);
    let fresh = || FRESH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let newest = s.versions.iter().map(|v| v.created_ms).fold(0.0, f64::max);
    match edit {
        Edit::Frame {
            id: f,
            edit: FrameEdit::ResultArrived { versions, pointer },
        } => Edit::Frame {
            id: id(&f),
            edit: FrameEdit::ResultArrived {
                versions: versions
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut v)| {
                        v.id = format!("v{}", fresh());
                        v.created_ms = newest + 1.0 + i as f64;
                        v
                    })
                    .collect(),
                pointer,
            },
        },
        Edit::Frame { id: f, edit } => Edit::Frame { id: id(&f), edit },
        Edit::Series(e) => Edit::Series(match e {
            SeriesEdit::AnchorFrame(f) => SeriesEdit::AnchorFrame(id(&f)),
            SeriesEdit::AddFrame { after, .. } => SeriesEdit::AddFrame {
                after,
                random: fresh(),
            },
            SeriesEdit::DuplicateFrame { id: f, .. } => SeriesEdit::DuplicateFrame {
                id: id(&f),
                random: fresh(),
            },
            SeriesEdit::MoveFrame { id: f, to } => SeriesEdit::MoveFrame { id: id(&f), to },
            SeriesEdit::DeleteFrame(f) => SeriesEdit::DeleteFrame(id(&f)),
            other => other,
        }),
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..5, frame_edit()).prop_map(|(i, edit)| Edit::Frame {
            id: format!("#{i}"),
            edit
        }),
        series_edit().prop_map(Edit::Series),
    ]
}

proptest! {
    /// After any sequence of edits, applying one more and then restoring what it touched
    /// gives back exactly the series it was applied to, and restoring that undo (redo) gives
    /// back exactly the edited series.
    #[test]
    fn apply_then_undo_restores_the_series_exactly(
        history in proptest::collection::vec(edit(), 0..8),
        last in edit(),
    ) {
        let mut s = series();
        for e in history {
            let e = resolve(&s, e);
            let _ = s.apply(e);
        }
        let before = s.clone();
        let e = resolve(&s, last);
        // Undo never un-pays: the ledger is kept as it is; everything else goes back.
        let unledgered = |s: &Series, ledger: &[LedgerEntry]| Series { ledger: ledger.to_vec(), ..s.clone() };
        match s.apply(e) {
            Ok(touched) => {
                let after = s.clone();
                let redo = s.restore(touched.undo);
                prop_assert_eq!(&s.ledger, &after.ledger);
                prop_assert_eq!(&s, &unledgered(&before, &after.ledger));
                s.restore(redo.undo);
                prop_assert_eq!(&s, &after);
            }
            Err(_) => prop_assert_eq!(&s, &before, "a refused edit changes nothing"),
        }
    }
}

#[test]
fn text_spend_counts_once_and_an_undo_does_not_give_it_back() {
    use crate::model::ledger::TextSpend;
    let mut s = series();
    let before = s.spent_usd();
    let palette = s
        .apply(Edit::Series(SeriesEdit::Palette(Vec::new())))
        .expect("applies");
    let spend = |usd: f64| {
        Edit::Series(SeriesEdit::TextSpend(TextSpend {
            usd: Some(usd),
            request_id: Some("req_text".into()),
            at_ms: 1.0,
            ..Default::default()
        }))
    };
    s.apply(spend(0.25)).expect("applies");
    s.apply(spend(-1.0)).expect("applies");
    // The same request again is not counted twice.
    s.apply(spend(0.25)).expect("applies");
    assert!((s.spent_usd() - before - 0.25).abs() < 1e-12);
    // Undoing the earlier palette edit restores the record but keeps what was spent.
    s.restore(palette.undo);
    assert!((s.spent_usd() - before - 0.25).abs() < 1e-12);
}
