//! Sending, reading, editing and deleting messages; read receipts.

use nerutalk_domain::chat::ChatKind;
use nerutalk_domain::chat::{Message, MessageContent, MessageKind, parse_client_message_id};
use nerutalk_domain::event::ChatEvent;
use nerutalk_domain::{ChatId, MessageId, UserId};
use nerutalk_ports::{Appended, HistoryPage, NewMessage, PortError};

use super::ChatService;
use super::limits::MESSAGE_SEND;
use crate::{AppError, PortResultExt};

/// A message as the client asked to send it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub kind: MessageKind,
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<MessageId>,
    pub client_message_id: Option<String>,
}

/// Which part of the history to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    pub before_seq: Option<i64>,
    pub after_seq: Option<i64>,
    pub limit: Option<u32>,
}

impl ChatService {
    pub const MAX_HISTORY_PAGE: u32 = 100;

    /// Stores a message and tells every member. The reply is sent only
    /// after the commit, so an acknowledged message is never lost; a retry
    /// with the same `client_message_id` returns the first message.
    ///
    /// The store checks membership as it appends, so a group send costs no
    /// read before it; a direct chat is read first for the block rule.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`], [`AppError::Invalid`], [`AppError::Blocked`],
    /// [`AppError::MessageNotFound`] for a `reply_to` outside the chat,
    /// [`AppError::RateLimited`] when the sender has spent their budget
    /// (then nothing is stored or told).
    pub async fn send_message(
        &self,
        actor: UserId,
        chat_id: ChatId,
        outgoing: Outgoing,
    ) -> Result<Appended, AppError> {
        let content = MessageContent::parse(
            outgoing.kind,
            outgoing.text.as_deref(),
            outgoing.media_url.as_deref(),
        )?;
        let client_message_id = outgoing
            .client_message_id
            .as_deref()
            .map(parse_client_message_id)
            .transpose()?;
        // Counted once the message is well formed and before any read, so
        // a flood costs the store nothing; a retry of an acknowledged send
        // counts again, which a client that retries slowly never notices.
        self.admit(MESSAGE_SEND, self.limits.message_send, actor)
            .await?;
        let direct = self.kind_of(chat_id).await? == ChatKind::Direct;
        // The block rule needs the other member; a reply must not reveal to
        // a stranger whether the chat exists, so membership comes first.
        if direct || outgoing.reply_to.is_some() {
            let (roster, _) = self.roster_for(actor, chat_id).await?;
            if self.direct_chat_frozen(actor, &roster).await? {
                return Err(AppError::Blocked);
            }
        }
        if let Some(reply_to) = outgoing.reply_to {
            self.message(chat_id, reply_to).await?;
        }
        let message = NewMessage {
            id: MessageId::generate(),
            chat_id,
            sender_id: actor,
            content,
            reply_to: outgoing.reply_to,
            client_message_id,
            created_at: self.ports.clock.now(),
        };
        let appended = match self.ports.messages.append(message.clone()).await {
            Err(PortError::NotFound) => return Err(AppError::ChatNotFound),
            // Two sends with one key raced; the loser's retry finds the winner's message.
            Err(PortError::Conflict(_)) if message.client_message_id.is_some() => {
                self.ports.messages.append(message).await?
            }
            other => other?,
        };
        if appended.created {
            self.tell(
                &appended.audience,
                ChatEvent::NewMessage(appended.message.clone()),
            )
            .await;
        }
        Ok(appended)
    }

    async fn message(&self, chat_id: ChatId, message_id: MessageId) -> Result<Message, AppError> {
        self.ports
            .messages
            .get(chat_id, message_id)
            .await
            .or_not_found(AppError::MessageNotFound)
    }

    /// A page of history by `seq`, oldest first: the newest messages (or
    /// those before `before_seq`), or those after `after_seq` when catching up.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`].
    pub async fn history(
        &self,
        actor: UserId,
        chat_id: ChatId,
        query: HistoryQuery,
    ) -> Result<Vec<Message>, AppError> {
        self.membership(actor, chat_id).await?;
        let limit = query.limit.unwrap_or(50).clamp(1, Self::MAX_HISTORY_PAGE);
        Ok(self
            .ports
            .messages
            .history(
                chat_id,
                HistoryPage {
                    before_seq: query.before_seq,
                    after_seq: query.after_seq,
                    limit,
                },
            )
            .await?)
    }

    /// Replaces the text of one's own text message.
    ///
    /// # Errors
    /// [`AppError::NotMessageAuthor`], [`AppError::MessageNotEditable`], [`AppError::Invalid`],
    /// [`AppError::Blocked`] in a direct chat frozen by a block.
    pub async fn edit_message(
        &self,
        actor: UserId,
        chat_id: ChatId,
        message_id: MessageId,
        text: &str,
    ) -> Result<Message, AppError> {
        let text = MessageContent::parse(MessageKind::Text, Some(text), None)?
            .text
            .ok_or(AppError::Internal)?;
        let (roster, _) = self.roster_for(actor, chat_id).await?;
        if self.direct_chat_frozen(actor, &roster).await? {
            return Err(AppError::Blocked);
        }
        let message = self.message(chat_id, message_id).await?;
        if message.sender_id != actor {
            return Err(AppError::NotMessageAuthor);
        }
        if message.kind != MessageKind::Text || message.is_deleted() {
            return Err(AppError::MessageNotEditable);
        }
        let edited = self
            .ports
            .messages
            .edit(message_id, actor, text, self.ports.clock.now())
            .await
            // Deleted since it was read above: the store refused the edit.
            .or_not_found(AppError::MessageNotEditable)?;
        self.tell(
            &roster.user_ids(),
            ChatEvent::MessageUpdated(edited.clone()),
        )
        .await;
        Ok(edited)
    }

    /// Deletes a message (its author, or a chat admin), leaving a tombstone.
    ///
    /// # Errors
    /// [`AppError::NotChatAdmin`] for someone else's message without admin rights,
    /// [`AppError::Blocked`] in a direct chat frozen by a block.
    pub async fn delete_message(
        &self,
        actor: UserId,
        chat_id: ChatId,
        message_id: MessageId,
    ) -> Result<Message, AppError> {
        let (roster, me) = self.roster_for(actor, chat_id).await?;
        if self.direct_chat_frozen(actor, &roster).await? {
            return Err(AppError::Blocked);
        }
        let message = self.message(chat_id, message_id).await?;
        if message.sender_id != actor && !me.role.can_manage() {
            return Err(AppError::NotChatAdmin);
        }
        let deleted = self
            .ports
            .messages
            .delete(message_id, self.ports.clock.now())
            .await?;
        self.tell(
            &roster.user_ids(),
            ChatEvent::MessageDeleted {
                chat_id,
                message_id,
                seq: deleted.seq,
            },
        )
        .await;
        Ok(deleted)
    }

    /// Marks everything up to `seq` read and tells the members (read
    /// receipts). In a direct chat frozen by a block the marker is still
    /// kept, for the reader's unread counts, but told only to the reader.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`].
    pub async fn mark_read(
        &self,
        actor: UserId,
        chat_id: ChatId,
        seq: i64,
    ) -> Result<i64, AppError> {
        let (roster, _) = self.roster_for(actor, chat_id).await?;
        let audience = if self.direct_chat_frozen(actor, &roster).await? {
            vec![actor]
        } else {
            roster.user_ids()
        };
        let read = self.ports.chats.mark_read(chat_id, actor, seq).await?;
        self.tell(
            &audience,
            ChatEvent::MessageRead {
                chat_id,
                user_id: actor,
                seq: read,
            },
        )
        .await;
        Ok(read)
    }
}
