//! How many frames one socket may send: a GCRA budget kept in the socket's
//! own task (a socket lives on one node, so its budget needs no shared
//! store), and the point at which a socket that keeps sending over it is
//! taken for a flood and closed.

use std::time::Instant;

use nerutalk_app::AppError;
use nerutalk_ports::rate_limit::gcra;
use nerutalk_ports::{Decision, Quota};

/// The limit's name, in the `error` frame's `details.limit`.
pub const WS_FRAMES: &str = "ws.frames";

/// The frame budget of every socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimit {
    /// Frames (text, binary and pings) per period, all of which may come at once.
    pub quota: Quota,
    /// Refused frames in a row after which the socket is closed with 1008:
    /// a client that reads its `error` frames slows down long before.
    pub flood_after: u32,
}

impl FrameLimit {
    /// Refused frames in a row that close a socket, unless told otherwise.
    pub const FLOOD_AFTER: u32 = 20;

    /// `quota`, and a socket closed after [`Self::FLOOD_AFTER`] refusals in a row.
    #[must_use]
    pub const fn new(quota: Quota) -> Self {
        Self {
            quota,
            flood_after: Self::FLOOD_AFTER,
        }
    }
}

/// What to do with one frame that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameVerdict {
    Handle,
    /// Answer with this error and drop the frame.
    Refuse(AppError),
    /// The socket keeps flooding: close it with 1008.
    Close,
}

/// One socket's frame budget.
#[derive(Debug)]
pub(crate) struct FrameBudget {
    limit: FrameLimit,
    /// The socket's own time origin: GCRA wants microseconds, and a
    /// monotonic clock cannot go back under a socket's feet.
    origin: Instant,
    tat_micros: Option<i64>,
    refused_in_a_row: u32,
}

impl FrameBudget {
    pub(crate) fn new(limit: FrameLimit) -> Self {
        Self {
            limit,
            origin: Instant::now(),
            tat_micros: None,
            refused_in_a_row: 0,
        }
    }

    /// Counts one frame that arrived at `at`.
    pub(crate) fn admit(&mut self, at: Instant) -> FrameVerdict {
        let now = i64::try_from(at.saturating_duration_since(self.origin).as_micros())
            .unwrap_or(i64::MAX);
        let verdict = gcra(self.tat_micros, now, &self.limit.quota);
        if let Some(tat) = verdict.new_tat {
            self.tat_micros = Some(tat);
        }
        match verdict.decision {
            Decision::Allowed { .. } => {
                self.refused_in_a_row = 0;
                FrameVerdict::Handle
            }
            Decision::Limited {
                retry_after,
                reset_after,
            } => {
                self.refused_in_a_row = self.refused_in_a_row.saturating_add(1);
                if self.refused_in_a_row >= self.limit.flood_after {
                    return FrameVerdict::Close;
                }
                FrameVerdict::Refuse(AppError::rate_limited(
                    WS_FRAMES,
                    &self.limit.quota,
                    retry_after,
                    reset_after,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use super::*;

    fn limit(frames: u32, seconds: u64, flood_after: u32) -> FrameLimit {
        FrameLimit {
            quota: Quota::per_period(
                NonZeroU32::new(frames).unwrap(),
                Duration::from_secs(seconds),
            )
            .unwrap(),
            flood_after,
        }
    }

    #[test]
    fn the_burst_is_handled_then_frames_are_refused_with_the_wait() {
        let mut budget = FrameBudget::new(limit(3, 3, 10));
        let start = budget.origin;
        for _ in 0..3 {
            assert_eq!(budget.admit(start), FrameVerdict::Handle);
        }
        let FrameVerdict::Refuse(AppError::RateLimited {
            retry_after_seconds,
            limit,
        }) = budget.admit(start)
        else {
            panic!("the fourth frame at once is refused");
        };
        assert_eq!(retry_after_seconds, 1);
        assert_eq!(limit.name, WS_FRAMES);
        assert_eq!((limit.quota, limit.window_seconds), (3, 3));
        // One interval later, one frame is back.
        assert_eq!(
            budget.admit(start + Duration::from_secs(1)),
            FrameVerdict::Handle
        );
    }

    #[test]
    fn a_socket_that_keeps_sending_over_the_limit_is_closed() {
        let mut budget = FrameBudget::new(limit(1, 60, 3));
        let start = budget.origin;
        assert_eq!(budget.admit(start), FrameVerdict::Handle);
        assert!(matches!(budget.admit(start), FrameVerdict::Refuse(_)));
        assert!(matches!(budget.admit(start), FrameVerdict::Refuse(_)));
        assert_eq!(budget.admit(start), FrameVerdict::Close);
    }

    #[test]
    fn a_handled_frame_forgives_the_refusals_before_it() {
        let mut budget = FrameBudget::new(limit(1, 1, 2));
        let start = budget.origin;
        assert_eq!(budget.admit(start), FrameVerdict::Handle);
        assert!(matches!(budget.admit(start), FrameVerdict::Refuse(_)));
        let later = start + Duration::from_secs(1);
        assert_eq!(budget.admit(later), FrameVerdict::Handle);
        assert!(matches!(budget.admit(later), FrameVerdict::Refuse(_)));
    }
}
