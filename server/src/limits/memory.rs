//! Counters in this process: one entry per token id (and [`super::GLOBAL`]) under one mutex
//! (tokens are few, and every critical section is a handful of arithmetic operations).
//!
//! The rate buckets and the day's spend are written to a file in the state directory (at most
//! once a second while they change, and at shutdown) and read back at start, so a restart
//! does not hand every token a fresh day. Requests in flight are not written: after a restart
//! none are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Admit, Ask, BudgetAsk, Counters, Reserve, Ticket};
use crate::tokens::Rate;

/// The counters file in the state directory.
pub const COUNTERS_FILE: &str = "continuity-counters.json";
/// How often changed counters are written.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The in-memory counters.
#[derive(Debug)]
pub struct Memory {
    started: Instant,
    /// Wall-clock ms at `started`: rate buckets are written in wall-clock time.
    started_unix_ms: f64,
    entries: Mutex<HashMap<String, Entry>>,
    /// Where they are written (none: not kept).
    file: Option<PathBuf>,
    dirty: AtomicBool,
}

impl Default for Memory {
    fn default() -> Self {
        Self::new(None)
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

/// One entry as written to the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedEntry {
    /// The rate bucket's theoretical arrival time, Unix ms (0: none).
    #[serde(default)]
    tat_unix_ms: f64,
    #[serde(default)]
    day: String,
    #[serde(default)]
    spent_micros: u64,
}

/// The counters file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SavedCounters {
    version: u32,
    /// When it was written, Unix seconds.
    saved: u64,
    entries: HashMap<String, SavedEntry>,
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

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

impl Memory {
    /// Counters kept in `file` (written by [`Memory::save`]), or nowhere.
    pub fn new(file: Option<PathBuf>) -> Self {
        Self {
            started: Instant::now(),
            started_unix_ms: unix_ms(),
            entries: Mutex::new(HashMap::new()),
            file,
            dirty: AtomicBool::new(false),
        }
    }

