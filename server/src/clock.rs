//! Wall-clock helpers without a date crate: Unix time, the UTC day a budget counts in, and
//! ISO-8601 timestamps for `token list`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `(year, month, day)` of the UTC day that contains `unix_s` (Howard Hinnant's
/// days-to-civil algorithm, exact for the proleptic Gregorian calendar).
fn civil(unix_s: u64) -> (i64, u32, u32) {
    let z = (unix_s / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC day of `unix_s` as `YYYY-MM-DD`: the period of a daily budget.
pub fn utc_day(unix_s: u64) -> String {
    let (y, m, d) = civil(unix_s);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso_utc(unix_s: u64) -> String {
    let rem = unix_s % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_day(unix_s),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds from `unix_s` to the next 00:00 UTC (when a daily budget starts again).
pub fn seconds_to_utc_midnight(unix_s: u64) -> u64 {
    86_400 - unix_s % 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_timestamps() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        // 2024-02-29 (leap day) 23:59:59 and the second after it.
        assert_eq!(iso_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(utc_day(1_709_251_200), "2024-03-01");
        assert_eq!(iso_utc(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(seconds_to_utc_midnight(1_709_251_199), 1);
        assert_eq!(seconds_to_utc_midnight(1_709_251_200), 86_400);
    }
}
