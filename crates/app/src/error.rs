//! Everything a use case can end in, each with a stable code and a Fluent message.

use nerutalk_domain::DomainError;
use nerutalk_ports::{ConflictField, MessageArg, PortError};
use strum::EnumIter;

/// How a failure should be understood by a client; `http` maps it to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Invalid,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    RateLimited,
    Unavailable,
    Internal,
}

/// The limit a refused request ran into, as the `RateLimit-Policy` and
/// `RateLimit` headers describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimitPolicy {
    /// The limit's name, such as `login.account`.
    pub name: &'static str,
    /// Requests allowed per window (`q`).
    pub quota: u32,
    /// The window, in seconds (`w`).
    pub window_seconds: u64,
    /// Seconds until the whole quota is back (`t`).
    pub reset_seconds: u64,
}

impl AppError {
    /// A refusal by the limit `name` with `quota`, as a GCRA decision tells
    /// it: the waits rounded up to whole seconds, so a client never retries
    /// early, and the retry at least one second away (`Retry-After: 0`
    /// would invite a retry that is refused again).
    #[must_use]
    pub fn rate_limited(
        name: &'static str,
        quota: &nerutalk_ports::Quota,
        retry_after: std::time::Duration,
        reset_after: std::time::Duration,
    ) -> Self {
        Self::RateLimited {
            retry_after_seconds: whole_seconds(retry_after).max(1),
            limit: LimitPolicy {
                name,
                quota: quota.limit().get(),
                window_seconds: whole_seconds(quota.period()),
                reset_seconds: whole_seconds(reset_after),
            },
        }
    }
}

/// A duration in whole seconds, rounded up.
fn whole_seconds(duration: std::time::Duration) -> u64 {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        seconds.saturating_add(1)
    } else {
        seconds
    }
}

