//! Fluent ids of the text use cases write themselves (errors have their own, see `error`).

pub const MAIL_VERIFICATION_SUBJECT: &str = "mail-verification-subject";
pub const MAIL_VERIFICATION_BODY: &str = "mail-verification-body";

/// Every id above, for the catalogue check.
pub const ALL: &[&str] = &[MAIL_VERIFICATION_SUBJECT, MAIL_VERIFICATION_BODY];
