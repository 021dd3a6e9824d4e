//! Every id the code can show is in all five catalogues, and no catalogue
//! holds an id the code never uses.

use std::collections::BTreeSet;

use fluent_syntax::ast::Entry;
use fluent_syntax::parser;
use nerutalk_app::AppError;
use nerutalk_http::{CloseText, Notice, RequestError};
use nerutalk_i18n::SOURCES;
use strum::IntoEnumIterator;

fn ids_used_in_code() -> BTreeSet<String> {
    let errors = AppError::every_variant().map(|error| error.message_id());
    let requests = RequestError::iter().map(|error| {
        nerutalk_http::ApiError::Request {
            kind: error,
            reason: String::new(),
        }
        .message_id()
    });
    let notices = Notice::iter().map(|notice| notice.message_id().to_owned());
    let closes = CloseText::iter().map(|close| close.message_id().to_owned());
    let app_texts = nerutalk_app::messages::ALL
        .iter()
        .map(|id| (*id).to_owned());
    errors
        .chain(requests)
        .chain(notices)
        .chain(closes)
        .chain(app_texts)
        .collect()
}

fn ids_in_catalogue(source: &str) -> BTreeSet<String> {
    let resource = parser::parse(source).unwrap_or_else(|(_, errors)| panic!("{errors:?}"));
    resource
        .body
        .iter()
        .filter_map(|entry| match entry {
            Entry::Message(message) => Some(message.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_catalogue_has_exactly_the_ids_the_code_uses() {
    let used = ids_used_in_code();
    let mut problems = Vec::new();
    for (language, source) in SOURCES {
        let defined = ids_in_catalogue(source);
        for missing in used.difference(&defined) {
            problems.push(format!("locales/{language}: missing {missing}"));
        }
        for unused in defined.difference(&used) {
            problems.push(format!("locales/{language}: {unused} is used nowhere"));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn translations_are_not_english_copies() {
    let english = ids_in_catalogue(SOURCES[0].1);
    assert!(!english.is_empty());
    for (language, source) in SOURCES.iter().skip(1) {
        assert_ne!(
            *source, SOURCES[0].1,
            "locales/{language} is a copy of English"
        );
    }
}

#[test]
fn every_websocket_close_reason_fits_a_close_frame() {
    let catalog = nerutalk_i18n::Catalog::load().unwrap();
    let reasons = [
        AppError::TokenMissing,
        AppError::TokenInvalid,
        AppError::TokenExpired,
        AppError::SessionRevoked,
        AppError::AccountDisabled,
        AppError::Unavailable,
        AppError::Internal,
    ]
    .into_iter()
    .map(|error| error.message_id())
    .chain(CloseText::iter().map(|close| close.message_id().to_owned()));
    for id in reasons {
        for (language, _) in SOURCES {
            let text = catalog.message(language, &id, &[]);
            assert!(text.len() <= 123, "{language} {id} is {} bytes", text.len());
        }
    }
}