    /// Counters read back from `dir`'s counters file (a missing file: none yet). A file that
    /// cannot be read is an error rather than a fresh start, which would forget the day's spend.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(COUNTERS_FILE);
        let memory = Self::new(Some(path.clone()));
        let saved: SavedCounters = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} is not a valid counters file ({e}); fix or remove it (removing it \
                     forgets today's spend and rate counters)",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(memory),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if saved.version != 1 {
            return Err(format!(
                "{} has version {}; this server reads version 1",
                path.display(),
                saved.version
            ));
        }
        {
            let mut entries = memory.lock();
            for (id, e) in saved.entries {
                let tat_ms = if e.tat_unix_ms > 0.0 {
                    e.tat_unix_ms - memory.started_unix_ms
                } else {
                    0.0
                };
                entries.insert(
                    id,
                    Entry {
                        tat_ms,
                        in_flight: 0,
                        day: e.day,
                        spent_micros: e.spent_micros,
                    },
                );
            }
        }
        Ok(memory)
    }

    /// The file the counters are kept in, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self.lock();
        let out = f(entries.entry(id.to_string()).or_default());
        self.dirty.store(true, Ordering::Relaxed);
        out
    }

    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// See [`Counters::admit`]: the same order and all-or-nothing rule as `admit.lua`.
    pub(super) fn admit(&self, counters: &Counters, ask: &Ask<'_>) -> Admit {
        let now = self.now_ms();
        self.with(ask.token_id, |e| {
            if let Some(b) = &ask.budget {
                if e.day != b.day {
                    e.day = b.day.clone();
                    e.spent_micros = 0;
                }
                if e.spent_micros >= b.limit_micros {
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
            Admit::Admitted(Ticket {
                counters: counters.clone(),
                token_id: ask.token_id.to_string(),
                lease: ask.concurrency.map(|_| String::new()),
                charges: Vec::new(),
            })
        })
    }

    /// See [`Counters::spent`].
    pub(super) fn spent(&self, owner: &str, day: &str) -> u64 {
        self.lock()
            .get(owner)
            .filter(|e| e.day == day)
            .map_or(0, |e| e.spent_micros)
    }

    /// See [`Counters::reserve`]: the same rule as `reserve.lua`.
    pub(super) fn reserve(&self, owner: &str, budget: &BudgetAsk, micros: u64) -> Reserve {
        self.with(owner, |e| {
            if e.day != budget.day {
                e.day = budget.day.clone();
                e.spent_micros = 0;
            }
            if e.spent_micros.saturating_add(micros) > budget.limit_micros {
                return Reserve::OverBudget {
                    spent_micros: e.spent_micros,
                };
            }
            e.spent_micros += micros;
            Reserve::Reserved
        })
    }

    pub(super) fn finish(&self, token_id: &str, release: bool, deltas: &[(String, String, i64)]) {
        let mut entries = self.lock();
        if release {
            if let Some(e) = entries.get_mut(token_id) {
                e.in_flight = e.in_flight.saturating_sub(1);
            }
        }
        for (owner, day, delta) in deltas {
            if let Some(e) = entries.get_mut(owner).filter(|e| &e.day == day) {
                e.spent_micros = e.spent_micros.saturating_add_signed(*delta);
            }
        }
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Writes the counters to their file (atomically, by rename) if they changed since the
    /// last write.
    pub fn save(&self) -> Result<(), String> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let now = self.now_ms();
        let saved = {
            let entries = self.lock();
            SavedCounters {
                version: 1,
                saved: crate::clock::unix_seconds(),
                entries: entries
                    .iter()
                    .map(|(id, e)| {
                        // A bucket that is full again needs no arrival time.
                        let tat_unix_ms = if e.tat_ms > now {
                            self.started_unix_ms + e.tat_ms
                        } else {
                            0.0
                        };
                        let saved = SavedEntry {
                            tat_unix_ms,
                            day: e.day.clone(),
                            spent_micros: e.spent_micros,
                        };
                        (id.clone(), saved)
                    })
                    .filter(|(_, e)| e.tat_unix_ms > 0.0 || e.spent_micros > 0)
                    .collect(),
            }
        };
        let json = serde_json::to_vec_pretty(&saved).map_err(|e| e.to_string())?;
        let result = crate::tokens::write_private(path, &json);
        if result.is_err() {
            // Try again next time.
            self.dirty.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Writes the counters every [`SAVE_EVERY`] while they change (needs a Tokio runtime).
    pub fn spawn_saver(self: &Arc<Self>) {
        let (Some(_), Ok(runtime)) = (&self.file, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let memory = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut last_error = None;
            loop {
                tokio::time::sleep(SAVE_EVERY).await;
                let Some(memory) = memory.upgrade() else {
                    return;
                };
                let result = memory.save().err();
                if result.is_some() && result != last_error {
                    eprintln!("limits: {}", result.as_deref().unwrap_or(""));
                }
                last_error = result;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn ask(rate: Option<Rate>, concurrency: Option<u32>, day: Option<&str>) -> Ask<'static> {
        Ask {
            token_id: "t",
            rate,
            concurrency,
            budget: day.map(|day| BudgetAsk {
                day: day.into(),
                limit_micros: 1_000,
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
    async fn reservations_settle_and_reset_daily() {
        let counters = Counters::default();
        let day1 = ask(None, None, Some("2026-01-01"));
        let mut ticket = admitted(&counters, &day1).await;
        async fn reserve(c: &Counters, t: &mut Ticket, micros: u64) -> Reserve {
            let b = BudgetAsk {
                day: "2026-01-01".into(),
                limit_micros: 1_000,
            };
            c.reserve(t, "t", &b, micros).await.expect("memory")
        }
        assert_eq!(
            reserve(&counters, &mut ticket, 600).await,
            Reserve::Reserved
        );
        // A second request in flight cannot reserve past the budget.
        let mut other = admitted(&counters, &day1).await;
        assert_eq!(
            reserve(&counters, &mut other, 500).await,
            Reserve::OverBudget { spent_micros: 600 }
        );
        // Settled to the actual cost: the difference comes back.
        ticket.finish(Some(100)).await;
        assert_eq!(reserve(&counters, &mut other, 500).await, Reserve::Reserved);
        // Dropped unfinished (client went away): the reservation stays charged.
        drop(other);
        assert_eq!(counters.spent("t", "2026-01-01").await, Ok(600));
        // A used-up budget refuses at admission, before any rate unit is taken.
        let mut last = admitted(&counters, &day1).await;
        assert_eq!(reserve(&counters, &mut last, 400).await, Reserve::Reserved);
        last.finish(None).await;
        let rated = Ask {
            rate: Rate::parse("1/min").ok(),
            ..day1.clone()
        };
        assert!(matches!(
            counters.admit(&rated).await,
            Ok(Admit::OverBudget {
                spent_micros: 1_000
            })
        ));
        // A new day starts from nothing, with the rate unit still there.
        admitted(
            &counters,
            &ask(Rate::parse("1/min").ok(), None, Some("2026-01-02")),
        )
        .await;
    }

    #[tokio::test]
    async fn counters_survive_a_restart_through_their_file() {
        let dir = std::env::temp_dir().join(format!(
            "continuity-counters-test-{}-{}",
            std::process::id(),
            unix_ms() as u64
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let first = Arc::new(Memory::load(&dir).expect("no file yet"));
        let counters = Counters::Memory(Arc::clone(&first));
        let rated = ask(Rate::parse("2/day").ok(), None, Some("2026-01-01"));
        let mut ticket = admitted(&counters, &rated).await;
        let b = BudgetAsk {
            day: "2026-01-01".into(),
            limit_micros: 1_000,
        };
        counters
            .reserve(&mut ticket, "t", &b, 700)
            .await
            .expect("memory");
        ticket.finish(Some(650)).await;
        admitted(&counters, &rated).await.finish(None).await;
        counters.save().expect("written");
        drop(counters);
        drop(first);

        let second = Counters::Memory(Arc::new(Memory::load(&dir).expect("read back")));
        assert_eq!(second.spent("t", "2026-01-01").await, Ok(650));
        // The two requests of the day are used up across the restart.
        assert!(matches!(
            second.admit(&rated).await,
            Ok(Admit::RateLimited { .. })
        ));
        std::fs::write(dir.join(COUNTERS_FILE), "{").expect("write");
        assert!(Memory::load(&dir)
            .expect_err("broken file")
            .contains("not a valid counters file"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
