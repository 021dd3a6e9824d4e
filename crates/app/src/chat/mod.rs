//! Chats and messages: one use case per action, shared by REST and the
//! WebSocket gateway so no rule is written twice.

#[cfg(test)]
mod blocking_tests;
mod blocks;
mod conversations;
mod kinds;
mod limits;
mod messages;
#[cfg(test)]
mod tests;
mod typing;

use std::sync::Arc;

use nerutalk_domain::chat::{Chat, ChatKind, Participant};
use nerutalk_domain::event::{ChatEvent, Invalidation, LiveEvent, PresenceChange};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::{
    BlockRepository, ChatRepository, Clock, EventBus, MessageRepository, Presence, PresenceStore,
    RateLimiter, Roster, TypingStore, UserRepository,
};

pub use conversations::{ChatPage, ChatView, NewConversation};
pub use limits::{CHAT_CREATE, ChatLimits, MEMBER_ADD, MESSAGE_SEND};
pub use messages::{HistoryQuery, Outgoing};

use crate::error::cause_chain;
use crate::{AppError, PortResultExt};

/// The ports chat works through.
#[derive(Clone)]
pub struct ChatPorts {
    pub chats: Arc<dyn ChatRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub blocks: Arc<dyn BlockRepository>,
    pub users: Arc<dyn UserRepository>,
    pub bus: Arc<dyn EventBus>,
    pub presence: Arc<dyn PresenceStore>,
    pub typing: Arc<dyn TypingStore>,
    pub clock: Arc<dyn Clock>,
    /// Counts sends, new chats and member additions, on this node or on
    /// all nodes together.
    pub rate_limiter: Arc<dyn RateLimiter>,
}

impl std::fmt::Debug for ChatPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatPorts").finish_non_exhaustive()
    }
}

/// The chat use cases.
#[derive(Clone)]
pub struct ChatService {
    ports: ChatPorts,
    limits: ChatLimits,
    kinds: Arc<kinds::ChatKinds>,
}

impl std::fmt::Debug for ChatService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatService").finish_non_exhaustive()
    }
}

impl ChatService {
    #[must_use]
    pub fn new(ports: ChatPorts, limits: ChatLimits) -> Self {
        Self {
            ports,
            limits,
            kinds: Arc::default(),
        }
    }

    /// The caller's membership. A chat the caller is not in answers "not
    /// found" exactly like a chat that does not exist: no existence leak.
    async fn membership(&self, user: UserId, chat_id: ChatId) -> Result<Participant, AppError> {
        self.ports
            .chats
            .member(chat_id, user)
            .await?
            .ok_or(AppError::ChatNotFound)
    }

    /// The chat and its members in one read, with the caller's membership;
    /// "not found" for a non-member, as [`Self::membership`].
    async fn roster_for(
        &self,
        user: UserId,
        chat_id: ChatId,
    ) -> Result<(Roster, Participant), AppError> {
        let roster = self
            .ports
            .chats
            .roster(chat_id)
            .await
            .or_not_found(AppError::ChatNotFound)?;
        let me = roster.member(user).cloned().ok_or(AppError::ChatNotFound)?;
        Ok((roster, me))
    }

    /// Whether `chat_id` is a direct chat or a group ("not found" when it
    /// does not exist); read once per chat, since it never changes.
    async fn kind_of(&self, chat_id: ChatId) -> Result<ChatKind, AppError> {
        if let Some(kind) = self.kinds.get(chat_id) {
            return Ok(kind);
        }
        let kind = self.chat(chat_id).await?.kind;
        self.kinds.remember(chat_id, kind);
        Ok(kind)
    }

    async fn chat(&self, chat_id: ChatId) -> Result<Chat, AppError> {
        self.ports
            .chats
            .get(chat_id)
            .await
            .or_not_found(AppError::ChatNotFound)
    }

