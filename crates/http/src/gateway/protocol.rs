//! The WebSocket protocol: every frame a client may send ([`ClientFrame`])
//! and every frame the server sends ([`ServerFrame`]), `{"type", "data",
//! "id"?}` both ways. Frames are typed here, at the edge: a handler receives
//! a typed payload, and every payload is a DTO shared with REST. The
//! AsyncAPI document (`crate::asyncapi`) is generated from these types.

use nerutalk_domain::event::LiveEvent;
use nerutalk_i18n::Catalog;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::dto::chat::{ChatDto, MessageDto, ReadMarker};
use crate::dto::chat_frames::{
    ChatJoined, ChatRef, EditMessageFrame, MarkReadFrame, MessageAck, MessageDeleted, MessageRead,
    MessageRefFrame, ParticipantRemoved, ParticipantsAdded, SendMessageFrame, SentAck, Typing,
    TypingAck, TypingFrame,
};
use crate::dto::session::{Empty, ErrorData, Greeting, Pong, PresenceDto, ResumeAck, ResumeFrame};
use crate::envelope::{error_args, error_details_of};
use crate::error::{ApiError, RequestError};

/// The Fluent id of the error that names a field of `data` that is missing
/// or has the wrong type; its code stays `ws.malformed_frame`.
pub const MALFORMED_FIELD_MESSAGE: &str = "error-ws-malformed-field";

/// Every frame a client may send; `data` is read according to `type`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub(crate) enum ClientFrame {
    /// Application-level ping, for clients that cannot see WebSocket control
    /// frames; answered with `pong`.
    Ping(
        #[expect(
            dead_code,
            reason = "read only to accept any data, which carries nothing"
        )]
        Option<Empty>,
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

impl ClientFrame {
    /// Whether the frame's `ack` must reach the socket before its event.
    pub(crate) const fn is_send(&self) -> bool {
        matches!(self, Self::SendMessage(_))
    }
}

/// Every frame the server sends. Replies carry the `id` of the frame they
/// answer; events have none.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
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
        Self::Error(ErrorData {
            code: error.code().to_owned(),
            message: catalog.message(language, &error.message_id(), &error_args(error)),
            details: error_details_of(error),
        })
    }
}

/// A client frame as read: its correlation `id` (when the text was a JSON
/// object), and the frame or why it was refused.
#[derive(Debug)]
pub(crate) struct Inbound {
    pub(crate) id: Option<Value>,
    pub(crate) frame: Result<ClientFrame, FrameError>,
}

/// Why a client frame was refused before any use case saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Not a JSON object, or no `type` string.
    Malformed(String),
    /// A `type` the gateway does not know.
    Unknown(String),
    /// `data` (or one of its fields, named by a dotted path) is missing or
    /// has the wrong type.
    Field { field: String, reason: String },
}

impl FrameError {
    /// The `error` frame that answers it, in `language`.
    pub(crate) fn reply(
        &self,
        catalog: &Catalog,
        language: nerutalk_domain::Language,
    ) -> ServerFrame {
        match self {
            Self::Malformed(reason) => ServerFrame::error(
                catalog,
                language,
                &ApiError::request(RequestError::MalformedFrame, reason),
            ),
            Self::Unknown(kind) => ServerFrame::error(
                catalog,
                language,
                &ApiError::request(RequestError::UnknownFrame, kind),
            ),
            Self::Field { field, reason } => {
                let args = [("field", nerutalk_app::MessageArg::Text(field.clone()))];
                let mut details = Map::new();
                details.insert("field".into(), json!(field));
                details.insert("reason".into(), json!(reason));
                ServerFrame::Error(ErrorData {
                    code: RequestError::MalformedFrame.code().to_owned(),
                    message: catalog.message(language, MALFORMED_FIELD_MESSAGE, &args),
                    details: Some(details),
                })
            }
        }
    }
}

/// The parts of a frame read before its `data`, whatever its `type`.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: Option<Value>,
    id: Option<Value>,
}

/// A refused frame's `data`, read again to say what is wrong with it.
#[derive(Deserialize)]
struct Data {
    data: Option<Value>,
}

/// Reads one client frame. The text is read twice: once for the `id` and
/// `type` alone, so that a frame whose `data` is wrong is still answered
/// with its `id`; once for the typed frame.
pub(crate) fn parse(text: &str) -> Inbound {
    let head: Head = match serde_json::from_str(text) {
        Ok(head) => head,
        Err(error) => {
            return Inbound {
                id: None,
                frame: Err(FrameError::Malformed(error.to_string())),
            };
        }
    };
    let frame = serde_json::from_str::<ClientFrame>(text).map_err(|error| match head.kind {
        Some(Value::String(kind)) => diagnose(text, kind),
        _ => FrameError::Malformed(error.to_string()),
    });
    Inbound { id: head.id, frame }
}

