//! The GCRA arithmetic, in one place: the memory adapter runs it under its
//! lock, the Redis adapter runs it on the arrival time its script read, so
//! the two cannot disagree on a decision.

use std::time::Duration;

use super::{Decision, Quota};

/// A decision and what to store for the key afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    /// The key's new theoretical arrival time, in microseconds since the
    /// epoch, when the hit counts; `None` when it was refused and the
    /// stored time stays as it was. It is only worth keeping until then:
    /// a time at or before now means the same as no entry.
    pub new_tat: Option<i64>,
}

/// Decides one hit at `now` (microseconds since the epoch) for a key whose
/// stored theoretical arrival time is `stored_tat` (`None`: never seen, or
/// forgotten since it ran out).
///
/// The key's arrival time moves one interval ahead per allowed hit, never
/// from before now; a hit is allowed while that leaves it at most the
/// quota's capacity (`burst` intervals) ahead of now. The Redis script
/// tests exactly `tat + interval - capacity <= now`, as here.
#[must_use]
pub fn gcra(stored_tat: Option<i64>, now: i64, quota: &Quota) -> Verdict {
    let interval = quota.interval_micros();
    let tat = stored_tat.map_or(now, |stored| stored.max(now));
    let new_tat = tat.saturating_add(interval);
    let allow_at = new_tat.saturating_sub(quota.capacity_micros());
    if allow_at <= now {
        let remaining = (now - allow_at) / interval;
        Verdict {
            decision: Decision::Allowed {
                remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
                reset_after: micros(new_tat - now),
            },
            new_tat: Some(new_tat),
        }
    } else {
        Verdict {
            decision: Decision::Limited {
                retry_after: micros(allow_at - now),
                reset_after: micros(tat - now),
            },
            new_tat: None,
        }
    }
}

fn micros(span: i64) -> Duration {
    Duration::from_micros(u64::try_from(span).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use proptest::prelude::*;

    use super::*;

    const SECOND: i64 = 1_000_000;

    fn quota(limit: u32, period_seconds: u64, burst: u32) -> Quota {
        Quota::with_burst(
            NonZeroU32::new(limit).unwrap(),
            Duration::from_secs(period_seconds),
            NonZeroU32::new(burst).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_fresh_key_allows_its_burst_then_waits_one_interval() {
        let quota = quota(3, 60, 3);
        let now = 1_000 * SECOND;
        let mut tat = None;
        for expected in [2, 1, 0] {
            let verdict = gcra(tat, now, &quota);
            assert_eq!(
                verdict.decision,
                Decision::Allowed {
                    remaining: expected,
                    reset_after: Duration::from_secs(20 * (3 - u64::from(expected))),
                }
            );
            tat = verdict.new_tat;
        }
        let refused = gcra(tat, now, &quota);
        assert_eq!(
            refused.decision,
            Decision::Limited {
                retry_after: Duration::from_secs(20),
                reset_after: Duration::from_secs(60),
            }
        );
        assert_eq!(refused.new_tat, None, "a refused hit does not count");
        let later = gcra(tat, now + 20 * SECOND, &quota);
        assert!(later.decision.is_allowed());
    }

    #[test]
    fn a_burst_smaller_than_the_limit_spreads_the_hits() {
        let quota = quota(10, 10, 2);
        let now = 0;
        let first = gcra(None, now, &quota);
        let second = gcra(first.new_tat, now, &quota);
        assert!(second.decision.is_allowed());
        assert_eq!(
            gcra(second.new_tat, now, &quota).decision,
            Decision::Limited {
                retry_after: Duration::from_secs(1),
                reset_after: Duration::from_secs(2),
            }
        );
    }

    #[test]
    fn quotas_refuse_periods_too_short_to_count() {
        let one = NonZeroU32::MIN;
        let million = NonZeroU32::new(1_000_001).unwrap();
        assert_eq!(
            Quota::per_period(million, Duration::from_secs(1)),
            Err(super::super::QuotaError::PeriodTooShort)
        );
        assert_eq!(
            Quota::with_burst(one, Duration::from_secs(u64::MAX), one),
            Err(super::super::QuotaError::TooLarge)
        );
    }

    proptest! {
        /// Over any stretch of time, no more hits are allowed than the
        /// burst plus one per interval elapsed; and a refused hit is
        /// allowed once its `retry_after` has passed.
        #[test]
        fn never_more_than_the_burst_plus_the_refill(
            limit in 1_u32..20,
            burst in 1_u32..20,
            period_seconds in 1_u64..120,
            gaps in proptest::collection::vec(0_i64..5 * SECOND, 1..200),
        ) {
            let quota = quota(limit, period_seconds, burst);
            let mut now = 1_700_000_000 * SECOND;
            let mut tat = None;
            let mut allowed_at = Vec::new();
            for gap in gaps {
                now += gap;
                let verdict = gcra(tat, now, &quota);
                match verdict.decision {
                    Decision::Allowed { remaining, .. } => {
                        prop_assert!(remaining < burst);
                        allowed_at.push(now);
                        tat = verdict.new_tat;
                    }
                    Decision::Limited { retry_after, .. } => {
                        prop_assert!(verdict.new_tat.is_none());
                        let wait = i64::try_from(retry_after.as_micros()).unwrap();
                        prop_assert!(wait > 0);
                        prop_assert!(gcra(tat, now + wait, &quota).decision.is_allowed());
                        prop_assert!(!gcra(tat, now + wait - 1, &quota).decision.is_allowed());
                    }
                }
            }
            for (i, start) in allowed_at.iter().enumerate() {
                for (j, end) in allowed_at.iter().enumerate().skip(i) {
                    let hits = i64::try_from(j - i + 1).unwrap();
                    let room = i64::from(burst) + (end - start) / quota.interval_micros();
                    prop_assert!(hits <= room, "{hits} hits in {} µs", end - start);
                }
            }
        }
    }
}
