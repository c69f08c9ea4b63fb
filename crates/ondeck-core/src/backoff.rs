//! The one backoff policy: wait `base`, then twice as long after each further failure, never
//! longer than `ceiling`. The dashboard's refresh, the log tail and launch retries all use it.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    ceiling: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, ceiling: Duration) -> Backoff {
        Backoff { base, ceiling }
    }

    /// `base × 2^attempt`, at most `ceiling`: attempt 0 waits `base`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1_u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.ceiling)
    }
}

#[cfg(test)]
mod tests;