/// Why a frame with a `type` was refused: reads it again, `type` first and
/// `data` as a tree, so that the error has a path whatever the order of the
/// fields in the text (a `data` read before its `type` is buffered, and
/// serde's error then says only "invalid type").
fn diagnose(text: &str, kind: String) -> FrameError {
    let data = match serde_json::from_str::<Data>(text) {
        Ok(Data { data }) => data,
        Err(error) => return FrameError::Malformed(error.to_string()),
    };
    let fields = std::iter::once(("type", Value::String(kind.clone())))
        .chain(data.map(|data| ("data", data)));
    let ordered = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(fields);
    let Err(error) = serde_path_to_error::deserialize::<_, ClientFrame>(ordered) else {
        return FrameError::Malformed("refused, then read".to_owned());
    };
    let reason = error.inner().to_string();
    let mut segments = error.path().iter().map(ToString::to_string);
    match segments.next().as_deref() {
        Some("type") => return FrameError::Unknown(kind),
        Some("data") => {}
        // The frame as a whole: only a missing `data` is reported there.
        _ => {
            return match named_field(&reason) {
                Some(field) => FrameError::Field {
                    field: field.to_owned(),
                    reason,
                },
                None => FrameError::Malformed(reason),
            };
        }
    }
    let mut path: Vec<String> = segments.collect();
    if let Some(missing) = named_field(&reason) {
        path.push(missing.to_owned());
    }
    if path.is_empty() {
        path.push("data".to_owned());
    }
    FrameError::Field {
        field: path.join("."),
        reason,
    }
}

/// The field serde names in its message: a missing or repeated one.
fn named_field(reason: &str) -> Option<&str> {
    ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| reason.strip_prefix(prefix))
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> (Option<Value>, FrameError) {
        let inbound = parse(text);
        (inbound.id, inbound.frame.unwrap_err())
    }

    #[test]
    fn a_frame_is_typed_with_its_id_beside_it() {
        let inbound = parse(
            r#"{"id": "c1", "type": "send_message", "data": {"chat_id": "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17", "content": "hi", "message_type": "text"}}"#,
        );
        assert_eq!(inbound.id, Some(json!("c1")));
        let Ok(ClientFrame::SendMessage(send)) = inbound.frame else {
            panic!("{inbound:?}")
        };
        assert_eq!(send.text.as_deref(), Some("hi"));
    }

    #[test]
    fn ping_needs_no_data() {
        for text in [
            r#"{"type": "ping"}"#,
            r#"{"type": "ping", "data": null}"#,
            r#"{"type": "ping", "data": {}, "id": 3}"#,
        ] {
            assert!(
                matches!(parse(text).frame, Ok(ClientFrame::Ping(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn an_unknown_type_is_told_apart_from_wrong_data() {
        let (id, error) = refused(r#"{"type": "launch_rockets", "id": 1}"#);
        assert_eq!(id, Some(json!(1)));
        assert_eq!(error, FrameError::Unknown("launch_rockets".to_owned()));
        assert!(matches!(
            refused(r#"{"data": {}}"#).1,
            FrameError::Malformed(_)
        ));
        assert!(matches!(refused("[1]").1, FrameError::Malformed(_)));
        assert!(matches!(refused("not json").1, FrameError::Malformed(_)));
    }

    #[test]
    fn wrong_data_names_the_field() {
        let field = |text: &str| match refused(text).1 {
            FrameError::Field { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(r#"{"type": "send_message", "data": {"text": "no chat"}}"#),
            "chat_id"
        );
        assert_eq!(
            field(r#"{"type": "send_message", "data": {"chat_id": 5}}"#),
            "chat_id"
        );
        assert_eq!(
            field(
                r#"{"type": "message_read", "data": {"chat_id": "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17", "seq": "x"}}"#
            ),
            "seq"
        );
        assert_eq!(field(r#"{"type": "typing_indicator"}"#), "data");
        assert_eq!(
            field(
                r#"{"type": "resume", "data": {"chats": {"01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17": "x"}}}"#
            ),
            "chats.01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17"
        );
        // `data` before `type`: the field is still named.
        assert_eq!(
            field(r#"{"data": {"text": "x"}, "type": "send_message"}"#),
            "chat_id"
        );
        assert_eq!(
            field(r#"{"data": {"chat_id": 5}, "type": "join_chat"}"#),
            "chat_id"
        );
    }

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
