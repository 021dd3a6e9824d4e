//! [`EmailVerificationRepository`] on SQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::UserId;
use nerutalk_ports::{
    EmailVerificationRepository, NewEmailVerification, PortError, VerificationOutcome,
};

use crate::SqlStore;
use crate::schema::{email_verifications, users};
use crate::types::DbUuid;

/// Verification tokens in `email_verifications`.
#[derive(Debug, Clone)]
pub struct SqlEmailVerificationRepository {
    store: SqlStore,
}

impl SqlEmailVerificationRepository {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl EmailVerificationRepository for SqlEmailVerificationRepository {
    async fn issue(
        &self,
        verification: NewEmailVerification,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                let user = DbUuid::from(verification.user_id);
                let now = now.naive_utc();
                diesel::update(
                    email_verifications::table
                        .filter(email_verifications::user_id.eq(user))
                        .filter(email_verifications::used_at.is_null()),
                )
                .set(email_verifications::used_at.eq(now))
                .execute(connection)?;
                diesel::insert_into(email_verifications::table)
                    .values((
                        email_verifications::id.eq(DbUuid::from(verification.id)),
                        email_verifications::user_id.eq(user),
                        email_verifications::token_hash.eq(verification.token_hash),
                        email_verifications::created_at.eq(now),
                        email_verifications::expires_at.eq(verification.expires_at.naive_utc()),
                    ))
                    .execute(connection)
                    .map(|_| ())
            })
            .await
    }

    async fn verify(
        &self,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<VerificationOutcome, PortError> {
        self.store
            .write(move |connection| {
                let now = now.naive_utc();
                let found: Option<(DbUuid, DbUuid, NaiveDateTime, Option<NaiveDateTime>)> =
                    email_verifications::table
                        .filter(email_verifications::token_hash.eq(&token_hash))
                        .select((
                            email_verifications::id,
                            email_verifications::user_id,
                            email_verifications::expires_at,
                            email_verifications::used_at,
                        ))
                        .first(connection)
                        .optional()?;
                let Some((id, user, expires_at, used_at)) = found else {
                    return Ok(VerificationOutcome::Unknown);
                };
                if used_at.is_some() {
                    return Ok(VerificationOutcome::AlreadyUsed);
                }
                if expires_at <= now {
                    return Ok(VerificationOutcome::Expired);
                }
                diesel::update(email_verifications::table.find(id))
                    .set(email_verifications::used_at.eq(now))
                    .execute(connection)?;
                diesel::update(users::table.find(user))
                    .set((users::is_verified.eq(true), users::updated_at.eq(now)))
                    .execute(connection)?;
                Ok(VerificationOutcome::Verified(UserId::from_uuid(user.0)))
            })
            .await
    }
}
