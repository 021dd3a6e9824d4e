//! Reading a client frame: typed in one pass when it is right, and when it
//! is not, read again to say why, naming the field of `data` at fault.

use serde::Deserialize;
use serde_json::Value;

use super::protocol::ClientFrame;
use crate::error::{ApiError, RequestError};

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

/// The error an `error` frame reports, like any other failed action.
impl From<FrameError> for ApiError {
    fn from(error: FrameError) -> Self {
        match error {
            FrameError::Malformed(reason) => Self::request(RequestError::MalformedFrame, reason),
            FrameError::Unknown(kind) => Self::request(RequestError::UnknownFrame, kind),
            FrameError::Field { field, reason } => {
                Self::request(RequestError::MalformedField { field }, reason)
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

/// The correlation `id` of a frame not read further (one refused as the
/// server stops), if the text is a JSON object that has one.
pub(crate) fn id_of(text: &str) -> Option<Value> {
    serde_json::from_str::<Head>(text)
        .ok()
        .and_then(|head| head.id)
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
    use serde_json::json;

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
        assert_eq!(send.body.text.as_deref(), Some("hi"));
        let edit = parse(
            r#"{"type": "edit_message", "data": {"message_id": "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d18", "content": "hey", "chat_id": "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17", "extra": [1]}}"#,
        );
        let Ok(ClientFrame::EditMessage(edit)) = edit.frame else {
            panic!("{edit:?}")
        };
        assert_eq!(edit.body.text, "hey");
        assert_eq!(
            edit.message_id.to_string(),
            "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d18"
        );
        let read = parse(
            r#"{"type": "message_read", "data": {"chat_id": "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17", "seq": 5.0}}"#,
        );
        let Ok(ClientFrame::MessageRead(read)) = read.frame else {
            panic!("{read:?}")
        };
        assert_eq!(read.body.seq, 5);
    }

    #[test]
    fn a_frame_not_read_further_keeps_its_id() {
        assert_eq!(
            id_of(r#"{"type": "send_message", "data": 5, "id": "s9"}"#),
            Some(json!("s9"))
        );
        assert_eq!(id_of(r#"{"type": "ping"}"#), None);
        assert_eq!(id_of("not json"), None);
    }

    #[test]
    fn a_wrong_field_is_reported_through_the_one_error_path() {
        let catalog = nerutalk_i18n::Catalog::load().unwrap();
        let error = ApiError::from(FrameError::Field {
            field: "seq".to_owned(),
            reason: "invalid type".to_owned(),
        });
        let frame = super::super::protocol::ServerFrame::error(
            &catalog,
            nerutalk_domain::Language::En,
            &error,
        );
        let text = frame.encode(Some(&json!(7))).unwrap();
        let sent: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(sent["type"], "error");
        assert_eq!(sent["id"], 7);
        assert_eq!(sent["data"]["code"], "ws.malformed_frame");
        assert_eq!(sent["data"]["details"]["field"], "seq");
        assert_eq!(sent["data"]["details"]["reason"], "invalid type");
        let message = sent["data"]["message"].as_str().unwrap();
        assert!(message.contains("seq"), "{message}");
    }

    #[test]
    fn ping_takes_any_data_or_none() {
        for text in [
            r#"{"type": "ping"}"#,
            r#"{"type": "ping", "data": null}"#,
            r#"{"type": "ping", "data": {}, "id": 3}"#,
            r#"{"type": "ping", "data": "anything"}"#,
            r#"{"type": "ping", "data": [1, {"a": null}]}"#,
            r#"{"data": 5, "type": "ping"}"#,
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
        // Fields of the REST body inside `data` are named too.
        let chat = "01a21240-7d2b-7c3e-9a41-3f6e8b2c5d17";
        assert_eq!(
            field(&format!(
                r#"{{"type": "send_message", "data": {{"chat_id": "{chat}", "text": 5}}}}"#
            )),
            "text"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type": "send_message", "data": {{"chat_id": "{chat}", "message_type": "fax"}}}}"#
            )),
            "message_type"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type": "edit_message", "data": {{"chat_id": "{chat}", "message_id": "{chat}"}}}}"#
            )),
            "text"
        );
        assert_eq!(
            field(&format!(
                r#"{{"type": "edit_message", "data": {{"chat_id": "{chat}", "text": "x"}}}}"#
            )),
            "message_id"
        );
        assert_eq!(field(r#"{"type": "message_read", "data": [1]}"#), "data");
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
}