    /// Publishes to every member. Publishing is best effort: what is stored
    /// is stored, and a client that missed the event catches up by `seq`.
    async fn tell_members(&self, chat_id: ChatId, event: ChatEvent) {
        match self.ports.chats.members(chat_id).await {
            Ok(members) => {
                let recipients: Vec<UserId> = members.iter().map(|member| member.user_id).collect();
                self.tell(&recipients, event).await;
            }
            Err(error) => {
                tracing::warn!(%chat_id, error = %cause_chain(&error), "cannot list members to publish to")
            }
        }
    }

    /// Tells every node that `what` changed, once it is stored: this node's
    /// copy went with the change itself, and should the bus be down, the
    /// other nodes keep no copies until it is back (docs/architecture.md,
    /// "Caches").
    async fn invalidate(&self, what: Invalidation) {
        if let Err(error) = self.ports.bus.invalidate(&what).await {
            tracing::warn!(?what, error = %cause_chain(&error), "invalidation not published; other nodes' copies expire with the cache TTL");
        }
    }

    async fn tell(&self, recipients: &[UserId], event: impl Into<LiveEvent>) {
        if let Err(error) = self.ports.bus.publish(recipients, &event.into()).await {
            tracing::warn!(error = %cause_chain(&error), "event not published; clients will catch up on resume");
        }
    }

    /// The users who may see `user`'s presence, and whose presence `user`
    /// may see: those who share at least one chat with them, but no block
    /// either way (a group shared with someone one blocked is no window).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the stores cannot be read.
    pub async fn contacts(&self, user: UserId) -> Result<Vec<UserId>, AppError> {
        let mut contacts = self.ports.chats.contacts(user).await?;
        let blocked = self.blocked_either_way(user, &contacts).await?;
        contacts.retain(|contact| !blocked.contains(contact));
        Ok(contacts)
    }

    /// A socket of `user` opened. The first one on this node routes their
    /// events here; the first one anywhere tells their contacts they are online.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the event bus cannot subscribe.
    pub async fn connected(&self, user: UserId, first_on_this_node: bool) -> Result<(), AppError> {
        if first_on_this_node {
            self.ports.bus.subscribe(user).await?;
        }
        match self.ports.presence.connected(user).await {
            Ok(true) => self.announce_presence(user, true, None).await,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%user, error = %cause_chain(&error), "presence not recorded")
            }
        }
        Ok(())
    }

    /// A socket of `user` closed; the last one anywhere takes them offline.
    pub async fn disconnected(&self, user: UserId, last_on_this_node: bool) {
        if last_on_this_node {
            if let Err(error) = self.ports.bus.unsubscribe(user).await {
                tracing::warn!(%user, error = %cause_chain(&error), "cannot unsubscribe; the bus will drop the events");
            }
        }
        let now = self.ports.clock.now();
        match self.ports.presence.disconnected(user, now).await {
            Ok(true) => self.announce_presence(user, false, Some(now)).await,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%user, error = %cause_chain(&error), "presence not recorded")
            }
        }
    }

    /// Renews the presence of the users connected to this node, so that
    /// theirs is not taken for the leftovers of a node that died.
    pub async fn keep_present(&self, users: Vec<UserId>) {
        if let Err(error) = self.ports.presence.refresh(users).await {
            tracing::warn!(error = %cause_chain(&error), "presence not renewed; will retry");
        }
    }

    /// The presence of `user`'s [contacts](Self::contacts).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the stores cannot be read.
    pub async fn contacts_presence(&self, user: UserId) -> Result<Vec<Presence>, AppError> {
        let contacts = self.contacts(user).await?;
        Ok(self.ports.presence.presence(contacts).await?)
    }

    /// Tells `user`'s [contacts](Self::contacts) that they came online or went away.
    async fn announce_presence(
        &self,
        user: UserId,
        online: bool,
        last_seen: Option<chrono::DateTime<chrono::Utc>>,
    ) {
        match self.contacts(user).await {
            Ok(contacts) if !contacts.is_empty() => {
                self.tell(
                    &contacts,
                    PresenceChange {
                        user_id: user,
                        online,
                        last_seen,
                    },
                )
                .await;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%user, error = %cause_chain(&error), "presence not announced")
            }
        }
    }
}
