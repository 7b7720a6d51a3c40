//! Entry names both sides agree on, and DOS timestamps.
//!
//! The writer refuses every name the reader would refuse, so an export always imports.

use std::fmt;

/// Why an entry name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty (or only "/").
    Empty,
    /// Longer than the limit, in bytes.
    TooLong(usize),
    /// Starts with "/": would be written outside the import folder.
    Absolute,
    /// Contains "\": a Windows separator that some tools treat as a folder.
    Backslash,
    /// Starts with a drive letter such as "C:".
    DriveLetter,
    /// A ".." component: path traversal.
    Traversal,
    /// A control character (NUL, newline…).
    ControlChar,
    /// The bytes are not UTF-8.
    NotUtf8,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => write!(f, "empty file name"),
            NameProblem::TooLong(max) => write!(f, "file name longer than {max} bytes"),
            NameProblem::Absolute => write!(f, "absolute path (starts with /)"),
            NameProblem::Backslash => write!(f, "backslash in file name"),
            NameProblem::DriveLetter => write!(f, "drive letter in file name"),
            NameProblem::Traversal => write!(f, "path goes up a folder (..)"),
            NameProblem::ControlChar => write!(f, "control character in file name"),
            NameProblem::NotUtf8 => write!(f, "file name is not UTF-8"),
        }
    }
}

/// Checks an entry name: relative, forward slashes, no `..`, no drive letter, no control
/// characters, at most `max_bytes` long. A trailing "/" (a folder entry) is allowed.
pub fn check_name(name: &str, max_bytes: usize) -> Result<(), NameProblem> {
    if name.len() > max_bytes {
        return Err(NameProblem::TooLong(max_bytes));
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    if trimmed.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().any(char::is_control) {
        return Err(NameProblem::ControlChar);
    }
    if name.starts_with('/') {
        return Err(NameProblem::Absolute);
    }
    if name.contains('\\') {
        return Err(NameProblem::Backslash);
    }
    let b = name.as_bytes();
    // "C:" or "C:foo": Windows would resolve it against a drive.
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(NameProblem::DriveLetter);
    }
    if trimmed.split('/').any(|c| c == "..") {
        return Err(NameProblem::Traversal);
    }
    Ok(())
}

/// A name for a message: at most 80 characters, shown in quotes.
pub(crate) fn shown(name: &str) -> String {
    let mut s: String = name.chars().take(80).collect();
    if s.len() < name.len() {
        s.push('…');
    }
    format!("“{s}”")
}

/// A date and time as ZIP stores it (MS-DOS format, two-second resolution, no time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DosDateTime {
    /// Bits 15–9 year − 1980, 8–5 month, 4–0 day.
    pub date: u16,
    /// Bits 15–11 hour, 10–5 minute, 4–0 seconds / 2.
    pub time: u16,
}

impl DosDateTime {
    /// 1980-01-01 00:00:00, the earliest a ZIP can say.
    pub const MIN: DosDateTime = DosDateTime {
        date: (1 << 5) | 1,
        time: 0,
    };

    /// From Unix seconds (UTC; ZIP has no zone, so unzip shows it as local time), clamped to
    /// 1980-01-01 … 2107-12-31.
    pub fn from_unix_seconds(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if y < 1980 {
            return Self::MIN;
        }
        if y > 2107 {
            return DosDateTime {
                date: (127 << 9) | (12 << 5) | 31,
                time: (23 << 11) | (59 << 5) | 29,
            };
        }
        let (h, mi, s) = (rem / 3600, (rem / 60) % 60, rem % 60);
        DosDateTime {
            date: (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16,
            time: ((h as u16) << 11) | ((mi as u16) << 5) | (s / 2) as u16,
        }
    }

    /// Back to Unix seconds (UTC), for showing an imported entry's time.
    pub fn to_unix_seconds(self) -> i64 {
        let y = 1980 + (self.date >> 9) as i64;
        let m = ((self.date >> 5) & 0x0F).clamp(1, 12) as i64;
        let d = (self.date & 0x1F).max(1) as i64;
        let h = (self.time >> 11) as i64;
        let mi = ((self.time >> 5) & 0x3F) as i64;
        let s = ((self.time & 0x1F) * 2) as i64;
        days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s
    }
}

// Howard Hinnant's civil-date algorithms (proleptic Gregorian), exact for any i64 day count
// we can meet.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_zip_names_refused_and_accepted() {
        let max = 512;
        assert_eq!(check_name("01-hook.png", max), Ok(()));
        assert_eq!(check_name("zh-Hans/01-开场.png", max), Ok(()));
        assert_eq!(check_name("images/", max), Ok(()));
        assert_eq!(check_name("a..b/c", max), Ok(()));
        assert_eq!(check_name("", max), Err(NameProblem::Empty));
        assert_eq!(check_name("/", max), Err(NameProblem::Empty));
        assert_eq!(check_name("/etc/passwd", max), Err(NameProblem::Absolute));
        assert_eq!(check_name("a\\b", max), Err(NameProblem::Backslash));
        assert_eq!(check_name("C:x.png", max), Err(NameProblem::DriveLetter));
        assert_eq!(check_name("../x", max), Err(NameProblem::Traversal));
        assert_eq!(check_name("a/../../x", max), Err(NameProblem::Traversal));
        assert_eq!(check_name("a/..", max), Err(NameProblem::Traversal));
        assert_eq!(check_name("a\0b", max), Err(NameProblem::ControlChar));
        assert_eq!(
            check_name(&"x".repeat(513), max),
            Err(NameProblem::TooLong(512))
        );
    }

    #[test]
    fn export_zip_dos_time_round_trips_and_clamps() {
        // 2024-02-29 13:37:42 UTC
        let t = 1_709_213_862;
        let d = DosDateTime::from_unix_seconds(t);
        assert_eq!(d.date >> 9, 44);
        assert_eq!((d.date >> 5) & 0xF, 2);
        assert_eq!(d.date & 0x1F, 29);
        assert_eq!(d.to_unix_seconds(), t); // even second
        assert_eq!(DosDateTime::from_unix_seconds(0), DosDateTime::MIN);
        assert_eq!(DosDateTime::MIN.to_unix_seconds(), 315_532_800);
        let far = DosDateTime::from_unix_seconds(i64::MAX / 4);
        assert_eq!(far.date >> 9, 127);
    }
}
