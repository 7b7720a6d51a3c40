//! Unit tests: one or more per scheduling rule.

use super::*;

pub(super) fn job(id: &str, after: Option<&str>, estimate_usd: f64) -> Job {
    Job {
        id: id.to_string(),
        after: after.map(str::to_string),
        estimate_usd,
    }
}

/// Anchor `f0` plus `frames - 1` frames generated from it.
pub(super) fn series(frames: usize, estimate_usd: f64) -> Vec<Job> {
    (0..frames)
        .map(|i| {
            let after = (i > 0).then_some("f0");
            job(&format!("f{i}"), after, estimate_usd)
        })
        .collect()
}

pub(super) fn done(cost_usd: f64) -> Outcome {
    Outcome::Done { cost_usd }
}

pub(super) fn failed(billed: bool, fatal: bool) -> Outcome {
    Outcome::Failed {
        reason: "boom".into(),
        may_be_billed: billed,
        fatal_for_batch: fatal,
    }
}

fn skipped(reason: SkipReason) -> JobState {
    JobState::Skipped { reason }
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn new_rejects_invalid_plans() {
    assert_eq!(Batch::new(vec![], 4, None).unwrap_err(), PlanError::Empty);
    let dup = vec![job("a", None, 0.1), job("a", None, 0.1)];
    assert_eq!(
        Batch::new(dup, 4, None).unwrap_err(),
        PlanError::DuplicateId("a".into())
    );
    let unknown = vec![job("a", Some("zz"), 0.1)];
    assert_eq!(
        Batch::new(unknown, 4, None).unwrap_err(),
        PlanError::UnknownDependency("zz".into())
    );
    let selfish = vec![job("a", Some("a"), 0.1)];
    assert_eq!(
        Batch::new(selfish, 4, None).unwrap_err(),
        PlanError::DependencyCycle
    );
    let cycle = vec![
        job("r", None, 0.1),
        job("a", Some("c"), 0.1),
        job("b", Some("a"), 0.1),
        job("c", Some("b"), 0.1),
    ];
    assert_eq!(
        Batch::new(cycle, 4, None).unwrap_err(),
        PlanError::DependencyCycle
    );
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        assert_eq!(
            Batch::new(vec![job("a", None, bad)], 1, None).unwrap_err(),
            PlanError::InvalidEstimate("a".into())
        );
        assert_eq!(
            Batch::new(vec![job("a", None, 0.1)], 1, Some(bad)).unwrap_err(),
            PlanError::InvalidBudget
        );
    }
    let err = Batch::new(series(4, 0.25), 4, Some(0.99)).unwrap_err();
    assert_eq!(
        err,
        PlanError::OverBudget {
            estimate_usd: 1.0,
            budget_usd: 0.99
        }
    );
    assert!(err.to_string().contains("$1.00"));
}

#[test]
fn budget_comparison_is_robust_to_float_rounding() {
    // 0.1 + 0.2 + 0.3 != 0.6 in f64, but the plan fits exactly.
    let plan = vec![
        job("a", None, 0.1),
        job("b", None, 0.2),
        job("c", None, 0.3),
    ];
    let mut b = Batch::new(plan, 3, Some(0.6)).unwrap();
    assert_eq!(b.start_next(), ids(&["a", "b", "c"]));
    for id in ["a", "b", "c"] {
        let est = b.job(id).unwrap().estimate_usd;
        b.report(id, done(est));
    }
    assert!(b.is_finished());
    assert_eq!(b.spent_usd(), 0.6);
}

#[test]
fn zero_concurrency_is_treated_as_one() {
    let mut b = Batch::new(vec![job("a", None, 0.0), job("b", None, 0.0)], 0, None).unwrap();
    assert_eq!(b.max_concurrency(), 1);
    assert_eq!(b.start_next(), ids(&["a"]));
}

#[test]
fn anchor_runs_first_then_dependents_fill_the_slots_in_plan_order() {
    let mut b = Batch::new(series(12, 0.04), 4, None).unwrap();
    assert_eq!(b.state("f1"), Some(&JobState::WaitingForDependency));
    assert_eq!(b.start_next(), ids(&["f0"]));
    assert!(b.start_next().is_empty(), "dependents wait for the anchor");
    b.report("f0", done(0.04));
    assert_eq!(b.state("f1"), Some(&JobState::Queued));
    assert_eq!(b.start_next(), ids(&["f1", "f2", "f3", "f4"]));
    assert!(b.start_next().is_empty(), "all slots taken");
    b.report("f3", done(0.04));
    assert_eq!(b.start_next(), ids(&["f5"]));
    assert_eq!(b.progress().running, 4);
}

