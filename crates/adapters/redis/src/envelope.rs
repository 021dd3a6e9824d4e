//! How a [`LiveEvent`] (or an [`Invalidation`]) travels between nodes:
//! `{"v": 1, "event": …}`. An event for a node's users also names them and
//! when it was published: `{"v": 1, "sent_at": µs, "to": [user, …], "event":
//! …}`, written in two halves around the recipients, because the publish
//! script learns who is on which node and joins the halves there.
//!
//! Nodes of two versions share the bus during a rolling update. An old node
//! that receives an event it cannot read (a capability it does not have yet,
//! or an envelope of a later version) skips that one event, counts it, and
//! goes on with the rest; a new node reads everything an old one sends,
//! because variants and fields are only ever added, and an added field is
//! an `Option` or carries `#[serde(default)]`. The encodings are pinned by
//! a test below, so that a rename cannot slip through.

use nerutalk_domain::UserId;
#[cfg(doc)]
use nerutalk_domain::event::{Invalidation, LiveEvent};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The envelope this node writes. A later version may only be introduced
/// once every node reads it.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Sealed<'a, T> {
    v: u32,
    event: &'a T,
}

#[derive(Deserialize)]
struct Opened<T> {
    v: u32,
    event: T,
}

/// An event for some of the receiving node's users.
#[derive(Deserialize)]
struct OpenedDelivery<T> {
    v: u32,
    /// The publisher's clock, in microseconds since the epoch. Optional so
    /// that a later version may drop it without this node skipping events.
    #[serde(default)]
    sent_at: Option<i64>,
    to: Vec<UserId>,
    event: T,
}

/// An event read off a node's channel.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Delivery<T> {
    pub(crate) to: Vec<UserId>,
    pub(crate) sent_at: Option<i64>,
    pub(crate) event: T,
}

/// An event sealed for nodes, in the two halves that go around the
/// recipients' quoted ids, joined by commas.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SealedForNodes {
    pub(crate) head: String,
    pub(crate) tail: String,
}

/// Just enough of an envelope to tell why it could not be read.
#[derive(Deserialize)]
struct Outline {
    v: u32,
    event: Kind,
}

#[derive(Deserialize)]
struct Kind {
    #[serde(rename = "type")]
    kind: String,
}

/// An envelope read off the bus.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received<T> {
    Event(T),
    /// Written by a node that knows more than this one: skipped.
    Unknown {
        version: u32,
        kind: String,
    },
    /// Not an envelope at all: skipped.
    Unreadable,
}

pub(crate) fn seal<T: Serialize>(event: &T) -> serde_json::Result<String> {
    serde_json::to_string(&Sealed { v: VERSION, event })
}

