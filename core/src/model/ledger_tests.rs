//! Tests of the spend ledger: paid is recorded once, never shrinks, and is seeded for series
//! stored before it.

use super::*;
use crate::model::action::{Edit, FrameEdit, Pointer, SeriesEdit};
use crate::model::template::Template;
use crate::model::{FrameError, InFlightJob};
use proptest::prelude::*;

fn series() -> Series {
    let mut n = 0;
    Series::from_template("L", Template::Comic, "gpt-image-2", 1.0, || {
        n += 1;
        n
    })
}

fn paid(id: &str, frame: &str, usd: f64) -> Version {
    let mut v = Version::sample(id, frame, None);
    v.cost_usd = Some(usd);
    v.request_cost_usd = Some(usd);
    v
}

fn job(id: &str) -> InFlightJob {
    InFlightJob {
        job_id: Some(id.into()),
        since_ms: 7.0,
        kind: Default::default(),
        parent: None,
        instruction: None,
        locale: None,
        request: Default::default(),
        anchor_image: None,
    }
}

#[test]
fn a_result_is_recorded_once_where_it_lands() {
    let mut s = series();
    let f = s.frame_order[0].clone();
    let t = s
        .apply(Edit::result(&f, vec![paid("v1", &f, 0.05)]))
        .unwrap();
    assert!(t.record, "the ledger is in the series record");
    assert_eq!(s.ledger.len(), 1);
    assert_eq!(s.ledger[0].request_id.as_deref(), Some("req_v1"));
    assert!((s.spent_usd() - 0.05).abs() < 1e-12);
    // The same request landing again (a second recovery of one job) is not counted twice.
    let mut again = paid("v2", &f, 0.05);
    again.request_id = Some("req_v1".into());
    s.apply(Edit::result(&f, vec![again])).unwrap();
    assert_eq!(s.ledger.len(), 1);
    assert!((ledger_total(&s.ledger) - 0.05).abs() < 1e-12);
}

#[test]
fn a_lost_job_is_flagged_then_replaced_by_its_recovered_cost() {
    let mut s = series();
    let f = s.frame_order[1].clone();
    s.apply(Edit::frame(&f, FrameEdit::Sending(Box::new(job("j1")))))
        .unwrap();
    // The page reloads mid-request.
    let stored: Series = serde_json::from_str(&s.record_json()).unwrap();
    assert!(stored.ledger.is_empty());
    let (flagged, _) = s.reconcile_interrupted();
    assert_eq!(flagged, vec![f.clone()]);
    assert_eq!(s.recoverable_jobs(), vec![(f.clone(), "j1".to_string())]);
    assert_eq!(s.maybe_billed_requests(), 1);
    // Flagged twice (two loads) is still one request.
    s.reconcile_interrupted();
    assert_eq!(s.ledger.len(), 1);
    // The server had the answer: it lands as a recovered version, counted once.
    s.apply(Edit::result(&f, vec![paid("r1", &f, 0.04)]))
        .unwrap();
    assert_eq!(s.ledger.len(), 1);
    assert!(!s.ledger[0].maybe_billed && s.ledger[0].recovered);
    assert_eq!(s.ledger[0].job_id.as_deref(), Some("j1"));
    assert!(s.is_recovered("r1"));
    assert!(s.recoverable_jobs().is_empty());
    assert!(s.frame(&f).unwrap().error.is_none());
    assert!((s.spent_usd() - 0.04).abs() < 1e-12);
}

#[test]
fn a_live_result_is_not_recovered_and_a_refusal_is_not_billed() {
    let mut s = series();
    let f = s.frame_order[0].clone();
    s.apply(Edit::frame(&f, FrameEdit::Sending(Box::new(job("j2")))))
        .unwrap();
    s.apply(Edit::result(&f, vec![paid("v1", &f, 0.05)]))
        .unwrap();
    assert!(!s.is_recovered("v1"));
    assert_eq!(s.ledger[0].job_id.as_deref(), Some("j2"));
    let g = s.frame_order[1].clone();
    s.apply(Edit::frame(&g, FrameEdit::Sending(Box::new(job("j3")))))
        .unwrap();
    let refusal = FrameError {
        message: "blocked".into(),
        may_be_billed: false,
        request_ids: vec![],
        unsaved: false,
    };
    s.apply(Edit::frame(&g, FrameEdit::Failed(refusal)))
        .unwrap();
    assert_eq!(s.ledger.len(), 1, "a refusal is not billed");
    assert!(s.frame(&g).unwrap().in_flight_job.is_none());
    // A dropped connection may have been billed: ledgered, and its job kept to ask for.
    s.apply(Edit::frame(&g, FrameEdit::Sending(Box::new(job("j4")))))
        .unwrap();
    let dropped = FrameError {
        message: "dropped".into(),
        may_be_billed: true,
        request_ids: vec![],
        unsaved: false,
    };
    s.apply(Edit::frame(&g, FrameEdit::Failed(dropped)))
        .unwrap();
    assert_eq!(s.maybe_billed_requests(), 1);
    assert_eq!(s.recoverable_jobs(), vec![(g.clone(), "j4".to_string())]);
    s.apply(Edit::frame(&g, FrameEdit::JobUnknown)).unwrap();
    assert!(s.recoverable_jobs().is_empty());
    assert_eq!(s.maybe_billed_requests(), 1, "still may have been billed");
    let _ = Pointer::Active;
}

