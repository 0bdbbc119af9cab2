//! Keys that never collide between tests sharing one server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Returns a key that no other call in this test process returns, and that is
/// very unlikely to match a key left behind by an earlier run.
///
/// Format: `{prefix}:{pid}:{counter}:{suffix}` where `pid` is this process
/// id, `counter` a process-wide atomic counter and `suffix` six hex digits
/// mixed from the current time (so a later run that gets the same pid still
/// uses different keys). Use it for every key a test touches on
/// [`shared()`](crate::shared).
///
/// # Example
///
/// ```
/// use redtyped_tests::unique_key;
///
/// let a = unique_key("user");
/// let b = unique_key("user");
/// assert!(a.starts_with("user:"));
/// assert_ne!(a, b);
/// ```
pub fn unique_key(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let suffix = splitmix64(nanos ^ n.rotate_left(32)) & 0xff_ffff;
    let pid = std::process::id();
    if prefix.is_empty() {
        format!("{pid}:{n}:{suffix:06x}")
    } else {
        format!("{prefix}:{pid}:{n}:{suffix:06x}")
    }
}

/// SplitMix64 finalizer: spreads the bits of `x` (not for cryptography).
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_unique_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..500).map(|_| unique_key("k")).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for handle in handles {
            for key in handle.join().unwrap() {
                assert!(all.insert(key.clone()), "duplicate key {key}");
            }
        }
        assert_eq!(all.len(), 2000);
    }

    #[test]
    fn key_shape() {
        let key = unique_key("pre");
        let parts: Vec<_> = key.split(':').collect();
        assert_eq!(parts.len(), 4, "{key}");
        assert_eq!(parts[0], "pre");
        assert_eq!(parts[1], std::process::id().to_string());
        assert!(parts[2].parse::<u64>().is_ok(), "{key}");
        assert_eq!(parts[3].len(), 6, "{key}");
        assert!(!unique_key("").starts_with(':'));
    }
}
