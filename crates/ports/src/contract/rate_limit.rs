//! What every [`RateLimiter`] must do, on one node and on several.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use nerutalk_domain::UserId;

use crate::{Decision, LimitName, Quota, RateKey, RateLimiter};

const LOGIN: LimitName = LimitName::new("contract.login");
const SEND: LimitName = LimitName::new("contract.send");

/// Three hits a minute, all three at once: one back every 20 s.
fn three_a_minute() -> Quota {
    Quota::per_period(
        NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
        Duration::from_secs(60),
    )
    .unwrap_or_else(|error| panic!("quota: {error}"))
}

/// A subject no other run has used: a shared store outlives test runs.
fn fresh_subject() -> UserId {
    UserId::generate()
}

fn at(start: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    start + chrono::Duration::seconds(seconds)
}

async fn check(
    limiter: &dyn RateLimiter,
    key: &RateKey,
    quota: &Quota,
    now: DateTime<Utc>,
) -> Decision {
    limiter
        .check(key, quota, now)
        .await
        .unwrap_or_else(|error| panic!("check {key:?}: {error}"))
}

fn allowed(remaining: u32, reset_seconds: u64) -> Decision {
    Decision::Allowed {
        remaining,
        reset_after: Duration::from_secs(reset_seconds),
    }
}

fn limited(retry_seconds: u64, reset_seconds: u64) -> Decision {
    Decision::Limited {
        retry_after: Duration::from_secs(retry_seconds),
        reset_after: Duration::from_secs(reset_seconds),
    }
}

/// One limiter: the burst is allowed, then hits are limited with the wait
/// until the next one; refused hits do not count; the budget refills at
/// the quota's rate; other subjects and other limits have budgets of their
/// own. Times are the caller's, so nothing sleeps.
///
/// # Panics
/// When the limiter breaks the contract.
pub async fn rate_limiter(limiter: &dyn RateLimiter) {
    let quota = three_a_minute();
    let subject = fresh_subject();
    let key = RateKey::new(LOGIN, subject);
    let start = Utc::now().trunc_subsecs(6);

    assert_eq!(check(limiter, &key, &quota, start).await, allowed(2, 20));
    assert_eq!(check(limiter, &key, &quota, start).await, allowed(1, 40));
    assert_eq!(check(limiter, &key, &quota, start).await, allowed(0, 60));
    assert_eq!(
        check(limiter, &key, &quota, start).await,
        limited(20, 60),
        "over the burst: one more in one interval"
    );
    assert_eq!(
        check(limiter, &key, &quota, at(start, 5)).await,
        limited(15, 55),
        "a refused hit does not count"
    );

    let other_subject = RateKey::new(LOGIN, fresh_subject());
    assert_eq!(
        check(limiter, &other_subject, &quota, start).await,
        allowed(2, 20),
        "another subject has its own budget"
    );
    let other_limit = RateKey::new(SEND, subject);
    assert_eq!(
        check(limiter, &other_limit, &quota, start).await,
        allowed(2, 20),
        "another limit has its own budget"
    );

    let almost = at(start, 20) - chrono::Duration::microseconds(1);
    assert_eq!(
        check(limiter, &key, &quota, almost).await,
        Decision::Limited {
            retry_after: Duration::from_micros(1),
            reset_after: Duration::from_secs(40) + Duration::from_micros(1),
        },
        "refills at the rate, not before"
    );
    assert_eq!(
        check(limiter, &key, &quota, at(start, 20)).await,
        allowed(0, 60),
        "one interval later, one hit is back"
    );
    assert_eq!(
        check(limiter, &key, &quota, at(start, 20)).await,
        limited(20, 60)
    );
    assert_eq!(
        check(limiter, &key, &quota, at(start, 200)).await,
        allowed(2, 20),
        "after a quiet spell the whole burst is back"
    );
}

/// Two limiters on one backend (two nodes; for an in-process limiter, two
/// clones of one): they share one budget, and of many concurrent checks
/// spread over both, exactly the burst is allowed.
///
/// # Panics
/// When the limiters break the contract.
pub async fn rate_limiters_share_one_budget(
    first: Arc<dyn RateLimiter>,
    second: Arc<dyn RateLimiter>,
) {
    let quota = three_a_minute();
    let key = RateKey::new(LOGIN, fresh_subject());
    let start = Utc::now().trunc_subsecs(6);
    assert_eq!(check(&*first, &key, &quota, start).await, allowed(2, 20));
    assert_eq!(check(&*second, &key, &quota, start).await, allowed(1, 40));
    assert_eq!(check(&*first, &key, &quota, start).await, allowed(0, 60));
    assert_eq!(
        check(&*second, &key, &quota, start).await,
        limited(20, 60),
        "the second node sees the first node's hits"
    );

    let burst = 10;
    let quota = Quota::per_period(
        NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        Duration::from_secs(60),
    )
    .unwrap_or_else(|error| panic!("quota: {error}"));
    let key = RateKey::new(SEND, fresh_subject());
    let mut checks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let limiter = Arc::clone(if i % 2 == 0 { &first } else { &second });
        let key = key.clone();
        checks.spawn(async move { limiter.check(&key, &quota, start).await });
    }
    let mut allowed = 0;
    while let Some(joined) = checks.join_next().await {
        let decision = joined
            .unwrap_or_else(|error| panic!("join: {error}"))
            .unwrap_or_else(|error| panic!("check: {error}"));
        if decision.is_allowed() {
            allowed += 1;
        }
    }
    assert_eq!(
        allowed, burst,
        "50 concurrent checks on two nodes: exactly the burst is allowed"
    );
}
