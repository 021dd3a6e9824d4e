//! The WebSocket protocol: every frame a client may send ([`ClientFrame`])
//! and every frame the server sends ([`ServerFrame`]), `{"type", "data",
//! "id"?}` both ways. Frames are typed here, at the edge: a handler receives
//! a typed payload, and every payload is a DTO shared with REST. The
//! AsyncAPI document (`crate::asyncapi`) is generated from these types.

use nerutalk_domain::event::LiveEvent;
use nerutalk_i18n::Catalog;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::chat::ChatFrame;
use crate::dto::chat::{ChatDto, MessageDto, ReadMarker};
use crate::dto::chat_frames::{
    ChatJoined, ChatRef, EditMessageFrame, MarkReadFrame, MessageAck, MessageDeleted, MessageRead,
    MessageRefFrame, ParticipantRemoved, ParticipantsAdded, SendMessageFrame, SentAck, Typing,
    TypingAck, TypingFrame,
};
use crate::dto::session::{
    AnyData, ErrorData, Greeting, Pong, PresenceDto, ResumeAck, ResumeFrame,
};
use crate::envelope::{error_args, error_details_of};
use crate::error::ApiError;

/// Every frame a client may send; `data` is read according to `type`.
#[derive(Debug, Deserialize, ToSchema, strum::IntoStaticStr)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub(crate) enum ClientFrame {
    /// Application-level ping, for clients that cannot see WebSocket control
    /// frames; answered with `pong`. `data` carries nothing: it may be left
    /// out or be any JSON value, as the original service allowed.
    Ping(
        #[expect(
            dead_code,
            reason = "read only to accept any data, which carries nothing"
        )]
        Option<AnyData>,
    ),
    /// Send a message; answered with an `ack` carrying it (`SentAck`).
    SendMessage(SendMessageFrame),
    /// Replace the text of your own message; answered with an `ack` (`MessageAck`).
    EditMessage(EditMessageFrame),
    /// Delete a message (yours, or any as an admin); answered with an `ack` (`MessageAck`).
    DeleteMessage(MessageRefFrame),
    /// Mark everything up to `seq` read; answered with an `ack` (`ReadMarker`).
    MessageRead(MarkReadFrame),
    /// Start, renew or stop typing; answered with an `ack` (`TypingAck`).
    TypingIndicator(TypingFrame),
    /// Check membership and read the chat's `last_seq`; answered with `chat_joined`.
    JoinChat(ChatRef),
    /// Accepted for clients of the original service; changes nothing. Answered with `chat_left`.
    LeaveChat(ChatRef),
    /// Replay the messages missed since the given `seq` per chat, then an
    /// `ack` (`ResumeAck`).
    Resume(ResumeFrame),
}

/// A client frame by who answers it: the socket itself, or a capability.
/// The wire's `type` is one flat list, and so is [`ClientFrame`] (serde
/// cannot group tags); the grouping is made here, once.
#[derive(Debug)]
pub(crate) enum Routed {
    Ping,
    Resume(ResumeFrame),
    Chat(ChatFrame),
}

impl ClientFrame {
    pub(crate) fn route(self) -> Routed {
        match self {
            Self::Ping(_) => Routed::Ping,
            Self::Resume(resume) => Routed::Resume(resume),
            Self::SendMessage(frame) => Routed::Chat(ChatFrame::SendMessage(frame)),
            Self::EditMessage(frame) => Routed::Chat(ChatFrame::EditMessage(frame)),
            Self::DeleteMessage(frame) => Routed::Chat(ChatFrame::DeleteMessage(frame)),
            Self::MessageRead(frame) => Routed::Chat(ChatFrame::MessageRead(frame)),
            Self::TypingIndicator(frame) => Routed::Chat(ChatFrame::TypingIndicator(frame)),
            Self::JoinChat(frame) => Routed::Chat(ChatFrame::JoinChat(frame)),
            Self::LeaveChat(frame) => Routed::Chat(ChatFrame::LeaveChat(frame)),
        }
    }
}

