//! Tests of what a frame's check asks, how a stored check reads, and the fix it drafts.

use super::*;
use crate::brief::check::Verdict;
use crate::model::action::{Edit, FrameEdit, SeriesEdit};
use crate::model::bible::{Entity, Swatch};
use crate::model::shot::OnImageText;
use crate::model::template::Template;
use crate::model::version::Version;
use crate::text_models::TextCatalogue;

fn series() -> Series {
    let mut n = 0;
    let mut s = Series::from_template("x", Template::Comic, "gpt-image-2", 1.0, move || {
        n += 1;
        n
    });
    s.bible.entities.push(Entity {
        id: "e1".into(),
        kind: EntityKind::Character,
        name: "Mira".into(),
        description: "a girl with short black hair".into(),
        must_not_change: vec!["red scarf".into(), " ".into()],
        references: vec![],
    });
    s.bible.palette = vec![
        Swatch {
            hex: "#112233".into(),
            name: "navy".into(),
        },
        Swatch {
            hex: "#FFEE00".into(),
            name: String::new(),
        },
    ];
    let f = &mut s.frames[0];
    f.shot.entities = vec!["e1".into()];
    f.shot.shot_size = "close-up".into();
    f.shot.constraints = vec!["No logo on the cup".into()];
    f.shot.texts = vec![
        OnImageText {
            text: " 限时 5 折 ".into(),
            language: "zh-Hans".into(),
            ..Default::default()
        },
        OnImageText::default(),
        OnImageText {
            text: "SALE".into(),
            ..Default::default()
        },
    ];
    s
}

fn asked() -> Asked {
    let s = series();
    Asked::of(&s, &s.frames[0])
}

fn report(texts: &[&str], met: &[bool]) -> ResultCheck {
    let asked = asked();
    let constraints = asked
        .constraints
        .iter()
        .zip(met)
        .map(|(c, met)| Verdict {
            id: c.id.clone(),
            met: *met,
            reason: if *met {
                "ok".into()
            } else {
                "the scarf is blue".into()
            },
        })
        .collect();
    ResultCheck {
        asked,
        outcome: CheckOutcome::Report(CheckReport {
            texts: texts.iter().map(|t| t.to_string()).collect(),
            constraints,
        }),
        cost_usd: 0.01,
    }
}

#[test]
fn a_check_asks_the_frames_text_and_every_constraint() {
    let a = asked();
    let texts: Vec<&str> = a.texts.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, ["限时 5 折", "SALE"]);
    assert_eq!(a.texts[0].language, "zh-Hans");
    let got: Vec<(&str, &str, &str)> = a
        .constraints
        .iter()
        .map(|c| (c.id.as_str(), c.kind.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "c1",
                "description",
                "Mira looks like: a girl with short black hair"
            ),
            ("c2", "must_not_change", "Mira keeps: red scarf"),
            (
                "c3",
                "palette",
                "Colours kept to the palette: #112233 navy, #FFEE00"
            ),
            ("c4", "shot", "Shot size: close-up"),
            ("c5", "other", "No logo on the cup"),
        ]
    );
    // A frame that does not show Mira is not checked against her.
    let s = series();
    let other = Asked::of(&s, &s.frames[1]);
    assert!(other.constraints.iter().all(|c| !c.text.contains("Mira")));
}

#[test]
fn the_plan_reserves_the_check_calls_worst_case_at_the_text_rates() {
    let catalogue = TextCatalogue::builtin();
    let model = catalogue.default_model().unwrap();
    let a = asked();
    let worst = a.worst_case_usd(model);
    let request = a.request(&model.id, "data:image/png;base64,").unwrap();
    assert_eq!(
        worst,
        worst_case_usd(model, &TextCallSize::of(&request)),
        "the same worst case the call reserves"
    );
    assert!(worst > 0.0);
    // More to check costs more.
    assert!(worst > Asked::default().worst_case_usd(model));
}

#[test]
fn a_misread_text_is_a_miss_with_both_strings_and_scores_one_less() {
    let c = report(&["限时 5 拆", "SALE"], &[true; 5]);
    assert_eq!(c.score(), Some((6, 7)));
    assert!(!c.passed());
    assert_eq!(
        c.misses(),
        ["Text differs: asked 限时 5 折, reads 限时 5 拆"]
    );
    let fix = c.fix_instruction().unwrap();
    assert!(fix.contains("reads exactly \"限时 5 折\""), "{fix}");
    assert!(fix.contains("\"限时 5 拆\""), "{fix}");
    assert!(fix.ends_with("Keep everything else exactly as it is."));
}

