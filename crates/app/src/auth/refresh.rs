//! Rotating refresh tokens, and ending sessions.

use nerutalk_domain::event::{Invalidation, RevokedSessions};
use nerutalk_domain::{SessionId, UserId, text};
use nerutalk_ports::{PortError, RotationOutcome};

use super::{AuthService, IssuedTokens, secrets};
use crate::{AppError, PortResultExt};

impl AuthService {
    /// Trades a refresh token for a new pair. The presented token is spent;
    /// presenting it again revokes the whole session (it was stolen, or the
    /// client is broken; either way no one should keep using that session).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for control characters, [`AppError::RefreshTokenReused`],
    /// [`AppError::RefreshTokenInvalid`] or [`AppError::AccountDisabled`].
    pub async fn refresh(&self, refresh_token: &str) -> Result<IssuedTokens, AppError> {
        let refresh_token = text::single_line("refresh_token", refresh_token)?;
        let (new_token, record) = self.new_refresh_token();
        let refresh_expires_at = record.expires_at;
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .sessions
            .rotate(secrets::token_hash(refresh_token), record, now)
            .await?;
        let (user_id, session_id) = match outcome {
            RotationOutcome::Rotated {
                user_id,
                session_id,
            } => (user_id, session_id),
            RotationOutcome::ReuseDetected {
                user_id,
                session_id,
            } => {
                tracing::warn!(%session_id, "refresh token reused; session revoked");
                self.close_connections(user_id, RevokedSessions::One(session_id))
                    .await;
                return Err(AppError::RefreshTokenReused);
            }
            RotationOutcome::Expired | RotationOutcome::Revoked | RotationOutcome::Unknown => {
                return Err(AppError::RefreshTokenInvalid);
            }
        };
        let user = self
            .ports
            .users
            .get(user_id)
            .await
            .or_not_found(AppError::RefreshTokenInvalid)?;
        if !user.is_active {
            let revoked = self.ports.sessions.revoke(session_id, now).await;
            // Disabled in the database, unannounced: other nodes may still
            // hold the account as active.
            self.invalidate(Invalidation::User(user.id)).await;
            // A disabled account's sockets all close at once, whichever
            // session they were opened with, and whether or not this
            // session's revocation was stored.
            self.close_connections(user.id, RevokedSessions::AllExcept(None))
                .await;
            revoked?;
            return Err(AppError::AccountDisabled);
        }
        let (access_token, access_expires_at) = self.access_token(user.id, session_id)?;
        Ok(IssuedTokens {
            access_token,
            access_expires_at,
            refresh_token: new_token,
            refresh_expires_at,
            user,
        })
    }

