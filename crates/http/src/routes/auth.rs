//! `/api/v1/auth`: accounts, sessions and verification.

use actix_web::{HttpRequest, get, post, put, web};
use nerutalk_app::{Login, PasswordChange, ProfileUpdate, Registration};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};

use crate::auth::CurrentUser;
use crate::dto::{
    ChangePasswordRequest, LoginRequest, PrivateProfile, RefreshRequest, RegisterRequest,
    TokenResponse, UpdateProfileRequest, VerifyEmailRequest,
};
use crate::envelope::{Envelope, ErrorEnvelope, Reply, prefer_saved_language, request_language};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::openapi::field;
use crate::server::AppState;

/// Create an account. A verification mail with a link and a code is sent
/// in the request's language (in the embedded default, without `SMTP_URL`:
/// kept in the `mail_outbox` table, its link written to the log).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Envelope<PrivateProfile>),
        (status = 409, description = "E-mail or username taken (`error.details.field`)", body = ErrorEnvelope),
        (status = 422, description = "A field breaks a rule, or the passwords differ", body = ErrorEnvelope),
        (status = 503, description = "Too many password checks under way (`auth.busy`): retry after `Retry-After` seconds", body = ErrorEnvelope),
        (status = 429, description = "Too many accounts created from this address (`registration.address`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"registration.address\";q=20;w=3600`: `q` per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"registration.address\";r=0;t=3600`: `r` left, all back after `t` seconds")))))]
#[post("/register")]
pub(crate) async fn register(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<RegisterRequest>,
) -> Result<Reply<PrivateProfile>, ApiError> {
    let body = body.into_inner();
    let user = state
        .auth
        .register(Registration {
            email: body.email,
            username: body.username,
            password: body.password,
            confirm_password: body.confirm_password,
            full_name: body.full_name,
            bio: body.bio,
            phone_number: body.phone_number,
            language: Some(request_language(&request)),
            client: state.trusted_proxies.client_address(&request),
        })
        .await?;
    Ok(Reply::created(Notice::Registered, user.into()))
}

/// Sign in with e-mail or username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = Envelope<TokenResponse>),
        (status = 401, description = "Wrong login or password", body = ErrorEnvelope),
        (status = 403, description = "Account disabled", body = ErrorEnvelope),
        (status = 422, description = "Control characters in the login or a NUL in the password", body = ErrorEnvelope),
        (status = 503, description = "Too many password checks under way, or one of this account's is (`auth.busy`): retry after `Retry-After` seconds", body = ErrorEnvelope),
        (status = 429, description = "Too many sign-in attempts for this account (`login.account`) or from this address (`login.address`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more attempt is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"login.account\";q=5;w=60`: `q` attempts per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"login.account\";r=0;t=60`: `r` attempts left, all back after `t` seconds")))))]
#[post("/login")]
pub(crate) async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<Reply<TokenResponse>, ApiError> {
    let tokens = state
        .auth
        .login(Login {
            login: body.identifier(),
            password: body.password.clone(),
            client: state.trusted_proxies.client_address(&request),
        })
        .await?;
    prefer_saved_language(&request, tokens.user.language);
    Ok(Reply::ok(Notice::LoggedIn, tokens.into()))
}

/// Trade a refresh token for a new pair. Each refresh token works once;
/// presenting a used one ends the whole session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = Envelope<TokenResponse>),
        (status = 401, description = "Invalid, expired or reused token", body = ErrorEnvelope),
        (status = 403, description = "Account disabled", body = ErrorEnvelope),
        (status = 422, description = "Control characters in the token", body = ErrorEnvelope)))]
#[post("/refresh")]
pub(crate) async fn refresh(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<Reply<TokenResponse>, ApiError> {
    let tokens = state.auth.refresh(&body.refresh_token).await?;
    prefer_saved_language(&request, tokens.user.language);
    Ok(Reply::ok(Notice::TokenRefreshed, tokens.into()))
}

/// End this session: its refresh and access tokens stop working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Envelope<Option<String>>)))]
#[post("/logout")]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
) -> Result<Reply<Option<String>>, ApiError> {
    state.auth.logout(actor.user.id, actor.session_id).await?;
    Ok(Reply::ok(Notice::LoggedOut, None))
}

/// Your own profile.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Envelope<PrivateProfile>)))]
#[get("/me")]
pub(crate) async fn me(CurrentUser(actor): CurrentUser) -> Reply<PrivateProfile> {
    Reply::ok(Notice::Profile, actor.user.into())
}

