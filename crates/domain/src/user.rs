//! Users and the values that describe them. Each value type can only hold a
//! valid value: construct it with `parse`, and the rule is checked once.

use chrono::{DateTime, Utc};
use unicode_normalization::UnicodeNormalization;

use crate::text::{self as rules, Lines};
use crate::{DomainError, Language, UserId};

/// A syntactically valid e-mail address, lowercased so that comparison is
/// case-insensitive everywhere (storage, login, uniqueness).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// # Errors
    /// [`DomainError::ControlCharacters`], [`DomainError::EmailInvalid`] or
    /// [`DomainError::EmailTooLong`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = rules::single_line("email", raw)?.to_lowercase();
        if email.chars().count() > Self::MAX_LEN {
            return Err(DomainError::EmailTooLong { max: Self::MAX_LEN });
        }
        let (local, domain) = email.split_once('@').ok_or(DomainError::EmailInvalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(email))
        } else {
            Err(DomainError::EmailInvalid)
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: 3 to 50 ASCII letters, digits, `_`, `.` or `-`, starting
/// with a letter or digit, after Unicode NFKC normalization (so fullwidth
/// `ａｄｍｉｎ` is `admin`). ASCII only, because any wider set lets one
/// name pass for another (`аdmin` with a Cyrillic а). Kept in the case it
/// was typed in; uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 50;

    /// A username as the store holds it. Names taken before the ASCII rule
    /// (say `ユーザー名`) stay their owners' names, so the store does not
    /// parse them again: a rule that tightens must not lock anyone out.
    #[must_use]
    pub fn stored(name: String) -> Self {
        Self(name)
    }

    /// # Errors
    /// [`DomainError::ControlCharacters`], [`DomainError::UsernameLength`] or
    /// [`DomainError::UsernameCharset`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = Self::normalize(rules::single_line("username", raw)?);
        let name = name.trim();
        let len = name.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(DomainError::UsernameLength {
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
            });
        }
        let starts_well = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let charset_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if starts_well && charset_ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(DomainError::UsernameCharset)
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness is decided on: the stored
    /// `username_key` column, written with full Unicode lowercasing, which
    /// names taken before the ASCII rule need.
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    fn normalize(raw: &str) -> String {
        raw.nfkc().collect()
    }
}

/// What a sign-in names its account by: an e-mail address, or a username
/// normalized as at sign-up, so `ＡＤＡ` finds `ada`.
///
/// # Errors
/// [`DomainError::ControlCharacters`] naming `login`.
pub fn login_key(raw: &str) -> Result<String, DomainError> {
    let login = rules::single_line("login", raw)?;
    Ok(if login.contains('@') {
        login.to_lowercase()
    } else {
        Username::normalize(login).trim().to_lowercase()
    })
}

/// A people-search query: one line, trimmed and lowercased.
///
/// # Errors
/// [`DomainError::ControlCharacters`] naming `query`.
pub fn search_query(raw: &str) -> Result<String, DomainError> {
    let query = rules::single_line("query", raw)?;
    // Longer than any full name, so it could match nothing; refused before
    // it costs a scan of every profile.
    if query.chars().count() > SEARCH_QUERY_MAX {
        return Err(DomainError::SearchQueryTooLong {
            max: SEARCH_QUERY_MAX,
        });
    }
    Ok(query.to_lowercase())
}

/// The longest people-search query, in characters once trimmed: the
/// longest full name.
pub const SEARCH_QUERY_MAX: usize = Profile::FULL_NAME_MAX;

