//! Checking an access token on a request.

use nerutalk_domain::user::User;
use nerutalk_domain::{SessionId, UserId};

use super::{AuthService, AuthenticatedUser};
use crate::{AppError, PortResultExt};

impl AuthService {
    /// Resolves a bearer token to its user. Beyond the signature and expiry,
    /// the session must still be live and the account active, so logout,
    /// password changes and disabling an account take effect at once.
    ///
    /// # Errors
    /// [`AppError::TokenInvalid`], [`AppError::TokenExpired`],
    /// [`AppError::SessionRevoked`] or [`AppError::AccountDisabled`].
    pub async fn authenticate(&self, access_token: &str) -> Result<AuthenticatedUser, AppError> {
        let claims = self.access_tokens.verify(access_token)?;
        let user = self.live_session(claims.user_id, claims.session_id).await?;
        Ok(AuthenticatedUser {
            user,
            session_id: claims.session_id,
        })
    }

    /// Whether a sign-in still holds: its session is not revoked (logout,
    /// password change, refresh-token reuse) and the account is active.
    /// Long-lived connections ask this from time to time, since their token
    /// was checked only when they opened.
    ///
    /// # Errors
    /// [`AppError::SessionRevoked`], [`AppError::AccountDisabled`], or
    /// [`AppError::Unavailable`] when that cannot be known now.
    pub async fn still_signed_in(&self, signed_in: &AuthenticatedUser) -> Result<(), AppError> {
        self.live_session(signed_in.user.id, signed_in.session_id)
            .await
            .map(|_| ())
    }

    async fn live_session(&self, user_id: UserId, session_id: SessionId) -> Result<User, AppError> {
        let session = self
            .ports
            .sessions
            .state(session_id)
            .await
            .or_not_found(AppError::SessionRevoked)?;
        if session.revoked || session.user_id != user_id {
            return Err(AppError::SessionRevoked);
        }
        let user = self
            .ports
            .users
            .get(user_id)
            .await
            .or_not_found(AppError::SessionRevoked)?;
        if !user.is_active {
            return Err(AppError::AccountDisabled);
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::{SessionId, UserId};
    use nerutalk_ports::{MockSessionRepository, MockUserRepository, SessionState};

    use super::*;
    use crate::auth::test_support::{ServiceBuilder, stored_user};

    fn service(revoked: bool, active: bool) -> (crate::AuthService, String) {
        let user_id = UserId::generate();
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_state()
            .returning(move |_| Ok(SessionState { user_id, revoked }));
        let mut users = MockUserRepository::new();
        users.expect_get().returning(move |id| {
            let mut user = stored_user(id, "ada@example.com", "ada");
            user.is_active = active;
            Ok(user)
        });
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .build();
        let token = service
            .access_token(user_id, SessionId::generate())
            .unwrap()
            .0;
        (service, token)
    }

    #[tokio::test]
    async fn a_live_session_authenticates() {
        let (service, token) = service(false, true);
        assert!(service.authenticate(&token).await.is_ok());
    }

    #[tokio::test]
    async fn revoked_sessions_disabled_users_and_garbage_are_refused() {
        let (service, token) = service(true, true);
        assert_eq!(
            service.authenticate(&token).await.unwrap_err(),
            AppError::SessionRevoked
        );
        let (service, token) = service_disabled();
        assert_eq!(
            service.authenticate(&token).await.unwrap_err(),
            AppError::AccountDisabled
        );
        assert_eq!(
            service.authenticate("garbage").await.unwrap_err(),
            AppError::TokenInvalid
        );
    }

    fn service_disabled() -> (crate::AuthService, String) {
        service(false, false)
    }
}
