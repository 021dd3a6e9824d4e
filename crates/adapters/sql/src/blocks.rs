//! [`BlockRepository`] on SQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::UserId;
use nerutalk_ports::{Block, BlockRepository, PortError};

use crate::SqlStore;
use crate::schema::user_blocks;
use crate::store::load_in_chunks;
use crate::types::DbUuid;

/// Blocks in `user_blocks`.
#[derive(Debug, Clone)]
pub struct SqlBlockRepository {
    store: SqlStore,
}

impl SqlBlockRepository {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl BlockRepository for SqlBlockRepository {
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                let key = (DbUuid::from(blocker), DbUuid::from(blocked));
                let exists = user_blocks::table
                    .find(key)
                    .select(user_blocks::blocker_id)
                    .first::<DbUuid>(connection)
                    .optional()?
                    .is_some();
                if !exists {
                    diesel::insert_into(user_blocks::table)
                        .values((
                            user_blocks::blocker_id.eq(key.0),
                            user_blocks::blocked_id.eq(key.1),
                            user_blocks::created_at.eq(now.naive_utc()),
                        ))
                        .execute(connection)?;
                }
                Ok(())
            })
            .await
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<(), PortError> {
        self.store
            .write(move |connection| {
                diesel::delete(
                    user_blocks::table.find((DbUuid::from(blocker), DbUuid::from(blocked))),
                )
                .execute(connection)
                .map(|_| ())
            })
            .await
    }

    async fn blocked_by(&self, blocker: UserId) -> Result<Vec<UserId>, PortError> {
        let ids: Vec<DbUuid> = self
            .store
            .run(move |connection| {
                user_blocks::table
                    .filter(user_blocks::blocker_id.eq(DbUuid::from(blocker)))
                    .order(user_blocks::created_at.desc())
                    .select(user_blocks::blocked_id)
                    .load(connection)
            })
            .await?;
        Ok(ids.into_iter().map(|id| UserId::from_uuid(id.0)).collect())
    }

    async fn either_blocks(&self, a: UserId, b: UserId) -> Result<bool, PortError> {
        let (a, b) = (DbUuid::from(a), DbUuid::from(b));
        let found: i64 = self
            .store
            .run(move |connection| {
                user_blocks::table
                    .filter(
                        user_blocks::blocker_id
                            .eq(a)
                            .and(user_blocks::blocked_id.eq(b))
                            .or(user_blocks::blocker_id
                                .eq(b)
                                .and(user_blocks::blocked_id.eq(a))),
                    )
                    .count()
                    .get_result(connection)
            })
            .await?;
        Ok(found > 0)
    }

    async fn blocks_between(
        &self,
        user: UserId,
        others: Vec<UserId>,
    ) -> Result<Vec<Block>, PortError> {
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let me = DbUuid::from(user);
        let others: Vec<DbUuid> = others.into_iter().map(DbUuid::from).collect();
        let rows: Vec<(DbUuid, DbUuid)> = self
            .store
            .run(move |connection| {
                load_in_chunks(&others, |batch| {
                    user_blocks::table
                        .filter(
                            user_blocks::blocker_id
                                .eq(me)
                                .and(user_blocks::blocked_id.eq_any(batch))
                                .or(user_blocks::blocked_id
                                    .eq(me)
                                    .and(user_blocks::blocker_id.eq_any(batch))),
                        )
                        .select((user_blocks::blocker_id, user_blocks::blocked_id))
                        .load::<(DbUuid, DbUuid)>(connection)
                })
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(blocker, blocked)| Block {
                blocker: UserId::from_uuid(blocker.0),
                blocked: UserId::from_uuid(blocked.0),
            })
            .collect())
    }
}
