//! How often a subject may do something, counted on every node together.

mod gcra;

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::PortError;

pub use gcra::{Verdict, gcra};

/// The name of one limit, such as `login.account` or `message.send`:
/// lowercase words joined by dots, fixed in code so that a limit's keys
/// look the same on every node and in every release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitName(&'static str);

impl LimitName {
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for LimitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One budget: a limit applied to one subject (an account, a user id, a
/// client address, a socket).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey {
    limit: LimitName,
    subject: String,
}

impl RateKey {
    /// The budget of `subject` under `limit`; the subject is written with
    /// its `Display`, so a `UserId` and an `IpAddr` give stable keys.
    #[must_use]
    pub fn new(limit: LimitName, subject: impl fmt::Display) -> Self {
        Self {
            limit,
            subject: subject.to_string(),
        }
    }

    #[must_use]
    pub const fn limit(&self) -> LimitName {
        self.limit
    }

    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

/// Why a [`Quota`] cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// The period is shorter than one microsecond per hit.
    #[error("the period allows less than one microsecond per hit")]
    PeriodTooShort,
    /// The period times the burst does not fit in 64-bit microseconds.
    #[error("the period or the burst is too large")]
    TooLarge,
}

impl QuotaError {
    /// A stable code for logs and configuration errors.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::PeriodTooShort => "rate_limit.period_too_short",
            Self::TooLarge => "rate_limit.quota_too_large",
        }
    }
}

/// `limit` hits per `period`, of which up to `burst` may come at once.
///
/// Hits are spaced by the emission interval `period / limit` (GCRA, the
/// generic cell rate algorithm): a subject that waits one interval gets one
/// hit back, and one that waits `burst` intervals has its whole burst again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    limit: NonZeroU32,
    period: Duration,
    burst: NonZeroU32,
    /// `period / limit`, in microseconds, at least 1.
    interval_micros: i64,
    /// `burst * interval_micros`: how far ahead of now a subject may run.
    capacity_micros: i64,
}

impl Quota {
    /// `limit` hits per `period`, all of which may come at once.
    ///
    /// # Errors
    /// As [`Quota::with_burst`].
    pub fn per_period(limit: NonZeroU32, period: Duration) -> Result<Self, QuotaError> {
        Self::with_burst(limit, period, limit)
    }

    /// `limit` hits per `period`, at most `burst` of them at once.
    ///
    /// # Errors
    /// [`QuotaError::PeriodTooShort`] when `period / limit` is under one
    /// microsecond, [`QuotaError::TooLarge`] when `burst` intervals overflow.
    pub fn with_burst(
        limit: NonZeroU32,
        period: Duration,
        burst: NonZeroU32,
    ) -> Result<Self, QuotaError> {
        let period_micros = i64::try_from(period.as_micros()).map_err(|_| QuotaError::TooLarge)?;
        let interval_micros = period_micros / i64::from(limit.get());
        if interval_micros < 1 {
            return Err(QuotaError::PeriodTooShort);
        }
        let capacity_micros = interval_micros
            .checked_mul(i64::from(burst.get()))
            .ok_or(QuotaError::TooLarge)?;
        Ok(Self {
            limit,
            period,
            burst,
            interval_micros,
            capacity_micros,
        })
    }

    /// Hits per period (the `q` of `RateLimit-Policy`).
    #[must_use]
    pub const fn limit(&self) -> NonZeroU32 {
        self.limit
    }

    /// The period (the `w` of `RateLimit-Policy`).
    #[must_use]
    pub const fn period(&self) -> Duration {
        self.period
    }

    /// Hits allowed at once after a quiet spell.
    #[must_use]
    pub const fn burst(&self) -> NonZeroU32 {
        self.burst
    }

    /// Time between two hits at the sustained rate, in microseconds.
    #[must_use]
    pub const fn interval_micros(&self) -> i64 {
        self.interval_micros
    }

    /// How far the theoretical arrival time may run ahead of now, in
    /// microseconds: the whole burst's worth of intervals.
    #[must_use]
    pub const fn capacity_micros(&self) -> i64 {
        self.capacity_micros
    }
}

/// The answer to one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The hit counts; `remaining` more would be allowed right now, and
    /// after `reset_after` without hits the whole burst is back.
    Allowed {
        remaining: u32,
        reset_after: Duration,
    },
    /// The hit is refused and did not count; one would be allowed after
    /// `retry_after`, the whole burst after `reset_after`.
    Limited {
        retry_after: Duration,
        reset_after: Duration,
    },
}

impl Decision {
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

/// Counts hits against quotas, for one node or for all nodes together.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit of `key` at `now` against `quota`, atomically: of any
    /// number of concurrent checks on any node, no more are allowed than
    /// the quota has room for. A refused hit does not count.
    ///
    /// The same key must always be checked with the same quota; `now` comes
    /// from the caller's [`Clock`](crate::Clock).
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached; whether
    /// that allows or refuses the hit is the caller's policy.
    async fn check(
        &self,
        key: &RateKey,
        quota: &Quota,
        now: DateTime<Utc>,
    ) -> Result<Decision, PortError>;
}