#[test]
fn an_unmet_constraint_is_named_with_its_reason() {
    let c = report(&["限时 5 折", "SALE"], &[true, false, true, true, true]);
    assert_eq!(c.score(), Some((6, 7)));
    assert_eq!(
        c.misses(),
        ["Not met: Mira keeps: red scarf — the scarf is blue"]
    );
    assert!(c
        .fix_instruction()
        .unwrap()
        .contains("Make sure: Mira keeps: red scarf."));
}

#[test]
fn a_clean_report_passes_and_drafts_nothing() {
    let c = report(&["限时  5 折", "SALE"], &[true; 5]);
    assert_eq!(c.score(), Some((7, 7)));
    assert!(c.passed());
    assert!(c.misses().is_empty());
    assert_eq!(c.fix_instruction(), None);
}

#[test]
fn a_failed_check_is_never_a_pass() {
    let c = ResultCheck {
        asked: asked(),
        outcome: CheckOutcome::Failed("The text model did not answer.".into()),
        cost_usd: 0.0,
    };
    assert_eq!(c.score(), None);
    assert!(!c.passed());
    assert_eq!(c.fix_instruction(), None);
}

#[test]
fn a_check_lands_on_its_version_is_counted_once_and_survives_the_record() {
    let mut s = series();
    let frame = s.frames[0].id.clone();
    let mut v = Version::sample("v1", &frame, None);
    v.cost_usd = Some(0.05);
    s.apply(Edit::frame(
        &frame,
        FrameEdit::ResultArrived {
            versions: vec![v],
            pointer: crate::model::action::Pointer::Active,
        },
    ))
    .unwrap();
    let check = report(&["限时 5 拆", "SALE"], &[true; 5]);
    let touched = s
        .apply(Edit::frame(
            &frame,
            FrameEdit::Checked {
                version: "v1".into(),
                check: check.clone(),
            },
        ))
        .unwrap();
    assert_eq!(touched.versions, ["v1"]);
    assert!(
        touched.undo.versions.is_empty(),
        "a paid check is not undone"
    );
    assert_eq!(s.version("v1").unwrap().check.as_ref(), Some(&check));
    // The call was counted in the ledger when it was sent and settled (the app's
    // `send_counted`); landing its report on the version does not count it again.
    assert!((s.spent_usd() - 0.05).abs() < 1e-12);
    s.record_text_spend(crate::model::ledger::TextSpend {
        call_id: Some("call_check_v1".into()),
        frame_id: frame.clone(),
        usd: Some(check.cost_usd),
        request_id: None,
        at_ms: 2.0,
    });
    assert!((s.spent_usd() - 0.06).abs() < 1e-12);
    assert_eq!(
        s.spent_on_deleted_now_usd(),
        0.0,
        "the check's version is still there"
    );
    // Stored and read back; an older record without a check reads as unchecked.
    let json = serde_json::to_string(s.version("v1").unwrap()).unwrap();
    let back: Version = serde_json::from_str(&json).unwrap();
    assert_eq!(back.check, Some(check));
    let mut old = Version::sample("v2", &frame, None);
    old.check = None;
    let plain = serde_json::to_string(&old).unwrap();
    assert!(!plain.contains("\"check\""));
    // A version of another frame is refused.
    let other = s.frames[1].id.clone();
    assert!(s
        .apply(Edit::frame(
            &other,
            FrameEdit::Checked {
                version: "v1".into(),
                check: report(&[], &[]),
            },
        ))
        .is_err());
}

#[test]
fn check_every_result_is_off_by_default_and_a_series_setting() {
    let mut s = series();
    assert!(!s.check_results);
    assert!(!s.record_json().contains("check_results"));
    s.apply(Edit::Series(SeriesEdit::CheckResults(true)))
        .unwrap();
    assert!(s.check_results);
    let back = Series::from_record_json(&s.record_json()).unwrap();
    assert!(back.check_results);
}

#[test]
fn the_plan_counts_each_images_check_only_when_the_series_checks() {
    let catalogue = crate::catalogue::Catalogue::builtin();
    let mut s = series();
    let scope = crate::plan::Scope::All;
    let without = crate::plan::plan(&s, &catalogue, &scope, 0);
    s.check_results = true;
    s.output.variants = 2;
    let with = crate::plan::plan(&s, &catalogue, &scope, 0);
    let text = TextCatalogue::builtin();
    let model = text.default_model().unwrap();
    let mut reserved = 0.0;
    for r in &with.requests {
        let frame = s.frame(&r.frame_id).unwrap();
        reserved += 2.0 * Asked::of(&s, frame).worst_case_usd(model);
    }
    assert!(reserved > 0.0);
    let s2 = {
        let mut x = s.clone();
        x.check_results = false;
        x
    };
    let base = crate::plan::plan(&s2, &catalogue, &scope, 0);
    assert!((with.total_usd - base.total_usd - reserved).abs() < 1e-9);
    assert!(without.total_usd < with.total_usd);
}
