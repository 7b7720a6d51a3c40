//! Simulation helpers for benchmarks and property tests: the ideal makespan of an anchored
//! series and a discrete-event run of the real [`Batch`].

use super::{Batch, Job, Outcome};
use std::collections::HashMap;

/// Ideal makespan in units of one request latency for an anchor-first series of `frames`
/// frames at concurrency `concurrency`: `1 + ceil((frames - 1) / concurrency)` (0 frames → 0;
/// concurrency 0 is treated as 1).
pub fn ideal_makespan_units(frames: usize, concurrency: usize) -> usize {
    if frames == 0 {
        return 0;
    }
    1 + (frames - 1).div_ceil(concurrency.max(1))
}

/// Simulates the batch with every request taking exactly `latency` units and every request
/// succeeding at its estimate; returns the makespan in units.
///
/// A discrete-event simulation that drives [`Batch`] itself (start_next/report loop with a
/// virtual clock), so it measures the real scheduling policy.
///
/// # Panics
/// If the plan is invalid (see [`Batch::new`]); this is a benchmark helper.
pub fn simulate_makespan(jobs: Vec<Job>, concurrency: usize, latency: u64) -> u64 {
    let costs: HashMap<String, f64> = jobs
        .iter()
        .map(|j| (j.id.clone(), j.estimate_usd))
        .collect();
    let mut batch = Batch::new(jobs, concurrency, None).expect("simulate_makespan: invalid plan");
    // (finish time, start sequence, id): sorting by sequence keeps ties deterministic.
    let mut in_flight: Vec<(u64, u64, String)> = Vec::new();
    let mut seq = 0u64;
    let mut now = 0u64;
    loop {
        for id in batch.start_next() {
            in_flight.push((now.saturating_add(latency), seq, id));
            seq += 1;
        }
        let Some(next) = in_flight.iter().map(|f| f.0).min() else {
            break;
        };
        now = next;
        in_flight.sort();
        let n = in_flight.iter().take_while(|f| f.0 == now).count();
        for (_, _, id) in in_flight.drain(..n).collect::<Vec<_>>() {
            let cost_usd = costs[&id];
            batch.report(&id, Outcome::Done { cost_usd });
        }
    }
    now
}