/// A plaintext password that meets the strength rules. It never leaves the
/// process except through the password hasher, and its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    /// bcrypt reads only the first 72 bytes; 100 characters is the original
    /// service's limit and longer inputs would silently lose entropy anyway.
    pub const MAX_LEN: usize = 100;

    /// Checks length and mix: at least one lowercase letter, one uppercase
    /// letter and one digit. Any character but NUL is allowed.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] (NUL), [`DomainError::PasswordTooShort`],
    /// [`DomainError::PasswordTooLong`] or [`DomainError::PasswordTooWeak`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        rules::refuse_nul("password", raw)?;
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(DomainError::PasswordTooShort { min: Self::MIN_LEN });
        }
        if len > Self::MAX_LEN || raw.len() > 72 {
            return Err(DomainError::PasswordTooLong {
                max: Self::MAX_LEN.min(72),
            });
        }
        let has_lower = raw.chars().any(char::is_lowercase);
        let has_upper = raw.chars().any(char::is_uppercase);
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        if has_lower && has_upper && has_digit {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::PasswordTooWeak)
        }
    }

    /// Parses a new password together with its confirmation.
    ///
    /// # Errors
    /// As [`Password::parse`], or [`DomainError::PasswordMismatch`].
    pub fn parse_confirmed(raw: &str, confirmation: &str) -> Result<Self, DomainError> {
        let password = Self::parse(raw)?;
        if raw == confirmation {
            Ok(password)
        } else {
            Err(DomainError::PasswordMismatch)
        }
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Bounded free text, trimmed; empty input means "none".
fn bounded_text(
    raw: &str,
    max: usize,
    too_long: impl FnOnce(usize) -> DomainError,
) -> Result<Option<String>, DomainError> {
    let text = raw.trim();
    if text.is_empty() {
        Ok(None)
    } else if text.chars().count() > max {
        Err(too_long(max))
    } else {
        Ok(Some(text.to_owned()))
    }
}

/// The optional, editable parts of a profile, each already checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    pub avatar_url: Option<String>,
}

impl Profile {
    pub const FULL_NAME_MAX: usize = 100;
    pub const BIO_MAX: usize = 500;
    pub const PHONE_MAX: usize = 20;
    pub const AVATAR_URL_MAX: usize = 2048;

