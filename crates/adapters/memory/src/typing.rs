//! [`TypingStore`] within one process.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::{PortError, TypingStore};

/// Typing indicators and their expiry, per chat, for a single node.
#[derive(Debug, Default)]
pub struct MemoryTypingStore {
    chats: Mutex<HashMap<ChatId, HashMap<UserId, DateTime<Utc>>>>,
}

impl MemoryTypingStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `action` on the chat's live indicators, expired ones removed
    /// first, and forgets the chat when nobody is typing there any more.
    fn with_chat<T>(
        &self,
        chat_id: ChatId,
        now: DateTime<Utc>,
        action: impl FnOnce(&mut HashMap<UserId, DateTime<Utc>>) -> T,
    ) -> T {
        let mut chats = self.chats.lock().unwrap_or_else(PoisonError::into_inner);
        let typing = chats.entry(chat_id).or_default();
        typing.retain(|_, until| *until > now);
        let outcome = action(typing);
        if typing.is_empty() {
            chats.remove(&chat_id);
        }
        outcome
    }
}

#[async_trait]
impl TypingStore for MemoryTypingStore {
    async fn start(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.with_chat(chat_id, now, |typing| typing.insert(user_id, until));
        Ok(())
    }

    async fn stop(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        Ok(self.with_chat(chat_id, now, |typing| typing.remove(&user_id).is_some()))
    }

    async fn typing_in(
        &self,
        chat_id: ChatId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, PortError> {
        Ok(self.with_chat(chat_id, now, |typing| typing.keys().copied().collect()))
    }
}
