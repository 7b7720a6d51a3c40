//! Property tests: random plans driven by random sequences of driver actions.

use super::tests::{done, failed, series};
use super::*;
use proptest::prelude::*;

/// Estimates chosen so that sums hit float rounding (0.1, 0.167, 0.04 …).
const ESTIMATES: [f64; 6] = [0.0, 0.01, 0.04, 0.1, 0.167, 0.25];

#[derive(Debug, Clone)]
enum Action {
    Start,
    /// Report on the `n`-th running job (or a random job if none runs).
    Report {
        n: usize,
        kind: u8,
        extra_cost: bool,
        billed: bool,
    },
    RateLimited,
    Cancel(usize),
    CancelAll,
    Retry(bool),
    /// Raise the budget to committed + reserved + this.
    SetBudget(f64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => Just(Action::Start),
        8 => (any::<usize>(), 0u8..20, any::<bool>(), any::<bool>()).prop_map(
            |(n, kind, extra_cost, billed)| Action::Report { n, kind, extra_cost, billed }
        ),
        1 => Just(Action::RateLimited),
        1 => any::<usize>().prop_map(Action::Cancel),
        1 => (0u8..10).prop_map(|_| Action::CancelAll),
        1 => any::<bool>().prop_map(Action::Retry),
        1 => (0.0..1.0f64).prop_map(Action::SetBudget),
    ]
}

