//! The five languages NeruTalk speaks, and how a client's tag maps to one of them.

use serde::{Deserialize, Serialize};
use strum::EnumIter;

use crate::DomainError;

/// A supported language, named by its BCP 47 primary tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, EnumIter)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Id,
    Ja,
    Ko,
    Zh,
}

impl Language {
    /// The BCP 47 tag NeruTalk answers with.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Id => "id",
            Self::Ja => "ja",
            Self::Ko => "ko",
            Self::Zh => "zh",
        }
    }

    /// The language's name in English (an ISO 639 reference name, not prose).
    #[must_use]
    pub const fn english_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Id => "Indonesian",
            Self::Ja => "Japanese",
            Self::Ko => "Korean",
            Self::Zh => "Chinese",
        }
    }

    /// The language's name in itself (its autonym).
    #[must_use]
    pub const fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Id => "Bahasa Indonesia",
            Self::Ja => "日本語",
            Self::Ko => "한국어",
            Self::Zh => "中文",
        }
    }

    /// Reads a BCP 47 tag (`ja`, `ja-JP`, `zh-Hans-CN`, `ID`) or one of the
    /// original service's aliases (`jp`, `cn`). Only the primary subtag counts.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`], or [`DomainError::LanguageUnsupported`]
    /// for any other language.
    pub fn parse(tag: &str) -> Result<Self, DomainError> {
        let primary = crate::text::single_line("language", tag)?
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Ok(Self::En),
            // `in` is the withdrawn ISO 639 code for Indonesian, still sent by old Android.
            "id" | "in" => Ok(Self::Id),
            "ja" | "jp" => Ok(Self::Ja),
            "ko" | "kr" => Ok(Self::Ko),
            "zh" | "cn" => Ok(Self::Zh),
            _ => Err(DomainError::LanguageUnsupported),
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use strum::IntoEnumIterator;

    #[test]
    fn aliases_and_regions_map_to_the_primary_language() {
        assert_eq!(Language::parse("jp"), Ok(Language::Ja));
        assert_eq!(Language::parse("cn"), Ok(Language::Zh));
        assert_eq!(Language::parse("zh-Hans-CN"), Ok(Language::Zh));
        assert_eq!(Language::parse("ID"), Ok(Language::Id));
        assert_eq!(Language::parse("ko_KR"), Ok(Language::Ko));
        assert_eq!(Language::parse("fr"), Err(DomainError::LanguageUnsupported));
        assert_eq!(Language::parse(""), Err(DomainError::LanguageUnsupported));
        assert_eq!(
            Language::parse("ja\0"),
            Err(DomainError::ControlCharacters { field: "language" })
        );
    }

    proptest! {
        #[test]
        fn every_language_parses_its_own_code_with_any_region(region in "[A-Z]{2}") {
            for language in Language::iter() {
                prop_assert_eq!(Language::parse(language.code()), Ok(language));
                let tagged = format!("{}-{region}", language.code());
                prop_assert_eq!(Language::parse(&tagged), Ok(language));
            }
        }

        #[test]
        fn parse_never_panics(tag in ".*") {
            let _ = Language::parse(&tag);
        }
    }
}
