//! When a failed call is tried again, and how long to wait first.
//!
//! The service publishes no retry guidance, so the rules follow what is safe
//! for each method. `Balance` and `CheckOut` only read, so any transport
//! failure or 5xx may be retried. `Init` creates a payment, so it is retried
//! only when the request never left this machine.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How many times a call is tried and how long the pauses between tries are.
///
/// The pause before try `n + 1` is a random duration between half of and the
/// full `min(max_delay, base_delay * 2^(n-1))` ("equal jitter"), so that many
/// clients failing at once do not retry in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in total, the first included. `1` disables retries.
    pub max_attempts: u32,
    /// The pause before the second try, before jitter.
    pub base_delay: Duration,
    /// The maximum pause, before jitter.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three tries, pauses of about 0.2 s and 0.4 s, never more than 2 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once.
    pub const fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The pause after failed try number `attempt` (1-based), with jitter.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 {
            0
        } else {
            random_u64() % (spread + 1)
        };
        half + Duration::from_nanos(jitter)
    }

    /// The pause after try number `attempt` before jitter.
    fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// How one try failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be opened, so the request was never sent.
    NotSent,
    /// The connection broke or timed out after the request may have been sent.
    Uncertain,
    /// The service replied with a 5xx status.
    ServerError,
}

/// Whether a method is safe to send twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads only (`Balance`, `CheckOut`).
    ReadOnly,
    /// Creates a payment (`Init`).
    Creates,
}

/// Whether a failed try may be repeated.
pub fn should_retry(method: Idempotency, failure: Failure) -> bool {
    match (method, failure) {
        (Idempotency::ReadOnly, _) => true,
        (Idempotency::Creates, Failure::NotSent) => true,
        (Idempotency::Creates, Failure::Uncertain | Failure::ServerError) => false,
    }
}

/// A random number from the standard library's per-process hash keys; good
/// enough to spread retries, not for anything secret.
fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos().into()),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_retry_on_every_failure() {
        for failure in [Failure::NotSent, Failure::Uncertain, Failure::ServerError] {
            assert!(should_retry(Idempotency::ReadOnly, failure), "{failure:?}");
        }
    }

    #[test]
    fn init_retries_only_unsent() {
        assert!(should_retry(Idempotency::Creates, Failure::NotSent));
        assert!(!should_retry(Idempotency::Creates, Failure::Uncertain));
        assert!(!should_retry(Idempotency::Creates, Failure::ServerError));
    }

    #[test]
    fn delay_doubles_up_to_maximum() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.ceiling(1), Duration::from_millis(200));
        assert_eq!(policy.ceiling(2), Duration::from_millis(400));
        assert_eq!(policy.ceiling(5), Duration::from_secs(2));
        assert_eq!(policy.ceiling(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn delay_stays_between_half_and_ceiling() {
        let policy = RetryPolicy::default();
        for attempt in 1..6 {
            for _ in 0..100 {
                let delay = policy.delay(attempt);
                assert!(delay >= policy.ceiling(attempt) / 2, "{delay:?}");
                assert!(delay <= policy.ceiling(attempt), "{delay:?}");
            }
        }
    }

    #[test]
    fn never_has_zero_delay() {
        assert_eq!(RetryPolicy::never().delay(1), Duration::ZERO);
    }
}
