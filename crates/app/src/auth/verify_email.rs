//! E-mail verification: single-use, expiring tokens sent by mail.

use std::net::IpAddr;

use nerutalk_domain::event::Invalidation;
use nerutalk_domain::{ids::VerificationId, text, user::User};
use nerutalk_ports::{NewEmailVerification, PortError, VerificationOutcome};

use super::verification_mail::VerificationMail;
use super::{AuthService, AuthenticatedUser, after, secrets};
use crate::AppError;

impl AuthService {
    /// Spends a verification token and marks its account verified.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for control characters, [`AppError::VerificationTokenInvalid`],
    /// [`AppError::VerificationTokenExpired`] or [`AppError::VerificationTokenUsed`].
    pub async fn verify_email(&self, token: &str) -> Result<(), AppError> {
        let token = text::single_line("token", token)?;
        let outcome = self
            .ports
            .verifications
            .verify(secrets::token_hash(token), self.ports.clock.now())
            .await?;
        match outcome {
            VerificationOutcome::Verified(user_id) => {
                tracing::info!(%user_id, "e-mail verified");
                self.invalidate(Invalidation::User(user_id)).await;
                Ok(())
            }
            VerificationOutcome::AlreadyUsed => Err(AppError::VerificationTokenUsed),
            VerificationOutcome::Expired => Err(AppError::VerificationTokenExpired),
            VerificationOutcome::Unknown => Err(AppError::VerificationTokenInvalid),
        }
    }

    /// Sends a new verification mail; earlier tokens stop working.
    ///
    /// # Errors
    /// [`AppError::AlreadyVerified`], [`AppError::RateLimited`] when the
    /// account or `client` has asked too often (then no token is issued and
    /// no mail sent), or [`AppError::Unavailable`] when the mail cannot be
    /// handed over.
    pub async fn resend_verification(
        &self,
        actor: &AuthenticatedUser,
        client: Option<IpAddr>,
    ) -> Result<(), AppError> {
        if actor.user.is_verified {
            return Err(AppError::AlreadyVerified);
        }
        self.admit_verification(actor.user.id, client).await?;
        self.send_verification(&actor.user).await
    }

    pub(super) async fn send_verification(&self, user: &User) -> Result<(), AppError> {
        let token = secrets::random_token();
        let now = self.ports.clock.now();
        self.ports
            .verifications
            .issue(
                NewEmailVerification {
                    id: VerificationId::generate(),
                    user_id: user.id,
                    token_hash: secrets::token_hash(&token),
                    expires_at: after(now, self.config.verification_ttl),
                },
                now,
            )
            .await?;
        let hours =
            i64::try_from(self.config.verification_ttl.as_secs() / 3600).unwrap_or(i64::MAX);
        let mail = VerificationMail {
            user,
            token: &token,
            link_base: &self.config.verification_link,
            hours,
        }
        .render(self.ports.translator.as_ref());
        self.ports
            .mailer
            .send(mail)
            .await
            .map_err(PortError::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::{SessionId, UserId};
    use nerutalk_ports::{MockEmailVerificationRepository, MockEventBus};

    use super::*;
    use crate::auth::test_support::{ServiceBuilder, stored_user};

    #[tokio::test]
    async fn each_outcome_has_its_own_answer() {
        for (outcome, expected) in [
            (VerificationOutcome::Verified(UserId::generate()), Ok(())),
            (
                VerificationOutcome::AlreadyUsed,
                Err(AppError::VerificationTokenUsed),
            ),
            (
                VerificationOutcome::Expired,
                Err(AppError::VerificationTokenExpired),
            ),
            (
                VerificationOutcome::Unknown,
                Err(AppError::VerificationTokenInvalid),
            ),
        ] {
            let mut verifications = MockEmailVerificationRepository::new();
            verifications
                .expect_verify()
                .returning(move |_, _| Ok(outcome));
            // A verified account changed: every node drops its copy.
            let mut bus = MockEventBus::new();
            let verified = match outcome {
                VerificationOutcome::Verified(user_id) => Some(Invalidation::User(user_id)),
                _ => None,
            };
            bus.expect_invalidate()
                .withf(move |what| Some(*what) == verified)
                .times(usize::from(verified.is_some()))
                .returning(|_| Ok(()));
            let service = ServiceBuilder::default()
                .verifications(verifications)
                .bus(bus)
                .build();
            assert_eq!(service.verify_email("token").await, expected);
        }
    }

    #[tokio::test]
    async fn verified_accounts_get_no_second_mail() {
        let mut user = stored_user(UserId::generate(), "ada@example.com", "ada");
        user.is_verified = true;
        let actor = AuthenticatedUser {
            user,
            session_id: SessionId::generate(),
        };
        let service = ServiceBuilder::default().build();
        assert_eq!(
            service.resend_verification(&actor, None).await.unwrap_err(),
            AppError::AlreadyVerified
        );
    }

    #[tokio::test]
    async fn a_token_with_control_characters_is_refused_unread() {
        let mut verifications = MockEmailVerificationRepository::new();
        verifications.expect_verify().never();
        let service = ServiceBuilder::default()
            .verifications(verifications)
            .build();
        assert_eq!(
            service.verify_email("tok\0en").await.unwrap_err(),
            AppError::Invalid(nerutalk_domain::DomainError::ControlCharacters { field: "token" })
        );
    }
}
