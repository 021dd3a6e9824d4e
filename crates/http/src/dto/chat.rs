//! Wire format of chats, members and messages, the same over REST and the
//! WebSocket.

use nerutalk_app::ChatSummary;
use nerutalk_app::chat::{ChatPage, ChatView, Outgoing};
use nerutalk_domain::MessageId;
use nerutalk_domain::chat::{Chat, ChatKind, Message, MessageKind, Participant};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::OneOfBuilder;
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

use crate::envelope::timestamp;
use crate::openapi::field;

/// A direct chat (exactly one other member) or a group; the document
/// describes the two shapes apart (`DirectChatRequest`, `GroupChatRequest`),
/// because what is required depends on `kind`. Clients of the original
/// service may name `kind` `chat_type` and `member_ids` `participant_ids`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateChatRequest {
    #[serde(alias = "chat_type")]
    pub kind: RequestedChatKind,
    #[serde(alias = "participant_ids")]
    pub member_ids: Vec<Uuid>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

/// The kind of chat to create; the original service's `private` means direct.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RequestedChatKind {
    #[serde(alias = "private")]
    Direct,
    Group,
}

impl From<RequestedChatKind> for ChatKind {
    fn from(kind: RequestedChatKind) -> Self {
        match kind {
            RequestedChatKind::Direct => Self::Direct,
            RequestedChatKind::Group => Self::Group,
        }
    }
}

impl PartialSchema for CreateChatRequest {
    fn schema() -> RefOr<Schema> {
        one_of::<DirectChatRequest, GroupChatRequest>(
            "Open a direct chat or create a group, told apart by `kind`.",
        )
    }
}

impl ToSchema for CreateChatRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.extend([
            (
                DirectChatRequest::name().into(),
                DirectChatRequest::schema(),
            ),
            (GroupChatRequest::name().into(), GroupChatRequest::schema()),
        ]);
    }
}

/// A schema of exactly one of `A` and `B`, named by reference.
fn one_of<A: ToSchema, B: ToSchema>(description: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(Ref::from_schema_name(A::name()))
        .item(Ref::from_schema_name(B::name()))
        .description(Some(description))
        .into()
}

/// Opens the pair's direct chat, or returns it if it exists.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes one shape of CreateChatRequest for the document"
)]
pub(crate) struct DirectChatRequest {
    #[schema(schema_with = field::direct_kind)]
    kind: String,
    #[schema(schema_with = field::direct_member)]
    member_ids: Vec<Uuid>,
    /// Not used by direct chats.
    name: Option<String>,
    /// Not used by direct chats.
    description: Option<String>,
    /// Not used by direct chats.
    avatar_url: Option<String>,
}

/// Creates a group with the caller as its owner.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes one shape of CreateChatRequest for the document"
)]
pub(crate) struct GroupChatRequest {
    #[schema(schema_with = field::group_kind)]
    kind: String,
    #[schema(schema_with = field::group_members)]
    member_ids: Vec<Uuid>,
    #[schema(schema_with = field::chat_name)]
    name: String,
    #[schema(schema_with = field::chat_description)]
    description: Option<String>,
    #[schema(schema_with = field::avatar_url)]
    avatar_url: Option<String>,
}

/// Fields left out (or `null`) stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateChatRequest {
    #[schema(schema_with = field::chat_name_update)]
    pub name: Option<String>,
    #[schema(schema_with = field::chat_description)]
    pub description: Option<String>,
    #[schema(schema_with = field::avatar_url)]
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AddParticipantsRequest {
    #[schema(schema_with = field::new_members)]
    pub user_ids: Vec<Uuid>,
}

/// A text message or a media message; the document describes the two
/// shapes apart (`TextMessageRequest`, `MediaMessageRequest`), because what
/// is required depends on `kind`. Clients of the original service may name
/// `kind` `message_type` and `text` `content`.
#[derive(Debug, Deserialize)]
pub(crate) struct SendMessageRequest {
    #[serde(default = "text_kind", alias = "message_type")]
    pub kind: MessageKind,
    #[serde(alias = "content")]
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<Uuid>,
    pub client_message_id: Option<String>,
}

