//! Counters in this process: one entry per token id under one mutex (tokens are few, and
//! every critical section is a handful of arithmetic operations).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Admit, Ask, Counters, Ticket};
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
    fn with<T>(&self, token_id: &str, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        f(entries.entry(token_id.to_string()).or_default())
    }

    /// See [`Counters::admit`]: the same order and all-or-nothing rule as `admit.lua`.
    pub(super) fn admit(&self, counters: &Counters, ask: &Ask<'_>) -> Admit {
        let now = self.started.elapsed().as_secs_f64() * 1000.0;
        self.with(ask.token_id, |e| {
            if let Some(b) = &ask.budget {
                if e.day != b.day {
                    e.day = b.day.clone();
                    e.spent_micros = 0;
                }
                if e.spent_micros.saturating_add(b.estimate_micros) > b.limit_micros {
                    return Admit::OverBudget {
                        spent_micros: e.spent_micros,
                    };
                }
            }
            let new_tat = match ask.rate.map(|r| gcra(e.tat_ms, now, r)) {
                Some(Err(retry_after_ms)) => return Admit::RateLimited { retry_after_ms },
                Some(Ok(tat)) => Some(tat),
                None => None,
            };
            if let Some(limit) = ask.concurrency {
                if e.in_flight >= limit {
                    return Admit::Busy { limit };
                }
                e.in_flight += 1;
            }
            if let Some(tat) = new_tat {
                e.tat_ms = tat;
            }
            if let Some(b) = &ask.budget {
                e.spent_micros += b.estimate_micros;
            }
            Admit::Admitted(Ticket {
                counters: counters.clone(),
                token_id: ask.token_id.to_string(),
                lease: ask.concurrency.map(|_| String::new()),
                charge: ask
                    .budget
                    .as_ref()
                    .map(|b| (b.day.clone(), b.estimate_micros)),
            })
        })
    }

    pub(super) fn finish(&self, token_id: &str, release: bool, delta: Option<(String, i64)>) {
        self.with(token_id, |e| {
            if release {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
            if let Some((day, delta)) = delta {
                if e.day == day {
                    e.spent_micros = e.spent_micros.saturating_add_signed(delta);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::BudgetAsk;

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

    fn ask(
        rate: Option<Rate>,
        concurrency: Option<u32>,
        budget: Option<(&str, u64)>,
    ) -> Ask<'static> {
        Ask {
            token_id: "t",
            rate,
            concurrency,
            budget: budget.map(|(day, estimate)| BudgetAsk {
                day: day.into(),
                limit_micros: 1_000,
                estimate_micros: estimate,
            }),
        }
    }

    async fn admitted(counters: &Counters, ask: &Ask<'_>) -> Ticket {
        match counters.admit(ask).await.expect("memory never fails") {
            Admit::Admitted(ticket) => ticket,
            other => panic!("refused: {other:?}"),
        }
    }

    #[tokio::test]
    async fn rate_and_concurrency() {
        let counters = Counters::default();
        let a = ask(Rate::parse("2/s").ok(), Some(1), None);
        let first = admitted(&counters, &a).await;
        // Concurrency 1 is taken: busy, and the busy answer does not use up the rate.
        assert!(matches!(
            counters.admit(&a).await,
            Ok(Admit::Busy { limit: 1 })
        ));
        drop(first);
        admitted(&counters, &a).await.finish(None).await;
        assert!(matches!(
            counters.admit(&a).await,
            Ok(Admit::RateLimited { .. })
        ));
    }

    #[tokio::test]
    async fn budget_charges_settles_and_resets_daily() {
        let counters = Counters::default();
        let day1 = |estimate| ask(None, None, Some(("2026-01-01", estimate)));
        let ticket = admitted(&counters, &day1(600)).await;
        assert_eq!(ticket.charged_micros(), Some(600));
        assert!(matches!(
            counters.admit(&day1(500)).await,
            Ok(Admit::OverBudget { spent_micros: 600 })
        ));
        ticket.finish(Some(100)).await;
        let ticket = admitted(&counters, &day1(500)).await;
        // Dropped unfinished (client went away): the estimate stays charged.
        drop(ticket);
        assert!(matches!(
            counters.admit(&day1(500)).await,
            Ok(Admit::OverBudget { spent_micros: 600 })
        ));
        // A budget refusal takes no rate unit either.
        let rated = Ask {
            rate: Rate::parse("1/min").ok(),
            ..day1(500)
        };
        assert!(matches!(
            counters.admit(&rated).await,
            Ok(Admit::OverBudget { .. })
        ));
        admitted(
            &counters,
            &ask(Rate::parse("1/min").ok(), None, Some(("2026-01-02", 1_000))),
        )
        .await;
    }
}
