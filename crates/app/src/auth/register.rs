//! Creating an account, and sending its first verification mail.

use std::net::IpAddr;

use nerutalk_domain::{
    Language, UserId,
    user::{Email, Password, Profile, User, Username},
};
use nerutalk_ports::NewUser;

use super::AuthService;
use crate::AppError;
use crate::error::cause_chain;

/// A sign-up request, as the client typed it.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub username: String,
    pub password: String,
    pub confirm_password: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    /// The language the request was made in; the account starts with it.
    pub language: Option<Language>,
    /// The client's address, for the per-address sign-up limit; `None`
    /// when it is not known.
    pub client: Option<IpAddr>,
}

impl AuthService {
    /// Creates an account. Fields are checked in the order a form shows them;
    /// the first broken rule is reported.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a broken rule, [`AppError::RateLimited`]
    /// when the client's address has created its share of accounts (then
    /// nothing is hashed or stored), [`AppError::EmailTaken`] or
    /// [`AppError::UsernameTaken`] for a duplicate.
    pub async fn register(&self, registration: Registration) -> Result<User, AppError> {
        let email = Email::parse(&registration.email)?;
        let username = Username::parse(&registration.username)?;
        let password =
            Password::parse_confirmed(&registration.password, &registration.confirm_password)?;
        let parse_optional =
            |raw: &Option<String>, parse: fn(&str) -> _| raw.as_deref().map_or(Ok(None), parse);
        let profile = Profile {
            full_name: parse_optional(&registration.full_name, Profile::parse_full_name)?,
            bio: parse_optional(&registration.bio, Profile::parse_bio)?,
            phone_number: parse_optional(&registration.phone_number, Profile::parse_phone)?,
            avatar_url: None,
        };
        // Counted once the request is well formed, so a typo costs no
        // budget, and before the hash, the row and the mail.
        self.admit_registration(registration.client).await?;
        let password_hash = self.passwords.hash(&password).await?;
        let user = self
            .ports
            .users
            .create(NewUser {
                id: UserId::generate(),
                email,
                username,
                password_hash,
                profile,
                language: registration.language,
                created_at: self.ports.clock.now(),
            })
            .await?;
        // The account exists whatever happens to the mail: a failed send is
        // logged and the user can ask for another with resend-verification.
        if let Err(error) = self.send_verification(&user).await {
            tracing::warn!(user_id = %user.id, error = %cause_chain(&error), "verification mail not sent");
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {

    use nerutalk_domain::DomainError;
    use nerutalk_ports::{ConflictField, MailError, MockMailer, MockUserRepository, PortError};

    use super::*;
    use crate::auth::test_support::{ServiceBuilder, stored_user};

    fn valid() -> Registration {
        Registration {
            email: "Ada@Example.com".into(),
            username: "ada".into(),
            password: "Secret123".into(),
            confirm_password: "Secret123".into(),
            ..Registration::default()
        }
    }

    #[tokio::test]
    async fn stores_a_hashed_password_and_mails_a_verification_token() {
        let mut users = MockUserRepository::new();
        users
            .expect_create()
            .withf(|new| {
                new.email.as_str() == "ada@example.com"
                    && new.password_hash.starts_with("$2")
                    && new.password_hash != "Secret123"
            })
            .times(1)
            .returning(|new| {
                Ok(stored_user(
                    new.id,
                    new.email.as_str(),
                    new.username.as_str(),
                ))
            });
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .withf(|mail| {
                mail.kind == nerutalk_ports::MailKind::EmailVerification
                    && mail.to.as_str() == "ada@example.com"
                    && mail.link.as_ref().is_some_and(|link| {
                        link.starts_with("http://localhost:8080/api/v1/auth/verify-email?token=")
                    })
            })
            .times(1)
            .returning(|_| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .mailer(mailer)
            .verifications_accepting_issue()
            .build();
        let user = service.register(valid()).await.unwrap();
        assert_eq!(user.email.as_str(), "ada@example.com");
    }

    #[tokio::test]
    async fn broken_rules_are_reported_before_anything_is_stored() {
        let service = ServiceBuilder::default().build();
        let cases = [
            (
                Registration {
                    email: "nope".into(),
                    ..valid()
                },
                DomainError::EmailInvalid,
            ),
            (
                Registration {
                    username: "a".into(),
                    ..valid()
                },
                DomainError::UsernameLength { min: 3, max: 50 },
            ),
            (
                Registration {
                    password: "weakpass1".into(),
                    confirm_password: "weakpass1".into(),
                    ..valid()
                },
                DomainError::PasswordTooWeak,
            ),
            (
                Registration {
                    confirm_password: "Secret124".into(),
                    ..valid()
                },
                DomainError::PasswordMismatch,
            ),
            (
                Registration {
                    phone_number: Some("call me".into()),
                    ..valid()
                },
                DomainError::PhoneInvalid,
            ),
        ];
        for (registration, expected) in cases {
            assert_eq!(
                service.register(registration).await.unwrap_err(),
                AppError::Invalid(expected)
            );
        }
    }

    #[tokio::test]
    async fn a_taken_email_is_a_conflict_naming_the_field() {
        let mut users = MockUserRepository::new();
        users
            .expect_create()
            .returning(|_| Err(PortError::Conflict(ConflictField::Email)));
        let service = ServiceBuilder::default().users(users).build();
        let error = service.register(valid()).await.unwrap_err();
        assert_eq!(error, AppError::EmailTaken);
        assert_eq!(error.field(), Some("email"));
    }

    #[tokio::test]
    async fn a_failed_mail_does_not_undo_the_account() {
        let mut users = MockUserRepository::new();
        users.expect_create().returning(|new| {
            Ok(stored_user(
                new.id,
                new.email.as_str(),
                new.username.as_str(),
            ))
        });
        let mut mailer = MockMailer::new();
        mailer
            .expect_send()
            .returning(|_| Err(MailError::transient("smtp down")));
        let service = ServiceBuilder::default()
            .users(users)
            .mailer(mailer)
            .verifications_accepting_issue()
            .build();
        assert!(service.register(valid()).await.is_ok());
    }
}
