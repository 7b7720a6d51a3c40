//! The open-files limit. Every connection, upstream request and spooled body is a file
//! descriptor; the usual default soft limit (1,024) is far below what the connection cap
//! allows, so it is raised to the hard limit at start.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns `(before, after)` soft limits,
/// or `None` where there is no such limit or it cannot be read.
#[cfg(unix)]
// `rlim_t` is u64 on Linux, not on every Unix.
#[allow(clippy::unnecessary_cast)]
pub fn raise() -> Option<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed to them.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    let before = limit.rlim_cur as u64;
    // Linux refuses an unlimited soft limit for open files; 2^20 is its usual ceiling.
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        1 << 20
    } else {
        limit.rlim_max
    };
    if limit.rlim_cur < target {
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Some((before, target as u64));
        }
    }
    Some((before, before))
}

/// No open-files limit to raise on this platform.
#[cfg(not(unix))]
pub fn raise() -> Option<(u64, u64)> {
    None
}

/// How many connections `soft` open files can carry: each may need three descriptors (the
/// client's socket, the upstream's and a spooled body), and some are kept for the rest.
pub fn connections_for(soft: u64) -> usize {
    (soft.saturating_sub(64) / 3) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raises_to_the_hard_limit() {
        let (_, after) = raise().expect("unix");
        let again = raise().expect("unix");
        assert_eq!(again, (after, after), "already at the hard limit");
        assert_eq!(connections_for(1024), 320);
        assert_eq!(connections_for(10), 0);
    }
}
