//! Waiting for conditions with a deadline and short back-off.
//!
//! Tests must never `sleep` and hope: they poll the condition they care
//! about until it holds, and fail loudly (naming what they waited for) when
//! the deadline passes.

use std::future::Future;
use std::time::{Duration, Instant};

/// First delay between two polls.
const FIRST_DELAY: Duration = Duration::from_millis(1);
/// Longest delay between two polls.
const MAX_DELAY: Duration = Duration::from_millis(50);

/// Exponential back-off from [`FIRST_DELAY`] doubling up to [`MAX_DELAY`].
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff { next: FIRST_DELAY }
    }

    /// The delay before the next attempt, never longer than `remaining`.
    pub(crate) fn next_delay(&mut self, remaining: Duration) -> Duration {
        let delay = self.next.min(remaining);
        self.next = (self.next * 2).min(MAX_DELAY);
        delay
    }
}

/// Calls `attempt` with back-off until it returns `Some`, or until
/// `deadline` has passed (then `None`). `attempt` always runs at least once,
/// and once more at (or just after) the deadline.
pub(crate) fn poll_until<T>(
    deadline: Duration,
    mut attempt: impl FnMut() -> Option<T>,
) -> Option<T> {
    let start = Instant::now();
    let mut backoff = Backoff::new();
    loop {
        if let Some(value) = attempt() {
            return Some(value);
        }
        let elapsed = start.elapsed();
        if elapsed >= deadline {
            return None;
        }
        std::thread::sleep(backoff.next_delay(deadline - elapsed));
    }
}

#[track_caller]
fn timed_out(deadline: Duration, what: &str, attempts: u64) -> ! {
    panic!("timed out after {deadline:?} ({attempts} attempts) waiting for {what}")
}

/// Polls `cond` with short back-off (1 ms doubling up to 50 ms) until it
/// returns `true`.
///
/// Panics with a message naming `what` if `cond` is still `false` once
/// `deadline` (measured from the call) has passed. The condition is checked
/// one last time at the deadline, so a condition that becomes true just in
/// time still passes. Use this instead of sleeping in tests.
///
/// # Example
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use redtyped_tests::wait_until;
///
/// let calls = AtomicU32::new(0);
/// wait_until(Duration::from_secs(5), "the third call", || {
///     calls.fetch_add(1, Ordering::SeqCst) >= 2
/// });
/// assert_eq!(calls.load(Ordering::SeqCst), 3);
/// ```
#[track_caller]
pub fn wait_until(deadline: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let mut attempts = 0u64;
    let done = poll_until(deadline, || {
        attempts += 1;
        cond().then_some(())
    });
    if done.is_none() {
        timed_out(deadline, what, attempts);
    }
}

/// Async variant of [`wait_until`], sleeping with `tokio::time` so it
/// cooperates with the runtime (and measuring time with `tokio::time`, so
/// it also follows paused time).
///
/// Each call of `cond` is itself bounded by the deadline: a future that is
/// still pending when the deadline passes fails the wait too.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use redtyped_tests::wait_until_async;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let start = tokio::time::Instant::now();
/// wait_until_async(Duration::from_secs(5), "20 ms to pass", || async move {
///     start.elapsed() >= Duration::from_millis(20)
/// })
/// .await;
/// # }
/// ```
pub async fn wait_until_async<F, Fut>(deadline: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    let end = start + deadline;
    let mut backoff = Backoff::new();
    let mut attempts = 0u64;
    loop {
        attempts += 1;
        match tokio::time::timeout_at(end, cond()).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(_) => panic!(
                "timed out after {deadline:?} ({attempts} attempts, the last one still pending) \
                 waiting for {what}"
            ),
        }
        let elapsed = start.elapsed();
        if elapsed >= deadline {
            timed_out(deadline, what, attempts);
        }
        tokio::time::sleep(backoff.next_delay(deadline - elapsed)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut backoff = Backoff::new();
        let delays: Vec<_> = (0..10)
            .map(|_| backoff.next_delay(Duration::from_secs(1)))
            .collect();
        assert_eq!(delays[0], FIRST_DELAY);
        assert_eq!(delays[1], FIRST_DELAY * 2);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*delays.last().unwrap(), MAX_DELAY);
        assert_eq!(
            backoff.next_delay(Duration::from_micros(5)),
            Duration::from_micros(5)
        );
    }

    #[test]
    fn wait_until_returns_once_condition_holds() {
        let mut calls = 0;
        wait_until(Duration::from_secs(5), "three calls", || {
            calls += 1;
            calls == 3
        });
        assert_eq!(calls, 3);
    }

    #[test]
    #[should_panic(expected = "waiting for something that never happens")]
    fn wait_until_panics_with_what() {
        wait_until(
            Duration::from_millis(30),
            "something that never happens",
            || false,
        );
    }

    #[test]
    fn wait_until_checks_once_more_at_the_deadline() {
        let start = Instant::now();
        let deadline = Duration::from_millis(40);
        // True only from the deadline on: must still pass.
        wait_until(deadline, "the deadline", || start.elapsed() >= deadline);
    }

    #[tokio::test]
    async fn wait_until_async_returns_once_condition_holds() {
        let calls = Arc::new(AtomicU32::new(0));
        wait_until_async(Duration::from_secs(5), "three calls", || {
            let calls = calls.clone();
            async move { calls.fetch_add(1, Ordering::SeqCst) == 2 }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for an async never")]
    async fn wait_until_async_panics_with_what() {
        wait_until_async(Duration::from_millis(30), "an async never", || async {
            false
        })
        .await;
    }

    #[tokio::test]
    #[should_panic(expected = "still pending")]
    async fn wait_until_async_bounds_a_hanging_condition() {
        wait_until_async(Duration::from_millis(30), "a hanging future", || {
            std::future::pending::<bool>()
        })
        .await;
    }
}
