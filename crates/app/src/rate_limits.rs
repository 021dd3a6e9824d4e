//! Asking the rate limiter whether one more hit is allowed, the same way in
//! every use case: a refusal becomes [`AppError::RateLimited`] with the
//! policy that refused it, and a limiter that is down lets the hit through
//! or answers 503 as configured.

use std::time::Duration;

use nerutalk_ports::{Clock, Decision, PortError, Quota, RateKey, RateLimiter};

use crate::error::{AppError, cause_chain};

/// How long a check may take before the limiter counts as down: a Redis
/// that does not answer at all would otherwise hold every request for as
/// long as its pool's connect attempt, which has no timeout of its own.
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// A check that did not finish within [`CHECK_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error("the rate limiter did not answer within {0:?}")]
struct CheckTimedOut(Duration);

/// Counts one hit of `key` against `quota`.
///
/// # Errors
/// [`AppError::RateLimited`] when the budget is spent;
/// [`AppError::Unavailable`] when the limiter is down and `fail_open` is false.
pub(crate) async fn admit(
    limiter: &dyn RateLimiter,
    clock: &dyn Clock,
    key: &RateKey,
    quota: &Quota,
    fail_open: bool,
) -> Result<(), AppError> {
    let checked = tokio::time::timeout(CHECK_TIMEOUT, limiter.check(key, quota, clock.now()))
        .await
        .unwrap_or_else(|_| Err(PortError::unavailable(CheckTimedOut(CHECK_TIMEOUT))));
    match checked {
        Ok(Decision::Allowed { .. }) => Ok(()),
        Ok(Decision::Limited {
            retry_after,
            reset_after,
        }) => Err(AppError::rate_limited(
            key.limit().as_str(),
            quota,
            retry_after,
            reset_after,
        )),
        Err(error) if fail_open => {
            tracing::warn!(
                limit = %key.limit(),
                error = %cause_chain(&error),
                "rate limiter unavailable; request let through (RATE_LIMIT_FAIL_OPEN)"
            );
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
