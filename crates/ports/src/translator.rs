//! Localized text for what the application writes itself (mail, notifications).

use nerutalk_domain::Language;

/// A named argument of a localized message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageArg {
    Text(String),
    Number(i64),
}

/// Renders a message id in a language.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Translator: Send + Sync {
    #[expect(
        clippy::needless_lifetimes,
        reason = "mockall's generated mock needs it named"
    )]
    /// The message `id` in `language`, falling back to English; never fails,
    /// so a missing id shows as the id itself (and a test keeps that from shipping).
    fn translate<'a>(&self, language: Language, id: &str, args: &[(&'a str, MessageArg)])
    -> String;
}
