//! Unit and property tests of the attempt gate, the circuit breaker, AIMD with its ceiling and
//! the budget of retries after possibly billed attempts.

use super::tests::{done, failed, job};
use super::*;
use crate::failure::{classify, BodyKind, FailureClass, IncompleteKind, Observation, RetryAfter};
use crate::openai::types::ApiError;
use proptest::prelude::*;

const FAILED_500: AttemptEnd = AttemptEnd::ServerFailed {
    may_be_billed: true,
};

fn flat(n: usize, estimate_usd: f64) -> Vec<Job> {
    (0..n)
        .map(|i| job(&format!("f{i}"), None, estimate_usd))
        .collect()
}

fn sending(b: &Batch) -> usize {
    b.entries
        .iter()
        .filter(|e| e.state == JobState::Running && e.phase == Phase::Sending)
        .count()
}

fn go(b: &mut Batch, id: &str) {
    assert_eq!(b.begin_attempt(id), Gate::Go, "{id} may send");
}

#[test]
fn the_breaker_opens_after_five_server_failures_in_a_row_and_holds_every_send() {
    let mut b = Batch::new(flat(24, 0.05), 4, None).unwrap();
    let started = b.start_next();
    assert_eq!(started.len(), 4);
    for id in &started {
        go(&mut b, id);
    }
    // The four first attempts fail at t = 1000..1003: not yet open.
    for (t, id) in started.iter().enumerate() {
        b.end_attempt(id, FAILED_500, 1000 + t as u64);
    }
    assert!(!b.is_paused());
    assert_eq!(b.stop_cause(), None);
    // The first retry is the fifth request; it fails too and opens the breaker.
    go(&mut b, "f0");
    b.end_attempt("f0", FAILED_500, 2000);
    assert!(b.is_paused());
    assert_eq!(
        b.stop_cause(),
        Some(StopCause::ServiceFailing {
            since_ms: 1000,
            failures: 5
        })
    );
    // Nothing more is sent: no retry, no new job, whatever is asked.
    for id in &started {
        assert_eq!(
            b.begin_attempt(id),
            Gate::Hold(Hold::ServiceFailing {
                since_ms: 1000,
                failures: 5
            })
        );
    }
    assert!(b.start_next().is_empty());
    for id in &started {
        b.report(id, failed(true, false));
    }
    assert!(
        b.start_next().is_empty(),
        "still paused after the jobs ended"
    );
    assert!(!b.is_finished(), "the queued frames wait for the user");
    assert_eq!(b.progress().queued, 20);
    // The user resumes: the queue runs again.
    assert!(b.resume());
    assert!(!b.resume(), "resuming twice changes nothing");
    assert_eq!(b.stop_cause(), None);
    assert_eq!(b.start_next().len(), 4);
}

#[test]
fn an_answer_ends_the_run_but_rate_limits_and_unreachable_servers_do_not() {
    let mut b = Batch::new(flat(12, 0.05), 12, None).unwrap();
    let ids = b.start_next();
    let mut next = ids.iter();
    let mut fail = |b: &mut Batch, end: AttemptEnd| {
        let id = next.next().unwrap();
        go(b, id);
        b.end_attempt(id, end, 7);
    };
    for _ in 0..4 {
        fail(&mut b, FAILED_500);
    }
    // A success (the request was answered with an image) ends the run.
    go(&mut b, &ids[11]);
    b.release_slot(&ids[11]);
    for _ in 0..4 {
        fail(&mut b, FAILED_500);
    }
    assert!(!b.is_paused(), "4 + 4 with an answer between");
    // Neither a rate limit nor a refused connection counts or breaks the run.
    fail(&mut b, AttemptEnd::RateLimited);
    fail(
        &mut b,
        AttemptEnd::Other {
            may_be_billed: false,
        },
    );
    assert!(!b.is_paused());
    // A refusal of one request (moderation) is an answer too.
    b.report(&ids[11], done(0.05));
    let mut c = Batch::new(flat(6, 0.05), 6, None).unwrap();
    let ids = c.start_next();
    for id in &ids[..4] {
        go(&mut c, id);
        c.end_attempt(id, FAILED_500, 1);
    }
    go(&mut c, &ids[4]);
    c.end_attempt(
        &ids[4],
        AttemptEnd::Answered {
            may_be_billed: false,
        },
        2,
    );
    go(&mut c, &ids[5]);
    c.end_attempt(&ids[5], FAILED_500, 3);
    assert!(!c.is_paused());
}

