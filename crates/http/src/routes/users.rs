//! People: public profiles and search.

use actix_web::{get, web};
use nerutalk_domain::UserId;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::dto::{PublicProfile, UserPageResponse, UserSearchQuery};
use crate::envelope::{Envelope, ErrorEnvelope, Reply};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::server::AppState;

/// Another user's public profile (no e-mail or phone number).
#[utoipa::path(get, path = "/api/v1/auth/user/{user_id}", tag = "users",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, body = Envelope<PublicProfile>),
        (status = 404, description = "No such user", body = ErrorEnvelope)))]
#[get("/user/{user_id}")]
pub(crate) async fn public_profile(
    state: web::Data<AppState>,
    _: CurrentUser,
    user_id: web::Path<Uuid>,
) -> Result<Reply<PublicProfile>, ApiError> {
    let user = state
        .users
        .public_profile(UserId::from_uuid(user_id.into_inner()))
        .await?;
    Ok(Reply::ok(Notice::UserProfile, user.into()))
}

/// Find people by username or full name, a page at a time.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    security(("bearer" = [])),
    params(UserSearchQuery),
    responses(
        (status = 200, body = Envelope<UserPageResponse>),
        (status = 422, description = "Control characters in the query, or a query longer than 100 characters once trimmed (`validation.search_query_too_long`)", body = ErrorEnvelope)))]
#[get("/users")]
pub(crate) async fn search(
    state: web::Data<AppState>,
    _: CurrentUser,
    query: web::Query<UserSearchQuery>,
) -> Result<Reply<UserPageResponse>, ApiError> {
    let page = state
        .users
        .search(&query.query, query.limit, query.cursor.as_deref())
        .await?;
    let count = page.users.len();
    Ok(Reply::ok(Notice::UsersFound, page.into()).counting(count))
}
