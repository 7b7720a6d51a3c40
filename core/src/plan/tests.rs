//! Unit tests of planning and of the preflight.

use super::*;
use crate::model::bible::{Entity, EntityKind, RefImage};
use crate::model::template::Template;
use crate::model::Version;

fn series(template: Template) -> Series {
    let mut n = 0;
    Series::from_template("Plan", template, "gpt-image-2", 0.0, move || {
        n += 1;
        n
    })
}

/// A version whose image hash is its id.
fn take(id: &str, anchor: Option<&str>) -> Version {
    let mut v = Version::sample(id, "", anchor);
    v.image.hash = id.into();
    v
}

fn with_character(p: &mut Series) {
    p.bible.entities.push(Entity {
        id: "e1".into(),
        kind: EntityKind::Character,
        name: "Mira".into(),
        description: "keeper".into(),
        must_not_change: vec![],
        references: vec![
            RefImage {
                id: "r1".into(),
                name: "a.png".into(),
                mime: "image/png".into(),
                width: 640,
                height: 640,
            },
            RefImage {
                id: "r2".into(),
                name: "b.png".into(),
                mime: "image/png".into(),
                width: 640,
                height: 640,
            },
        ],
    });
    for f in &mut p.frames {
        f.shot.entities = vec!["e1".into()];
    }
}

#[test]
fn without_an_anchor_every_frame_is_independent() {
    let p = series(Template::Carousel);
    let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
    assert_eq!(plan.requests.len(), 9);
    assert!(plan
        .requests
        .iter()
        .all(|r| !r.waits_for_anchor && !r.is_anchor && !r.is_edit()));
    assert!(plan.jobs().iter().all(|j| j.after.is_none()));
    // 1510 output tokens at $30/M per slide, plus a little prompt text at $5/M.
    let text = plan.total_usd - 9.0 * 0.0453;
    assert!(text > 0.0 && text < 0.005, "{}", plan.total_usd);
    assert!(
        plan.requests.iter().all(|r| !r.estimate_assumed),
        "no references: published prices"
    );
    assert_eq!(plan.refusal(), None);
}

#[test]
fn an_unapproved_anchor_runs_first_and_the_rest_wait_for_it() {
    let mut p = series(Template::Storyboard);
    with_character(&mut p);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
    assert_eq!(plan.requests.len(), 12);
    assert!(plan.requests[0].is_anchor);
    assert_eq!(plan.waiting_for_anchor(), 11);
    let jobs = plan.jobs();
    assert!(jobs[1..]
        .iter()
        .all(|j| j.after.as_deref() == Some(anchor.as_str())));
    // Each dependent will send [new anchor, r1, r2]: 3 images, counted before the anchor exists,
    // and priced as input (an assumption: gpt-image-2 publishes no input-image rule).
    assert_eq!(plan.requests[1].compiled.references.len() + 1, 3);
    assert!(plan.requests[1].estimate_usd > plan.requests[0].estimate_usd);
    assert!(plan.requests[1].estimate_assumed);
}

#[test]
fn an_approved_anchor_is_reused_and_not_regenerated() {
    let mut p = series(Template::Storyboard);
    with_character(&mut p);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("a1", None)],
    ))
    .unwrap();
    assert!(p.approve_anchor());
    let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
    assert_eq!(
        plan.requests.len(),
        11,
        "the approved anchor is used, not remade"
    );
    assert!(plan
        .requests
        .iter()
        .all(|r| !r.waits_for_anchor && r.compiled.uses_anchor));
    assert_eq!(plan.requests[0].compiled.references[0].key, "a1");
}

#[test]
fn stale_scope_regenerates_only_stale_frames_from_the_current_anchor() {
    let mut p = series(Template::Comic);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("a1", None)],
    ))
    .unwrap();
    for i in 1..4 {
        let id = p.frames[i].id.clone();
        p.apply(crate::model::action::Edit::result(
            &id,
            vec![take(&format!("t{i}"), Some("a1"))],
        ))
        .unwrap();
    }
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("a2", None)],
    ))
    .unwrap();
    let plan = plan(&p, &Catalogue::builtin(), &Scope::Stale, 0);
    assert_eq!(plan.requests.len(), 3);
    assert!(plan
        .requests
        .iter()
        .all(|r| !r.is_anchor && !r.waits_for_anchor));
    assert!(plan
        .requests
        .iter()
        .all(|r| r.compiled.references.first().map(|x| x.key.as_str()) == Some("a2")));
}

#[test]
fn missing_scope_resumes_only_frames_without_images() {
    let mut p = series(Template::Storyboard);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    p.apply(crate::model::action::Edit::result(
        &anchor,
        vec![take("a1", None)],
    ))
    .unwrap();
    for i in 1..5 {
        let id = p.frames[i].id.clone();
        p.apply(crate::model::action::Edit::result(
            &id,
            vec![take(&format!("t{i}"), Some("a1"))],
        ))
        .unwrap();
    }
    let plan = plan(&p, &Catalogue::builtin(), &Scope::Missing, 0);
    assert_eq!(plan.requests.len(), 7, "frames 6-12");
    assert!(plan
        .requests
        .iter()
        .all(|r| !r.is_anchor && r.compiled.uses_anchor));
}