/// Edit your profile. Left-out fields stay; empty strings clear.
#[utoipa::path(put, path = "/api/v1/auth/me", tag = "auth",
    security(("bearer" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, body = Envelope<PrivateProfile>),
        (status = 422, description = "A field breaks a rule (`error.details.field`)", body = ErrorEnvelope)))]
#[put("/me")]
pub(crate) async fn update_me(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    body: web::Json<UpdateProfileRequest>,
) -> Result<Reply<PrivateProfile>, ApiError> {
    let body = body.into_inner();
    let user = state
        .users
        .update_profile(
            &actor,
            ProfileUpdate {
                full_name: body.full_name,
                bio: body.bio,
                phone_number: body.phone_number,
                avatar_url: body.avatar_url,
            },
        )
        .await?;
    Ok(Reply::ok(Notice::ProfileUpdated, user.into()))
}

/// Change your password; every other session is signed out.
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, body = Envelope<Option<String>>),
        (status = 422, description = "Wrong current password, or a weak new one", body = ErrorEnvelope),
        (status = 503, description = "Too many password checks under way (`auth.busy`): retry after `Retry-After` seconds", body = ErrorEnvelope)))]
#[post("/change-password")]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    body: web::Json<ChangePasswordRequest>,
) -> Result<Reply<Option<String>>, ApiError> {
    let body = body.into_inner();
    state
        .auth
        .change_password(
            &actor,
            PasswordChange {
                current_password: body.current_password,
                new_password: body.new_password,
                confirm_password: body.confirm_password,
            },
        )
        .await?;
    Ok(Reply::ok(Notice::PasswordChanged, None))
}

/// Verify your e-mail address with the code from the verification mail.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = Envelope<Option<String>>),
        (status = 422, description = "Unknown, expired or used code, or control characters in it", body = ErrorEnvelope)))]
#[post("/verify-email")]
pub(crate) async fn verify_email(
    state: web::Data<AppState>,
    body: web::Json<VerifyEmailRequest>,
) -> Result<Reply<Option<String>>, ApiError> {
    state.auth.verify_email(&body.token).await?;
    Ok(Reply::ok(Notice::EmailVerified, None))
}

/// The query of the link in the verification mail.
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyEmailQuery {
    pub token: String,
}

// By hand: utoipa's derive drops `required` from a parameter whose schema
// comes from `schema_with`, and the token's schema is shared with the POST.
impl IntoParams for VerifyEmailQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("token")
                .parameter_in(ParameterIn::Query)
                .required(Required::True)
                .description(Some("The code from the verification e-mail."))
                .schema(Some(field::token()))
                .build(),
        ]
    }
}

/// Verify your e-mail address by following the link in the verification
/// mail: the same check and the same answer as the `POST`, for a reader
/// who clicks instead of pasting the code into an app. Each code works
/// once, so a mail scanner that follows the link first spends it; the
/// reader then sees "already used" and the address is verified all the same.
#[utoipa::path(get, path = "/api/v1/auth/verify-email", tag = "auth",
    params(VerifyEmailQuery),
    responses(
        (status = 200, body = Envelope<Option<String>>),
        (status = 422, description = "Unknown, expired or used code, or control characters in it", body = ErrorEnvelope)))]
#[get("/verify-email")]
pub(crate) async fn verify_email_link(
    state: web::Data<AppState>,
    query: web::Query<VerifyEmailQuery>,
) -> Result<Reply<Option<String>>, ApiError> {
    state.auth.verify_email(&query.token).await?;
    Ok(Reply::ok(Notice::EmailVerified, None))
}

/// Send a new verification mail; earlier codes stop working.
#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Envelope<Option<String>>),
        (status = 409, description = "Already verified", body = ErrorEnvelope),
        (status = 429, description = "Too many mails asked for by this account (`verification.account`) or from this address (`verification.address`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"verification.account\";q=5;w=3600`: `q` per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"verification.account\";r=0;t=3600`: `r` left, all back after `t` seconds")))))]
#[post("/resend-verification")]
pub(crate) async fn resend_verification(
    state: web::Data<AppState>,
    request: HttpRequest,
    CurrentUser(actor): CurrentUser,
) -> Result<Reply<Option<String>>, ApiError> {
    state
        .auth
        .resend_verification(&actor, state.trusted_proxies.client_address(&request))
        .await?;
    Ok(Reply::ok(Notice::VerificationSent, None))
}
