//! `/api/v1/users/{user_id}/block` and `/api/v1/users/blocked`.

use actix_web::{delete, get, post, web};
use nerutalk_domain::UserId;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::dto::chat::BlockedUsers;
use crate::envelope::{Envelope, ErrorEnvelope, Reply};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::server::AppState;

/// Block a user: they can no longer open a direct chat with you or message you there.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/block", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)),
    responses((status = 200, body = Envelope<Option<String>>),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 422, description = "You cannot block yourself", body = ErrorEnvelope)))]
#[post("/users/{user_id}/block")]
pub(crate) async fn block(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    user_id: web::Path<Uuid>,
) -> Result<Reply<Option<String>>, ApiError> {
    state
        .chat
        .block(actor.user.id, UserId::from_uuid(*user_id))
        .await?;
    Ok(Reply::ok(Notice::UserBlocked, None))
}

/// Unblock a user.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}/block", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)),
    responses((status = 200, body = Envelope<Option<String>>)))]
#[delete("/users/{user_id}/block")]
pub(crate) async fn unblock(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    user_id: web::Path<Uuid>,
) -> Result<Reply<Option<String>>, ApiError> {
    state
        .chat
        .unblock(actor.user.id, UserId::from_uuid(*user_id))
        .await?;
    Ok(Reply::ok(Notice::UserUnblocked, None))
}

/// The users you have blocked, newest first.
#[utoipa::path(get, path = "/api/v1/users/blocked", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Envelope<BlockedUsers>)))]
#[get("/users/blocked")]
pub(crate) async fn blocked(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
) -> Result<Reply<BlockedUsers>, ApiError> {
    let users = state.chat.blocked(actor.user.id).await?;
    Ok(Reply::ok(
        Notice::BlockedUsers,
        BlockedUsers {
            user_ids: users.into_iter().map(|id| *id.as_uuid()).collect(),
        },
    ))
}
