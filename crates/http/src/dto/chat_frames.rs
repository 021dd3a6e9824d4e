//! The chat capability's WebSocket payloads: what a client's chat frames
//! carry, and the events and answers the server sends about chats. The
//! message and the chat inside them are REST's [`MessageDto`] and
//! [`ChatDto`]; a request frame is its REST body, read by the body's own
//! type (one list of aliases, one conversion), plus the ids REST reads from
//! the path.

use std::fmt;
use std::marker::PhantomData;

use nerutalk_domain::event::ParticipantRole;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Error as _, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{KnownFormat, Ref, RefOr, Schema, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::chat::{EditMessageRequest, MarkReadRequest, MessageDto, SendMessageRequest};
use crate::openapi::field;

/// `send_message`: `POST /api/v1/chats/{chat_id}/messages`'s body, plus
/// `chat_id`.
#[derive(Debug)]
pub(crate) struct SendMessageFrame {
    pub chat_id: Uuid,
    pub body: SendMessageRequest,
}

/// `edit_message`: `PUT /api/v1/chats/{chat_id}/messages/{message_id}`'s
/// body, plus both ids.
#[derive(Debug)]
pub(crate) struct EditMessageFrame {
    pub chat_id: Uuid,
    pub message_id: Uuid,
    pub body: EditMessageRequest,
}

/// `message_read`: `POST /api/v1/chats/{chat_id}/messages/mark-read`'s body, plus `chat_id`.
#[derive(Debug)]
pub(crate) struct MarkReadFrame {
    pub chat_id: Uuid,
    pub body: MarkReadRequest,
}

impl<'de> Deserialize<'de> for SendMessageFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ([chat_id], body) = with_ids(deserializer, ["chat_id"])?;
        Ok(Self { chat_id, body })
    }
}

impl<'de> Deserialize<'de> for EditMessageFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ([chat_id, message_id], body) = with_ids(deserializer, ["chat_id", "message_id"])?;
        Ok(Self {
            chat_id,
            message_id,
            body,
        })
    }
}

impl<'de> Deserialize<'de> for MarkReadFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ([chat_id], body) = with_ids(deserializer, ["chat_id"])?;
        Ok(Self { chat_id, body })
    }
}

/// Reads a frame's `data` as the ids REST takes from the path and, from
/// every other field, REST's body `B` with its own aliases and rules. Not
/// `#[serde(flatten)]`: that reads the body again from a buffer, and an
/// error then loses the name of the field at fault; here every field is
/// read straight from the frame, so its error keeps its path.
fn with_ids<'de, D, B, const N: usize>(
    deserializer: D,
    names: [&'static str; N],
) -> Result<([Uuid; N], B), D::Error>
where
    D: Deserializer<'de>,
    B: Deserialize<'de>,
{
    deserializer.deserialize_map(WithIds {
        names,
        body: PhantomData,
    })
}

struct WithIds<B, const N: usize> {
    names: [&'static str; N],
    body: PhantomData<B>,
}

impl<'de, B: Deserialize<'de>, const N: usize> Visitor<'de> for WithIds<B, N> {
    type Value = ([Uuid; N], B);

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut rest = Rest {
            map,
            names: self.names,
            ids: [None; N],
        };
        let body = B::deserialize(MapAccessDeserializer::new(&mut rest))?;
        let mut ids = [Uuid::nil(); N];
        for ((id, found), name) in ids.iter_mut().zip(rest.ids).zip(self.names) {
            *id = found.ok_or_else(|| A::Error::missing_field(name))?;
        }
        Ok((ids, body))
    }
}

/// The fields of `data` but the ids, which it keeps aside as it meets them.
struct Rest<A, const N: usize> {
    map: A,
    names: [&'static str; N],
    ids: [Option<Uuid>; N],
}

impl<'de, A: MapAccess<'de>, const N: usize> MapAccess<'de> for Rest<A, N> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(key) = self.map.next_key::<String>()? {
            let Some(index) = self.names.iter().position(|name| *name == key) else {
                return seed
                    .deserialize(IntoDeserializer::<A::Error>::into_deserializer(key))
                    .map(Some);
            };
            if self.ids[index].is_some() {
                return Err(A::Error::duplicate_field(self.names[index]));
            }
            self.ids[index] = Some(self.map.next_value()?);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// REST's request schema `B` with the ids beside it: one description of the
/// request, whichever way it travels.
fn ids_and_body<B: ToSchema>(ids: &[(&str, &str)], description: &str) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new();
    for (name, meaning) in ids {
        object = object.property(*name, uuid(meaning)).required(*name);
    }
    AllOfBuilder::new()
        .item(object)
        .item(Ref::from_schema_name(B::name()))
        .description(Some(description))
        .into()
}

/// The schemas a frame's schema refers to: REST's request and what it uses.
fn body_schemas<B: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((B::name().into(), B::schema()));
    B::schemas(schemas);
}

impl PartialSchema for SendMessageFrame {
    fn schema() -> RefOr<Schema> {
        ids_and_body::<SendMessageRequest>(
            &[("chat_id", "The chat.")],
            "A message to send: the body of `POST /api/v1/chats/{chat_id}/messages` and the \
             chat.",
        )
    }
}

impl ToSchema for SendMessageFrame {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        body_schemas::<SendMessageRequest>(schemas);
    }
}

impl PartialSchema for EditMessageFrame {
    fn schema() -> RefOr<Schema> {
        ids_and_body::<EditMessageRequest>(
            &[("chat_id", "The chat."), ("message_id", "Your message.")],
            "The new text of your own message: the body of \
             `PUT /api/v1/chats/{chat_id}/messages/{message_id}` and both ids.",
        )
    }
}

impl ToSchema for EditMessageFrame {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        body_schemas::<EditMessageRequest>(schemas);
    }
}

impl PartialSchema for MarkReadFrame {
    fn schema() -> RefOr<Schema> {
        ids_and_body::<MarkReadRequest>(
            &[("chat_id", "The chat.")],
            "A read marker: the body of `POST /api/v1/chats/{chat_id}/messages/mark-read` and the chat.",
        )
    }
}

impl ToSchema for MarkReadFrame {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        body_schemas::<MarkReadRequest>(schemas);
    }
}

fn uuid(description: &str) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some(description))
        .build()
}

/// `delete_message`: a message to delete.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct MessageRefFrame {
    pub chat_id: Uuid,
    pub message_id: Uuid,
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
