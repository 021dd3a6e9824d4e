//! The chat capability's WebSocket payloads: what a client's chat frames
//! carry, and the events and answers the server sends about chats. The
//! message and the chat inside them are REST's [`MessageDto`] and
//! [`ChatDto`]; a request frame takes the fields of its REST body plus the
//! ids REST reads from the path, under the same names and aliases.

use nerutalk_app::chat::Outgoing;
use nerutalk_domain::MessageId;
use nerutalk_domain::chat::MessageKind;
use nerutalk_domain::event::ParticipantRole;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::chat::{MessageDto, SendMessageRequest, integral, text_kind};
use crate::openapi::field;

/// `send_message`: `POST /api/v1/chats/{chat_id}/messages`'s body, plus
/// `chat_id`, with the same aliases (`content`, `message_type`).
#[derive(Debug, Deserialize)]
pub(crate) struct SendMessageFrame {
    pub chat_id: Uuid,
    #[serde(default = "text_kind", alias = "message_type")]
    pub kind: MessageKind,
    #[serde(alias = "content")]
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<Uuid>,
    pub client_message_id: Option<String>,
}

impl From<SendMessageFrame> for Outgoing {
    fn from(frame: SendMessageFrame) -> Self {
        Self {
            kind: frame.kind,
            text: frame.text,
            media_url: frame.media_url,
            reply_to: frame.reply_to.map(MessageId::from_uuid),
            client_message_id: frame.client_message_id,
        }
    }
}

/// REST's request schema with the chat beside it: one description of a
/// message to send, whichever way it travels.
impl PartialSchema for SendMessageFrame {
    fn schema() -> RefOr<Schema> {
        let chat = ObjectBuilder::new()
            .property("chat_id", uuid("The chat."))
            .required("chat_id");
        AllOfBuilder::new()
            .item(chat)
            .item(Ref::from_schema_name(SendMessageRequest::name()))
            .description(Some(
                "A message to send: the body of `POST /api/v1/chats/{chat_id}/messages` and \
                 the chat.",
            ))
            .into()
    }
}

impl ToSchema for SendMessageFrame {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            SendMessageRequest::name().into(),
            SendMessageRequest::schema(),
        ));
        SendMessageRequest::schemas(schemas);
    }
}

fn uuid(description: &str) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Uuid,
        )))
        .description(Some(description))
        .build()
}

/// `edit_message`: the new text of your own message (`content` accepted).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct EditMessageFrame {
    pub chat_id: Uuid,
    pub message_id: Uuid,
    #[serde(alias = "content")]
    #[schema(schema_with = field::message_text)]
    pub text: String,
}

/// `delete_message`: a message to delete.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MessageRefFrame {
    pub chat_id: Uuid,
    pub message_id: Uuid,
}

/// `message_read`: everything up to and including `seq` is read.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MarkReadFrame {
    pub chat_id: Uuid,
    #[serde(deserialize_with = "integral")]
    pub seq: i64,
}

/// `typing_indicator`: start (or renew) or stop typing in a chat.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TypingFrame {
    pub chat_id: Uuid,
    /// Left out means `true`.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub is_typing: bool,
}

const fn yes() -> bool {
    true
}

/// `join_chat`, `leave_chat`, and the `chat_left` answer: one chat.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChatRef {
    pub chat_id: Uuid,
}

/// The `ack` of `send_message`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SentAck {
    pub message: MessageDto,
    /// `false`: the `client_message_id` had been seen, and this is the
    /// message stored the first time.
    pub created: bool,
}

/// The `ack` of `edit_message` and `delete_message`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageAck {
    pub message: MessageDto,
}

/// The `ack` of `typing_indicator`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TypingAck {
    pub chat_id: Uuid,
    pub is_typing: bool,
}

/// `chat_joined`: the chat's newest `seq` and who is typing there now.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatJoined {
    pub chat_id: Uuid,
    pub last_seq: i64,
    pub typing: Vec<Uuid>,
}

/// `message_deleted`: the tombstone keeps its `seq`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageDeleted {
    pub chat_id: Uuid,
    pub message_id: Uuid,
    pub seq: i64,
}

/// `message_read`: a member's read marker.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageRead {
    pub chat_id: Uuid,
    pub user_id: Uuid,
    pub seq: i64,
}

/// `typing`: another member started or stopped typing.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Typing {
    pub chat_id: Uuid,
    pub user_id: Uuid,
    pub is_typing: bool,
}

/// A member as `participant_added` names them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NewParticipant {
    pub user_id: Uuid,
    #[schema(schema_with = field::role)]
    pub role: String,
}

impl From<ParticipantRole> for NewParticipant {
    fn from(member: ParticipantRole) -> Self {
        Self {
            user_id: *member.user_id.as_uuid(),
            role: member.role.as_str().to_owned(),
        }
    }
}

/// `participant_added`: everyone one add brought in, in the order named.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ParticipantsAdded {
    pub chat_id: Uuid,
    pub participants: Vec<NewParticipant>,
}

/// `participant_removed`: a member left or was removed.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ParticipantRemoved {
    pub chat_id: Uuid,
    pub user_id: Uuid,
}