#[test]
fn asking_for_the_anchor_frame_alone_makes_only_the_anchor() {
    let mut p = series(Template::Storyboard);
    let anchor = p.frames[0].id.clone();
    p.set_anchor_frame(Some(&anchor));
    let plan = plan(
        &p,
        &Catalogue::builtin(),
        &Scope::Frames(vec![anchor.clone()]),
        0,
    );
    assert_eq!(plan.requests.len(), 1);
    assert!(plan.requests[0].is_anchor);
}

#[test]
fn a_plan_over_budget_is_refused_with_the_figures() {
    let mut p = series(Template::Storyboard);
    p.budget_usd = Some(0.10);
    let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 1);
    let why = plan.refusal().unwrap();
    assert!(why.contains("the series budget is $0.10 "), "{why}");
    assert!(why.contains("$0.00 is spent so far"), "{why}");
    assert!(why.contains("these 12 requests"), "{why}");
    p.budget_usd = Some(100.0);
    assert_eq!(
        super::plan(&p, &Catalogue::builtin(), &Scope::All, 1).refusal(),
        None
    );
}

#[test]
fn more_than_sixteen_reference_images_block_the_request() {
    let mut p = series(Template::CharacterSheet);
    with_character(&mut p);
    let refs = (0..17)
        .map(|i| RefImage {
            id: format!("r{i}"),
            name: String::new(),
            mime: "image/png".into(),
            width: 1,
            height: 1,
        })
        .collect();
    p.bible.entities[0].references = refs;
    let plan = plan(&p, &Catalogue::builtin(), &Scope::All, 0);
    assert!(plan.requests.iter().all(|r| !r.blockers.is_empty()));
    assert!(plan.refusal().unwrap().contains("17 reference images"));
}

/// The same frame's version made at exactly the estimate the plan gave.
fn paid(id: &str, usd: f64) -> Version {
    let mut v = take(id, None);
    v.cost_usd = Some(usd);
    v.request_cost_usd = Some(usd);
    v
}

/// The report that started this: four single-frame "Generate" clicks under a $0.10 budget
/// spent $0.196. Each click is its own plan of one request, so only a check that counts what
/// the series has already spent can stop the third.
#[test]
fn single_frame_generates_stop_before_the_spend_so_far_crosses_the_budget() {
    let mut p = series(Template::Carousel);
    p.budget_usd = Some(0.10);
    let catalogue = Catalogue::builtin();
    let mut sent = 0;
    let mut refusal = None;
    for i in 0..4 {
        let frame = p.frames[i].id.clone();
        let plan = plan(&p, &catalogue, &Scope::Frames(vec![frame.clone()]), 0);
        assert_eq!(plan.requests.len(), 1);
        if let Some(why) = plan.refusal() {
            refusal = Some((why, plan.spent_usd, plan.total_usd));
            break;
        }
        let checked = preflight(&p, &catalogue, &plan.requests).unwrap();
        assert!(checked.remaining_usd().unwrap() >= plan.total_usd - 1e-9);
        p.apply(crate::model::action::Edit::result(
            &frame,
            vec![paid(&format!("v{i}"), plan.total_usd)],
        ))
        .unwrap();
        sent += 1;
    }
    assert_eq!(
        sent, 2,
        "two slides at ≈$0.046 fit under $0.10, a third does not"
    );
    let (why, spent, estimate) = refusal.expect("the third click is refused");
    assert!(
        spent + estimate > 0.10 && spent <= 0.10,
        "{spent} + {estimate}"
    );
    assert!(why.contains("the series budget is $0.10"), "{why}");
    assert!(
        why.contains(&format!(
            "{} is spent so far",
            crate::cost::format_usd(spent)
        )),
        "{why}"
    );
    assert!(why.contains("this request, estimated at $0.04"), "{why}");
    assert!(p.spent_usd() <= 0.10);
}

#[test]
fn the_plan_counts_what_the_series_already_spent() {
    let mut p = series(Template::Carousel);
    let catalogue = Catalogue::builtin();
    let total = plan(&p, &catalogue, &Scope::All, 0).total_usd;
    p.budget_usd = Some(total);
    assert_eq!(
        plan(&p, &catalogue, &Scope::All, 0).refusal(),
        None,
        "exactly the budget fits"
    );
    let frame = p.frames[0].id.clone();
    p.apply(crate::model::action::Edit::result(
        &frame,
        vec![paid("v1", 0.000_001)],
    ))
    .unwrap();
    let again = plan(&p, &catalogue, &Scope::All, 0);
    assert_eq!(again.spent_usd, 0.000_001);
    assert!(
        matches!(again.refused, Some(Refusal::OverBudget { requests: 9, .. })),
        "one micro-dollar already spent tips it over: {:?}",
        again.refused
    );
}