/// 1–30 jobs forming a random dependency forest, shuffled so dependents may precede anchors.
fn plan() -> impl Strategy<Value = Vec<Job>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), 0..ESTIMATES.len()), 1..=30)
        .prop_map(|spec| {
            spec.iter()
                .enumerate()
                .map(|(i, &(root, parent, est))| {
                    let after = (i > 0 && root % 3 != 0).then(|| format!("j{}", parent % i));
                    Job {
                        id: format!("j{i}"),
                        after,
                        estimate_usd: ESTIMATES[est],
                    }
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn running_ids(b: &Batch) -> Vec<String> {
    b.states()
        .filter(|(_, s)| **s == JobState::Running)
        .map(|(id, _)| id.to_string())
        .collect()
}

fn committed_plus_reserved(b: &Batch) -> f64 {
    let reserved: f64 = running_ids(b)
        .iter()
        .map(|id| b.job(id).unwrap().estimate_usd)
        .sum();
    b.spent_usd() + b.maybe_billed_usd() + reserved
}

fn dep_state<'a>(b: &'a Batch, id: &str) -> Option<&'a JobState> {
    b.job(id)
        .unwrap()
        .after
        .as_deref()
        .map(|d| b.state(d).unwrap())
}

fn check_invariants(b: &Batch) -> Result<(), TestCaseError> {
    let p = b.progress();
    prop_assert!(p.running <= b.max_concurrency());
    prop_assert!((1..=b.max_concurrency()).contains(&b.concurrency_limit()));
    let sum = p.done + p.failed + p.cancelled + p.skipped + p.running + p.waiting + p.queued;
    prop_assert_eq!(sum, p.total);
    for (id, s) in b.states() {
        let dep = dep_state(b, id);
        let dep_done = matches!(dep, None | Some(JobState::Done { .. }));
        match s {
            // Property (2): Running/Done jobs only ever started after their dependency was Done.
            JobState::Queued | JobState::Running | JobState::Done { .. } => {
                prop_assert!(dep_done, "{id} is {s:?} but its dependency is {dep:?}")
            }
            JobState::WaitingForDependency => {
                prop_assert!(
                    dep.is_some_and(|d| !d.is_terminal()),
                    "{id} waits on {dep:?}"
                )
            }
            _ => {}
        }
        if b.is_stopped() || b.is_cancelled() {
            prop_assert!(!matches!(
                s,
                JobState::Queued | JobState::WaitingForDependency
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_driver_sequences_respect_every_rule(
        jobs in plan(),
        concurrency in 1usize..=12,
        budget_factor in prop::option::of(1.0..2.0f64),
        actions in prop::collection::vec(action(), 0..120),
    ) {
        let total: f64 = jobs.iter().map(|j| j.estimate_usd).sum();
        let budget = budget_factor.map(|f| total * f);
        let mut b = Batch::new(jobs, concurrency, budget).unwrap();
        let mut budget = budget;
        let mut exact_costs = true;
        let mut stopped = false;
        let mut cancelled = false;
        for a in actions {
            match a {
                Action::Start => {
                    let before: Vec<(String, JobState)> =
                        b.states().map(|(i, s)| (i.to_string(), s.clone())).collect();
                    let started = b.start_next();
                    // Properties (4) and (6).
                    if cancelled || stopped {
                        prop_assert!(started.is_empty());
                    }
                    for id in &started {
                        let prior = &before.iter().find(|(i, _)| i == id).unwrap().1;
                        prop_assert_eq!(prior, &JobState::Queued);
                        let dep_done = matches!(dep_state(&b, id), None | Some(JobState::Done { .. }));
                        prop_assert!(dep_done, "{} started before its dependency was done", id);
                    }
                    if !started.is_empty() {
                        // Property (1) at the moment of starting.
                        prop_assert!(b.progress().running <= b.concurrency_limit());
                        // Property (3): the cap includes in-flight reservations.
                        if let Some(cap) = budget {
                            prop_assert!(committed_plus_reserved(&b) <= cap + 1e-6);
                        }
                    }
                }
                Action::Report { n, kind, extra_cost, billed } => {
                    let running = running_ids(&b);
                    let id = if running.is_empty() {
                        b.states().nth(n % b.progress().total).unwrap().0.to_string()
                    } else {
                        running[n % running.len()].clone()
                    };
                    let before = b.state(&id).unwrap().clone();
                    let est = b.job(&id).unwrap().estimate_usd;
                    let outcome = match kind {
                        0..=11 => {
                            exact_costs &= !extra_cost;
                            done(if extra_cost { est * 1.5 + 0.01 } else { est })
                        }
                        12..=16 => failed(billed, false),
                        17 => failed(billed, true),
                        _ => Outcome::Cancelled { may_be_billed: billed },
                    };
                    let fatal = kind == 17;
                    b.report(&id, outcome);
                    if before == JobState::Running {
                        stopped |= fatal;
                        prop_assert!(b.state(&id).unwrap().is_terminal());
                    } else {
                        prop_assert_eq!(b.state(&id).unwrap(), &before);
                    }
                }
                Action::RateLimited => b.rate_limited(),
                Action::Cancel(n) => {
                    let id = b.states().nth(n % b.progress().total).unwrap().0.to_string();
                    let before = b.state(&id).unwrap().clone();
                    let effect = b.cancel(&id);
                    let expected = match before {
                        JobState::Queued | JobState::WaitingForDependency => CancelEffect::Cancelled,
                        JobState::Running => CancelEffect::AbortInFlight,
                        _ => CancelEffect::Noop,
                    };
                    prop_assert_eq!(effect, expected);
                }
                Action::CancelAll => {
                    let running = running_ids(&b);
                    prop_assert_eq!(b.cancel_all(), running);
                    cancelled = true;
                }
                Action::Retry(clear) => {
                    b.retry_failed(clear);
                    if clear && !cancelled {
                        stopped = false;
                    }
                }
                Action::SetBudget(extra) => {
                    if budget.is_some() {
                        let cap = committed_plus_reserved(&b) + extra;
                        b.set_budget(Some(cap)).unwrap();
                        budget = Some(cap);
                    }
                }
            }
            prop_assert_eq!(b.is_stopped(), stopped);
            check_invariants(&b)?;
            // Property (3), second half: with honest estimates the cap is never crossed.
            if let (Some(cap), true) = (budget, exact_costs) {
                prop_assert!(b.spent_usd() + b.maybe_billed_usd() <= cap + 1e-6);
            }
        }
        // Property (5): keep starting and reporting until nothing runs.
        for _ in 0..1000 {
            let started = b.start_next();
            let running = running_ids(&b);
            if started.is_empty() && running.is_empty() {
                break;
            }
            for id in running {
                let est = b.job(&id).unwrap().estimate_usd;
                b.report(&id, done(est));
            }
            check_invariants(&b)?;
        }
        prop_assert!(b.is_finished());
        let p = b.progress();
        prop_assert_eq!(p.done + p.failed + p.cancelled + p.skipped, p.total);
        prop_assert_eq!(p.estimate_remaining_usd, 0.0);
    }

    #[test]
    fn over_budget_is_refused_exactly_when_the_estimate_exceeds_the_cap(
        jobs in plan(),
        budget in 0.0..4.0f64,
    ) {
        let total: f64 = jobs.iter().map(|j| j.estimate_usd).sum();
        match Batch::new(jobs, 4, Some(budget)) {
            Ok(_) => prop_assert!(total <= budget + 1e-6),
            Err(PlanError::OverBudget { .. }) => prop_assert!(total > budget - 1e-6),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn anchored_series_simulation_is_ideal(frames in 1usize..=30, c in 1usize..=12, latency in 1u64..100) {
        let ideal = ideal_makespan_units(frames, c) as u64 * latency;
        prop_assert_eq!(simulate_makespan(series(frames, 0.04), c, latency), ideal);
    }
}
