//! `docs/asyncapi.json` is what the code describes (`cargo xtask asyncapi`
//! rewrites it), and it holds together as an AsyncAPI 3 document.

use serde_json::Value;

#[cfg(test)]
fn document() -> Value {
    serde_json::from_str(&nerutalk_http::asyncapi::json().unwrap()).unwrap()
}

#[test]
fn checked_in_asyncapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/asyncapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let generated = nerutalk_http::asyncapi::json().unwrap();
    assert!(
        checked_in == generated,
        "docs/asyncapi.json is stale: run `cargo xtask asyncapi` and commit it"
    );
}

/// Every frame type, as docs/websocket.md lists them.
const CLIENT_FRAMES: &[&str] = &[
    "ping",
    "send_message",
    "edit_message",
    "delete_message",
    "message_read",
    "typing_indicator",
    "join_chat",
    "leave_chat",
    "resume",
];
const SERVER_FRAMES: &[&str] = &[
    "connection_established",
    "presence",
    "ack",
    "error",
    "pong",
    "chat_joined",
    "chat_left",
    "new_message",
    "message_updated",
    "message_deleted",
    "message_read",
    "typing",
    "chat_updated",
    "participant_added",
    "participant_removed",
];

#[test]
fn every_frame_type_is_a_message_sent_or_received_on_the_socket() {
    let document = document();
    assert_eq!(document["asyncapi"], "3.0.0");
    let messages = document["components"]["messages"].as_object().unwrap();
    for (side, frames) in [("client", CLIENT_FRAMES), ("server", SERVER_FRAMES)] {
        for frame in frames {
            let key = format!("{side}.{frame}");
            let message = &messages[&key];
            assert_eq!(message["name"], *frame, "{key}");
            assert_eq!(
                message["payload"]["properties"]["type"]["enum"][0], *frame,
                "{key}"
            );
            assert!(
                document["channels"]["socket"]["messages"]
                    .get(&key)
                    .is_some(),
                "{key} is not on the channel"
            );
            let action = if side == "client" { "receive" } else { "send" };
            let operation = &document["operations"][format!("{action}_{frame}")];
            assert_eq!(operation["action"], action, "{key}");
        }
    }
    assert_eq!(
        messages.len(),
        CLIENT_FRAMES.len() + SERVER_FRAMES.len(),
        "a frame type docs/websocket.md does not list: {:?}",
        messages.keys().collect::<Vec<_>>()
    );
    let send = &document["operations"]["receive_send_message"]["reply"]["messages"];
    let replies: Vec<&str> = send
        .as_array()
        .unwrap()
        .iter()
        .map(|reply| reply["$ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        replies,
        [
            "#/channels/socket/messages/server.ack",
            "#/channels/socket/messages/server.error"
        ]
    );
}

/// Follows a local `$ref` (`#/a/b/c`), if it resolves.
fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

fn every_ref(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                found.push(reference.clone());
            }
            object.values().for_each(|inner| every_ref(inner, found));
        }
        Value::Array(items) => items.iter().for_each(|inner| every_ref(inner, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves() {
    let document = document();
    let mut references = Vec::new();
    every_ref(&document, &mut references);
    assert!(references.len() > 50, "{} references", references.len());
    for reference in references {
        assert!(
            resolve(&document, &reference).is_some(),
            "{reference} does not resolve"
        );
    }
}

#[test]
fn a_message_on_the_socket_has_restes_schema() {
    let document = document();
    let new_message = &document["components"]["messages"]["server.new_message"]["payload"];
    assert_eq!(
        new_message["properties"]["data"]["$ref"],
        "#/components/schemas/MessageDto"
    );
    let openapi: Value = serde_json::from_str(&nerutalk_http::openapi::json().unwrap()).unwrap();
    assert_eq!(
        document["components"]["schemas"]["MessageDto"],
        openapi["components"]["schemas"]["MessageDto"],
        "the socket's message is REST's"
    );
    assert_eq!(
        document["components"]["schemas"]["ChatDto"],
        openapi["components"]["schemas"]["ChatDto"]
    );
}
