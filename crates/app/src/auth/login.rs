//! Signing in with e-mail or username and a password.

use std::net::IpAddr;

use nerutalk_domain::{SessionId, UserId, ids::RefreshTokenId, text, user::login_key};
use nerutalk_ports::{NewRefreshToken, PortError, UserCredentials};

use super::{AuthService, IssuedTokens, after, secrets};
use crate::AppError;

/// A sign-in request: `login` is an e-mail address or a username.
#[derive(Debug, Clone)]
pub struct Login {
    pub login: String,
    pub password: String,
    /// The client's address, for the per-address attempt limit; `None`
    /// when it is not known.
    pub client: Option<IpAddr>,
}

impl AuthService {
    /// Checks the password and starts a session.
    ///
    /// An unknown login costs the same bcrypt work as a wrong password and
    /// gets the same answer, so neither time nor text tells which it was.
    /// Attempts are counted before the password is checked.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for control characters in either field,
    /// [`AppError::RateLimited`] when the account or the address has used
    /// its attempts (then nothing is looked up or hashed),
    /// [`AppError::PasswordCheckBusy`] while this account's password is
    /// being checked already, the client address has as many checks under
    /// way as there are hashing workers, or the hashing queue is full,
    /// [`AppError::InvalidCredentials`], or [`AppError::AccountDisabled`]
    /// (only once the password matched).
    pub async fn login(&self, login: Login) -> Result<IssuedTokens, AppError> {
        let key = login_key(&login.login)?;
        text::refuse_nul("password", &login.password)?;
        self.admit_login(&key, login.client).await?;
        // Held until the password is checked: a flood on one account, or
        // from one address, takes a few places in the hashing queue, not
        // all of them.
        // Moved into the check, which gives it back when bcrypt ends, not
        // when this request does.
        let turn = self.passwords.turn(&key, login.client)?;
        let Some(credentials) = self.find_credentials(&login.login, &key).await? else {
            self.passwords
                .verify_decoy_in_turn(turn, &login.password)
                .await?;
            return Err(AppError::InvalidCredentials);
        };
        if !self
            .passwords
            .verify_in_turn(turn, &login.password, &credentials.password_hash)
            .await?
        {
            return Err(AppError::InvalidCredentials);
        }
        if !credentials.user.is_active {
            return Err(AppError::AccountDisabled);
        }
        let user = credentials.user;
        let session_id = SessionId::generate();
        let (refresh_token, record) = self.new_refresh_token();
        let refresh_expires_at = record.expires_at;
        self.ports
            .sessions
            .start(session_id, user.id, record, self.ports.clock.now())
            .await?;
        let (access_token, access_expires_at) = self.access_token(user.id, session_id)?;
        Ok(IssuedTokens {
            access_token,
            access_expires_at,
            refresh_token,
            refresh_expires_at,
            user,
        })
    }

