//! WebSocket payloads of the connection itself rather than of a
//! capability: the greeting, `ping`/`pong`, errors, presence and `resume`.

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use crate::envelope::timestamp;

/// `connection_established`: who the socket is signed in as, and the
/// settings the client must keep to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Greeting {
    pub user_id: Uuid,
    /// The language of this socket's error messages and close reasons.
    #[schema(schema_with = crate::envelope::language_code)]
    pub language: String,
    /// How often the server pings; a socket silent for three times as
    /// long is closed.
    #[schema(minimum = 1)]
    pub heartbeat_interval_ms: u64,
    /// The largest message the server accepts, in bytes.
    #[schema(minimum = 1)]
    pub max_frame_bytes: u64,
}

/// `ping`'s `data`: any JSON value, read and dropped; it carries nothing.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct AnyData(IgnoredAny);

impl PartialSchema for AnyData {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some("Any JSON value, or none; it is not read."))
            .into()
    }
}

impl ToSchema for AnyData {}

/// `pong`: the server's clock when it answered.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Pong {
    #[schema(format = DateTime)]
    pub at: String,
}

impl Pong {
    pub(crate) fn now() -> Self {
        Self {
            at: timestamp(chrono::Utc::now()),
        }
    }
}

/// `error`: a frame failed; REST's error body with the message beside it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorData {
    /// Stable machine code, such as `chat.not_found`.
    pub code: String,
    /// What went wrong, in the socket's language.
    pub message: String,
    /// As in REST's `error.details`: the offending `field`, limits such as
    /// `max`, or the parser's `reason`. `null` when there is nothing to add.
    #[schema(schema_with = crate::envelope::error_details)]
    pub details: Option<Map<String, Value>>,
}

/// `presence`: a contact came online or went away.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PresenceDto {
    pub user_id: Uuid,
    /// `true` while the contact has a socket open anywhere.
    pub online: bool,
    /// When the contact's last socket closed; `null` while online or when
    /// no record is kept.
    #[schema(format = DateTime)]
    pub last_seen: Option<String>,
}

impl PresenceDto {
    pub(crate) fn new(
        user_id: nerutalk_domain::UserId,
        online: bool,
        last_seen: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        Self {
            user_id: *user_id.as_uuid(),
            online,
            last_seen: last_seen.map(timestamp),
        }
    }
}

/// `resume`: the last `seq` the client has, per chat.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResumeFrame {
    #[schema(value_type = HashMap<String, i64>)]
    pub chats: HashMap<Uuid, i64>,
}

/// The `ack` of `resume`, sent after the replayed messages.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ResumeAck {
    /// Messages replayed, over all chats.
    pub replayed: usize,
    /// The chats that could not be read.
    pub unavailable: Vec<Uuid>,
}