#[test]
fn chains_wait_for_each_link() {
    let plan = vec![
        job("c", Some("b"), 0.0),
        job("b", Some("a"), 0.0),
        job("a", None, 0.0),
    ];
    let mut b = Batch::new(plan, 4, None).unwrap();
    assert_eq!(b.start_next(), ids(&["a"]));
    b.report("a", done(0.0));
    assert_eq!(b.start_next(), ids(&["b"]));
    assert_eq!(b.state("c"), Some(&JobState::WaitingForDependency));
    b.report("b", done(0.0));
    assert_eq!(b.start_next(), ids(&["c"]));
}

#[test]
fn failed_anchor_skips_its_whole_subtree_only() {
    let plan = vec![
        job("a", None, 0.0),
        job("b", Some("a"), 0.0),
        job("c", Some("b"), 0.0),
        job("x", None, 0.0),
    ];
    let mut b = Batch::new(plan, 4, None).unwrap();
    assert_eq!(b.start_next(), ids(&["a", "x"]));
    b.report("a", failed(false, false));
    assert_eq!(b.state("b"), Some(&skipped(SkipReason::DependencyFailed)));
    assert_eq!(b.state("c"), Some(&skipped(SkipReason::DependencyFailed)));
    assert_eq!(b.state("x"), Some(&JobState::Running));
    b.report("x", done(0.0));
    assert!(b.is_finished());
}

#[test]
fn budget_skips_jobs_that_can_never_fit_and_cascades() {
    let plan = vec![
        job("a", None, 0.5),
        job("big", None, 0.3),
        job("small", None, 0.2),
        job("child", Some("big"), 0.0),
    ];
    let mut b = Batch::new(plan, 1, Some(1.0)).unwrap();
    assert_eq!(b.start_next(), ids(&["a"]));
    // Actual cost came in higher than estimated: only 0.3 left.
    b.report("a", done(0.75));
    assert_eq!(b.start_next(), ids(&["small"]));
    assert_eq!(b.state("big"), Some(&skipped(SkipReason::BudgetExhausted)));
    assert_eq!(
        b.state("child"),
        Some(&skipped(SkipReason::DependencyFailed))
    );
}

#[test]
fn budget_holds_jobs_while_in_flight_reservations_may_settle_lower() {
    let plan = vec![
        job("a", None, 0.5),
        job("b", None, 0.5),
        job("c", None, 0.5),
    ];
    let mut b = Batch::new(plan, 3, Some(1.5)).unwrap();
    b.set_budget(Some(1.0)).unwrap();
    assert_eq!(b.start_next(), ids(&["a", "b"]));
    assert_eq!(b.state("c"), Some(&JobState::Queued), "held, not skipped");
    b.report("a", done(0.25));
    assert!(b.start_next().is_empty(), "0.25 + 0.5 reserved + 0.5 > 1.0");
    b.report("b", done(0.25));
    assert_eq!(b.start_next(), ids(&["c"]));
}

#[test]
fn maybe_billed_failures_count_against_the_budget() {
    let mut b = Batch::new(series(3, 0.5), 1, Some(1.5)).unwrap();
    b.start_next();
    b.report("f0", done(0.5));
    b.start_next();
    b.report("f1", failed(true, false));
    assert_eq!(b.maybe_billed_usd(), 0.5);
    assert_eq!(b.start_next(), ids(&["f2"]));
    b.report("f2", done(0.5));
    assert_eq!(b.retry_failed(false), 1);
    assert!(b.start_next().is_empty());
    assert_eq!(b.state("f1"), Some(&skipped(SkipReason::BudgetExhausted)));
}

#[test]
fn batch_fatal_failure_stops_new_starts_but_lets_in_flight_finish() {
    let mut b = Batch::new(series(6, 0.1), 2, None).unwrap();
    b.start_next();
    b.report("f0", done(0.1));
    assert_eq!(b.start_next(), ids(&["f1", "f2"]));
    b.report("f1", failed(false, true));
    assert!(b.is_stopped());
    assert!(b.start_next().is_empty());
    for id in ["f3", "f4", "f5"] {
        assert_eq!(b.state(id), Some(&skipped(SkipReason::BatchStopped)));
    }
    assert_eq!(b.state("f2"), Some(&JobState::Running));
    b.report("f2", done(0.1));
    assert!(b.is_finished());
    assert_eq!(b.retry_failed(false), 0, "stop must be cleared explicitly");
    assert_eq!(b.retry_failed(true), 4);
    assert!(!b.is_stopped());
    assert_eq!(b.start_next(), ids(&["f1", "f3"]));
}