    /// A name as [`crate::text::name`] reads it; nothing visible means "none".
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`], [`DomainError::InvisibleCharacters`]
    /// or [`DomainError::FullNameTooLong`].
    pub fn parse_full_name(raw: &str) -> Result<Option<String>, DomainError> {
        let name = rules::name("full_name", raw)?.unwrap_or_default();
        bounded_text(name, Self::FULL_NAME_MAX, |max| {
            DomainError::FullNameTooLong { max }
        })
    }

    /// Multi-line text: tab and line breaks are kept.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] or [`DomainError::BioTooLong`].
    pub fn parse_bio(raw: &str) -> Result<Option<String>, DomainError> {
        rules::refuse_controls("bio", raw, Lines::Multi)?;
        bounded_text(raw, Self::BIO_MAX, |max| DomainError::BioTooLong { max })
    }

    /// An optional leading `+`, then 6 to 15 digits (E.164), with spaces,
    /// dashes, dots and parentheses allowed between them and dropped.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] or [`DomainError::PhoneInvalid`].
    pub fn parse_phone(raw: &str) -> Result<Option<String>, DomainError> {
        let text = rules::single_line("phone_number", raw)?;
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > Self::PHONE_MAX {
            return Err(DomainError::PhoneInvalid);
        }
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", text),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(DomainError::PhoneInvalid);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if (6..=15).contains(&digits.len()) {
            Ok(Some(format!("{plus}{digits}")))
        } else {
            Err(DomainError::PhoneInvalid)
        }
    }

    /// An absolute `http` or `https` URL without spaces.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] or [`DomainError::AvatarUrlInvalid`].
    pub fn parse_avatar_url(raw: &str) -> Result<Option<String>, DomainError> {
        let text = rules::single_line("avatar_url", raw)?;
        if text.is_empty() {
            return Ok(None);
        }
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or(DomainError::AvatarUrlInvalid)?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty()
            || text.len() > Self::AVATAR_URL_MAX
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(DomainError::AvatarUrlInvalid);
        }
        Ok(Some(text.to_owned()))
    }
}

/// A registered account as the rest of the system sees it. The password hash
/// is not here on purpose: only the credential check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub username: Username,
    pub profile: Profile,
    pub language: Option<Language>,
    pub is_active: bool,
    pub is_verified: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a..b@example.com",
            "ada@-x.com",
            "a b@example.com",
        ] {
            assert_eq!(Email::parse(bad), Err(DomainError::EmailInvalid), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long),
            Err(DomainError::EmailTooLong { max: 254 })
        );
    }

    #[test]
    fn username_rules() {
        assert!(Username::parse("ada_l.ovelace-1").is_ok());
        assert_eq!(
            Username::parse("ユーザー名"),
            Err(DomainError::UsernameCharset)
        );
        assert_eq!(
            Username::parse("\u{430}dmin"),
            Err(DomainError::UsernameCharset),
            "a Cyrillic а is not an a"
        );
        assert_eq!(
            Username::parse("ad\u{200b}min"),
            Err(DomainError::UsernameCharset)
        );
        assert_eq!(Username::parse(" ａｄｍｉｎ ").unwrap().as_str(), "admin");
        assert_eq!(
            Username::parse("ad\0min"),
            Err(DomainError::ControlCharacters { field: "username" })
        );
        assert_eq!(
            Username::parse("ab"),
            Err(DomainError::UsernameLength { min: 3, max: 50 })
        );
        assert_eq!(Username::parse("_ada"), Err(DomainError::UsernameCharset));
        assert_eq!(
            Username::parse("ada lovelace"),
            Err(DomainError::UsernameCharset)
        );
        assert_eq!(Username::parse("Ada").unwrap().key(), "ada");
    }

    #[test]
    fn a_full_name_that_shows_nothing_is_cleared() {
        for blank in ["\u{3164}", "\u{2800}", "\u{115F}\u{FE0F}"] {
            assert_eq!(Profile::parse_full_name(blank), Ok(None), "{blank:?}");
        }
    }

    #[test]
    fn a_stored_name_from_before_the_ascii_rule_keys_like_its_column() {
        assert_eq!(Username::stored("ÉLODIE".into()).key(), "élodie");
        assert_eq!(Username::stored("ＡＤＡ".into()).key(), "ａｄａ");
    }

    #[test]
    fn logins_are_keyed_like_usernames_and_emails() {
        assert_eq!(login_key(" ＡＤＡ "), Ok("ada".into()));
        assert_eq!(login_key("Ada@Example.COM"), Ok("ada@example.com".into()));
        assert_eq!(
            login_key("a\0b"),
            Err(DomainError::ControlCharacters { field: "login" })
        );
        assert_eq!(search_query(" AD "), Ok("ad".into()));
        assert_eq!(
            search_query("a\u{7f}"),
            Err(DomainError::ControlCharacters { field: "query" })
        );
    }

    #[test]
    fn a_search_query_is_at_most_a_full_name_long_once_trimmed() {
        let longest = "日".repeat(SEARCH_QUERY_MAX);
        assert_eq!(search_query(&format!("  {longest}  ")), Ok(longest.clone()));
        assert_eq!(
            search_query(&format!("{longest}x")),
            Err(DomainError::SearchQueryTooLong { max: 100 })
        );
    }

    #[test]
    fn password_strength_rules() {
        assert!(Password::parse("Secret123").is_ok());
        assert_eq!(
            Password::parse("Sh0rt"),
            Err(DomainError::PasswordTooShort { min: 8 })
        );
        assert_eq!(
            Password::parse("alllowercase1"),
            Err(DomainError::PasswordTooWeak)
        );
        assert_eq!(
            Password::parse("NoDigitsHere"),
            Err(DomainError::PasswordTooWeak)
        );
        assert_eq!(
            Password::parse(&format!("Aa1{}", "x".repeat(80))),
            Err(DomainError::PasswordTooLong { max: 72 })
        );
        assert_eq!(
            Password::parse_confirmed("Secret123", "Secret124"),
            Err(DomainError::PasswordMismatch)
        );
        assert_eq!(
            format!("{:?}", Password::parse("Secret123").unwrap()),
            "Password(..)"
        );
        assert!(
            Password::parse("Secret 123\t\u{1b}").is_ok(),
            "only NUL is refused"
        );
        assert_eq!(
            Password::parse("Secret\u{0}123"),
            Err(DomainError::ControlCharacters { field: "password" })
        );
    }

    #[test]
    fn profile_fields() {
        assert_eq!(
            Profile::parse_phone("+1 (555) 010-9999"),
            Ok(Some("+15550109999".into()))
        );
        assert_eq!(Profile::parse_phone("   "), Ok(None));
        assert_eq!(
            Profile::parse_phone("12ab56"),
            Err(DomainError::PhoneInvalid)
        );
        assert_eq!(
            Profile::parse_full_name(&"x".repeat(101)),
            Err(DomainError::FullNameTooLong { max: 100 })
        );
        assert_eq!(Profile::parse_bio("  hi  "), Ok(Some("hi".into())));
        assert_eq!(
            Profile::parse_bio(" two\nlines\tand a tab "),
            Ok(Some("two\nlines\tand a tab".into()))
        );
        assert_eq!(
            Profile::parse_bio("bell\u{7}"),
            Err(DomainError::ControlCharacters { field: "bio" })
        );
        assert_eq!(
            Profile::parse_full_name("Ada\nLovelace"),
            Err(DomainError::ControlCharacters { field: "full_name" })
        );
        assert_eq!(
            Profile::parse_full_name("Ada\u{202e}"),
            Err(DomainError::InvisibleCharacters { field: "full_name" })
        );
        assert_eq!(Profile::parse_full_name(" \u{200d} "), Ok(None));
        assert_eq!(
            Profile::parse_phone("+1555\u{0}0109999"),
            Err(DomainError::ControlCharacters {
                field: "phone_number"
            })
        );
        assert!(
            Profile::parse_avatar_url("https://cdn.example.com/a.png")
                .unwrap()
                .is_some()
        );
        assert_eq!(
            Profile::parse_avatar_url("javascript:alert(1)"),
            Err(DomainError::AvatarUrlInvalid)
        );
        assert_eq!(
            Profile::parse_avatar_url("https:///x"),
            Err(DomainError::AvatarUrlInvalid)
        );
    }

    /// A valid ASCII username.
    fn ascii_username() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9][a-zA-Z0-9_.-]{2,49}"
    }

    /// The fullwidth form of a printable ASCII character, which NFKC maps back.
    fn fullwidth(c: char) -> char {
        char::from_u32(u32::from(c) + 0xFEE0).unwrap()
    }

    /// A character that is no ASCII letter, digit, `_`, `.` or `-` even after
    /// NFKC, and not a control (that is another rule).
    fn outside_the_username_set() -> impl Strategy<Value = char> {
        any::<char>().prop_filter("NFKC must not bring it into the set", |c| {
            !c.is_control()
                && c.to_string()
                    .nfkc()
                    .all(|n| !n.is_ascii_alphanumeric() && !"_.-".contains(n))
        })
    }

    proptest! {
        #[test]
        fn generated_valid_usernames_parse(raw in ascii_username()) {
            let name = Username::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
            prop_assert_eq!(name.key(), raw.to_ascii_lowercase());
        }

        #[test]
        fn fullwidth_usernames_normalize_to_ascii_and_stay_there(
            raw in ascii_username(),
            widen in proptest::collection::vec(any::<bool>(), 50),
        ) {
            let typed: String = raw
                .chars()
                .zip(&widen)
                .map(|(c, &wide)| if wide { fullwidth(c) } else { c })
                .collect();
            let name = Username::parse(&typed).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
            prop_assert_eq!(Username::parse(name.as_str()).unwrap(), name.clone());
            prop_assert_eq!(login_key(&typed).unwrap(), name.key());
        }

        #[test]
        fn usernames_with_a_character_outside_the_set_are_refused(
            head in "[a-z0-9]{2,10}",
            odd in outside_the_username_set(),
            tail in "[a-z0-9]{1,10}",
        ) {
            let raw = format!("{head}{odd}{tail}");
            prop_assert_eq!(Username::parse(&raw), Err(DomainError::UsernameCharset));
        }

        #[test]
        fn generated_valid_emails_are_lowercased_with_one_at(
            raw in "[A-Za-z0-9_%+-]{1,10}(\\.[A-Za-z0-9_%+-]{1,10}){0,2}@[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?\\.[A-Za-z]{2,6}"
        ) {
            let email = Email::parse(&raw).unwrap();
            prop_assert_eq!(email.as_str(), raw.to_lowercase());
            prop_assert_eq!(email.as_str().matches('@').count(), 1);
        }

        #[test]
        fn generated_strong_passwords_are_kept_as_typed(
            lower in "[a-z]{1,20}",
            upper in "[A-Z]{1,20}",
            digits in "[0-9]{1,10}",
            rest in "[ -~]{5,20}",
        ) {
            let raw = format!("{rest}{upper}{digits}{lower}");
            let password = Password::parse(&raw).unwrap();
            prop_assert_eq!(password.expose(), raw.as_str());
        }

        #[test]
        fn passwords_without_a_digit_are_weak(raw in "[a-zA-Z !-/]{8,60}") {
            prop_assert_eq!(Password::parse(&raw), Err(DomainError::PasswordTooWeak));
        }

        #[test]
        fn a_nul_anywhere_in_a_password_is_refused(
            head in "[a-zA-Z0-9]{0,30}",
            tail in "[a-zA-Z0-9]{0,30}",
        ) {
            prop_assert_eq!(
                Password::parse(&format!("Aa1{head}\0{tail}xxxxx")),
                Err(DomainError::ControlCharacters { field: "password" })
            );
        }

        #[test]
        fn phone_numbers_normalise_to_e164_digits(digits in "[0-9]{6,15}", plus in proptest::bool::ANY) {
            let raw = if plus { format!("+{digits}") } else { digits.clone() };
            prop_assert_eq!(Profile::parse_phone(&raw), Ok(Some(raw.clone())));
        }
    }
}
