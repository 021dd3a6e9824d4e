//! How many sign-in attempts an account and a client address get, counted
//! before any password is hashed so that a flood costs no bcrypt work.

use std::net::IpAddr;
use std::time::Duration;

use nerutalk_ports::{Decision, LimitName, PortError, Quota, RateKey};

use super::AuthService;
use crate::error::{AppError, LimitPolicy, cause_chain};

/// Attempts on one account (its login key), from anywhere.
pub const LOGIN_ACCOUNT: LimitName = LimitName::new("login.account");
/// Attempts from one client address, on any account.
pub const LOGIN_ADDRESS: LimitName = LimitName::new("login.address");

/// How long a check may take before the limiter counts as down: a Redis
/// that does not answer at all would otherwise hold every sign-in for as
/// long as its pool's connect attempt, which has no timeout of its own.
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// A check that did not finish within [`CHECK_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error("the rate limiter did not answer within {0:?}")]
struct CheckTimedOut(Duration);

/// The sign-in budgets and what happens when the limiter cannot be asked.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub account: Quota,
    pub address: Quota,
    /// When the limiter is down: `true` lets the attempt through (bcrypt's
    /// cost is then the only brake), `false` answers 503.
    pub fail_open: bool,
}

impl AuthService {
    /// Counts one sign-in attempt for `client` and for the account `key`.
    ///
    /// The address is asked first: a refused hit does not count, so an
    /// address flooding many accounts stops before it spends their budgets.
    ///
    /// # Errors
    /// [`AppError::RateLimited`] when either budget is spent;
    /// [`AppError::Unavailable`] when the limiter is down and the limits
    /// fail closed.
    pub(super) async fn admit_login(
        &self,
        key: &str,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let limits = self.config.login_limits;
        if let Some(address) = client {
            self.admit(&RateKey::new(LOGIN_ADDRESS, address), &limits.address)
                .await?;
        }
        self.admit(&RateKey::new(LOGIN_ACCOUNT, key), &limits.account)
            .await
    }

    async fn admit(&self, key: &RateKey, quota: &Quota) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        let checked = tokio::time::timeout(
            CHECK_TIMEOUT,
            self.ports.rate_limiter.check(key, quota, now),
        )
        .await
        .unwrap_or_else(|_| Err(PortError::unavailable(CheckTimedOut(CHECK_TIMEOUT))));
        match checked {
            Ok(Decision::Allowed { .. }) => Ok(()),
            Ok(Decision::Limited {
                retry_after,
                reset_after,
            }) => Err(AppError::RateLimited {
                // At least one second: `Retry-After: 0` would invite a
                // retry that is refused again.
                retry_after_seconds: whole_seconds(retry_after).max(1),
                limit: LimitPolicy {
                    name: key.limit().as_str(),
                    quota: quota.limit().get(),
                    window_seconds: whole_seconds(quota.period()),
                    reset_seconds: whole_seconds(reset_after),
                },
            }),
            Err(error) if self.config.login_limits.fail_open => {
                tracing::warn!(
                    limit = %key.limit(),
                    error = %cause_chain(&error),
                    "rate limiter unavailable; sign-in attempt let through (RATE_LIMIT_FAIL_OPEN)"
                );
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// A duration in whole seconds, rounded up so a client never retries early.
fn whole_seconds(duration: Duration) -> u64 {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        seconds.saturating_add(1)
    } else {
        seconds
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use nerutalk_ports::{MockRateLimiter, MockUserRepository, PortError};

    use super::*;
    use crate::auth::Login;
    use crate::auth::test_support::ServiceBuilder;

    fn attempt(client: Option<IpAddr>) -> Login {
        Login {
            login: " Ada@Example.com ".into(),
            password: "Secret123".into(),
            client,
        }
    }

    fn limited(limit: LimitName) -> MockRateLimiter {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_check()
            .withf(move |key, _, _| key.limit() == limit)
            .times(1)
            .returning(|_, _, _| {
                Ok(Decision::Limited {
                    retry_after: Duration::from_millis(11_200),
                    reset_after: Duration::from_secs(60),
                })
            });
        limiter
    }

    #[tokio::test]
    async fn a_spent_account_is_refused_without_a_lookup_or_a_hash() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().never();
        let service = ServiceBuilder::default()
            .users(users)
            .rate_limiter(limited(LOGIN_ACCOUNT))
            .build();
        let refused = service.login(attempt(None)).await.unwrap_err();
        assert_eq!(
            refused,
            AppError::RateLimited {
                retry_after_seconds: 12,
                limit: LimitPolicy {
                    name: "login.account",
                    quota: 5,
                    window_seconds: 60,
                    reset_seconds: 60,
                },
            }
        );
        assert_eq!(refused.code(), "rate_limited");
        assert_eq!(refused.message_id(), "error-rate-limited");
    }

    #[tokio::test]
    async fn the_account_is_counted_by_its_normalized_login_key() {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_check()
            .withf(|key, quota, _| {
                key.limit() == LOGIN_ACCOUNT
                    && key.subject() == "ada@example.com"
                    && quota.limit().get() == 5
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(Decision::Limited {
                    retry_after: Duration::from_secs(3),
                    reset_after: Duration::from_secs(3),
                })
            });
        let service = ServiceBuilder::default().rate_limiter(limiter).build();
        assert!(matches!(
            service.login(attempt(None)).await,
            Err(AppError::RateLimited {
                retry_after_seconds: 3,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn a_spent_address_is_refused_before_the_account_is_counted() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().never();
        // `limited` allows exactly one check, of the address: the account's
        // budget is left alone.
        let service = ServiceBuilder::default()
            .users(users)
            .rate_limiter(limited(LOGIN_ADDRESS))
            .build();
        let client = Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)));
        assert!(matches!(
            service.login(attempt(client)).await,
            Err(AppError::RateLimited {
                limit: LimitPolicy {
                    name: "login.address",
                    quota: 20,
                    ..
                },
                ..
            })
        ));
    }

    fn down() -> MockRateLimiter {
        let mut limiter = MockRateLimiter::new();
        limiter.expect_check().returning(|_, _, _| {
            Err(PortError::unavailable(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        });
        limiter
    }

    #[tokio::test]
    async fn a_limiter_that_is_down_lets_attempts_through_when_failing_open() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .returning(|_| Err(PortError::NotFound));
        let service = ServiceBuilder::default()
            .users(users)
            .rate_limiter(down())
            .build();
        assert_eq!(
            service.login(attempt(None)).await.unwrap_err(),
            AppError::InvalidCredentials
        );
    }

    #[tokio::test]
    async fn a_limiter_that_is_down_answers_unavailable_when_failing_closed() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().never();
        let service = ServiceBuilder::default()
            .users(users)
            .rate_limiter(down())
            .fail_closed()
            .build();
        assert_eq!(
            service.login(attempt(None)).await.unwrap_err(),
            AppError::Unavailable
        );
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(12)), 12);
        assert_eq!(whole_seconds(Duration::from_millis(12_001)), 13);
    }
}