#[test]
fn what_passes_leaves_the_rest_of_the_budget_to_the_scheduler() {
    let mut p = series(Template::Carousel);
    let catalogue = Catalogue::builtin();
    let one = plan(
        &p,
        &catalogue,
        &Scope::Frames(vec![p.frames[0].id.clone()]),
        0,
    );
    let checked = preflight(&p, &catalogue, &one.requests).unwrap();
    assert_eq!(checked.remaining_usd(), None, "no budget, no cap");
    p.budget_usd = Some(1.0);
    let frame = p.frames[1].id.clone();
    p.apply(crate::model::action::Edit::result(
        &frame,
        vec![paid("v1", 0.3)],
    ))
    .unwrap();
    let checked = preflight(&p, &catalogue, &one.requests).unwrap();
    assert_eq!(checked.spent_usd, 0.3);
    assert_eq!(checked.remaining_usd(), Some(0.7));
    // The scheduler accepts exactly what the preflight passed.
    let mut jobs = one.jobs();
    jobs[0].estimate_usd = 0.7;
    assert!(crate::scheduler::Batch::new(jobs.clone(), 1, checked.remaining_usd()).is_ok());
    jobs[0].estimate_usd = 0.700_001;
    assert!(crate::scheduler::Batch::new(jobs, 1, checked.remaining_usd()).is_err());
}

#[test]
fn the_budget_rule_compares_whole_micro_dollars() {
    assert_eq!(check_budget(0.1, 0.2, Some(0.3), 1), Ok(()));
    assert_eq!(check_budget(0.0, 5.0, None, 1), Ok(()));
    assert!(check_budget(0.3, 0.000_001, Some(0.3), 1).is_err());
    assert!(
        check_budget(0.0, 0.01, Some(0.0), 1).is_err(),
        "a zero budget sends nothing"
    );
    let over = check_budget(0.196, 0.046, Some(0.1), 1).unwrap_err();
    assert_eq!(
        over.to_string(),
        "Not sent: the series budget is $0.10 and $0.196 is spent so far; this request, estimated at $0.046, would cross it. Raise the budget to continue."
    );
}

#[test]
fn nothing_to_send_is_refused() {
    let p = series(Template::Carousel);
    assert_eq!(
        preflight(&p, &Catalogue::builtin(), &[]),
        Err(Refusal::Nothing)
    );
    assert_eq!(Refusal::Nothing.to_string(), "Nothing to generate.");
}

/// Edits and locale variants come in through the same entry point with their own kind: the
/// same budget, and the image they change must be sent.
#[test]
fn edits_and_locale_variants_pass_the_same_preflight() {
    let mut p = series(Template::Carousel);
    let catalogue = Catalogue::builtin();
    let frame = p.frames[0].id.clone();
    p.apply(crate::model::action::Edit::result(
        &frame,
        vec![paid("v1", 0.05)],
    ))
    .unwrap();
    let base = plan(&p, &catalogue, &Scope::Frames(vec![frame.clone()]), 0).requests[0].clone();
    let mut edit = PlannedRequest {
        kind: RequestKind::Edit {
            parent: "v1".into(),
        },
        ..base.clone()
    };
    assert!(edit.kind.changes_an_image());
    let refused = preflight(&p, &catalogue, std::slice::from_ref(&edit)).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("must send the image it changes"),
        "{refused}"
    );
    edit.compiled.references.push(crate::compiler::Reference {
        key: "h-v1".into(),
        label: "The version being edited".into(),
        role: crate::compiler::ReferenceRole::Anchor,
    });
    assert!(preflight(&p, &catalogue, std::slice::from_ref(&edit)).is_ok());
    let variant = PlannedRequest {
        kind: RequestKind::LocaleVariant {
            parent: "v1".into(),
            locale: "ar".into(),
        },
        ..edit.clone()
    };
    p.budget_usd = Some(0.05 + edit.estimate_usd);
    assert!(preflight(&p, &catalogue, std::slice::from_ref(&variant)).is_ok());
    let both = Plan::new(&p, &catalogue, vec![edit, variant]);
    assert!(
        matches!(both.refused, Some(Refusal::OverBudget { requests: 2, .. })),
        "{:?}",
        both.refused
    );
}

/// "Transparent background" on a model that cannot make one refuses the whole plan with the
/// reason before anything is sent; on a model that can, the plan passes.
#[test]
fn transparency_on_a_model_without_it_is_refused_with_the_reason() {
    let mut p = series(Template::ProductSet);
    p.output.transparent_background = true;
    let catalogue = Catalogue::builtin();
    assert!(plan(&p, &catalogue, &Scope::All, 0).refusal().is_none());
    p.output.model = "gpt-image-2.6-flare".into();
    p.output.size = crate::model::size::Size::new(1024, 1024);
    let refusal = plan(&p, &catalogue, &Scope::All, 0).refusal().unwrap();
    assert!(
        refusal.contains("6 requests cannot be sent yet")
            && refusal.contains("GPT Image 2.6 Flare cannot make transparent backgrounds"),
        "{refusal}"
    );
}