#[test]
fn a_series_stored_before_the_ledger_gets_one_seeded() {
    let mut s = series();
    let f = s.frame_order[0].clone();
    let mut a = paid("a", &f, 0.02);
    let mut b = paid("b", &f, 0.02);
    a.group = Some("g".into());
    b.group = Some("g".into());
    s.versions = vec![a, b, paid("c", &f, 0.03)];
    s.spent_on_deleted_usd = 0.10;
    // Before settling, spent still counts the old figure.
    assert!((s.spent_usd() - 0.17).abs() < 1e-12);
    // An old record (no ledger member) reads, and settles to the same total.
    let old = s.record_json();
    assert!(!old.contains("ledger"));
    assert!(s.settle_ledger());
    assert_eq!(
        s.ledger.len(),
        3,
        "one per request (a and b share a group) + deleted"
    );
    assert!(s.ledger.iter().all(|e| e.seeded));
    assert!((s.spent_usd() - 0.17).abs() < 1e-12);
    assert!(!s.settle_ledger(), "settling twice adds nothing");
    assert!((s.spent_usd() - 0.17).abs() < 1e-12);
}

#[test]
fn an_old_frame_record_without_a_job_still_loads() {
    let json = r#"{"id":"f","title":"t","in_flight_since":3.0}"#;
    let f: crate::model::Frame = serde_json::from_str(json).unwrap();
    assert_eq!(f.in_flight_since, Some(3.0));
    assert!(f.in_flight_job.is_none());
    let mut f = f;
    f.in_flight_job = Some(job("j"));
    let back: crate::model::Frame =
        serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(back, f);
}

fn step() -> impl Strategy<Value = (u8, usize, u8)> {
    (0u8..5, 0usize..4, 0u8..3)
}

proptest! {
    /// Whatever is generated, deleted and undone, "spent" never goes down and the ledger
    /// never shrinks.
    #[test]
    fn no_sequence_of_edits_lowers_spent(steps in proptest::collection::vec(step(), 1..24)) {
        let mut s = series();
        let mut undo = Vec::new();
        let mut n = 0u32;
        for (kind, at, pick) in steps {
            let spent = s.spent_usd();
            let entries = s.ledger.len();
            let frames = s.frame_order.clone();
            if frames.is_empty() {
                break;
            }
            let frame = frames[at % frames.len()].clone();
            let edit = match kind {
                0 | 1 => {
                    n += 1;
                    let mut v = paid(&format!("v{n}"), &frame, 0.01 * f64::from(pick + 1));
                    v.created_ms = f64::from(n);
                    Edit::result(&frame, vec![v])
                }
                2 => Edit::Series(SeriesEdit::DeleteFrame(frame)),
                3 => match s.versions.get(usize::from(pick)) {
                    Some(v) => Edit::Series(SeriesEdit::DeleteVersion(v.id.clone())),
                    None => continue,
                },
                _ => match undo.pop() {
                    Some(u) => {
                        s.restore(u);
                        prop_assert!(s.spent_usd() >= spent - 1e-9);
                        continue;
                    }
                    None => continue,
                },
            };
            if let Ok(t) = s.apply(edit) {
                undo.push(t.undo);
            }
            prop_assert!(s.spent_usd() >= spent - 1e-9, "spent fell from {} to {}", spent, s.spent_usd());
            prop_assert!(s.ledger.len() >= entries);
        }
    }
}

// A text call is reserved before it leaves and settled from its answer under one call id: a tab
// closed in between leaves "may have been billed", an answer replaces it with its cost, and a
// settled figure is never replaced (not even by a later, lower one).
#[test]
fn a_text_call_is_reserved_before_it_is_sent_and_settled_once() {
    let mut s = series();
    let spent = s.spent_usd();
    let call = |usd: Option<f64>| TextSpend {
        call_id: Some("call_1".into()),
        frame_id: "f1".into(),
        usd,
        request_id: None,
        at_ms: 3.0,
    };
    assert!(s.record_text_spend(call(None)));
    assert_eq!(s.maybe_billed_requests(), 1, "on its way: may be billed");
    assert_eq!(s.spent_usd(), spent, "no figure yet");
    assert!(s.record_text_spend(call(Some(0.004))));
    assert_eq!(s.maybe_billed_requests(), 0);
    assert!((s.spent_usd() - spent - 0.004).abs() < 1e-12);
    assert!(!s.record_text_spend(call(Some(0.001))), "settled once");
    assert!(
        !s.record_text_spend(call(None)),
        "a late reservation changes nothing"
    );
    assert!((s.spent_usd() - spent - 0.004).abs() < 1e-12);
    // A call that ends without a figure keeps its flag; a refused figure counts nothing.
    let mut cut = call(None);
    cut.call_id = Some("call_2".into());
    assert!(s.record_text_spend(cut.clone()));
    assert!(!s.record_text_spend(cut));
    assert_eq!(s.maybe_billed_requests(), 1);
    let mut bad = call(Some(f64::NAN));
    bad.call_id = Some("call_3".into());
    assert!(!s.record_text_spend(bad));
    assert_eq!(s.ledger.len(), 2);
}

// Describing the references is spent on the series, not on deleted frames; a check whose image
// was deleted is.
#[test]
fn text_spend_of_the_series_is_not_spent_on_deleted_frames() {
    let mut s = series();
    s.record_text_spend(TextSpend {
        usd: Some(0.01),
        at_ms: 1.0,
        ..Default::default()
    });
    assert!((s.spent_on_series_text_usd() - 0.01).abs() < 1e-12);
    assert_eq!(s.spent_on_deleted_now_usd(), 0.0);
    s.record_text_spend(TextSpend {
        call_id: Some("check_of_a_deleted_image".into()),
        frame_id: "f1".into(),
        usd: Some(0.002),
        at_ms: 2.0,
        ..Default::default()
    });
    assert!((s.spent_on_deleted_now_usd() - 0.002).abs() < 1e-12);
    assert!((s.spent_usd() - 0.012).abs() < 1e-12);
}
