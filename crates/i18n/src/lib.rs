//! NeruTalk's text in five languages: Fluent catalogues compiled into the
//! binary from `locales/`, and the negotiation that picks a language per request.

mod catalog;
mod negotiate;

pub use catalog::{Catalog, CatalogError, SOURCES};
pub use negotiate::{LanguageSource, Negotiated, negotiate, parse_accept_language};
