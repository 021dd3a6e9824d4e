//! Accounts, kept: every authenticated request checks that its account is
//! active, and `/auth/me` answers with it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::user::{Profile, User};
use nerutalk_domain::{Language, UserId};
use nerutalk_ports::{
    EmailVerificationRepository, NewEmailVerification, NewUser, PortError, UserCredentials,
    UserRepository, UserSearch, VerificationOutcome,
};

use super::copies::Copies;

/// A [`UserRepository`] that keeps the accounts [`UserRepository::get`]
/// reads. A change through it drops this node's copy before it returns;
/// other nodes drop theirs on the invalidation the use case publishes.
/// Credentials are never kept: a login always reads the current hash.
pub struct CachedUsers {
    inner: Arc<dyn UserRepository>,
    users: Arc<Copies<UserId, User>>,
}

impl std::fmt::Debug for CachedUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedUsers").finish_non_exhaustive()
    }
}

impl CachedUsers {
    pub(super) fn new(inner: Arc<dyn UserRepository>, users: Arc<Copies<UserId, User>>) -> Self {
        Self { inner, users }
    }

    fn changed<T>(&self, id: UserId, outcome: Result<T, PortError>) -> Result<T, PortError> {
        // Also when it failed: it may have committed before the error.
        self.users.forget(&id);
        outcome
    }
}

#[async_trait]
impl UserRepository for CachedUsers {
    async fn create(&self, user: NewUser) -> Result<User, PortError> {
        self.inner.create(user).await
    }

    async fn get(&self, id: UserId) -> Result<User, PortError> {
        if let Some(user) = self.users.get(&id) {
            return Ok(user);
        }
        let ticket = self.users.ticket();
        let user = self.inner.get(id).await?;
        self.users.keep(ticket, id, user.clone());
        Ok(user)
    }

    async fn find_credentials(&self, login: &str) -> Result<UserCredentials, PortError> {
        self.inner.find_credentials(login).await
    }

    async fn password_hash(&self, id: UserId) -> Result<String, PortError> {
        self.inner.password_hash(id).await
    }

    async fn update_profile(
        &self,
        id: UserId,
        profile: Profile,
        now: DateTime<Utc>,
    ) -> Result<User, PortError> {
        let outcome = self.inner.update_profile(id, profile, now).await;
        self.changed(id, outcome)
    }

    async fn update_password_hash(
        &self,
        id: UserId,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let outcome = self
            .inner
            .update_password_hash(id, password_hash, now)
            .await;
        self.changed(id, outcome)
    }

    async fn set_language(
        &self,
        id: UserId,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<User, PortError> {
        let outcome = self.inner.set_language(id, language, now).await;
        self.changed(id, outcome)
    }

    async fn search(&self, search: UserSearch) -> Result<Vec<User>, PortError> {
        self.inner.search(search).await
    }

    async fn active_among(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, PortError> {
        self.inner.active_among(ids).await
    }
}

/// An [`EmailVerificationRepository`] that drops this node's copy of the
/// account it marks verified, before it returns: verifying changes the
/// account without going through [`UserRepository`].
pub struct CachedVerifications {
    inner: Arc<dyn EmailVerificationRepository>,
    users: Arc<Copies<UserId, User>>,
}

impl std::fmt::Debug for CachedVerifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedVerifications")
            .finish_non_exhaustive()
    }
}

impl CachedVerifications {
    pub(super) fn new(
        inner: Arc<dyn EmailVerificationRepository>,
        users: Arc<Copies<UserId, User>>,
    ) -> Self {
        Self { inner, users }
    }
}

#[async_trait]
impl EmailVerificationRepository for CachedVerifications {
    async fn issue(
        &self,
        verification: NewEmailVerification,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.inner.issue(verification, now).await
    }

    async fn verify(
        &self,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<VerificationOutcome, PortError> {
        let outcome = self.inner.verify(token_hash, now).await?;
        if let VerificationOutcome::Verified(user_id) = outcome {
            self.users.forget(&user_id);
        }
        Ok(outcome)
    }
}
