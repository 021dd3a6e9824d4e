//! Which characters a client's text may hold. Every text value type applies
//! these before the text is stored, looked up or compared: PostgreSQL
//! refuses NUL outright, and characters that draw nothing or reorder what
//! follows let one name pass for another.

use crate::DomainError;

/// Whether a text may span lines: multi-line text keeps tab, line feed and
/// carriage return, single-line text allows no control character at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Refuses the C0 and C1 controls and DEL (`U+0000`–`U+001F`, `U+007F`–`U+009F`,
/// exactly Unicode's `Cc`), but tab, line feed and carriage return in
/// multi-line text; single-line text also refuses the line and paragraph
/// separators (`U+2028`, `U+2029`), which break a line as well as `\n`.
///
/// # Errors
/// [`DomainError::ControlCharacters`] naming `field`.
pub fn refuse_controls(field: &'static str, text: &str, lines: Lines) -> Result<(), DomainError> {
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r');
    let refused = |c: char| {
        (c.is_control() && !allowed(c))
            || (lines == Lines::Single && matches!(c, '\u{2028}' | '\u{2029}'))
    };
    if text.chars().any(refused) {
        Err(DomainError::ControlCharacters { field })
    } else {
        Ok(())
    }
}

/// A single-line text (a token, a key, a search query), trimmed.
///
/// # Errors
/// [`DomainError::ControlCharacters`] naming `field`.
pub fn single_line<'a>(field: &'static str, raw: &'a str) -> Result<&'a str, DomainError> {
    refuse_controls(field, raw, Lines::Single)?;
    Ok(raw.trim())
}

/// Refuses NUL only: a password may hold any other character, but bcrypt
/// cannot hash NUL faithfully and PostgreSQL cannot store it.
///
/// # Errors
/// [`DomainError::ControlCharacters`] naming `field`.
pub fn refuse_nul(field: &'static str, text: &str) -> Result<(), DomainError> {
    if text.contains('\0') {
        Err(DomainError::ControlCharacters { field })
    } else {
        Ok(())
    }
}

