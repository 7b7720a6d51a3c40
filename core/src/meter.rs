//! The storage meter's words: byte sizes a person reads, and the warning before the browser's
//! space for this site runs out.

/// `1536` → "1.5 KB", `3_400_000` → "3.4 MB" (decimal units, like the browser's settings).
pub fn format_bytes(bytes: f64) -> String {
    let bytes = bytes.max(0.0);
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} bytes", bytes.round() as u64)
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// "Used of available" for the meter.
pub fn usage_line(usage: f64, quota: f64) -> String {
    format!("{} used of {}", format_bytes(usage), format_bytes(quota))
}

/// A warning when less than `share` of the quota, or less than `min_bytes`, is left.
pub fn low_space(usage: f64, quota: f64, share: f64, min_bytes: f64) -> Option<String> {
    if quota <= 0.0 {
        return None;
    }
    let left = (quota - usage).max(0.0);
    (left < quota * share || left < min_bytes).then(|| {
        format!(
            "Only {} of browser storage is left for this site. Export finished series and delete them, or free disk space, before generating more.",
            format_bytes(left)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_browser_settings() {
        assert_eq!(format_bytes(512.0), "512 bytes");
        assert_eq!(format_bytes(1536.0), "1.5 KB");
        assert_eq!(format_bytes(3_400_000.0), "3.4 MB");
        assert_eq!(format_bytes(250_000_000_000.0), "250 GB");
        assert_eq!(usage_line(2e6, 1e9), "2.0 MB used of 1.0 GB");
    }

    #[test]
    fn the_warning_comes_before_space_runs_out() {
        let share = 0.10;
        let min = 200e6;
        assert_eq!(low_space(1e9, 100e9, share, min), None);
        assert!(
            low_space(95e9, 100e9, share, min).is_some(),
            "under 10 % left"
        );
        assert!(low_space(0.9e9, 1e9, share, min)
            .unwrap()
            .contains("100 MB"));
        assert!(
            low_space(100.0, 150e6, share, min).is_some(),
            "under 200 MB left"
        );
        assert_eq!(low_space(0.0, 0.0, share, min), None, "unknown quota");
    }
}