/// A use case's failure. Flat on purpose: every variant is one thing a client
/// can be told, in any of the five languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, EnumIter)]
pub enum AppError {
    #[error("invalid input: {0}")]
    Invalid(DomainError),
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("account is disabled")]
    AccountDisabled,
    #[error("no access token was sent")]
    TokenMissing,
    #[error("access token is not valid")]
    TokenInvalid,
    #[error("access token has expired")]
    TokenExpired,
    #[error("session has ended")]
    SessionRevoked,
    #[error("refresh token is not valid")]
    RefreshTokenInvalid,
    #[error("refresh token was used before; the session is revoked")]
    RefreshTokenReused,
    #[error("current password is wrong")]
    CurrentPasswordWrong,
    #[error("new password equals the current one")]
    PasswordUnchanged,
    #[error("e-mail address is already registered")]
    EmailTaken,
    #[error("username is already taken")]
    UsernameTaken,
    #[error("verification token is not valid")]
    VerificationTokenInvalid,
    #[error("verification token has expired")]
    VerificationTokenExpired,
    #[error("verification token was already used")]
    VerificationTokenUsed,
    #[error("e-mail address is already verified")]
    AlreadyVerified,
    #[error("user not found")]
    UserNotFound,
    #[error("you cannot block yourself")]
    CannotBlockSelf,
    #[error("chat not found")]
    ChatNotFound,
    #[error("only the chat's owner or admins may do this")]
    NotChatAdmin,
    #[error("a direct chat has no name and no other members")]
    DirectChatFixed,
    #[error("one of the two users has blocked the other")]
    Blocked,
    /// `field` is the request's list of members: `member_ids` when creating
    /// a group, `user_ids` when adding to one.
    #[error("a user to put in the group has blocked the one adding them")]
    MemberBlocked { field: &'static str },
    #[error("the owner can only leave, not be removed")]
    CannotRemoveOwner,
    #[error("message not found")]
    MessageNotFound,
    #[error("only the author may edit a message")]
    NotMessageAuthor,
    #[error("only undeleted text messages can be edited")]
    MessageNotEditable,
    /// Too many attempts: `limit` is the policy that refused this one, and
    /// one more would be allowed after `retry_after_seconds`.
    #[error("too many attempts; retry after {retry_after_seconds} s")]
    RateLimited {
        retry_after_seconds: u64,
        limit: LimitPolicy,
    },
    /// Every password worker is busy and the queue for them is full, or
    /// this account's password is being checked already.
    #[error("too many password checks under way; retry shortly")]
    PasswordCheckBusy,
    /// The user already has `limit` sockets open, on all nodes together.
    #[error("too many sockets open at once (limit {limit})")]
    TooManySockets { limit: u32 },
    #[error("a backing service is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl AppError {
    /// Stable machine-readable code, e.g. `auth.invalid_credentials`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(error) => error.code(),
            Self::InvalidCredentials => "auth.invalid_credentials",
            Self::AccountDisabled => "auth.account_disabled",
            Self::TokenMissing => "auth.token_missing",
            Self::TokenInvalid => "auth.token_invalid",
            Self::TokenExpired => "auth.token_expired",
            Self::SessionRevoked => "auth.session_revoked",
            Self::RefreshTokenInvalid => "auth.refresh_token_invalid",
            Self::RefreshTokenReused => "auth.refresh_token_reused",
            Self::CurrentPasswordWrong => "auth.current_password_wrong",
            Self::PasswordUnchanged => "auth.password_unchanged",
            Self::EmailTaken => "auth.email_taken",
            Self::UsernameTaken => "auth.username_taken",
            Self::VerificationTokenInvalid => "auth.verification_token_invalid",
            Self::VerificationTokenExpired => "auth.verification_token_expired",
            Self::VerificationTokenUsed => "auth.verification_token_used",
            Self::AlreadyVerified => "auth.already_verified",
            Self::UserNotFound => "user.not_found",
            Self::CannotBlockSelf => "user.cannot_block_self",
            Self::ChatNotFound => "chat.not_found",
            Self::NotChatAdmin => "chat.not_admin",
            Self::DirectChatFixed => "chat.direct_chat_fixed",
            Self::Blocked => "chat.blocked",
            Self::MemberBlocked { .. } => "chat.member_blocked",
            Self::CannotRemoveOwner => "chat.cannot_remove_owner",
            Self::MessageNotFound => "chat.message_not_found",
            Self::NotMessageAuthor => "chat.not_message_author",
            Self::MessageNotEditable => "chat.message_not_editable",
            Self::RateLimited { .. } => "rate_limited",
            Self::PasswordCheckBusy => "auth.busy",
            Self::TooManySockets { .. } => "ws.too_many_sockets",
            Self::Unavailable => "common.unavailable",
            Self::Internal => "common.internal",
        }
    }

    #[must_use]
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Invalid(_)
            | Self::CurrentPasswordWrong
            | Self::PasswordUnchanged
            | Self::VerificationTokenInvalid
            | Self::VerificationTokenExpired
            | Self::VerificationTokenUsed
            | Self::CannotBlockSelf
            | Self::DirectChatFixed
            | Self::MessageNotEditable => ErrorClass::Invalid,
            Self::InvalidCredentials
            | Self::TokenMissing
            | Self::TokenInvalid
            | Self::TokenExpired
            | Self::SessionRevoked
            | Self::RefreshTokenInvalid
            | Self::RefreshTokenReused => ErrorClass::Unauthenticated,
            Self::AccountDisabled
            | Self::NotChatAdmin
            | Self::Blocked
            | Self::MemberBlocked { .. }
            | Self::CannotRemoveOwner
            | Self::NotMessageAuthor => ErrorClass::Forbidden,
            Self::EmailTaken | Self::UsernameTaken | Self::AlreadyVerified => ErrorClass::Conflict,
            Self::UserNotFound | Self::ChatNotFound | Self::MessageNotFound => ErrorClass::NotFound,
            Self::RateLimited { .. } | Self::TooManySockets { .. } => ErrorClass::RateLimited,
            Self::PasswordCheckBusy | Self::Unavailable => ErrorClass::Unavailable,
            Self::Internal => ErrorClass::Internal,
        }
    }

    /// The Fluent id of the message: `error-` and the code, dots and
    /// underscores as hyphens (`error-auth-invalid-credentials`).
    #[must_use]
    pub fn message_id(&self) -> String {
        message_id_for_code(self.code())
    }

    /// Arguments of the localized message.
    #[must_use]
    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        match self {
            Self::Invalid(error) => error
                .args()
                .into_iter()
                .map(|(name, value)| (name, MessageArg::Number(value)))
                .collect(),
            Self::RateLimited {
                retry_after_seconds,
                ..
            } => vec![(
                "seconds",
                MessageArg::Number(i64::try_from(*retry_after_seconds).unwrap_or(i64::MAX)),
            )],
            Self::TooManySockets { limit } => {
                vec![("limit", MessageArg::Number(i64::from(*limit)))]
            }
            _ => Vec::new(),
        }
    }

    /// The request field a client should highlight, if the error is about one.
    #[must_use]
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(error) => Some(error.field()),
            Self::EmailTaken => Some("email"),
            Self::UsernameTaken => Some("username"),
            Self::CurrentPasswordWrong => Some("current_password"),
            Self::PasswordUnchanged => Some("new_password"),
            Self::MemberBlocked { field } => Some(field),
            _ => None,
        }
    }

    /// Every variant, including every validation error, for catalogue checks.
    pub fn every_variant() -> impl Iterator<Item = Self> {
        use strum::IntoEnumIterator;
        Self::iter().flat_map(|variant| match variant {
            Self::Invalid(_) => DomainError::iter().map(Self::Invalid).collect::<Vec<_>>(),
            other => vec![other],
        })
    }
}

/// The Fluent id for an error code; shared with `http`'s own errors.
#[must_use]
pub fn message_id_for_code(code: &str) -> String {
    format!("error-{}", code.replace(['.', '_'], "-"))
}

impl From<DomainError> for AppError {
    fn from(error: DomainError) -> Self {
        Self::Invalid(error)
    }
}

