//! Fluent ids of the text use cases write themselves (errors have their own, see `error`).

pub const MAIL_VERIFICATION_SUBJECT: &str = "mail-verification-subject";
pub const MAIL_VERIFICATION_GREETING: &str = "mail-verification-greeting";
pub const MAIL_VERIFICATION_INTRO: &str = "mail-verification-intro";
pub const MAIL_VERIFICATION_BUTTON: &str = "mail-verification-button";
pub const MAIL_VERIFICATION_CODE: &str = "mail-verification-code";
pub const MAIL_VERIFICATION_EXPIRY: &str = "mail-verification-expiry";

/// Every id above, for the catalogue check.
pub const ALL: &[&str] = &[
    MAIL_VERIFICATION_SUBJECT,
    MAIL_VERIFICATION_GREETING,
    MAIL_VERIFICATION_INTRO,
    MAIL_VERIFICATION_BUTTON,
    MAIL_VERIFICATION_CODE,
    MAIL_VERIFICATION_EXPIRY,
];