    /// Ends `user_id`'s session `session_id`: its refresh tokens and access
    /// tokens stop working, and its live connections close.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be written.
    pub async fn logout(&self, user_id: UserId, session_id: SessionId) -> Result<(), AppError> {
        match self
            .ports
            .sessions
            .revoke(session_id, self.ports.clock.now())
            .await
        {
            Ok(()) => {
                self.close_connections(user_id, RevokedSessions::One(session_id))
                    .await;
                Ok(())
            }
            Err(PortError::NotFound) => Ok(()),
            Err(other) => {
                // It may have committed before the error.
                self.close_connections(user_id, RevokedSessions::One(session_id))
                    .await;
                Err(other.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_ports::{MockSessionRepository, MockUserRepository};

    use super::*;
    use crate::auth::test_support::{ServiceBuilder, bus_expecting_revocation, stored_user};

    #[tokio::test]
    async fn a_current_token_is_rotated_into_a_new_pair() {
        let user_id = UserId::generate();
        let session_id = SessionId::generate();
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_rotate()
            .withf(|hash, replacement, _| hash.len() == 64 && replacement.token_hash != *hash)
            .returning(move |_, _, _| {
                Ok(RotationOutcome::Rotated {
                    user_id,
                    session_id,
                })
            });
        let mut users = MockUserRepository::new();
        users
            .expect_get()
            .returning(move |id| Ok(stored_user(id, "ada@example.com", "ada")));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .build();
        let tokens = service.refresh("presented").await.unwrap();
        assert_ne!(tokens.refresh_token, "presented");
        assert_eq!(tokens.user.id, user_id);
    }

    #[tokio::test]
    async fn a_reused_token_is_refused_and_its_sessions_connections_closed() {
        let (user_id, session_id) = (UserId::generate(), SessionId::generate());
        let mut sessions = MockSessionRepository::new();
        sessions.expect_rotate().returning(move |_, _, _| {
            Ok(RotationOutcome::ReuseDetected {
                user_id,
                session_id,
            })
        });
        // The outcome names the user: the session is not read again.
        sessions.expect_state().never();
        let service = ServiceBuilder::default()
            .sessions(sessions)
            .bus(bus_expecting_revocation(
                user_id,
                RevokedSessions::One(session_id),
            ))
            .build();
        assert_eq!(
            service.refresh("token").await.unwrap_err(),
            AppError::RefreshTokenReused
        );
    }

    #[tokio::test]
    async fn logging_out_closes_the_sessions_connections() {
        let (user_id, session_id) = (UserId::generate(), SessionId::generate());
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_revoke()
            .withf(move |id, _| *id == session_id)
            .times(1)
            .returning(|_, _| Ok(()));
        sessions.expect_state().never();
        let service = ServiceBuilder::default()
            .sessions(sessions)
            .bus(bus_expecting_revocation(
                user_id,
                RevokedSessions::One(session_id),
            ))
            .build();
        service.logout(user_id, session_id).await.unwrap();
    }

    #[tokio::test]
    async fn a_logout_that_fails_still_closes_the_sessions_connections() {
        let (user_id, session_id) = (UserId::generate(), SessionId::generate());
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_revoke()
            .times(1)
            .returning(|_, _| Err(PortError::unavailable("lost after commit")));
        let service = ServiceBuilder::default()
            .sessions(sessions)
            .bus(bus_expecting_revocation(
                user_id,
                RevokedSessions::One(session_id),
            ))
            .build();
        assert_eq!(
            service.logout(user_id, session_id).await,
            Err(AppError::Unavailable)
        );
    }

    #[tokio::test]
    async fn expired_revoked_and_unknown_tokens_are_refused() {
        for (outcome, expected) in [
            (RotationOutcome::Expired, AppError::RefreshTokenInvalid),
            (RotationOutcome::Revoked, AppError::RefreshTokenInvalid),
            (RotationOutcome::Unknown, AppError::RefreshTokenInvalid),
        ] {
            let mut sessions = MockSessionRepository::new();
            sessions
                .expect_rotate()
                .returning(move |_, _, _| Ok(outcome));
            let service = ServiceBuilder::default().sessions(sessions).build();
            assert_eq!(service.refresh("token").await.unwrap_err(), expected);
        }
    }

    #[tokio::test]
    async fn a_disabled_user_loses_the_session_on_refresh() {
        let (user_id, session_id) = (UserId::generate(), SessionId::generate());
        let mut sessions = MockSessionRepository::new();
        sessions.expect_rotate().returning(move |_, _, _| {
            Ok(RotationOutcome::Rotated {
                user_id,
                session_id,
            })
        });
        sessions
            .expect_revoke()
            .withf(move |id, _| *id == session_id)
            .times(1)
            .returning(|_, _| Ok(()));
        let mut users = MockUserRepository::new();
        users.expect_get().returning(|id| {
            let mut user = stored_user(id, "ada@example.com", "ada");
            user.is_active = false;
            Ok(user)
        });
        // Every socket of the account, not only this session's.
        let mut bus = bus_expecting_revocation(user_id, RevokedSessions::AllExcept(None));
        // And every node's copy of the account, which may still say active.
        bus.expect_invalidate()
            .withf(move |what| *what == Invalidation::User(user_id))
            .times(1)
            .returning(|_| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .bus(bus)
            .build();
        assert_eq!(
            service.refresh("token").await.unwrap_err(),
            AppError::AccountDisabled
        );
    }

    #[tokio::test]
    async fn a_token_with_control_characters_is_refused_unread() {
        let mut sessions = MockSessionRepository::new();
        sessions.expect_rotate().never();
        let service = ServiceBuilder::default().sessions(sessions).build();
        assert_eq!(
            service.refresh("tok\0en").await.unwrap_err(),
            AppError::Invalid(nerutalk_domain::DomainError::ControlCharacters {
                field: "refresh_token"
            })
        );
    }
}