#[test]
fn a_job_held_before_its_first_attempt_goes_back_to_the_queue() {
    let mut b = Batch::new(flat(8, 0.05), 6, None).unwrap();
    let ids = b.start_next();
    for id in &ids[..5] {
        go(&mut b, id);
        b.end_attempt(id, FAILED_500, 1);
    }
    // f5 was started but had not sent yet when the breaker opened.
    assert!(matches!(
        b.begin_attempt("f5"),
        Gate::Hold(Hold::ServiceFailing { .. })
    ));
    b.report("f5", Outcome::NotSent);
    assert_eq!(b.state("f5"), Some(&JobState::Queued));
    assert_eq!(b.maybe_billed_usd(), 0.0, "nothing of f5 was sent");
    for id in &ids[..5] {
        b.report(id, failed(true, false));
    }
    b.resume();
    assert_eq!(b.start_next(), ["f5", "f6", "f7"]);
    // After a batch-fatal failure the same report skips it; after cancel-all it is cancelled.
    b.report("f6", failed(false, true));
    b.report("f5", Outcome::NotSent);
    assert_eq!(
        b.state("f5"),
        Some(&JobState::Skipped {
            reason: SkipReason::BatchStopped
        })
    );
    b.cancel_all();
    b.report("f7", Outcome::NotSent);
    assert_eq!(
        b.state("f7"),
        Some(&JobState::Cancelled {
            may_be_billed: false
        })
    );
}

#[test]
fn every_stop_names_its_cause() {
    let mut b = Batch::new(flat(3, 0.05), 1, None).unwrap();
    b.start_next();
    b.report(
        "f0",
        Outcome::Failed {
            reason: "Your OpenAI account is out of credits.".into(),
            may_be_billed: false,
            fatal_for_batch: true,
        },
    );
    assert_eq!(
        b.stop_cause(),
        Some(StopCause::Fatal {
            job: "f0".into(),
            reason: "Your OpenAI account is out of credits.".into()
        })
    );
    assert_eq!(
        b.begin_attempt("f1"),
        Gate::Hold(Hold::Cancelled),
        "f1 never ran"
    );
    b.retry_failed(true);
    assert_eq!(b.stop_cause(), None);
}

#[test]
fn a_rate_limit_halves_the_limit_and_caps_it_below_what_was_in_flight() {
    let mut b = Batch::new(flat(30, 0.01), 12, None).unwrap();
    let ids = b.start_next();
    for id in &ids {
        go(&mut b, id);
    }
    // A service that takes 4 at once: the last refusal comes with 4 accepted + itself in
    // flight (and the earlier ones with more).
    for (k, id) in ids[4..].iter().enumerate() {
        assert_eq!(sending(&b), 12 - k);
        b.end_attempt(id, AttemptEnd::RateLimited, 1);
    }
    assert_eq!(b.concurrency_ceiling(), 4);
    assert_eq!(b.concurrency_limit(), 1, "12 → 6 → 3 → 1");
    // The refused jobs wait for a slot: only `limit` attempts at a time.
    for id in &ids[..4] {
        b.release_slot(id);
        b.report(id, done(0.01));
    }
    go(&mut b, &ids[4]);
    assert_eq!(b.begin_attempt(&ids[5]), Gate::Wait);
    b.release_slot(&ids[4]);
    go(&mut b, &ids[5]);
    // Successes grow the limit again, but never past the ceiling.
    for _ in 0..60 {
        let running: Vec<String> = b
            .states()
            .filter(|(_, s)| **s == JobState::Running)
            .map(|(id, _)| id.to_string())
            .collect();
        for id in running {
            b.release_slot(&id);
            b.report(&id, done(0.01));
        }
        b.start_next();
    }
    assert!(b.is_finished());
    assert_eq!(
        b.concurrency_limit(),
        4,
        "grown back to the ceiling, not beyond"
    );
}

