//! Builders for use-case tests: every port a strict mock unless a test gives one.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nerutalk_domain::event::{Invalidation, LiveEvent, RevokedSessions};
use nerutalk_domain::{
    UserId,
    user::{Email, Profile, User, Username},
};
use nerutalk_ports::{
    MockEmailVerificationRepository, MockEventBus, MockMailer, MockRateLimiter,
    MockSessionRepository, MockTranslator, MockUserRepository, Quota, SystemClock,
};
use secrecy::SecretString;

use super::{AuthConfig, AuthLimits, AuthPorts, AuthService};

pub(crate) fn stored_user(id: UserId, email: &str, username: &str) -> User {
    let now = Utc::now();
    User {
        id,
        email: Email::parse(email).unwrap(),
        username: Username::parse(username).unwrap(),
        profile: Profile::default(),
        language: None,
        is_active: true,
        is_verified: false,
        last_seen_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// A bus expecting exactly one revocation, of `revoked`, told to `user_id`
/// and invalidated on every node.
pub(crate) fn bus_expecting_revocation(user_id: UserId, revoked: RevokedSessions) -> MockEventBus {
    let mut bus = MockEventBus::new();
    bus.expect_invalidate()
        .withf(move |what| *what == Invalidation::Sessions { user_id, revoked })
        .times(1)
        .returning(|_| Ok(()));
    bus.expect_publish()
        .withf(move |recipients, event| {
            recipients == [user_id] && *event == LiveEvent::SessionsRevoked(revoked)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    bus
}

pub(crate) fn hash_of(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

pub(crate) fn config() -> AuthConfig {
    AuthConfig {
        jwt_secret: SecretString::from("test-secret-test-secret-test-secret".to_owned()),
        access_token_ttl: Duration::from_secs(900),
        refresh_token_ttl: Duration::from_secs(86_400),
        verification_ttl: Duration::from_secs(86_400),
        verification_link: "http://localhost:8080/api/v1/auth/verify-email".to_owned(),
        bcrypt_cost: 4,
        hashing: super::HashingLimits {
            workers: std::num::NonZeroUsize::MIN,
            queue: 16,
        },
        limits: AuthLimits {
            login_account: per_minute(5),
            login_address: per_minute(20),
            registration_address: per_minute(10),
            verification_account: per_minute(3),
            verification_address: per_minute(10),
            fail_open: true,
        },
    }
}

pub(crate) fn per_minute(limit: u32) -> Quota {
    Quota::per_period(
        std::num::NonZeroU32::new(limit).unwrap(),
        Duration::from_secs(60),
    )
    .unwrap()
}

/// A limiter that allows every attempt, for tests about something else.
fn allowing() -> MockRateLimiter {
    let mut limiter = MockRateLimiter::new();
    limiter.expect_check().returning(|_, _, _| {
        Ok(nerutalk_ports::Decision::Allowed {
            remaining: 1,
            reset_after: Duration::ZERO,
        })
    });
    limiter
}

#[derive(Default)]
pub(crate) struct ServiceBuilder {
    users: Option<MockUserRepository>,
    sessions: Option<MockSessionRepository>,
    verifications: Option<MockEmailVerificationRepository>,
    mailer: Option<MockMailer>,
    bus: Option<MockEventBus>,
    rate_limiter: Option<MockRateLimiter>,
    fail_closed: bool,
}

impl ServiceBuilder {
    pub(crate) fn users(mut self, users: MockUserRepository) -> Self {
        self.users = Some(users);
        self
    }

    pub(crate) fn sessions(mut self, sessions: MockSessionRepository) -> Self {
        self.sessions = Some(sessions);
        self
    }

    pub(crate) fn verifications(mut self, verifications: MockEmailVerificationRepository) -> Self {
        self.verifications = Some(verifications);
        self
    }

    pub(crate) fn verifications_accepting_issue(mut self) -> Self {
        let mut verifications = MockEmailVerificationRepository::new();
        verifications.expect_issue().returning(|_, _| Ok(()));
        self.verifications = Some(verifications);
        self
    }

    pub(crate) fn mailer(mut self, mailer: MockMailer) -> Self {
        self.mailer = Some(mailer);
        self
    }

    pub(crate) fn bus(mut self, bus: MockEventBus) -> Self {
        self.bus = Some(bus);
        self
    }

    pub(crate) fn rate_limiter(mut self, limiter: MockRateLimiter) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Sign-in limits that answer 503 when the limiter is down.
    pub(crate) fn fail_closed(mut self) -> Self {
        self.fail_closed = true;
        self
    }

    pub(crate) fn build(self) -> AuthService {
        let mut translator = MockTranslator::new();
        translator
            .expect_translate()
            .returning(|_, id, _| id.to_owned());
        let ports = AuthPorts {
            users: Arc::new(self.users.unwrap_or_default()),
            sessions: Arc::new(self.sessions.unwrap_or_default()),
            verifications: Arc::new(self.verifications.unwrap_or_default()),
            mailer: Arc::new(self.mailer.unwrap_or_default()),
            translator: Arc::new(translator),
            clock: Arc::new(SystemClock),
            bus: Arc::new(self.bus.unwrap_or_default()),
            rate_limiter: Arc::new(self.rate_limiter.unwrap_or_else(allowing)),
        };
        let mut config = config();
        config.limits.fail_open = !self.fail_closed;
        AuthService::new(ports, config).unwrap()
    }
}
