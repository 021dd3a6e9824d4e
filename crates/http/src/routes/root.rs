//! The front door and health checks.

use actix_web::{get, web};

use crate::dto::{HealthStatus, ServiceInfo};
use crate::envelope::{Envelope, ErrorEnvelope, Reply};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::server::AppState;

/// Name, version and where the documentation is.
#[utoipa::path(get, path = "/", tag = "service",
    responses((status = 200, body = Envelope<ServiceInfo>)))]
#[get("/")]
pub(crate) async fn welcome() -> Reply<ServiceInfo> {
    Reply::ok(
        Notice::Welcome,
        ServiceInfo {
            name: "NeruTalk".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            docs: "/docs/".to_owned(),
            openapi: "/api-docs/openapi.json".to_owned(),
        },
    )
}

/// Liveness: the process answers. Does not touch the database.
#[utoipa::path(get, path = "/health/live", tag = "service",
    responses((status = 200, body = Envelope<HealthStatus>)))]
#[get("/health/live")]
pub(crate) async fn live() -> Reply<HealthStatus> {
    Reply::ok(
        Notice::HealthLive,
        HealthStatus {
            status: "ok".to_owned(),
        },
    )
}

/// Readiness: the database (and every other backing service) answers.
#[utoipa::path(get, path = "/health/ready", tag = "service",
    responses(
        (status = 200, body = Envelope<HealthStatus>),
        (status = 503, description = "A backing service is down", body = ErrorEnvelope)))]
#[get("/health/ready")]
pub(crate) async fn ready(state: web::Data<AppState>) -> Result<Reply<HealthStatus>, ApiError> {
    readiness(&state).await
}

/// The original service's health route; the same as `/health/ready`.
#[utoipa::path(get, path = "/health", tag = "service",
    responses(
        (status = 200, body = Envelope<HealthStatus>),
        (status = 503, description = "A backing service is down", body = ErrorEnvelope)))]
#[get("/health")]
pub(crate) async fn health(state: web::Data<AppState>) -> Result<Reply<HealthStatus>, ApiError> {
    readiness(&state).await
}

async fn readiness(state: &AppState) -> Result<Reply<HealthStatus>, ApiError> {
    state.health.ready().await?;
    Ok(Reply::ok(
        Notice::HealthReady,
        HealthStatus {
            status: "ok".to_owned(),
        },
    ))
}
