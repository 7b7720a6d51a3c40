//! Counters in this process: one entry per token id under one mutex (tokens are few, and
//! every critical section is a handful of arithmetic operations).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Admit, Counters, Slot};
use crate::tokens::Rate;

/// The in-memory counters.
#[derive(Debug)]
pub struct Memory {
    started: Instant,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            entries: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Debug, Default)]
struct Entry {
    /// GCRA theoretical arrival time, ms since `started`.
    tat_ms: f64,
    in_flight: u32,
    day: String,
    spent_micros: u64,
}

/// One step of the generic cell rate algorithm (a token bucket of `count` that refills at
/// `count` per period): the new arrival time, or the ms until a request would fit.
pub fn gcra(tat_ms: f64, now_ms: f64, rate: Rate) -> Result<f64, u64> {
    let interval = rate.period_ms as f64 / f64::from(rate.count);
    let tolerance = interval * f64::from(rate.count - 1);
    let tat = tat_ms.max(now_ms);
    if tat - now_ms > tolerance {
        Err((tat - now_ms - tolerance).ceil().max(1.0) as u64)
    } else {
        Ok(tat + interval)
    }
}

impl Memory {
    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    fn with<T>(&self, token_id: &str, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        f(entries.entry(token_id.to_string()).or_default())
    }

    /// See [`Counters::admit`].
    pub(super) fn admit(
        &self,
        counters: &Counters,
        token_id: &str,
        rate: Option<Rate>,
        concurrency: Option<u32>,
    ) -> Admit {
        let now = self.now_ms();
        self.with(token_id, |e| {
            let new_tat = match rate.map(|r| gcra(e.tat_ms, now, r)) {
                Some(Err(retry_after_ms)) => return Admit::RateLimited { retry_after_ms },
                Some(Ok(tat)) => Some(tat),
                None => None,
            };
            if let Some(limit) = concurrency {
                if e.in_flight >= limit {
                    return Admit::Busy { limit };
                }
                e.in_flight += 1;
            }
            if let Some(tat) = new_tat {
                e.tat_ms = tat;
            }
            Admit::Admitted(Slot {
                counters: counters.clone(),
                token_id: token_id.to_string(),
                lease: concurrency.map(|_| String::new()),
            })
        })
    }

    pub(super) fn release(&self, token_id: &str) {
        self.with(token_id, |e| e.in_flight = e.in_flight.saturating_sub(1));
    }

    /// `Ok` if charged, else `Err(spent so far)`.
    pub(super) fn reserve(
        &self,
        token_id: &str,
        day: &str,
        limit: u64,
        estimate: u64,
    ) -> Result<(), u64> {
        self.with(token_id, |e| {
            if e.day != day {
                e.day = day.to_string();
                e.spent_micros = 0;
            }
            if e.spent_micros.saturating_add(estimate) > limit {
                return Err(e.spent_micros);
            }
            e.spent_micros += estimate;
            Ok(())
        })
    }

    pub(super) fn adjust(&self, token_id: &str, day: &str, delta: i64) {
        self.with(token_id, |e| {
            if e.day == day {
                e.spent_micros = e.spent_micros.saturating_add_signed(delta);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Reserve;

    #[test]
    fn gcra_allows_a_burst_then_one_per_interval() {
        let rate = Rate::parse("3/min").expect("rate");
        let mut tat = 0.0;
        for _ in 0..3 {
            tat = gcra(tat, 0.0, rate).expect("burst of 3");
        }
        assert_eq!(gcra(tat, 0.0, rate), Err(20_000));
        assert_eq!(gcra(tat, 19_999.0, rate), Err(1));
        assert!(gcra(tat, 20_000.0, rate).is_ok());
    }

    #[tokio::test]
    async fn admission_reserve_and_settle() {
        let counters = Counters::default();
        let rate = Rate::parse("2/s").ok();
        let a = counters.admit("t", rate, Some(1)).await.expect("ok");
        assert!(matches!(a, Admit::Admitted(_)));
        // Concurrency 1 is taken: busy, and the busy answer does not use up the rate.
        assert!(matches!(
            counters.admit("t", rate, Some(1)).await.expect("ok"),
            Admit::Busy { limit: 1 }
        ));
        drop(a);
        assert!(matches!(
            counters.admit("t", rate, Some(1)).await.expect("ok"),
            Admit::Admitted(_)
        ));
        assert!(matches!(
            counters.admit("t", rate, Some(1)).await.expect("ok"),
            Admit::RateLimited { .. }
        ));

        let reserve = |est| counters.reserve("t", "2026-01-01", 1_000, est);
        let Reserve::Reserved(charge) = reserve(600).await.expect("ok") else {
            panic!("fits");
        };
        assert!(matches!(
            reserve(500).await.expect("ok"),
            Reserve::OverBudget { spent_micros: 600 }
        ));
        charge.settle(100).await;
        assert!(matches!(
            reserve(500).await.expect("ok"),
            Reserve::Reserved(_)
        ));
        // A new day starts from zero.
        assert!(matches!(
            counters
                .reserve("t", "2026-01-02", 1_000, 1_000)
                .await
                .expect("ok"),
            Reserve::Reserved(_)
        ));
    }
}