impl From<PortError> for AppError {
    /// The generic mapping for port failures a use case does not handle
    /// itself. The cause is logged here, where it is still whole, as one
    /// line inside the request's (or the socket's) span, so that it carries
    /// the request id; the client only learns the class of the failure.
    fn from(error: PortError) -> Self {
        match error {
            PortError::Conflict(ConflictField::Email) => Self::EmailTaken,
            PortError::Conflict(ConflictField::Username) => Self::UsernameTaken,
            PortError::NotFound => {
                tracing::error!(error = %cause_chain(&error), "a record the use case relied on is missing");
                Self::Internal
            }
            PortError::Conflict(ConflictField::Other) => {
                tracing::error!(error = %cause_chain(&error), "unexpected uniqueness conflict");
                Self::Internal
            }
            PortError::Unavailable(_) => {
                tracing::error!(error = %cause_chain(&error), "backing service unavailable");
                Self::Unavailable
            }
            PortError::Internal(_) => {
                tracing::error!(error = %cause_chain(&error), "adapter failure");
                Self::Internal
            }
        }
    }
}

/// Port results in which "not found" means something the client is told.
pub trait PortResultExt<T> {
    /// [`PortError::NotFound`] becomes `missing`; any other failure maps,
    /// and is logged, as [`From<PortError>`] does.
    ///
    /// # Errors
    /// `missing`, or the mapped port failure.
    fn or_not_found(self, missing: AppError) -> Result<T, AppError>;
}

impl<T> PortResultExt<T> for Result<T, PortError> {
    fn or_not_found(self, missing: AppError) -> Result<T, AppError> {
        self.map_err(|error| match error {
            PortError::NotFound => missing,
            other => other.into(),
        })
    }
}

/// An error and every source under it, outermost first, on one line. Many
/// errors already end their own text with their source's (`PortError` does):
/// such a source is not written twice.
#[must_use]
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_whole_seconds() {
        use std::time::Duration;
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(12)), 12);
        assert_eq!(whole_seconds(Duration::from_millis(12_001)), 13);
    }

    #[test]
    fn codes_are_unique_and_ids_follow_them() {
        let mut codes: Vec<_> = AppError::every_variant().map(|e| e.code()).collect();
        let total = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), total, "two variants share a code");
        assert_eq!(
            AppError::InvalidCredentials.message_id(),
            "error-auth-invalid-credentials"
        );
    }

    #[test]
    fn port_conflicts_name_their_field() {
        assert_eq!(
            AppError::from(PortError::Conflict(ConflictField::Email)),
            AppError::EmailTaken
        );
        assert_eq!(AppError::EmailTaken.field(), Some("email"));
    }

    /// A driver error that wraps the I/O error under it, as database and
    /// Redis clients do.
    #[derive(Debug, thiserror::Error)]
    #[error("pool timed out")]
    pub(crate) struct PoolTimeout(#[source] pub(crate) std::io::Error);

    pub(crate) fn refused() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused")
    }

    /// Runs `map` with a subscriber that writes into a string, and returns
    /// what it logged.
    pub(crate) fn logged<T>(map: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let result = tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("request", request_id = "req-42").in_scope(map)
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        (result, text)
    }

    #[test]
    fn the_whole_cause_is_logged_on_one_line_and_never_told_to_the_client() {
        let (error, log) =
            logged(|| AppError::from(PortError::unavailable(PoolTimeout(refused()))));
        assert_eq!(error, AppError::Unavailable);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(
            lines[0].contains("service unavailable: pool timed out: connection refused"),
            "{log}"
        );
        assert!(lines[0].contains("request_id=\"req-42\""), "{log}");
        for told in [format!("{error}"), format!("{error:?}"), error.message_id()] {
            assert!(
                !told.contains("pool") && !told.contains("refused"),
                "{told}"
            );
        }

        let (error, log) = logged(|| AppError::from(PortError::internal(PoolTimeout(refused()))));
        assert_eq!(error, AppError::Internal);
        assert!(log.contains("pool timed out: connection refused"), "{log}");
    }

    #[test]
    fn an_unexpected_missing_record_is_logged() {
        let (error, log) = logged(|| AppError::from(PortError::NotFound));
        assert_eq!(error, AppError::Internal);
        assert!(log.contains("record not found"), "{log}");
    }

    #[test]
    fn not_found_becomes_the_error_the_caller_names_and_others_map_as_usual() {
        let missing: Result<(), PortError> = Err(PortError::NotFound);
        assert_eq!(
            missing.or_not_found(AppError::ChatNotFound),
            Err(AppError::ChatNotFound)
        );
        let down: Result<(), PortError> = Err(PortError::unavailable(refused()));
        assert_eq!(
            down.or_not_found(AppError::ChatNotFound),
            Err(AppError::Unavailable)
        );
        assert_eq!(
            Ok::<_, PortError>(7).or_not_found(AppError::ChatNotFound),
            Ok(7)
        );
    }
}