impl PartialSchema for SendMessageRequest {
    fn schema() -> RefOr<Schema> {
        one_of::<TextMessageRequest, MediaMessageRequest>(
            "A text message, or a media message with a caption, told apart by `kind`.",
        )
    }
}

impl ToSchema for SendMessageRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.extend([
            (
                TextMessageRequest::name().into(),
                TextMessageRequest::schema(),
            ),
            (
                MediaMessageRequest::name().into(),
                MediaMessageRequest::schema(),
            ),
        ]);
    }
}

pub(crate) fn text_kind() -> MessageKind {
    MessageKind::Text
}

impl From<SendMessageRequest> for Outgoing {
    fn from(request: SendMessageRequest) -> Self {
        Self {
            kind: request.kind,
            text: request.text,
            media_url: request.media_url,
            reply_to: request.reply_to.map(MessageId::from_uuid),
            client_message_id: request.client_message_id,
        }
    }
}

/// A text message.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes one shape of SendMessageRequest for the document"
)]
pub(crate) struct TextMessageRequest {
    /// Left out means `text`.
    #[schema(schema_with = field::text_kind)]
    kind: Option<String>,
    #[schema(schema_with = field::message_text)]
    text: String,
    #[schema(schema_with = field::unused_media_url)]
    media_url: Option<String>,
    /// The message this one answers, in the same chat.
    #[schema(schema_with = field::reply_to)]
    reply_to: Option<Uuid>,
    #[schema(schema_with = field::client_message_id)]
    client_message_id: Option<String>,
}

/// An image, video, file, sticker or GIF, with an optional caption.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes one shape of SendMessageRequest for the document"
)]
pub(crate) struct MediaMessageRequest {
    #[schema(schema_with = field::media_kind)]
    kind: String,
    #[schema(schema_with = field::media_url)]
    media_url: String,
    #[schema(schema_with = field::caption)]
    text: Option<String>,
    /// The message this one answers, in the same chat.
    #[schema(schema_with = field::reply_to)]
    reply_to: Option<Uuid>,
    #[schema(schema_with = field::client_message_id)]
    client_message_id: Option<String>,
}

/// The new text; `content` is accepted for clients of the original service.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct EditMessageRequest {
    #[serde(alias = "content")]
    #[schema(schema_with = field::message_text)]
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MarkReadRequest {
    /// Everything up to and including this `seq` is read.
    #[serde(deserialize_with = "integral")]
    pub seq: i64,
}

/// JSON Schema counts `5.0` as an integer, so a client generated from the
/// document may send one; serde's `i64` would refuse it.
pub(crate) fn integral<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|value| value.fract() == 0.0)
                .and_then(|value| value.to_string().parse().ok())
        })
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not a 64-bit integer")))
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct HistoryParams {
    /// Messages before this seq (the newest ones first read backwards).
    pub before_seq: Option<i64>,
    /// Messages after this seq (catching up).
    pub after_seq: Option<i64>,
    #[param(schema_with = field::history_limit)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ChatListParams {
    #[param(schema_with = field::cursor)]
    pub cursor: Option<String>,
    #[param(schema_with = field::chat_page_limit)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatDto {
    pub id: Uuid,
    #[schema(schema_with = field::chat_kind)]
    pub kind: String,
    /// A group's name; `null` for a direct chat.
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub created_by: Uuid,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
    #[schema(schema_with = field::role)]
    pub role: String,
    #[schema(format = DateTime)]
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
    #[schema(schema_with = field::message_kind)]
    pub kind: String,
    /// `null` for a deleted message.
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<Uuid>,
    pub client_message_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    #[schema(format = DateTime)]
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
    #[schema(schema_with = field::role)]
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
