//! Choosing the language of a reply.
//!
//! Order: the `X-Language` header, then `?lang=`, then the signed-in user's
//! saved preference, then `Accept-Language` by q-value, then English. A
//! source naming an unsupported language is skipped, not an error.

use nerutalk_domain::Language;

/// Where the chosen language came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageSource {
    Header,
    Query,
    UserPreference,
    AcceptLanguage,
    Default,
}

/// The outcome of negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub language: Language,
    pub source: LanguageSource,
}

/// Picks the reply language from what the request carries.
#[must_use]
pub fn negotiate(
    x_language: Option<&str>,
    query_lang: Option<&str>,
    user_preference: Option<Language>,
    accept_language: Option<&str>,
) -> Negotiated {
    let pick = |language, source| Negotiated { language, source };
    x_language
        .and_then(|tag| Language::parse(tag).ok())
        .map(|language| pick(language, LanguageSource::Header))
        .or_else(|| {
            query_lang
                .and_then(|tag| Language::parse(tag).ok())
                .map(|language| pick(language, LanguageSource::Query))
        })
        .or_else(|| user_preference.map(|language| pick(language, LanguageSource::UserPreference)))
        .or_else(|| {
            accept_language
                .and_then(parse_accept_language)
                .map(|language| pick(language, LanguageSource::AcceptLanguage))
        })
        .unwrap_or(pick(Language::En, LanguageSource::Default))
}

/// The supported language with the highest q-value in an `Accept-Language`
/// header (RFC 9110 §12.5.4); the earlier entry wins a tie, `q=0` means "not this".
#[must_use]
pub fn parse_accept_language(header: &str) -> Option<Language> {
    let mut best: Option<(u16, Language)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let quality = parts
            .find_map(|param| param.trim().strip_prefix("q="))
            .map_or(Some(1000), parse_quality);
        let (Some(quality), Ok(language)) = (quality, Language::parse(tag)) else {
            continue;
        };
        if quality > 0 && best.is_none_or(|(top, _)| quality > top) {
            best = Some((quality, language));
        }
    }
    best.map(|(_, language)| language)
}

/// A q-value in thousandths, or `None` if it is not one.
fn parse_quality(raw: &str) -> Option<u16> {
    let value: f32 = raw.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_tried_in_order() {
        let all = negotiate(Some("ko"), Some("ja"), Some(Language::Id), Some("zh"));
        assert_eq!(
            all,
            Negotiated {
                language: Language::Ko,
                source: LanguageSource::Header
            }
        );
        let no_header = negotiate(Some("klingon"), Some("jp"), Some(Language::Id), Some("zh"));
        assert_eq!(no_header.language, Language::Ja);
        assert_eq!(no_header.source, LanguageSource::Query);
        let user = negotiate(None, None, Some(Language::Id), Some("zh"));
        assert_eq!(user.source, LanguageSource::UserPreference);
        let accept = negotiate(None, None, None, Some("fr, zh-CN;q=0.8"));
        assert_eq!(accept.language, Language::Zh);
        assert_eq!(
            negotiate(None, None, None, None).source,
            LanguageSource::Default
        );
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(
            parse_accept_language("en;q=0.5, ja;q=0.9"),
            Some(Language::Ja)
        );
        assert_eq!(parse_accept_language("ko, ja"), Some(Language::Ko));
        assert_eq!(
            parse_accept_language("ja;q=0, id;q=0.1"),
            Some(Language::Id)
        );
        assert_eq!(parse_accept_language("fr-FR, de;q=0.9"), None);
        assert_eq!(
            parse_accept_language("*;q=0.5, zh-Hant;q=0.4"),
            Some(Language::Zh)
        );
        assert_eq!(
            parse_accept_language("ja;q=abc, ko;q=0.2"),
            Some(Language::Ko)
        );
    }
}