/// Every frame the server sends. Replies carry the `id` of the frame they
/// answer; events have none.
#[derive(Debug, Serialize, ToSchema, strum::IntoStaticStr)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub(crate) enum ServerFrame {
    /// The first frame on every authenticated socket.
    ConnectionEstablished(Greeting),
    /// A contact's presence: the snapshot after the greeting, then changes.
    Presence(PresenceDto),
    /// The answer to an action frame.
    Ack(Ack),
    /// A frame failed; the socket stays open.
    Error(ErrorData),
    /// The answer to `ping`.
    Pong(Pong),
    /// The answer to `join_chat`.
    ChatJoined(ChatJoined),
    /// The answer to `leave_chat`.
    ChatLeft(ChatRef),
    /// A message was stored, or is replayed by `resume`: the same message
    /// as `GET /api/v1/chats/{chat_id}/messages` returns.
    NewMessage(MessageDto),
    /// A message was edited.
    MessageUpdated(MessageDto),
    /// A message was deleted.
    MessageDeleted(MessageDeleted),
    /// A member marked messages read.
    MessageRead(MessageRead),
    /// Another member started or stopped typing.
    Typing(Typing),
    /// A chat was created, or a group renamed or redescribed: the same chat
    /// as `GET /api/v1/chats/{chat_id}` returns.
    ChatUpdated(ChatDto),
    /// Members were added to a group, or one was promoted.
    ParticipantAdded(ParticipantsAdded),
    /// A member left or was removed.
    ParticipantRemoved(ParticipantRemoved),
}

/// What an `ack` carries, by the frame it answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Ack {
    Sent(SentAck),
    Message(MessageAck),
    Read(ReadMarker),
    Typing(TypingAck),
    Resume(ResumeAck),
}

/// A frame as written: the frame and, on a reply, the client's `id`.
#[derive(Serialize)]
struct Outbound<'a> {
    #[serde(flatten)]
    frame: &'a ServerFrame,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a Value>,
}

impl ServerFrame {
    /// The frame's text, with the `id` of the frame it answers.
    /// The frame's `type`, as on the wire: a label for metrics.
    pub(crate) fn kind(&self) -> &'static str {
        self.into()
    }

    pub(crate) fn encode(&self, id: Option<&Value>) -> Result<String, serde_json::Error> {
        serde_json::to_string(&Outbound { frame: self, id })
    }

    /// The frame that tells a socket of `event`; `None` for an event for
    /// servers only (a revocation).
    pub(crate) fn of(event: &LiveEvent) -> Option<Self> {
        match event {
            LiveEvent::Chat(event) => Some(super::chat::event_frame(event)),
            LiveEvent::Presence(change) => Some(Self::Presence(PresenceDto::new(
                change.user_id,
                change.online,
                change.last_seen,
            ))),
            LiveEvent::SessionsRevoked(_) => None,
        }
    }

    /// The `error` frame for a failed action, in `language`.
    pub(crate) fn error(
        catalog: &Catalog,
        language: nerutalk_domain::Language,
        error: &ApiError,
    ) -> Self {
        crate::metrics::count_refusal(error);
        Self::Error(ErrorData {
            code: error.code().to_owned(),
            message: catalog.message(language, &error.message_id(), &error_args(error)),
            details: error_details_of(error),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dto::chat_frames::ChatRef;

    #[test]
    fn a_reply_carries_the_id_and_an_event_none() {
        let pong = ServerFrame::Pong(Pong { at: "t".to_owned() });
        let text = pong.encode(Some(&json!("p1"))).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type": "pong", "data": {"at": "t"}, "id": "p1"})
        );
        let left = ServerFrame::ChatLeft(ChatRef {
            chat_id: uuid::Uuid::nil(),
        });
        assert!(!left.encode(None).unwrap().contains("\"id\""));
    }
}
