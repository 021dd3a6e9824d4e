//! The AsyncAPI 3 description of the WebSocket protocol, served at
//! `/api-docs/asyncapi.json` and checked in as `docs/asyncapi.json`: what
//! `docs/openapi.json` is to REST.
//!
//! It is generated from the frame types: each variant of
//! [`ClientFrame`] and [`ServerFrame`] becomes a message whose payload is the
//! variant's schema (the `type`, the `data` DTO, and the `id`), and the DTOs'
//! schemas are the ones REST's document uses.

use serde_json::{Map, Value, json};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::gateway::protocol::{ClientFrame, ServerFrame};
use crate::openapi::RepliesSendEveryField;

/// The server frames a client frame may be answered with, besides `error`.
/// `resume` also replays `new_message` frames (without `id`) before its `ack`.
const REPLIES: &[(&str, &[&str])] = &[
    ("ping", &["pong"]),
    ("send_message", &["ack"]),
    ("edit_message", &["ack"]),
    ("delete_message", &["ack"]),
    ("message_read", &["ack"]),
    ("typing_indicator", &["ack"]),
    ("join_chat", &["chat_joined"]),
    ("leave_chat", &["chat_left"]),
    ("resume", &["ack"]),
];

/// Which side sends a frame; the key prefix of its message, since a type
/// may go both ways (`message_read`).
#[derive(Debug, Clone, Copy)]
enum Side {
    Client,
    Server,
}

impl Side {
    const fn prefix(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }
}

/// One frame type, as read from its enum's schema.
struct Frame {
    side: Side,
    name: String,
    payload: Value,
}

impl Frame {
    fn key(&self) -> String {
        format!("{}.{}", self.side.prefix(), self.name)
    }
}

/// The frames of one enum: each `oneOf` item of its schema is a variant.
fn frames(side: Side, schema: RefOr<Schema>) -> Result<Vec<Frame>, serde_json::Error> {
    let schema = serde_json::to_value(schema)?;
    let variants = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(variants
        .into_iter()
        .filter_map(|mut payload| {
            let name = payload
                .pointer("/properties/type/enum/0")
                .and_then(Value::as_str)?
                .to_owned();
            let properties = payload.get_mut("properties")?.as_object_mut()?;
            if let Some(data) = properties.get_mut("data").and_then(Value::as_object_mut) {
                // The variant's description is the message's summary already.
                data.remove("description");
            }
            properties.insert("id".to_owned(), correlation(side));
            if name == "ping" {
                // `data` may be left out where a frame needs none.
                if let Some(required) = payload.get_mut("required").and_then(Value::as_array_mut) {
                    required.retain(|field| field != "data");
                }
            }
            Some(Frame {
                side,
                name,
                payload,
            })
        })
        .collect())
}

fn correlation(side: Side) -> Value {
    let description = match side {
        Side::Client => {
            "Optional correlation id chosen by the client, any JSON value but `null`: \
             echoed in the frame that answers this one."
        }
        Side::Server => {
            "On a reply (`ack`, `error`, `pong`, `chat_joined`, `chat_left`): the `id` of the \
             frame it answers. Frames the server sends on its own have none."
        }
    };
    json!({ "description": description })
}

/// Every schema the frames refer to, by name. What the server sends has
/// every field present (`null` when there is nothing), as in REST's document.
fn schemas() -> Result<Map<String, Value>, serde_json::Error> {
    let mut received = Vec::new();
    ClientFrame::schemas(&mut received);
    let mut sent = Vec::new();
    ServerFrame::schemas(&mut sent);
    for (_, schema) in &mut sent {
        if let RefOr::T(schema) = schema {
            RepliesSendEveryField::require_all(schema);
        }
    }
    let mut schemas = Map::new();
    for (name, schema) in received.into_iter().chain(sent) {
        schemas.insert(name, serde_json::to_value(schema)?);
    }
    // An `ack` is told apart by the frame it answers, not by its shape: a
    // send's `{message, created}` is also a `{message}`, so its shapes are
    // any of, not exactly one of, the choices.
    if let Some(ack) = schemas.get_mut("Ack").and_then(Value::as_object_mut)
        && let Some(choices) = ack.remove("oneOf")
    {
        ack.insert("anyOf".to_owned(), choices);
    }
    schemas.sort_keys();
    Ok(schemas)
}

