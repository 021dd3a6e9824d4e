//! The WebSocket protocol's frames: `{"type", "data", "id"?}` both ways.

use std::collections::HashMap;

use nerutalk_domain::chat::MessageKind;
use nerutalk_domain::{ChatId, MessageId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Any frame a client sends; `data` is read according to `type`.
#[derive(Debug, Deserialize)]
pub(crate) struct Inbound {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) data: Value,
    /// The client's correlation id, echoed in the `ack` or `error`.
    pub(crate) id: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SendMessage {
    pub(crate) chat_id: ChatId,
    #[serde(default = "text_kind")]
    pub(crate) kind: MessageKind,
    pub(crate) text: Option<String>,
    pub(crate) media_url: Option<String>,
    pub(crate) reply_to: Option<MessageId>,
    pub(crate) client_message_id: Option<String>,
}

fn text_kind() -> MessageKind {
    MessageKind::Text
}

#[derive(Debug, Deserialize)]
pub(crate) struct EditMessage {
    pub(crate) chat_id: ChatId,
    pub(crate) message_id: MessageId,
    pub(crate) text: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageRef {
    pub(crate) chat_id: ChatId,
    pub(crate) message_id: MessageId,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReadUpTo {
    pub(crate) chat_id: ChatId,
    pub(crate) seq: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TypingIndicator {
    pub(crate) chat_id: ChatId,
    #[serde(default = "yes")]
    pub(crate) is_typing: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChatRef {
    pub(crate) chat_id: ChatId,
}

/// The last `seq` the client saw, per chat.
#[derive(Debug, Deserialize)]
pub(crate) struct Resume {
    pub(crate) chats: HashMap<ChatId, i64>,
}

/// Any frame the server sends.
#[derive(Debug, Serialize)]
pub(crate) struct Outbound<'a, T: Serialize> {
    #[serde(rename = "type")]
    pub(crate) kind: &'a str,
    pub(crate) data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<Value>,
}
