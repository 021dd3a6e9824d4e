//! Chat rosters, kept: a direct-chat send, an edit, a read receipt and a
//! typing indicator each check the sender against the chat's members.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::chat::{Chat, ChatDetails, Participant};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::{
    AddMembersOutcome, ChatCursor, ChatRepository, ChatSummary, NewChat, PortError, Removal, Roster,
};

use super::copies::Copies;

/// A [`ChatRepository`] that keeps the rosters it reads. A membership or
/// detail change through it drops this node's copy before it returns;
/// other nodes drop theirs on the invalidation the use case publishes.
///
/// The read markers (`last_read_seq`) in a kept roster may lag: what checks
/// a roster looks at who is in the chat and with which role, and whoever
/// shows read markers reads them with [`ChatRepository::members`], which
/// is never kept.
pub struct CachedChats {
    inner: Arc<dyn ChatRepository>,
    rosters: Arc<Copies<ChatId, Roster>>,
}

impl std::fmt::Debug for CachedChats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedChats").finish_non_exhaustive()
    }
}

impl CachedChats {
    pub(super) fn new(
        inner: Arc<dyn ChatRepository>,
        rosters: Arc<Copies<ChatId, Roster>>,
    ) -> Self {
        Self { inner, rosters }
    }

    fn changed<T>(&self, chat_id: ChatId, outcome: Result<T, PortError>) -> Result<T, PortError> {
        // Also when it failed: it may have committed before the error.
        self.rosters.forget(&chat_id);
        outcome
    }
}

#[async_trait]
impl ChatRepository for CachedChats {
    async fn create(&self, chat: NewChat) -> Result<Chat, PortError> {
        self.inner.create(chat).await
    }

    async fn find_direct(&self, a: UserId, b: UserId) -> Result<Option<Chat>, PortError> {
        self.inner.find_direct(a, b).await
    }

    async fn get(&self, chat_id: ChatId) -> Result<Chat, PortError> {
        self.inner.get(chat_id).await
    }

    async fn member(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<Option<Participant>, PortError> {
        self.inner.member(chat_id, user_id).await
    }

    async fn members(&self, chat_id: ChatId) -> Result<Vec<Participant>, PortError> {
        self.inner.members(chat_id).await
    }

    async fn roster(&self, chat_id: ChatId) -> Result<Roster, PortError> {
        if let Some(roster) = self.rosters.get(&chat_id) {
            return Ok(roster);
        }
        let ticket = self.rosters.ticket();
        let roster = self.inner.roster(chat_id).await?;
        self.rosters.keep(ticket, chat_id, roster.clone());
        Ok(roster)
    }

    async fn contacts(&self, user_id: UserId) -> Result<Vec<UserId>, PortError> {
        self.inner.contacts(user_id).await
    }

    async fn list_for_user(
        &self,
        user_id: UserId,
        after: Option<ChatCursor>,
        limit: u32,
    ) -> Result<Vec<ChatSummary>, PortError> {
        self.inner.list_for_user(user_id, after, limit).await
    }

    async fn update_details(
        &self,
        chat_id: ChatId,
        details: ChatDetails,
        now: DateTime<Utc>,
    ) -> Result<Chat, PortError> {
        let outcome = self.inner.update_details(chat_id, details, now).await;
        self.changed(chat_id, outcome)
    }

    async fn add_members(
        &self,
        chat_id: ChatId,
        users: Vec<UserId>,
        max_members: usize,
        now: DateTime<Utc>,
    ) -> Result<AddMembersOutcome, PortError> {
        let outcome = self
            .inner
            .add_members(chat_id, users, max_members, now)
            .await;
        self.changed(chat_id, outcome)
    }

    async fn remove_member(&self, chat_id: ChatId, user_id: UserId) -> Result<Removal, PortError> {
        let outcome = self.inner.remove_member(chat_id, user_id).await;
        self.changed(chat_id, outcome)
    }

    async fn mark_read(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    ) -> Result<i64, PortError> {
        self.inner.mark_read(chat_id, user_id, seq).await
    }
}