/// The document.
///
/// # Errors
/// When a schema does not serialize (a bug).
pub fn document() -> Result<Value, serde_json::Error> {
    let client = frames(Side::Client, ClientFrame::schema())?;
    let server = frames(Side::Server, ServerFrame::schema())?;
    let every = || client.iter().chain(&server);
    let reference =
        |frame: &Frame| json!({ "$ref": format!("#/channels/socket/messages/{}", frame.key()) });

    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    for frame in every() {
        let summary = frame
            .payload
            .get("description")
            .cloned()
            .unwrap_or(Value::Null);
        messages.insert(
            frame.key(),
            json!({
                "name": frame.name,
                "title": frame.name,
                "summary": summary,
                "contentType": "application/json",
                "payload": frame.payload,
            }),
        );
        channel_messages.insert(
            frame.key(),
            json!({ "$ref": format!("#/components/messages/{}", frame.key()) }),
        );
    }

    let mut operations = Map::new();
    for frame in &client {
        let answers = REPLIES
            .iter()
            .find(|(name, _)| *name == frame.name)
            .map(|(_, answers)| *answers)
            .unwrap_or_default();
        let replies: Vec<Value> = server
            .iter()
            .filter(|reply| answers.contains(&reply.name.as_str()) || reply.name == "error")
            .map(reference)
            .collect();
        operations.insert(
            format!("receive_{}", frame.name),
            json!({
                "action": "receive",
                "channel": { "$ref": "#/channels/socket" },
                "summary": frame.payload.get("description"),
                "messages": [reference(frame)],
                "reply": {
                    "channel": { "$ref": "#/channels/socket" },
                    "messages": replies,
                },
            }),
        );
    }
    for frame in &server {
        operations.insert(
            format!("send_{}", frame.name),
            json!({
                "action": "send",
                "channel": { "$ref": "#/channels/socket" },
                "summary": frame.payload.get("description"),
                "messages": [reference(frame)],
            }),
        );
    }

    Ok(json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "NeruTalk WebSocket",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The real-time protocol of NeruTalk's gateway at `GET /ws`: JSON text \
                frames `{type, data, id?}` both ways. The objects inside (a message, a chat) are \
                the ones REST returns. See docs/websocket.md for the rules: ordering, resume, \
                limits and close codes.",
            "license": { "name": "MIT OR Apache-2.0" },
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "localhost:8080",
                "protocol": "ws",
                "description": "A server started with `cargo run`; use `wss` behind TLS.",
            },
        },
        "channels": {
            "socket": {
                "address": "/ws",
                "title": "The WebSocket gateway",
                "description": "One socket per client: authenticate with `?token=` or \
                    `Authorization: Bearer`; a bad token closes the socket with 4001.",
                "messages": channel_messages,
                "bindings": { "ws": {
                    "method": "GET",
                    "query": {
                        "type": "object",
                        "properties": {
                            "token": { "type": "string", "description": "Access token (or send Authorization: Bearer)" },
                            "lang": { "type": "string", "description": "Language of server-written text in frames" },
                            "resume": { "type": "boolean", "description": "Hold live events until the `resume` frame is answered" },
                        },
                    },
                    "bindingVersion": "0.1.0",
                } },
            },
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas()?,
        },
    }))
}

/// The document as checked in: pretty JSON with a final newline.
///
/// # Errors
/// When a schema does not serialize (a bug).
pub fn json() -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&document()?).map(|mut text| {
        text.push('\n');
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_frame_says_what_answers_it() {
        let client = frames(Side::Client, ClientFrame::schema()).unwrap();
        let server = frames(Side::Server, ServerFrame::schema()).unwrap();
        for frame in &client {
            let (_, answers) = REPLIES
                .iter()
                .find(|(name, _)| *name == frame.name)
                .unwrap_or_else(|| panic!("{} has no replies listed", frame.name));
            for answer in *answers {
                assert!(server.iter().any(|reply| reply.name == *answer), "{answer}");
            }
        }
        assert_eq!(REPLIES.len(), client.len());
    }
}
