//! The Fluent bundles, one per language, with English as the fallback.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use nerutalk_domain::Language;
use nerutalk_ports::{MessageArg, Translator};
use unic_langid::LanguageIdentifier;

/// Every catalogue's source, compiled in so the binary runs from anywhere.
pub const SOURCES: [(Language, &str); 5] = [
    (
        Language::En,
        include_str!("../../../locales/en/nerutalk.ftl"),
    ),
    (
        Language::Id,
        include_str!("../../../locales/id/nerutalk.ftl"),
    ),
    (
        Language::Ja,
        include_str!("../../../locales/ja/nerutalk.ftl"),
    ),
    (
        Language::Ko,
        include_str!("../../../locales/ko/nerutalk.ftl"),
    ),
    (
        Language::Zh,
        include_str!("../../../locales/zh/nerutalk.ftl"),
    ),
];

/// A catalogue that does not load.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("locales/{language}/nerutalk.ftl does not parse: {details}")]
    Syntax { language: Language, details: String },
    #[error("locales/{language}/nerutalk.ftl defines a message twice: {details}")]
    Duplicate { language: Language, details: String },
}

/// All messages in all languages.
pub struct Catalog {
    bundles: HashMap<Language, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("languages", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Catalog {
    /// Parses the compiled-in catalogues.
    ///
    /// # Errors
    /// [`CatalogError`] when a file has a syntax error or a duplicate id.
    pub fn load() -> Result<Self, CatalogError> {
        let mut bundles = HashMap::new();
        for (language, source) in SOURCES {
            let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
                CatalogError::Syntax {
                    language,
                    details: format!("{errors:?}"),
                }
            })?;
            let tag: LanguageIdentifier = language
                .code()
                .parse()
                .unwrap_or_else(|_| LanguageIdentifier::default());
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // Unicode isolation marks around arguments confuse JSON clients and logs.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| CatalogError::Duplicate {
                    language,
                    details: format!("{errors:?}"),
                })?;
            bundles.insert(language, bundle);
        }
        Ok(Self { bundles })
    }

    /// The message `id` in `language`, else in English, else the id itself.
    #[must_use]
    pub fn message(&self, language: Language, id: &str, args: &[(&str, MessageArg)]) -> String {
        self.try_message(language, id, args)
            .or_else(|| self.try_message(Language::En, id, args))
            // A missing id is a bug the catalogue test catches; showing the
            // id beats showing nothing.
            .unwrap_or_else(|| id.to_owned())
    }

    fn try_message(
        &self,
        language: Language,
        id: &str,
        args: &[(&str, MessageArg)],
    ) -> Option<String> {
        let bundle = self.bundles.get(&language)?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                MessageArg::Text(text) => FluentValue::from(text.clone()),
                MessageArg::Number(number) => FluentValue::from(*number),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }
}

impl Translator for Catalog {
    fn translate(&self, language: Language, id: &str, args: &[(&str, MessageArg)]) -> String {
        self.message(language, id, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_loads_and_arguments_are_filled_in() {
        let catalog = Catalog::load().unwrap();
        let text = catalog.message(
            Language::En,
            "error-validation-password-too-short",
            &[("min", MessageArg::Number(8))],
        );
        assert!(text.contains('8'), "{text}");
        assert!(!text.contains('\u{2068}'), "no isolation marks: {text:?}");
    }

    #[test]
    fn unknown_ids_fall_back_to_the_id() {
        let catalog = Catalog::load().unwrap();
        assert_eq!(
            catalog.message(Language::Ja, "no-such-id", &[]),
            "no-such-id"
        );
    }
}
