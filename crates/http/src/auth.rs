//! The `CurrentUser` extractor: a handler that takes it requires sign-in.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use nerutalk_app::{AppError, AuthenticatedUser};

use crate::error::ApiError;
use crate::language::Authentication;

/// The signed-in caller, as the middleware authenticated them.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser(pub(crate) AuthenticatedUser);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = match request.extensions().get::<Authentication>() {
            Some(Authentication(Ok(user))) => Ok(Self(user.clone())),
            Some(Authentication(Err(error))) => Err(error.clone().into()),
            None => Err(AppError::TokenMissing.into()),
        };
        ready(outcome)
    }
}