#[test]
fn aimd_halves_on_rate_limit_and_grows_after_consecutive_successes() {
    let mut b = Batch::new(series(30, 0.0), 8, None).unwrap();
    b.rate_limited();
    assert_eq!(b.concurrency_limit(), 4);
    b.rate_limited();
    b.rate_limited();
    b.rate_limited();
    assert_eq!(b.concurrency_limit(), 1, "never below 1");
    b.start_next();
    b.report("f0", done(0.0));
    for i in 1..=4 {
        assert_eq!(b.start_next(), vec![format!("f{i}")]);
        b.report(&format!("f{i}"), done(0.0));
    }
    assert_eq!(b.concurrency_limit(), 2, "+1 after 5 successes");
    assert_eq!(b.start_next().len(), 2);
    b.rate_limited();
    assert_eq!(b.concurrency_limit(), 1);
    assert!(b.start_next().is_empty(), "2 in flight already exceed 1");
    let mut g = Batch::new(series(30, 0.0), 2, None)
        .unwrap()
        .with_grow_after(1);
    g.rate_limited();
    g.start_next();
    g.report("f0", done(0.0));
    g.start_next();
    g.report("f1", done(0.0));
    assert_eq!(g.concurrency_limit(), 2, "capped at max");
}

#[test]
fn failure_resets_the_success_streak() {
    let mut b = Batch::new(series(10, 0.0), 2, None).unwrap();
    b.rate_limited();
    b.start_next();
    b.report("f0", done(0.0));
    for i in 1..=4 {
        b.start_next();
        let outcome = if i == 3 {
            failed(false, false)
        } else {
            done(0.0)
        };
        b.report(&format!("f{i}"), outcome);
    }
    assert_eq!(b.concurrency_limit(), 1);
}

#[test]
fn cancel_single_job() {
    let plan = vec![
        job("a", None, 0.1),
        job("b", None, 0.1),
        job("c", Some("b"), 0.1),
    ];
    let mut b = Batch::new(plan, 1, None).unwrap();
    assert_eq!(b.start_next(), ids(&["a"]));
    assert_eq!(b.cancel("a"), CancelEffect::AbortInFlight);
    assert_eq!(b.state("a"), Some(&JobState::Running));
    assert_eq!(b.cancel("b"), CancelEffect::Cancelled);
    assert_eq!(
        b.state("b"),
        Some(&JobState::Cancelled {
            may_be_billed: false
        })
    );
    assert_eq!(b.state("c"), Some(&skipped(SkipReason::DependencyFailed)));
    b.report(
        "a",
        Outcome::Cancelled {
            may_be_billed: true,
        },
    );
    assert_eq!(b.maybe_billed_usd(), 0.1);
    assert_eq!(b.cancel("a"), CancelEffect::Noop);
    assert_eq!(b.cancel("nope"), CancelEffect::Noop);
    assert!(b.is_finished());
}

#[test]
fn reports_for_jobs_that_are_not_running_are_ignored() {
    let mut b = Batch::new(series(2, 0.1), 2, None).unwrap();
    b.report("f0", done(0.1));
    b.report("ghost", done(0.1));
    assert_eq!(b.state("f0"), Some(&JobState::Queued));
    b.start_next();
    b.report("f0", done(0.1));
    b.report("f0", failed(true, true));
    assert_eq!(b.state("f0"), Some(&JobState::Done { cost_usd: 0.1 }));
    assert!(!b.is_stopped());
    assert_eq!(b.spent_usd(), 0.1);
}

#[test]
fn cancel_all_is_final() {
    let mut b = Batch::new(series(5, 0.1), 2, None).unwrap();
    b.start_next();
    b.report("f0", done(0.1));
    b.start_next();
    assert_eq!(b.cancel_all(), ids(&["f1", "f2"]));
    assert!(b.start_next().is_empty());
    b.report(
        "f1",
        Outcome::Cancelled {
            may_be_billed: true,
        },
    );
    b.report("f2", done(0.1));
    assert!(b.is_finished());
    assert_eq!(b.retry_failed(true), 0);
    assert!(b.start_next().is_empty());
    let p = b.progress();
    assert_eq!((p.done, p.cancelled), (2, 3));
}

