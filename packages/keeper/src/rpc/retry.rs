//! Bounded retries with exponential backoff, for transport errors only (a node that is down, a
//! timeout, a 5xx). Answers that say no (a failed query, a rejected transaction) are not retried.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all (the first try included); at least 1.
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff_ms: 250,
            max_backoff_ms: 5_000,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (0-based): initial × 2^attempt, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u64.checked_shl(attempt.min(32)).unwrap_or(u64::MAX);
        Duration::from_millis(
            self.initial_backoff_ms
                .saturating_mul(factor)
                .min(self.max_backoff_ms),
        )
    }
}

/// An error's text on one line, without the backtrace that tendermint-rpc's error tracer
/// appends (its `Display` carries "Location:" and "Stack backtrace:" sections).
pub fn compact(e: &impl Display) -> String {
    let text = e.to_string();
    let cut = ["\n\nLocation:", "\nLocation:", "\n\nStack backtrace:"]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "Caused by:")
        .collect::<Vec<_>>()
        .join(": ")
}

/// Runs `attempt` until it succeeds or `policy.max_attempts` have failed, sleeping the backoff
/// between tries. The error is the last one, with the attempt count.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    mut attempt: F,
) -> Result<T, String>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let attempts = policy.max_attempts.max(1);
    let mut last = String::new();
    for n in 0..attempts {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) => {
                last = compact(&e);
                if n + 1 < attempts {
                    let wait = policy.backoff(n);
                    tracing::debug!(what, attempt = n + 1, error = %last, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
    Err(format!("{what}: {last} (after {attempts} attempts)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn compact_drops_the_tracer_sections() {
        let text = "status: HTTP error\n\nCaused by:\n    connection refused\n\nLocation:\n    src/x.rs:1\n\nStack backtrace:\n   0: f";
        assert_eq!(compact(&text), "status: HTTP error: connection refused");
        assert_eq!(compact(&"plain"), "plain");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 5,
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
        };
        let waits: Vec<u64> = (0..6).map(|n| p.backoff(n).as_millis() as u64).collect();
        assert_eq!(waits, vec![100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(p.backoff(200).as_millis(), 1_000);
    }

    #[test]
    fn retries_a_bounded_number_of_times() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let p = RetryPolicy {
            max_attempts: 3,
            initial_backoff_ms: 1,
            max_backoff_ms: 2,
        };
        let calls = Cell::new(0);
        let out: Result<(), String> = rt.block_on(retry(&p, "x", || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>("down") }
        }));
        assert_eq!(calls.get(), 3);
        assert_eq!(out.unwrap_err(), "x: down (after 3 attempts)");
        let calls = Cell::new(0);
        let out = rt.block_on(retry(&p, "x", || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 2 {
                    Err("flaky")
                } else {
                    Ok(n)
                }
            }
        }));
        assert_eq!(out.unwrap(), 2);
    }
}
