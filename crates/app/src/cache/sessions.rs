//! Session states, kept: every authenticated request asks whether its
//! session is still live.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::event::RevokedSessions;
use nerutalk_domain::{SessionId, UserId};
use nerutalk_ports::{
    NewRefreshToken, PortError, RotationOutcome, SessionRepository, SessionState,
};

use super::copies::Copies;

/// A [`SessionRepository`] that keeps the states it reads. A revocation
/// through it drops this node's copy before it returns; other nodes drop
/// theirs on the invalidation the use case publishes.
pub struct CachedSessions {
    inner: Arc<dyn SessionRepository>,
    states: Arc<Copies<SessionId, SessionState>>,
}

impl std::fmt::Debug for CachedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedSessions").finish_non_exhaustive()
    }
}

impl CachedSessions {
    pub(super) fn new(
        inner: Arc<dyn SessionRepository>,
        states: Arc<Copies<SessionId, SessionState>>,
    ) -> Self {
        Self { inner, states }
    }
}

/// Drops the copies of the sessions `revoked` names.
pub(super) fn forget(
    states: &Copies<SessionId, SessionState>,
    user_id: UserId,
    revoked: RevokedSessions,
) {
    match revoked {
        RevokedSessions::One(session_id) => states.forget(&session_id),
        RevokedSessions::AllExcept(_) => {
            states.forget_where(|session_id, state| {
                state.user_id == user_id && revoked.includes(*session_id)
            });
        }
    }
}

#[async_trait]
impl SessionRepository for CachedSessions {
    async fn start(
        &self,
        session_id: SessionId,
        user_id: UserId,
        first_token: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.inner
            .start(session_id, user_id, first_token, now)
            .await
    }

    async fn rotate(
        &self,
        presented_hash: String,
        replacement: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RotationOutcome, PortError> {
        let outcome = self.inner.rotate(presented_hash, replacement, now).await?;
        if let RotationOutcome::ReuseDetected { session_id, .. } = outcome {
            self.states.forget(&session_id);
        }
        Ok(outcome)
    }

    async fn state(&self, session_id: SessionId) -> Result<SessionState, PortError> {
        if let Some(state) = self.states.get(&session_id) {
            return Ok(state);
        }
        let ticket = self.states.ticket();
        let state = self.inner.state(session_id).await?;
        self.states.keep(ticket, session_id, state);
        Ok(state)
    }

    async fn revoke(&self, session_id: SessionId, now: DateTime<Utc>) -> Result<(), PortError> {
        let revoked = self.inner.revoke(session_id, now).await;
        // Also when it failed: it may have committed before the error.
        self.states.forget(&session_id);
        revoked
    }

    async fn revoke_all_except(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, PortError> {
        let revoked = self.inner.revoke_all_except(user_id, keep, now).await;
        forget(&self.states, user_id, RevokedSessions::AllExcept(keep));
        revoked
    }
}