/// Seals `event` for the nodes of its recipients, stamped `sent_at`
/// (microseconds since the epoch).
pub(crate) fn seal_for_nodes<T: Serialize>(
    event: &T,
    sent_at: i64,
) -> serde_json::Result<SealedForNodes> {
    let event = serde_json::to_string(event)?;
    Ok(SealedForNodes {
        head: format!(r#"{{"v":{VERSION},"sent_at":{sent_at},"to":["#),
        tail: format!(r#"],"event":{event}}}"#),
    })
}

/// Reads an event off a node's channel.
pub(crate) fn open_delivery<T: DeserializeOwned>(payload: &[u8]) -> Received<Delivery<T>> {
    match serde_json::from_slice::<OpenedDelivery<T>>(payload) {
        Ok(opened) if opened.v == VERSION => Received::Event(Delivery {
            to: opened.to,
            sent_at: opened.sent_at,
            event: opened.event,
        }),
        Ok(opened) => Received::Unknown {
            version: opened.v,
            kind: String::new(),
        },
        Err(_) => outline(payload),
    }
}

pub(crate) fn open<T: DeserializeOwned>(payload: &[u8]) -> Received<T> {
    match serde_json::from_slice::<Opened<T>>(payload) {
        Ok(opened) if opened.v == VERSION => Received::Event(opened.event),
        Ok(opened) => Received::Unknown {
            version: opened.v,
            kind: String::new(),
        },
        Err(_) => outline(payload),
    }
}

/// The slow path, run only for what this node cannot read.
fn outline<T>(payload: &[u8]) -> Received<T> {
    match serde_json::from_slice::<Outline>(payload) {
        Ok(outline) => Received::Unknown {
            version: outline.v,
            kind: outline.event.kind,
        },
        Err(_) => Received::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::chat::{Message, MessageKind};
    use nerutalk_domain::event::{
        ChatEvent, Invalidation, LiveEvent, PresenceChange, RevokedSessions,
    };
    use nerutalk_domain::{ChatId, MessageId, SessionId, UserId};

    use super::*;

    #[test]
    fn an_event_comes_out_as_it_went_in() {
        let events = [
            LiveEvent::Chat(ChatEvent::Typing {
                chat_id: ChatId::generate(),
                user_id: UserId::generate(),
                is_typing: true,
            }),
            LiveEvent::Presence(PresenceChange {
                user_id: UserId::generate(),
                online: false,
                last_seen: Some(chrono::Utc::now()),
            }),
        ];
        for event in events {
            let sealed = seal(&event).unwrap();
            assert_eq!(open(sealed.as_bytes()), Received::Event(event));
        }
    }

    #[test]
    fn a_capability_this_node_lacks_is_named_and_skipped() {
        let from_a_newer_node = br#"{"v":1,"event":{"type":"call","data":{"call_id":"x"}}}"#;
        assert_eq!(
            open::<LiveEvent>(from_a_newer_node),
            Received::Unknown {
                version: 1,
                kind: "call".to_owned()
            }
        );
        let newer_chat_event =
            br#"{"v":1,"event":{"type":"chat","data":{"type":"reaction_added","data":{}}}}"#;
        assert!(matches!(
            open::<LiveEvent>(newer_chat_event),
            Received::Unknown { version: 1, .. }
        ));
        let later_envelope = br#"{"v":2,"event":{"type":"chat","data":{}},"trace":"t"}"#;
        assert!(matches!(
            open::<LiveEvent>(later_envelope),
            Received::Unknown { version: 2, .. }
        ));
        assert_eq!(open::<LiveEvent>(b"not json"), Received::Unreadable);
    }

    /// The bus's format, pinned: nodes of two versions read each other's
    /// envelopes during a rolling update, so a renamed field or variant in
    /// the domain's events is a breaking change to the bus. If this test
    /// fails, keep the old names (`#[serde(rename)]`) or add a new field
    /// with `#[serde(default)]`, never change one in place.
    #[test]
    fn the_envelope_of_each_kind_of_event_is_stable() {
        let user: UserId = "01900000-0000-7000-8000-000000000001".parse().unwrap();
        let chat: ChatId = "01900000-0000-7000-8000-000000000002".parse().unwrap();
        let message: MessageId = "01900000-0000-7000-8000-000000000003".parse().unwrap();
        let session: SessionId = "01900000-0000-7000-8000-000000000004".parse().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T01:02:03.456789Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let events = [
            LiveEvent::Chat(ChatEvent::NewMessage(Message {
                id: message,
                chat_id: chat,
                seq: 7,
                sender_id: user,
                kind: MessageKind::Text,
                text: Some("hi".to_owned()),
                media_url: None,
                reply_to: None,
                client_message_id: Some("c1".to_owned()),
                created_at: at,
                edited_at: None,
                deleted_at: None,
            })),
            LiveEvent::Chat(ChatEvent::MessageRead {
                chat_id: chat,
                user_id: user,
                seq: 7,
            }),
            LiveEvent::Presence(PresenceChange {
                user_id: user,
                online: false,
                last_seen: Some(at),
            }),
            LiveEvent::SessionsRevoked(RevokedSessions::AllExcept(Some(session))),
        ];
        let sealed: Vec<String> = events.iter().map(|event| seal(event).unwrap()).collect();
        assert_eq!(sealed, GOLDEN);
        let invalidations = [
            Invalidation::User(user),
            Invalidation::Sessions {
                user_id: user,
                revoked: RevokedSessions::One(session),
            },
            Invalidation::Chat(chat),
        ];
        let sealed: Vec<String> = invalidations
            .iter()
            .map(|what| seal(what).unwrap())
            .collect();
        assert_eq!(sealed, GOLDEN_INVALIDATIONS);
        for what in invalidations {
            let sealed = seal(&what).unwrap();
            assert_eq!(open(sealed.as_bytes()), Received::Event(what));
        }
    }

    const GOLDEN_INVALIDATIONS: [&str; 3] = [
        r#"{"v":1,"event":{"type":"user","data":"01900000-0000-7000-8000-000000000001"}}"#,
        r#"{"v":1,"event":{"type":"sessions","data":{"user_id":"01900000-0000-7000-8000-000000000001","revoked":{"one":"01900000-0000-7000-8000-000000000004"}}}}"#,
        r#"{"v":1,"event":{"type":"chat","data":"01900000-0000-7000-8000-000000000002"}}"#,
    ];

    const GOLDEN: [&str; 4] = [
        r#"{"v":1,"event":{"type":"chat","data":{"type":"new_message","data":{"id":"01900000-0000-7000-8000-000000000003","chat_id":"01900000-0000-7000-8000-000000000002","seq":7,"sender_id":"01900000-0000-7000-8000-000000000001","kind":"text","text":"hi","media_url":null,"reply_to":null,"client_message_id":"c1","created_at":"2026-11-29T01:02:03.456789Z","edited_at":null,"deleted_at":null}}}}"#,
        r#"{"v":1,"event":{"type":"chat","data":{"type":"message_read","data":{"chat_id":"01900000-0000-7000-8000-000000000002","user_id":"01900000-0000-7000-8000-000000000001","seq":7}}}}"#,
        r#"{"v":1,"event":{"type":"presence","data":{"user_id":"01900000-0000-7000-8000-000000000001","online":false,"last_seen":"2026-11-29T01:02:03.456789Z"}}}"#,
        r#"{"v":1,"event":{"type":"sessions_revoked","data":{"all_except":"01900000-0000-7000-8000-000000000004"}}}"#,
    ];

    /// What the publish script writes for a node with two of the
    /// recipients on it, pinned like the events themselves.
    #[test]
    fn the_message_to_a_node_is_stable() {
        let (ada, bob): (UserId, UserId) = (
            "01900000-0000-7000-8000-000000000001".parse().unwrap(),
            "01900000-0000-7000-8000-000000000005".parse().unwrap(),
        );
        let chat: ChatId = "01900000-0000-7000-8000-000000000002".parse().unwrap();
        let event = LiveEvent::Chat(ChatEvent::MessageRead {
            chat_id: chat,
            user_id: ada,
            seq: 7,
        });
        let sealed = seal_for_nodes(&event, 1_795_914_123_456_789).unwrap();
        // As the script joins them: each id quoted, commas between.
        let message = format!(r#"{}"{ada}","{bob}"{}"#, sealed.head, sealed.tail);
        assert_eq!(message, GOLDEN_NODE_MESSAGE);
        assert_eq!(
            open_delivery(message.as_bytes()),
            Received::Event(Delivery {
                to: vec![ada, bob],
                sent_at: Some(1_795_914_123_456_789),
                event,
            })
        );
        let from_a_newer_node = br#"{"v":2,"to":[],"event":{"type":"chat","data":{}}}"#;
        assert!(matches!(
            open_delivery::<LiveEvent>(from_a_newer_node),
            Received::Unknown { version: 2, .. }
        ));
        let unknown_kind = br#"{"v":1,"to":[],"event":{"type":"call","data":{}}}"#;
        assert_eq!(
            open_delivery::<LiveEvent>(unknown_kind),
            Received::Unknown {
                version: 1,
                kind: "call".to_owned()
            }
        );
        assert_eq!(open_delivery::<LiveEvent>(b"{}"), Received::Unreadable);
    }

    const GOLDEN_NODE_MESSAGE: &str = r#"{"v":1,"sent_at":1795914123456789,"to":["01900000-0000-7000-8000-000000000001","01900000-0000-7000-8000-000000000005"],"event":{"type":"chat","data":{"type":"message_read","data":{"chat_id":"01900000-0000-7000-8000-000000000002","user_id":"01900000-0000-7000-8000-000000000001","seq":7}}}}"#;

    #[test]
    fn fields_added_by_a_newer_node_are_ignored() {
        let user_id = UserId::generate();
        let payload = format!(
            r#"{{"v":1,"event":{{"type":"presence","data":{{"user_id":"{user_id}","online":true,"last_seen":null,"device":"phone"}}}},"sent_by":"node-b"}}"#
        );
        assert_eq!(
            open(payload.as_bytes()),
            Received::Event(LiveEvent::Presence(PresenceChange {
                user_id,
                online: true,
                last_seen: None,
            }))
        );
    }
}
