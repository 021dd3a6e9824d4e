//! NeruTalk's driving adapter: the REST API on actix-web, its OpenAPI
//! description and Swagger UI, the WebSocket gateway and its AsyncAPI
//! description, and the middleware every request goes through (request id,
//! language negotiation, authentication, the reply envelope).

pub mod asyncapi;
mod auth;
mod dto;
mod envelope;
mod error;
pub mod gateway;
mod known_routes;
mod language;
mod metrics;
mod notice;
pub mod openapi;
mod rate_limit;
mod request_id;
mod request_span;
mod routes;
mod server;

pub use envelope::{Envelope, ErrorBody, ErrorEnvelope};
pub use error::{ApiError, RequestError};
pub use gateway::close::CloseText;
pub use gateway::frame_budget::FrameLimit;
pub use gateway::hub::Hub;
pub use gateway::session::RealtimeSettings;
pub use notice::Notice;
pub use rate_limit::TrustedProxies;
pub use request_id::REQUEST_ID_HEADER;
pub use server::{AppState, HttpSettings, serve};
