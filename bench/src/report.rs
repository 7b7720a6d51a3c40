//! Figures and the printed table.

use std::fmt::Write as _;

use continuity_core::scheduler::ideal_makespan_units;

/// The target for makespan / ideal.
pub const TARGET_RATIO: f64 = 1.05;

/// Ideal makespan of an anchor-first series in ms: `L + ceil((frames - 1) / c) · L`.
pub fn ideal_ms(latency_ms: u64, frames: usize, concurrency: usize) -> u64 {
    latency_ms * ideal_makespan_units(frames, concurrency) as u64
}

/// The median (the mean of the two middle values for an even count); 0 for no values.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// One concurrency's measurements.
#[derive(Debug, Clone)]
pub struct Row {
    /// Maximum concurrency given to the scheduler.
    pub concurrency: usize,
    /// The ideal makespan in ms.
    pub ideal_ms: u64,
    /// Each run's makespan in ms, in run order.
    pub runs_ms: Vec<f64>,
}

impl Row {
    /// Median makespan in ms.
    pub fn median_ms(&self) -> f64 {
        median(&self.runs_ms)
    }

    /// Median makespan / ideal.
    pub fn ratio(&self) -> f64 {
        self.median_ms() / self.ideal_ms as f64
    }

    /// The slowest run / ideal.
    pub fn worst_run_ratio(&self) -> f64 {
        self.runs_ms.iter().copied().fold(0.0, f64::max) / self.ideal_ms as f64
    }
}

/// The table, then the verdict line on the worst median ratio.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>11} | {:>11} | {:>8} | {:>5} | all runs (ms)",
        "concurrency", "makespan ms", "ideal ms", "ratio"
    );
    let _ = writeln!(
        out,
        "{:-<12}+{:-<13}+{:-<10}+{:-<7}+{:-<14}",
        "", "", "", "", ""
    );
    for row in rows {
        let runs: Vec<String> = row.runs_ms.iter().map(|ms| format!("{ms:.0}")).collect();
        let _ = writeln!(
            out,
            "{:>11} | {:>11.0} | {:>8} | {:>5.3} | {}",
            row.concurrency,
            row.median_ms(),
            row.ideal_ms,
            row.ratio(),
            runs.join(", ")
        );
    }
    let worst = rows.iter().map(Row::ratio).fold(0.0, f64::max);
    let worst_run = rows.iter().map(Row::worst_run_ratio).fold(0.0, f64::max);
    let detail = format!("(median per concurrency; slowest single run {worst_run:.3})");
    if worst <= TARGET_RATIO {
        let _ = writeln!(
            out,
            "target met: worst ratio {worst:.3} ≤ {TARGET_RATIO} {detail}"
        );
    } else {
        let _ = writeln!(
            out,
            "target missed: worst ratio {worst:.3} > {TARGET_RATIO} {detail}"
        );
    }
    out
}