#[test]
fn a_retry_after_a_possibly_billed_attempt_must_fit_the_budget() {
    // Two jobs of $0.10 under $0.25: both reserved ($0.20). A's first attempt may be billed.
    let mut b = Batch::new(flat(2, 0.10), 2, Some(0.25)).unwrap();
    b.start_next();
    go(&mut b, "f0");
    go(&mut b, "f1");
    b.end_attempt("f0", FAILED_500, 1);
    // 0.10 maybe billed + 0.20 reserved > 0.25: wait, B's cost may come in lower.
    assert_eq!(b.begin_attempt("f0"), Gate::Wait);
    b.release_slot("f1");
    b.report("f1", done(0.10));
    // 0.10 spent + 0.10 maybe billed + 0.10 for the retry > 0.25: never.
    assert_eq!(b.begin_attempt("f0"), Gate::Hold(Hold::Budget));
    b.report("f0", failed(true, false));
    assert!((b.spent_usd() + b.maybe_billed_usd() - 0.20).abs() < 1e-9);

    // With room, the retry is sent and the billed attempt stays counted after a success.
    let mut b = Batch::new(flat(1, 0.10), 1, Some(1.0)).unwrap();
    b.start_next();
    go(&mut b, "f0");
    b.end_attempt("f0", FAILED_500, 1);
    go(&mut b, "f0");
    assert!((b.maybe_billed_usd() - 0.10).abs() < 1e-9);
    b.release_slot("f0");
    b.report("f0", done(0.10));
    assert!(
        (b.maybe_billed_usd() - 0.10).abs() < 1e-9,
        "the 500 may be billed too"
    );
    assert!((b.spent_usd() - 0.10).abs() < 1e-9);
}

#[test]
fn only_the_last_attempt_is_committed_when_the_job_ends() {
    let mut b = Batch::new(flat(1, 0.10), 1, None).unwrap();
    b.start_next();
    go(&mut b, "f0");
    b.end_attempt("f0", FAILED_500, 1);
    go(&mut b, "f0"); // commits the 500
    b.end_attempt("f0", AttemptEnd::RateLimited, 2);
    b.report("f0", failed(true, false));
    assert!(
        (b.maybe_billed_usd() - 0.10).abs() < 1e-9,
        "the 429 was not billed: {}",
        b.maybe_billed_usd()
    );
    // An answered request that then fails (the image could not be stored) was billed.
    let mut b = Batch::new(flat(1, 0.10), 1, None).unwrap();
    b.start_next();
    go(&mut b, "f0");
    b.release_slot("f0");
    b.report("f0", failed(true, true));
    assert!((b.maybe_billed_usd() - 0.10).abs() < 1e-9);
}

fn http(status: u16, code: Option<&str>, ty: Option<&str>) -> Observation {
    Observation::Http {
        status,
        error: Some(ApiError {
            message: "m".into(),
            r#type: ty.map(str::to_string),
            param: None,
            code: code.map(str::to_string),
            ..Default::default()
        }),
        retry_after: RetryAfter::default(),
        should_retry: None,
        body: BodyKind::Json,
    }
}

#[test]
fn attempts_map_to_what_the_batch_needs_to_know() {
    let end = |o: &Observation| AttemptEnd::of(&classify(o));
    let failing = [
        http(500, None, Some("server_error")),
        http(503, Some("server_is_overloaded"), Some("server_error")),
        Observation::Timeout,
        Observation::Network { sent: true },
        Observation::Incomplete(IncompleteKind::StreamCut),
        Observation::Incomplete(IncompleteKind::WrongContentType),
        Observation::Incomplete(IncompleteKind::TruncatedJson),
    ];
    for o in &failing {
        assert_eq!(end(o), FAILED_500, "{o:?}");
    }
    assert_eq!(
        end(&http(429, Some("rate_limit_exceeded"), Some("requests"))),
        AttemptEnd::RateLimited
    );
    assert_eq!(
        end(&Observation::Network { sent: false }),
        AttemptEnd::Other {
            may_be_billed: false
        }
    );
    assert_eq!(
        end(&http(
            429,
            Some("insufficient_quota"),
            Some("insufficient_quota")
        )),
        AttemptEnd::Other {
            may_be_billed: false
        }
    );
    assert_eq!(
        end(&http(
            400,
            Some("invalid_value"),
            Some("invalid_request_error")
        )),
        AttemptEnd::Answered {
            may_be_billed: false
        }
    );
    // Every class maps somewhere, and only maybe-processed failures feed the breaker.
    for o in failing
        .iter()
        .chain([&Observation::Cancelled { in_flight: true }])
    {
        let c = classify(o);
        assert_eq!(
            matches!(AttemptEnd::of(&c), AttemptEnd::ServerFailed { .. }),
            c.class == FailureClass::MaybeProcessed
        );
    }
}

/// One step of a driver that follows the attempt protocol.
#[derive(Debug, Clone)]
enum Step {
    Start,
    /// Ask to send an attempt for the `n`-th running job that has none in flight.
    Begin(usize),
    /// End the `n`-th attempt in flight: 0 → 500, 1 → 429, 2 → success (answered).
    End(usize, u8),
    /// Give up on the `n`-th running job without an attempt in flight.
    GiveUp(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Start),
        4 => any::<usize>().prop_map(Step::Begin),
        4 => (any::<usize>(), 0u8..3).prop_map(|(n, k)| Step::End(n, k)),
        1 => any::<usize>().prop_map(Step::GiveUp),
    ]
}

