//! [`SessionRepository`] on SQL: sessions are refresh-token families.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::{SessionId, UserId};
use nerutalk_ports::{
    NewRefreshToken, PortError, RotationOutcome, SessionRepository, SessionState,
};

use crate::schema::{refresh_tokens, sessions};
use crate::types::DbUuid;
use crate::{AnyConnection, SqlStore};

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct RefreshTokenRow {
    id: DbUuid,
    session_id: DbUuid,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl RefreshTokenRow {
    fn new(token: NewRefreshToken, session_id: DbUuid, now: DateTime<Utc>) -> Self {
        Self {
            id: token.id.into(),
            session_id,
            token_hash: token.token_hash,
            created_at: now.naive_utc(),
            expires_at: token.expires_at.naive_utc(),
        }
    }
}

/// Sessions in `sessions`, their tokens in `refresh_tokens`.
#[derive(Debug, Clone)]
pub struct SqlSessionRepository {
    store: SqlStore,
}

impl SqlSessionRepository {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

fn revoke_session(
    connection: &mut AnyConnection,
    session: DbUuid,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .find(session)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(connection)
}

#[async_trait]
impl SessionRepository for SqlSessionRepository {
    async fn start(
        &self,
        session_id: SessionId,
        user_id: UserId,
        first_token: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                let session = DbUuid::from(session_id);
                diesel::insert_into(sessions::table)
                    .values((
                        sessions::id.eq(session),
                        sessions::user_id.eq(DbUuid::from(user_id)),
                        sessions::created_at.eq(now.naive_utc()),
                    ))
                    .execute(connection)?;
                diesel::insert_into(refresh_tokens::table)
                    .values(RefreshTokenRow::new(first_token, session, now))
                    .execute(connection)
                    .map(|_| ())
            })
            .await
    }

    async fn rotate(
        &self,
        presented_hash: String,
        replacement: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RotationOutcome, PortError> {
        self.store
            .write(move |connection| {
                let now_naive = now.naive_utc();
                let token: Option<(DbUuid, DbUuid, NaiveDateTime, Option<NaiveDateTime>)> =
                    refresh_tokens::table
                        .filter(refresh_tokens::token_hash.eq(&presented_hash))
                        .select((
                            refresh_tokens::id,
                            refresh_tokens::session_id,
                            refresh_tokens::expires_at,
                            refresh_tokens::used_at,
                        ))
                        .first(connection)
                        .optional()?;
                let Some((token_id, session, expires_at, used_at)) = token else {
                    return Ok(RotationOutcome::Unknown);
                };
                let (user, revoked_at): (DbUuid, Option<NaiveDateTime>) = sessions::table
                    .find(session)
                    .select((sessions::user_id, sessions::revoked_at))
                    .first(connection)?;
                let session_id = SessionId::from_uuid(session.0);
                let user_id = UserId::from_uuid(user.0);
                if revoked_at.is_some() {
                    return Ok(RotationOutcome::Revoked);
                }
                if used_at.is_some() {
                    revoke_session(connection, session, now_naive)?;
                    return Ok(RotationOutcome::ReuseDetected {
                        user_id,
                        session_id,
                    });
                }
                if expires_at <= now_naive {
                    return Ok(RotationOutcome::Expired);
                }
                // Guarded by `used_at IS NULL`: of two concurrent presentations
                // only one can spend the token; the other is a reuse.
                let spent = diesel::update(
                    refresh_tokens::table
                        .find(token_id)
                        .filter(refresh_tokens::used_at.is_null()),
                )
                .set(refresh_tokens::used_at.eq(now_naive))
                .execute(connection)?;
                if spent == 0 {
                    revoke_session(connection, session, now_naive)?;
                    return Ok(RotationOutcome::ReuseDetected {
                        user_id,
                        session_id,
                    });
                }
                diesel::insert_into(refresh_tokens::table)
                    .values(RefreshTokenRow::new(replacement, session, now))
                    .execute(connection)?;
                Ok(RotationOutcome::Rotated {
                    user_id,
                    session_id,
                })
            })
            .await
    }

    async fn state(&self, session_id: SessionId) -> Result<SessionState, PortError> {
        let (user, revoked_at): (DbUuid, Option<NaiveDateTime>) = self
            .store
            .run(move |connection| {
                sessions::table
                    .find(DbUuid::from(session_id))
                    .select((sessions::user_id, sessions::revoked_at))
                    .first(connection)
            })
            .await?;
        Ok(SessionState {
            user_id: UserId::from_uuid(user.0),
            revoked: revoked_at.is_some(),
        })
    }

    async fn revoke(&self, session_id: SessionId, now: DateTime<Utc>) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                let session = DbUuid::from(session_id);
                if revoke_session(connection, session, now.naive_utc())? == 0 {
                    // Already revoked is fine; never existing is not.
                    sessions::table
                        .find(session)
                        .select(sessions::id)
                        .first::<DbUuid>(connection)?;
                }
                Ok(())
            })
            .await
    }

    async fn revoke_all_except(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, PortError> {
        let revoked = self
            .store
            .write(move |connection| {
                let mut targets = sessions::table
                    .filter(sessions::user_id.eq(DbUuid::from(user_id)))
                    .filter(sessions::revoked_at.is_null())
                    .select(sessions::id)
                    .into_boxed();
                if let Some(keep) = keep {
                    targets = targets.filter(sessions::id.ne(DbUuid::from(keep)));
                }
                let ids: Vec<DbUuid> = targets.load(connection)?;
                diesel::update(sessions::table.filter(sessions::id.eq_any(ids)))
                    .set(sessions::revoked_at.eq(now.naive_utc()))
                    .execute(connection)
            })
            .await?;
        Ok(u64::try_from(revoked).unwrap_or(u64::MAX))
    }
}