    /// The account a login names. Usernames taken before NFKC normalization
    /// (`ｶﾀｶﾅ`, `user²`) are stored as typed, which the normalized key
    /// misses, so the login as typed (trimmed, lowercased) is tried next.
    async fn find_credentials(
        &self,
        raw: &str,
        key: &str,
    ) -> Result<Option<UserCredentials>, AppError> {
        let as_typed = text::single_line("login", raw)?.to_lowercase();
        let keys = std::iter::once(key).chain((as_typed != key).then_some(as_typed.as_str()));
        for key in keys {
            match self.ports.users.find_credentials(key).await {
                Ok(credentials) => return Ok(Some(credentials)),
                Err(PortError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(None)
    }

    /// A fresh refresh token and the record that stores its hash.
    pub(super) fn new_refresh_token(&self) -> (String, NewRefreshToken) {
        let token = secrets::random_token();
        let record = NewRefreshToken {
            id: RefreshTokenId::generate(),
            token_hash: secrets::token_hash(&token),
            expires_at: after(self.ports.clock.now(), self.config.refresh_token_ttl),
        };
        (token, record)
    }

    pub(super) fn access_token(
        &self,
        user_id: UserId,
        session_id: SessionId,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), AppError> {
        let token = self.access_tokens.issue(user_id, session_id)?;
        Ok((
            token,
            after(self.ports.clock.now(), self.config.access_token_ttl),
        ))
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::DomainError;
    use nerutalk_domain::user::Username;
    use nerutalk_ports::{MockSessionRepository, MockUserRepository};

    use super::*;
    use crate::auth::test_support::{ServiceBuilder, hash_of, stored_user};

    fn credentials(active: bool) -> UserCredentials {
        let mut user = stored_user(UserId::generate(), "ada@example.com", "ada");
        user.is_active = active;
        UserCredentials {
            user,
            password_hash: hash_of("Secret123"),
        }
    }

    fn login(password: &str) -> Login {
        Login {
            login: "ada".into(),
            password: password.into(),
            client: None,
        }
    }

    #[tokio::test]
    async fn right_password_starts_a_session_with_both_tokens() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .returning(|_| Ok(credentials(true)));
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_start()
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .build();
        let tokens = service.login(login("Secret123")).await.unwrap();
        assert!(!tokens.access_token.is_empty());
        assert_eq!(tokens.refresh_token.len(), 43);
        assert!(tokens.refresh_expires_at > tokens.access_expires_at);
    }

    #[tokio::test]
    async fn unknown_login_and_wrong_password_answer_alike() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .withf(|l| l == "ghost")
            .returning(|_| Err(PortError::NotFound));
        users
            .expect_find_credentials()
            .withf(|l| l == "ada")
            .returning(|_| Ok(credentials(true)));
        let service = ServiceBuilder::default().users(users).build();
        let unknown = service
            .login(Login {
                login: "ghost".into(),
                password: "Secret123".into(),
                client: None,
            })
            .await;
        let wrong = service.login(login("Secret124")).await;
        assert_eq!(unknown.unwrap_err(), AppError::InvalidCredentials);
        assert_eq!(wrong.unwrap_err(), AppError::InvalidCredentials);
    }

    #[tokio::test]
    async fn disabled_accounts_cannot_sign_in() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .returning(|_| Ok(credentials(false)));
        let service = ServiceBuilder::default().users(users).build();
        assert_eq!(
            service.login(login("Secret123")).await.unwrap_err(),
            AppError::AccountDisabled
        );
    }

    #[tokio::test]
    async fn control_characters_are_refused_before_the_store_is_asked() {
        let mut users = MockUserRepository::new();
        users.expect_find_credentials().never();
        let service = ServiceBuilder::default().users(users).build();
        for (login, password, field) in [
            ("a\0b", "Secret123", "login"),
            ("ada\u{85}@example.com", "Secret123", "login"),
            ("ada", "Secret\u{0}123", "password"),
        ] {
            let refused = service
                .login(Login {
                    login: login.into(),
                    password: password.into(),
                    client: None,
                })
                .await;
            assert_eq!(
                refused.unwrap_err(),
                AppError::Invalid(DomainError::ControlCharacters { field })
            );
        }
    }

    #[tokio::test]
    async fn a_username_is_looked_up_as_it_was_normalized_at_sign_up() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .withf(|l| l == "ada")
            .times(1)
            .returning(|_| Ok(credentials(true)));
        let mut sessions = MockSessionRepository::new();
        sessions.expect_start().returning(|_, _, _, _| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .build();
        let fullwidth = Login {
            login: " ＡＤＡ ".into(),
            password: "Secret123".into(),
            client: None,
        };
        assert!(service.login(fullwidth).await.is_ok());
    }

    #[tokio::test]
    async fn a_username_from_before_normalization_signs_in_as_typed() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_credentials()
            .withf(|l| l == "user2")
            .times(1)
            .returning(|_| Err(PortError::NotFound));
        users
            .expect_find_credentials()
            .withf(|l| l == "user²")
            .times(1)
            .returning(|_| {
                let mut credentials = credentials(true);
                credentials.user.username = Username::stored("user²".into());
                Ok(credentials)
            });
        let mut sessions = MockSessionRepository::new();
        sessions.expect_start().returning(|_, _, _, _| Ok(()));
        let service = ServiceBuilder::default()
            .users(users)
            .sessions(sessions)
            .build();
        let old_name = Login {
            login: " USER² ".into(),
            password: "Secret123".into(),
            client: None,
        };
        assert!(service.login(old_name).await.is_ok());
    }
}