fn running(b: &Batch, phase_sending: bool) -> Vec<String> {
    b.entries
        .iter()
        .filter(|e| e.state == JobState::Running && (e.phase == Phase::Sending) == phase_sending)
        .map(|e| e.job.id.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// RTY-07 in the abstract: whatever the interleaving, when every attempt fails
    /// server-side the batch sends at most `concurrency + 4` attempts (the 5 failures that
    /// open the breaker, plus what was in flight besides), then nothing until resumed.
    #[test]
    fn with_every_attempt_failing_requests_stay_within_in_flight_plus_five(
        frames in 1usize..=30,
        concurrency in 1usize..=12,
        steps in prop::collection::vec(step(), 0..400),
    ) {
        let mut b = Batch::new(flat(frames, 0.05), concurrency, None).unwrap();
        let mut sent = 0usize;
        let mut clock = 0u64;
        for s in steps {
            clock += 1;
            match s {
                Step::Start => {
                    let started = b.start_next();
                    prop_assert!(!b.is_paused() || started.is_empty());
                }
                Step::Begin(n) => {
                    let idle = running(&b, false);
                    if idle.is_empty() { continue; }
                    let id = &idle[n % idle.len()];
                    if b.begin_attempt(id) == Gate::Go {
                        prop_assert!(!b.is_paused());
                        prop_assert!(sending(&b) <= b.concurrency_limit());
                        sent += 1;
                    }
                }
                Step::End(n, _) => {
                    let busy = running(&b, true);
                    if busy.is_empty() { continue; }
                    b.end_attempt(&busy[n % busy.len()], FAILED_500, clock);
                }
                Step::GiveUp(n) => {
                    let idle = running(&b, false);
                    if idle.is_empty() { continue; }
                    b.report(&idle[n % idle.len()], failed(true, false));
                }
            }
            prop_assert!(sent < concurrency + BREAKER_THRESHOLD as usize, "{} sent", sent);
        }
    }

    /// The protocol with random answers: attempts in flight never exceed the limit when one
    /// is sent, the limit stays within 1..=ceiling, nothing is sent while the breaker is open,
    /// and with exact costs the spend plus what may have been billed never crosses the cap.
    #[test]
    fn random_attempt_sequences_keep_limits_breaker_and_budget(
        frames in 1usize..=20,
        concurrency in 1usize..=8,
        budget_factor in prop::option::of(1.0..2.5f64),
        steps in prop::collection::vec(step(), 0..300),
    ) {
        let budget = budget_factor.map(|f| frames as f64 * 0.1 * f);
        let mut b = Batch::new(flat(frames, 0.1), concurrency, budget).unwrap();
        let mut clock = 0u64;
        for s in steps {
            clock += 1;
            match s {
                Step::Start => { b.start_next(); }
                Step::Begin(n) => {
                    let idle = running(&b, false);
                    if idle.is_empty() { continue; }
                    if b.begin_attempt(&idle[n % idle.len()]) == Gate::Go {
                        prop_assert!(!b.is_paused());
                        prop_assert!(sending(&b) <= b.concurrency_limit());
                    }
                }
                Step::End(n, kind) => {
                    let busy = running(&b, true);
                    if busy.is_empty() { continue; }
                    let id = busy[n % busy.len()].clone();
                    match kind {
                        0 => b.end_attempt(&id, FAILED_500, clock),
                        1 => b.end_attempt(&id, AttemptEnd::RateLimited, clock),
                        _ => {
                            b.release_slot(&id);
                            b.report(&id, done(0.1));
                        }
                    }
                }
                Step::GiveUp(n) => {
                    let idle = running(&b, false);
                    if idle.is_empty() { continue; }
                    b.report(&idle[n % idle.len()], failed(true, false));
                }
            }
            prop_assert!((1..=b.concurrency_ceiling()).contains(&b.concurrency_limit()));
            if let Some(cap) = budget {
                prop_assert!(b.spent_usd() + b.maybe_billed_usd() <= cap + 1e-6);
            }
            if b.is_paused() {
                prop_assert!(b.start_next().is_empty());
                let paused = matches!(b.stop_cause(), Some(StopCause::ServiceFailing { .. }));
                prop_assert!(paused);
            }
        }
    }
}
