//! Storage of user accounts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::{
    Language, UserId,
    user::{Email, Profile, User, Username},
};

use crate::PortError;

/// A user to be stored, with the password already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub username: Username,
    pub password_hash: String,
    pub profile: Profile,
    pub language: Option<Language>,
    pub created_at: DateTime<Utc>,
}

/// A user together with the hash their password is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

/// One page of a people search. `after` is the `username` key of the last
/// user of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSearch {
    pub query: String,
    pub limit: u32,
    pub after: Option<String>,
}

/// Persistence of accounts and profiles.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user.
    ///
    /// # Errors
    /// [`PortError::Conflict`] naming the field when the e-mail or the
    /// username (ignoring case) is taken.
    async fn create(&self, user: NewUser) -> Result<User, PortError>;

    /// # Errors
    /// [`PortError::NotFound`] when there is no such user.
    async fn get(&self, id: UserId) -> Result<User, PortError>;

    /// Finds a user and their password hash by e-mail or username (any case).
    ///
    /// # Errors
    /// [`PortError::NotFound`] when neither matches.
    async fn find_credentials(&self, login: &str) -> Result<UserCredentials, PortError>;

    /// The password hash of a user.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such user.
    async fn password_hash(&self, id: UserId) -> Result<String, PortError>;

    /// Replaces the editable profile.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such user.
    async fn update_profile(
        &self,
        id: UserId,
        profile: Profile,
        now: DateTime<Utc>,
    ) -> Result<User, PortError>;

    /// Replaces the password hash.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such user.
    async fn update_password_hash(
        &self,
        id: UserId,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// Saves the preferred language.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such user.
    async fn set_language(
        &self,
        id: UserId,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<User, PortError>;

    /// Active users whose username or full name contains the query (any
    /// case), ordered by username.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn search(&self, search: UserSearch) -> Result<Vec<User>, PortError>;

    /// Those of `ids` that name active accounts, each once, in no
    /// particular order: unknown and disabled ids are left out. One read
    /// however many ids are asked about.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn active_among(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, PortError>;
}
