//! Changing one's password.

use nerutalk_domain::event::{Invalidation, RevokedSessions};
use nerutalk_domain::{text, user::Password};

use super::{AuthService, AuthenticatedUser};
use crate::AppError;
use crate::cache::may_have_changed;

/// A password change as the client typed it.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
}

impl AuthService {
    /// Replaces the password and signs out every other session: whoever
    /// knew the old password must not stay signed in with it.
    ///
    /// # Errors
    /// [`AppError::CurrentPasswordWrong`], [`AppError::Invalid`] for a NUL in
    /// either password or a weak or unconfirmed new one, [`AppError::PasswordUnchanged`].
    pub async fn change_password(
        &self,
        actor: &AuthenticatedUser,
        change: PasswordChange,
    ) -> Result<(), AppError> {
        text::refuse_nul("current_password", &change.current_password)?;
        let current_hash = self.ports.users.password_hash(actor.user.id).await?;
        if !self
            .passwords
            .verify(&change.current_password, &current_hash)
            .await?
        {
            return Err(AppError::CurrentPasswordWrong);
        }
        let new_password =
            Password::parse_confirmed(&change.new_password, &change.confirm_password)?;
        if change.new_password == change.current_password {
            return Err(AppError::PasswordUnchanged);
        }
        let new_hash = self.passwords.hash(&new_password).await?;
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .users
            .update_password_hash(actor.user.id, new_hash, now)
            .await;
        if may_have_changed(&outcome) {
            self.invalidate(Invalidation::User(actor.user.id)).await;
        }
        outcome?;
        let outcome = self
            .ports
            .sessions
            .revoke_all_except(actor.user.id, Some(actor.session_id), now)
            .await;
        // A failed revocation may have committed: its sessions' copies and
        // sockets go all the same, before the error is answered.
        let revoked_any = match outcome {
            Ok(revoked) => revoked > 0,
            Err(_) => may_have_changed(&outcome),
        };
        if revoked_any {
            self.close_connections(
                actor.user.id,
                RevokedSessions::AllExcept(Some(actor.session_id)),
            )
            .await;
        }
        let revoked = outcome?;
        tracing::info!(user_id = %actor.user.id, revoked, "password changed; other sessions revoked");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::{DomainError, SessionId, UserId};
    use nerutalk_ports::{MockEventBus, MockSessionRepository, MockUserRepository, PortError};

    use super::*;
    use crate::auth::test_support::{
        ServiceBuilder, bus_expecting_revocation, hash_of, stored_user,
    };

    fn actor() -> AuthenticatedUser {
        AuthenticatedUser {
            user: stored_user(UserId::generate(), "ada@example.com", "ada"),
            session_id: SessionId::generate(),
        }
    }

    fn change(current: &str, new: &str) -> PasswordChange {
        PasswordChange {
            current_password: current.into(),
            new_password: new.into(),
            confirm_password: new.into(),
        }
    }

    fn users_with_password() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users
            .expect_password_hash()
            .returning(|_| Ok(hash_of("Secret123")));
        users
    }

    #[tokio::test]
    async fn a_change_keeps_this_session_and_closes_the_others_connections() {
        let actor = actor();
        let keep = actor.session_id;
        let mut users = users_with_password();
        users
            .expect_update_password_hash()
            .times(1)
            .returning(|_, _, _| Ok(()));
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_revoke_all_except()
            .withf(move |_, kept, _| *kept == Some(keep))
            .times(1)
            .returning(|_, _, _| Ok(2));
        let mut bus =
            bus_expecting_revocation(actor.user.id, RevokedSessions::AllExcept(Some(keep)));
        let user_id = actor.user.id;
        bus.expect_invalidate()
            .withf(move |what| *what == Invalidation::User(user_id))
            .times(1)
            .returning(|_| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .bus(bus)
            .build();
        service
            .change_password(&actor, change("Secret123", "Better456"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_revocation_that_fails_still_closes_the_other_sessions_everywhere() {
        let actor = actor();
        let keep = actor.session_id;
        let mut users = users_with_password();
        users
            .expect_update_password_hash()
            .times(1)
            .returning(|_, _, _| Ok(()));
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_revoke_all_except()
            .times(1)
            .returning(|_, _, _| Err(PortError::unavailable("lost after commit")));
        let mut bus =
            bus_expecting_revocation(actor.user.id, RevokedSessions::AllExcept(Some(keep)));
        let user_id = actor.user.id;
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
            service
                .change_password(&actor, change("Secret123", "Better456"))
                .await,
            Err(AppError::Unavailable)
        );
    }

    #[tokio::test]
    async fn a_password_write_that_fails_is_still_invalidated_everywhere() {
        let actor = actor();
        let mut users = users_with_password();
        users
            .expect_update_password_hash()
            .times(1)
            .returning(|_, _, _| Err(PortError::unavailable("lost after commit")));
        let mut sessions = MockSessionRepository::new();
        sessions.expect_revoke_all_except().never();
        let mut bus = MockEventBus::new();
        let user_id = actor.user.id;
        bus.expect_invalidate()
            .withf(move |what| *what == Invalidation::User(user_id))
            .times(1)
            .returning(|_| Ok(()));
        bus.expect_publish().never();
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .bus(bus)
            .build();
        assert_eq!(
            service
                .change_password(&actor, change("Secret123", "Better456"))
                .await,
            Err(AppError::Unavailable)
        );
    }

    #[tokio::test]
    async fn wrong_current_weak_new_and_unchanged_passwords_are_refused() {
        let service = ServiceBuilder::default()
            .users(users_with_password())
            .build();
        let actor = actor();
        assert_eq!(
            service
                .change_password(&actor, change("Wrong123", "Better456"))
                .await
                .unwrap_err(),
            AppError::CurrentPasswordWrong
        );
        assert_eq!(
            service
                .change_password(&actor, change("Secret123", "weak"))
                .await
                .unwrap_err(),
            AppError::Invalid(DomainError::PasswordTooShort { min: 8 })
        );
        assert_eq!(
            service
                .change_password(&actor, change("Secret123", "Secret123"))
                .await
                .unwrap_err(),
            AppError::PasswordUnchanged
        );
    }

    #[tokio::test]
    async fn a_nul_in_the_current_password_is_refused_unread() {
        let mut users = MockUserRepository::new();
        users.expect_password_hash().never();
        let service = ServiceBuilder::default().users(users).build();
        assert_eq!(
            service
                .change_password(&actor(), change("Secret\u{0}123", "Better123"))
                .await
                .unwrap_err(),
            AppError::Invalid(DomainError::ControlCharacters {
                field: "current_password"
            })
        );
    }
}