/// Bidi controls, which reorder what follows them (`evil`, U+202E, `gnp.exe`
/// shows as `evilexe.png`), and characters that draw nothing.
#[must_use]
pub const fn is_hidden_in_names(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// Zero-width joiner and non-joiner: needed inside emoji sequences and
/// Persian or Indic words, but nothing on their own.
const fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// A name (full name, group name): one line, no bidi control and no
/// invisible character; trimmed of whitespace and of joiners at its ends.
/// `None` when nothing visible is left: a name of only fillers (`U+3164`,
/// the braille blank) would show as no name at all.
///
/// # Errors
/// [`DomainError::ControlCharacters`] or [`DomainError::InvisibleCharacters`]
/// naming `field`.
pub fn name<'a>(field: &'static str, raw: &'a str) -> Result<Option<&'a str>, DomainError> {
    refuse_controls(field, raw, Lines::Single)?;
    if raw.chars().any(is_hidden_in_names) {
        return Err(DomainError::InvisibleCharacters { field });
    }
    let name = raw.trim_matches(|c: char| c.is_whitespace() || is_joiner(c));
    Ok((!is_blank(name)).then_some(name))
}

/// Whether a text shows nothing: only whitespace and characters that draw
/// nothing (those refused in names, joiners, the braille blank, Hangul
/// fillers, variation selectors and the Mongolian vowel separator).
#[must_use]
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || is_hidden_in_names(c)
            || is_joiner(c)
            || matches!(
                c,
                '\u{2800}' | '\u{3164}' | '\u{115F}' | '\u{1160}' | '\u{FE00}'
                    ..='\u{FE0F}' | '\u{180E}' | '\u{FFA0}'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every character `refuse_controls` must refuse in single-line text.
    fn control() -> impl Strategy<Value = char> {
        prop_oneof![
            (0x00_u32..=0x1F).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
            (0x7F_u32..=0x9F).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
        ]
    }

    #[test]
    fn multi_line_text_keeps_tab_and_line_breaks_only() {
        assert_eq!(refuse_controls("bio", "a\tb\r\nc", Lines::Multi), Ok(()));
        for bad in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[0m",
            "del\u{7f}",
            "nel\u{85}",
        ] {
            assert_eq!(
                refuse_controls("bio", bad, Lines::Multi),
                Err(DomainError::ControlCharacters { field: "bio" }),
                "{bad:?}"
            );
        }
        assert_eq!(
            refuse_controls("name", "a\nb", Lines::Single),
            Err(DomainError::ControlCharacters { field: "name" })
        );
    }

    #[test]
    fn names_refuse_bidi_controls_but_keep_joiners_inside() {
        assert_eq!(
            name("name", "evil\u{202e}gnp.exe"),
            Err(DomainError::InvisibleCharacters { field: "name" })
        );
        assert_eq!(
            name("name", " \u{1f469}\u{200d}\u{1f4bb} "),
            Ok(Some("\u{1f469}\u{200d}\u{1f4bb}"))
        );
        assert_eq!(name("name", " \u{200d}\u{200c} "), Ok(None));
        assert_eq!(refuse_nul("password", "tab\tok"), Ok(()));
    }

    #[test]
    fn line_and_paragraph_separators_break_single_line_text_only() {
        for separator in ["a\u{2028}b", "a\u{2029}b"] {
            assert_eq!(
                single_line("query", separator),
                Err(DomainError::ControlCharacters { field: "query" })
            );
            assert_eq!(
                name("name", separator),
                Err(DomainError::ControlCharacters { field: "name" })
            );
            assert_eq!(refuse_controls("bio", separator, Lines::Multi), Ok(()));
        }
    }

    #[test]
    fn blank_text_shows_nothing() {
        assert!(is_blank(" \u{200b}\u{3164}\u{2800}\u{fe0f}\u{200d}\n"));
        assert!(!is_blank("\u{200b}a"));
        assert!(!is_blank("\u{1f469}\u{200d}\u{1f4bb}"));
    }

    proptest! {
        #[test]
        fn any_control_character_is_refused_in_single_line_text(
            before in "\\PC{0,20}",
            bad in control(),
            after in "\\PC{0,20}",
        ) {
            let text = format!("{before}{bad}{after}");
            prop_assert_eq!(
                single_line("field", &text),
                Err(DomainError::ControlCharacters { field: "field" })
            );
            let multi = refuse_controls("field", &text, Lines::Multi);
            prop_assert_eq!(multi.is_ok(), matches!(bad, '\t' | '\n' | '\r'));
        }

        #[test]
        fn printable_text_passes_the_control_check(text in "[^\\p{C}\\p{Zl}\\p{Zp}]{0,60}") {
            prop_assert_eq!(single_line("field", &text), Ok(text.trim()));
        }

        #[test]
        fn a_hidden_character_anywhere_is_refused_in_names(
            before in "[a-z ]{0,10}",
            hidden in proptest::sample::select(vec![
                '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
                '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
                '\u{200B}', '\u{2060}', '\u{FEFF}', '\u{00AD}',
            ]),
            after in "[a-z ]{0,10}",
        ) {
            let raw = format!("{before}{hidden}{after}");
            prop_assert_eq!(
                name("name", &raw),
                Err(DomainError::InvisibleCharacters { field: "name" })
            );
        }

        #[test]
        fn a_name_of_fillers_alone_is_no_name(
            fillers in proptest::collection::vec(
                proptest::sample::select(vec![
                    ' ', '\u{3164}', '\u{2800}', '\u{115F}', '\u{1160}', '\u{FE0F}',
                    '\u{FE00}', '\u{FFA0}', '\u{180E}', '\u{200D}', '\u{200C}',
                ]),
                1..12,
            ),
        ) {
            let raw: String = fillers.into_iter().collect();
            prop_assert_eq!(name("name", &raw), Ok(None));
        }
    }
}
