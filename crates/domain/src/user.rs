//! Users and the values that describe them. Each value type can only hold a
//! valid value: construct it with `parse`, and the rule is checked once.

use chrono::{DateTime, Utc};

use crate::{DomainError, Language, UserId};

/// A syntactically valid e-mail address, lowercased so that comparison is
/// case-insensitive everywhere (storage, login, uniqueness).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// # Errors
    /// [`DomainError::EmailInvalid`] or [`DomainError::EmailTooLong`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
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

/// A username: 3 to 50 letters, digits, `_`, `.` or `-`, starting with a
/// letter or digit. Kept as typed; uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 50;

    /// # Errors
    /// [`DomainError::UsernameLength`] or [`DomainError::UsernameCharset`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim();
        let len = name.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(DomainError::UsernameLength {
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
            });
        }
        let starts_well = name.chars().next().is_some_and(char::is_alphanumeric);
        let charset_ok = name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
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

    /// The case-folded form that uniqueness is decided on.
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

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
    /// letter and one digit.
    ///
    /// # Errors
    /// [`DomainError::PasswordTooShort`], [`DomainError::PasswordTooLong`]
    /// or [`DomainError::PasswordTooWeak`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
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

    /// # Errors
    /// [`DomainError::FullNameTooLong`].
    pub fn parse_full_name(raw: &str) -> Result<Option<String>, DomainError> {
        bounded_text(raw, Self::FULL_NAME_MAX, |max| {
            DomainError::FullNameTooLong { max }
        })
    }

    /// # Errors
    /// [`DomainError::BioTooLong`].
    pub fn parse_bio(raw: &str) -> Result<Option<String>, DomainError> {
        bounded_text(raw, Self::BIO_MAX, |max| DomainError::BioTooLong { max })
    }

    /// An optional leading `+`, then 6 to 15 digits (E.164), with spaces,
    /// dashes, dots and parentheses allowed between them and dropped.
    ///
    /// # Errors
    /// [`DomainError::PhoneInvalid`].
    pub fn parse_phone(raw: &str) -> Result<Option<String>, DomainError> {
        let text = raw.trim();
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
    /// [`DomainError::AvatarUrlInvalid`].
    pub fn parse_avatar_url(raw: &str) -> Result<Option<String>, DomainError> {
        let text = raw.trim();
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
        assert!(Username::parse("ユーザー名").is_ok());
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

    proptest! {
        #[test]
        fn parsed_usernames_always_satisfy_the_rules(raw in "\\PC{0,60}") {
            if let Ok(name) = Username::parse(&raw) {
                let len = name.as_str().chars().count();
                prop_assert!((3..=50).contains(&len));
                prop_assert!(name.as_str().chars().all(|c| c.is_alphanumeric() || "_.-".contains(c)));
            }
        }

        #[test]
        fn generated_valid_usernames_parse(raw in "[a-zA-Z0-9][a-zA-Z0-9_.-]{2,49}") {
            let name = Username::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
        }

        #[test]
        fn parsed_emails_are_lowercase_with_one_at(raw in "[A-Za-z0-9._%+-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,6}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(email.as_str(), raw.to_lowercase());
                prop_assert_eq!(email.as_str().matches('@').count(), 1);
            }
        }

        #[test]
        fn parsed_passwords_are_strong(raw in "\\PC{0,110}") {
            if let Ok(password) = Password::parse(&raw) {
                let p = password.expose();
                prop_assert!(p.chars().count() >= 8 && p.len() <= 72);
                prop_assert!(p.chars().any(char::is_lowercase));
                prop_assert!(p.chars().any(char::is_uppercase));
                prop_assert!(p.chars().any(|c| c.is_ascii_digit()));
            }
        }

        #[test]
        fn phone_numbers_normalise_to_e164_digits(digits in "[0-9]{6,15}", plus in proptest::bool::ANY) {
            let raw = if plus { format!("+{digits}") } else { digits.clone() };
            prop_assert_eq!(Profile::parse_phone(&raw), Ok(Some(raw.clone())));
        }
    }
}
