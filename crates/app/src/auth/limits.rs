//! How many sign-in attempts, sign-ups and verification mails an account
//! and a client address get. Each is counted before any work is done, so
//! a flood costs no bcrypt work, no row and no mail.

use std::net::IpAddr;

use nerutalk_domain::UserId;
use nerutalk_ports::{LimitName, Quota, RateKey};

use super::AuthService;
use crate::error::AppError;
use crate::rate_limits::admit;

/// Attempts on one account (its login key), from anywhere.
pub const LOGIN_ACCOUNT: LimitName = LimitName::new("login.account");
/// Attempts from one client address, on any account.
pub const LOGIN_ADDRESS: LimitName = LimitName::new("login.address");
/// Accounts created from one client address.
pub const REGISTRATION_ADDRESS: LimitName = LimitName::new("registration.address");
/// Verification mails one account asks for again.
pub const VERIFICATION_ACCOUNT: LimitName = LimitName::new("verification.account");
/// Verification mails asked for again from one client address.
pub const VERIFICATION_ADDRESS: LimitName = LimitName::new("verification.address");

/// The authentication budgets and what happens when the limiter cannot be
/// asked.
#[derive(Debug, Clone, Copy)]
pub struct AuthLimits {
    pub login_account: Quota,
    pub login_address: Quota,
    pub registration_address: Quota,
    pub verification_account: Quota,
    pub verification_address: Quota,
    /// When the limiter is down: `true` lets the request through (bcrypt's
    /// cost is then the only brake on sign-ins), `false` answers 503.
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
        let limits = self.config.limits;
        if let Some(address) = client {
            self.admit(&RateKey::new(LOGIN_ADDRESS, address), &limits.login_address)
                .await?;
        }
        self.admit(&RateKey::new(LOGIN_ACCOUNT, key), &limits.login_account)
            .await
    }

    /// Counts one sign-up from `client`; without a known address there is
    /// nothing to count it against.
    ///
    /// # Errors
    /// As [`Self::admit_login`].
    pub(super) async fn admit_registration(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match client {
            Some(address) => {
                self.admit(
                    &RateKey::new(REGISTRATION_ADDRESS, address),
                    &self.config.limits.registration_address,
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// Counts one more verification mail for `user`, asked from `client`;
    /// the address first, as for sign-ins.
    ///
    /// # Errors
    /// As [`Self::admit_login`].
    pub(super) async fn admit_verification(
        &self,
        user: UserId,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        let limits = self.config.limits;
        if let Some(address) = client {
            self.admit(
                &RateKey::new(VERIFICATION_ADDRESS, address),
                &limits.verification_address,
            )
            .await?;
        }
        self.admit(
            &RateKey::new(VERIFICATION_ACCOUNT, user),
            &limits.verification_account,
        )
        .await
    }

    async fn admit(&self, key: &RateKey, quota: &Quota) -> Result<(), AppError> {
        admit(
            self.ports.rate_limiter.as_ref(),
            self.ports.clock.as_ref(),
            key,
            quota,
            self.config.limits.fail_open,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use nerutalk_ports::{MockRateLimiter, MockUserRepository, PortError};

    use std::time::Duration;

    use nerutalk_ports::Decision;

    use super::*;
    use crate::auth::Login;
    use crate::auth::test_support::ServiceBuilder;
    use crate::error::LimitPolicy;

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

    #[tokio::test]
    async fn a_spent_address_creates_no_account() {
        let mut users = MockUserRepository::new();
        users.expect_create().never();
        let service = ServiceBuilder::default()
            .users(users)
            .rate_limiter(limited(REGISTRATION_ADDRESS))
            .build();
        let registration = crate::auth::Registration {
            email: "ada@example.com".into(),
            username: "ada".into(),
            password: "Secret123".into(),
            confirm_password: "Secret123".into(),
            client: Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))),
            ..crate::auth::Registration::default()
        };
        assert!(matches!(
            service.register(registration).await,
            Err(AppError::RateLimited {
                limit: LimitPolicy {
                    name: "registration.address",
                    quota: 10,
                    ..
                },
                ..
            })
        ));
    }

    #[tokio::test]
    async fn a_spent_account_gets_no_new_token_and_no_mail() {
        let mut verifications = nerutalk_ports::MockEmailVerificationRepository::new();
        verifications.expect_issue().never();
        let mut mailer = nerutalk_ports::MockMailer::new();
        mailer.expect_send().never();
        let service = ServiceBuilder::default()
            .verifications(verifications)
            .mailer(mailer)
            .rate_limiter(limited(VERIFICATION_ACCOUNT))
            .build();
        let actor = crate::auth::AuthenticatedUser {
            user: crate::auth::test_support::stored_user(
                UserId::generate(),
                "ada@example.com",
                "ada",
            ),
            session_id: nerutalk_domain::SessionId::generate(),
        };
        assert!(matches!(
            service.resend_verification(&actor, None).await,
            Err(AppError::RateLimited {
                limit: LimitPolicy {
                    name: "verification.account",
                    quota: 3,
                    ..
                },
                ..
            })
        ));
    }
}