#[test]
fn retry_failed_requeues_failed_and_their_dependents() {
    let plan = vec![
        job("a", None, 0.1),
        job("b", Some("a"), 0.1),
        job("c", None, 0.1),
    ];
    let mut b = Batch::new(plan, 2, None).unwrap();
    b.start_next();
    b.report("a", failed(false, false));
    b.report("c", done(0.1));
    assert!(b.is_finished());
    assert_eq!(b.retry_failed(false), 2);
    assert_eq!(b.state("b"), Some(&JobState::WaitingForDependency));
    assert_eq!(b.start_next(), ids(&["a"]));
    b.report("a", done(0.1));
    assert_eq!(b.start_next(), ids(&["b"]));
}

#[test]
fn budget_skips_are_retried_only_when_asked() {
    let mut b = Batch::new(series(3, 0.5), 1, Some(1.5)).unwrap();
    b.start_next();
    b.report("f0", done(1.25));
    assert!(b.start_next().is_empty());
    assert_eq!(b.state("f1"), Some(&skipped(SkipReason::BudgetExhausted)));
    assert_eq!(b.state("f2"), Some(&skipped(SkipReason::BudgetExhausted)));
    assert_eq!(b.retry_failed(false), 0);
    b.set_budget(Some(2.0)).unwrap();
    assert_eq!(b.set_budget(Some(f64::NAN)), Err(PlanError::InvalidBudget));
    assert_eq!(b.retry_failed(true), 2);
    assert_eq!(b.start_next(), ids(&["f1"]));
}

#[test]
fn progress_counts_and_remaining_estimate() {
    let mut b = Batch::new(series(5, 0.25), 2, None).unwrap();
    b.start_next();
    let p = b.progress();
    assert_eq!((p.total, p.running, p.waiting, p.queued), (5, 1, 4, 0));
    assert_eq!(p.estimate_remaining_usd, 1.25);
    b.report("f0", done(0.2));
    b.start_next();
    b.cancel("f4");
    let p = b.progress();
    assert_eq!((p.done, p.running, p.queued, p.cancelled), (1, 2, 1, 1));
    assert_eq!(p.spent_usd, 0.2);
    assert_eq!(p.estimate_remaining_usd, 0.75);
    assert_eq!(p.concurrency_limit, 2);
    let order: Vec<&str> = b.states().map(|(id, _)| id).collect();
    assert_eq!(order, ["f0", "f1", "f2", "f3", "f4"]);
}

#[test]
fn ideal_makespan_formula() {
    assert_eq!(ideal_makespan_units(0, 4), 0);
    assert_eq!(ideal_makespan_units(1, 4), 1);
    assert_eq!(ideal_makespan_units(12, 4), 4);
    assert_eq!(ideal_makespan_units(12, 12), 2);
    assert_eq!(ideal_makespan_units(12, 1), 12);
    assert_eq!(ideal_makespan_units(12, 0), 12);
}

#[test]
fn simulation_matches_the_ideal_makespan() {
    for c in [1, 3, 4, 5, 11, 12] {
        let ideal = ideal_makespan_units(12, c) as u64;
        assert_eq!(
            simulate_makespan(series(12, 0.04), c, 7),
            ideal * 7,
            "c={c}"
        );
    }
    let chain = vec![
        job("a", None, 0.0),
        job("b", Some("a"), 0.0),
        job("c", Some("b"), 0.0),
    ];
    assert_eq!(simulate_makespan(chain, 12, 10), 30);
}

#[test]
fn a_released_job_frees_its_slot_but_not_its_budget_or_its_dependents() {
    // Anchor + 3 dependents, one request at a time.
    let mut b = Batch::new(series(4, 1.0), 1, Some(4.0)).unwrap();
    assert_eq!(b.start_next(), ["f0"]);
    b.release_slot("f0");
    // The anchor's answer arrived, but it is not Done: its dependents keep waiting.
    assert!(b.start_next().is_empty());
    b.report("f0", Outcome::Done { cost_usd: 1.0 });
    assert_eq!(b.start_next(), ["f1"]);
    b.release_slot("f1");
    // f1's slot is free, so f2 may start while f1 is still being stored…
    assert_eq!(b.start_next(), ["f2"]);
    b.release_slot("f2");
    // …but the budget still counts f1 and f2 as reserved: 1 spent + 2 reserved + 1 > 3.9.
    b.set_budget(Some(3.9)).unwrap();
    assert!(b.start_next().is_empty());
    assert_eq!(b.state("f3"), Some(&JobState::Queued));
    b.report("f1", Outcome::Done { cost_usd: 0.5 });
    assert_eq!(b.start_next(), ["f3"]);
    // Releasing a job that is not running changes nothing.
    b.release_slot("f0");
    b.report("f2", Outcome::Done { cost_usd: 0.5 });
    b.report("f3", Outcome::Done { cost_usd: 0.5 });
    assert!(b.is_finished());
}
