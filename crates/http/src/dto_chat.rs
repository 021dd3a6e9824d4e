//! Wire format of chats, members and messages.

use nerutalk_app::ChatSummary;
use nerutalk_app::chat::{ChatPage, ChatView};
use nerutalk_domain::chat::{Chat, ChatKind, Message, MessageKind, Participant};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::envelope::timestamp;

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CreateChatRequest {
    /// `direct` (exactly one other member) or `group`.
    #[schema(value_type = String, example = "direct")]
    pub kind: ChatKind,
    /// The other members' ids.
    pub member_ids: Vec<Uuid>,
    /// Required for groups, 1 to 100 characters.
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

/// Fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateChatRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AddParticipantsRequest {
    pub user_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SendMessageRequest {
    /// `text` (default), `image`, `video`, `file`, `sticker` or `gif`.
    #[serde(default = "text_kind")]
    #[schema(value_type = String, example = "text")]
    pub kind: MessageKind,
    /// The text, or a media message's caption; at most 4,000 characters.
    pub text: Option<String>,
    /// Required for media kinds: an http(s) URL.
    pub media_url: Option<String>,
    pub reply_to: Option<Uuid>,
    /// Idempotency key: a retry with the same key returns the first message.
    pub client_message_id: Option<String>,
}

fn text_kind() -> MessageKind {
    MessageKind::Text
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct EditMessageRequest {
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MarkReadRequest {
    /// Everything up to and including this `seq` is read.
    pub seq: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct HistoryParams {
    /// Messages before this seq (the newest ones first read backwards).
    pub before_seq: Option<i64>,
    /// Messages after this seq (catching up).
    pub after_seq: Option<i64>,
    /// 1 to 100 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ChatListParams {
    pub cursor: Option<String>,
    /// 1 to 50 (default 20).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatDto {
    pub id: Uuid,
    #[schema(example = "group")]
    pub kind: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub created_by: Uuid,
    pub created_at: String,
    pub last_activity_at: String,
    /// The newest message's seq; 0 before the first message.
    pub last_seq: i64,
}

impl From<Chat> for ChatDto {
    fn from(chat: Chat) -> Self {
        Self {
            id: *chat.id.as_uuid(),
            kind: chat.kind.as_str().to_owned(),
            name: chat.details.name,
            description: chat.details.description,
            avatar_url: chat.details.avatar_url,
            created_by: *chat.created_by.as_uuid(),
            created_at: timestamp(chat.created_at),
            last_activity_at: timestamp(chat.last_activity_at),
            last_seq: chat.last_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ParticipantDto {
    pub user_id: Uuid,
    #[schema(example = "member")]
    pub role: String,
    pub joined_at: String,
    pub last_read_seq: i64,
}

impl From<Participant> for ParticipantDto {
    fn from(participant: Participant) -> Self {
        Self {
            user_id: *participant.user_id.as_uuid(),
            role: participant.role.as_str().to_owned(),
            joined_at: timestamp(participant.joined_at),
            last_read_seq: participant.last_read_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatDetailsResponse {
    pub chat: ChatDto,
    pub participants: Vec<ParticipantDto>,
    /// Members typing right now (indicators expire after 5 s without renewal).
    pub typing: Vec<Uuid>,
}

impl From<ChatView> for ChatDetailsResponse {
    fn from(view: ChatView) -> Self {
        Self {
            chat: view.chat.into(),
            participants: view
                .participants
                .into_iter()
                .map(ParticipantDto::from)
                .collect(),
            typing: view.typing.iter().map(|user| *user.as_uuid()).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageDto {
    pub id: Uuid,
    pub chat_id: Uuid,
    /// Position in the chat: 1, 2, 3, … without gaps.
    pub seq: i64,
    pub sender_id: Uuid,
    #[schema(example = "text")]
    pub kind: String,
    /// `null` for a deleted message.
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<Uuid>,
    pub client_message_id: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted_at: Option<String>,
}

impl From<Message> for MessageDto {
    fn from(message: Message) -> Self {
        Self {
            id: *message.id.as_uuid(),
            chat_id: *message.chat_id.as_uuid(),
            seq: message.seq,
            sender_id: *message.sender_id.as_uuid(),
            kind: message.kind.as_str().to_owned(),
            text: message.text,
            media_url: message.media_url,
            reply_to: message.reply_to.map(|id| *id.as_uuid()),
            client_message_id: message.client_message_id,
            created_at: timestamp(message.created_at),
            edited_at: message.edited_at.map(timestamp),
            deleted_at: message.deleted_at.map(timestamp),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatSummaryDto {
    pub chat: ChatDto,
    #[schema(example = "owner")]
    pub role: String,
    pub last_read_seq: i64,
    pub unread: i64,
    pub last_message: Option<MessageDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatPageResponse {
    pub items: Vec<ChatSummaryDto>,
    pub next_cursor: Option<String>,
}

impl From<ChatPage> for ChatPageResponse {
    fn from(page: ChatPage) -> Self {
        Self {
            items: page
                .chats
                .into_iter()
                .map(|summary: ChatSummary| ChatSummaryDto {
                    chat: summary.chat.into(),
                    role: summary.role.as_str().to_owned(),
                    last_read_seq: summary.last_read_seq,
                    unread: summary.unread,
                    last_message: summary.last_message.map(MessageDto::from),
                })
                .collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReadMarker {
    pub chat_id: Uuid,
    pub seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BlockedUsers {
    pub user_ids: Vec<Uuid>,
}
