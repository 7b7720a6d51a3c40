//! The limit syntax of `token create`: `--rate 30/min`, `--budget-usd 5/day`. Stored in the
//! tokens file in the same text form, so the file stays readable.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Micro-dollars in one dollar: budgets and spend are counted in integer micro-USD so that
/// counters can be updated atomically with `INCRBY`.
pub const MICROS_PER_USD: u64 = 1_000_000;

/// A request rate: a bucket of `count` requests that refills continuously at `count` per
/// period (a full burst of `count`, then one every `period / count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rate {
    /// Requests per period.
    pub count: u32,
    /// The period in milliseconds.
    pub period_ms: u64,
}

/// Largest request count a rate may name.
const MAX_COUNT: u32 = 1_000_000;

impl Rate {
    /// Parses `N/s`, `N/min`, `N/hour` or `N/day` (also `sec`, `second`, `m`, `minute`, `h`,
    /// `d`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("rate {text:?}: expected N/s, N/min, N/hour or N/day, e.g. 30/min");
        let (count, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > MAX_COUNT {
            return Err(format!(
                "rate {text:?}: N must be between 1 and {MAX_COUNT}"
            ));
        }
        let period_ms = match unit.trim() {
            "s" | "sec" | "second" => 1_000,
            "m" | "min" | "minute" => 60_000,
            "h" | "hour" => 3_600_000,
            "d" | "day" => 86_400_000,
            _ => return Err(bad()),
        };
        Ok(Self { count, period_ms })
    }

    /// The unit word used when printing.
    fn unit(&self) -> &'static str {
        match self.period_ms {
            1_000 => "s",
            60_000 => "min",
            3_600_000 => "hour",
            _ => "day",
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, self.unit())
    }
}

impl TryFrom<String> for Rate {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<Rate> for String {
    fn from(rate: Rate) -> String {
        rate.to_string()
    }
}

/// A spending budget per UTC day, in micro-USD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Budget {
    /// Micro-USD per UTC day.
    pub micros_per_day: u64,
}

/// Largest daily budget accepted, in dollars (a typo guard, not a policy).
const MAX_BUDGET_USD: u64 = 1_000_000;

impl Budget {
    /// Parses `5/day`, `5`, `0.50/day` or `$2.5/day` (dollars, at most 6 decimals, per UTC day).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("budget {text:?}: expected dollars per day, e.g. 5/day or 0.50/day");
        let t = text.trim();
        let amount = match t.split_once('/') {
            Some((amount, unit)) if matches!(unit.trim(), "day" | "d") => amount,
            Some(_) => return Err(bad()),
            None => t,
        };
        let amount = amount.trim().trim_start_matches('$');
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 6 {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        if whole > MAX_BUDGET_USD {
            return Err(format!("budget {text:?}: at most ${MAX_BUDGET_USD} a day"));
        }
        let frac: u64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
        let micros_per_day = whole * MICROS_PER_USD + frac;
        if micros_per_day == 0 {
            return Err(format!("budget {text:?}: must be more than $0"));
        }
        Ok(Self { micros_per_day })
    }
}

/// `$1.234567` trimmed to cents when exact: `$5.00`, `$0.25`, `$0.0125`.
pub fn format_micros(micros: u64) -> String {
    let whole = micros / MICROS_PER_USD;
    let frac = micros % MICROS_PER_USD;
    let mut frac = format!("{frac:06}");
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("${whole}.{frac}")
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let usd = format_micros(self.micros_per_day);
        write!(f, "{}/day", &usd[1..])
    }
}

impl TryFrom<String> for Budget {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<Budget> for String {
    fn from(budget: Budget) -> String {
        budget.to_string()
    }
}

/// Converts dollars to micro-USD, rounding up (a budget never under-counts).
pub fn usd_to_micros(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * MICROS_PER_USD as f64).ceil() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let r = Rate::parse("30/min").expect("valid");
        assert_eq!((r.count, r.period_ms), (30, 60_000));
        assert_eq!(r.to_string(), "30/min");
        assert_eq!(Rate::parse(" 5 / s ").expect("valid").to_string(), "5/s");
        assert_eq!(Rate::parse("100/hour").expect("valid").period_ms, 3_600_000);
        assert_eq!(Rate::parse("2/day").expect("valid").to_string(), "2/day");
        for bad in ["0/min", "x/min", "30", "30/week", "-1/s", "2000000/s"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn budgets_parse_in_micro_dollars() {
        assert_eq!(
            Budget::parse("5/day").expect("ok").micros_per_day,
            5_000_000
        );
        assert_eq!(Budget::parse("$0.25").expect("ok").micros_per_day, 250_000);
        assert_eq!(Budget::parse("0.000001/d").expect("ok").micros_per_day, 1);
        assert_eq!(Budget::parse("5/day").expect("ok").to_string(), "5.00/day");
        assert_eq!(
            Budget::parse("0.0125").expect("ok").to_string(),
            "0.0125/day"
        );
        for bad in [
            "0",
            "0/day",
            "5/month",
            "abc",
            "1.2345678",
            "-1",
            ".5",
            "2000000",
        ] {
            assert!(Budget::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format_micros(5_000_000), "$5.00");
        assert_eq!(format_micros(12_345), "$0.012345");
        assert_eq!(usd_to_micros(0.211), 211_000);
        assert_eq!(usd_to_micros(f64::NAN), 0);
        assert_eq!(usd_to_micros(1e-9), 1, "rounds up");
    }
}
