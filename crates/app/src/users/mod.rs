//! Profiles, people search and language preference.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nerutalk_domain::event::Invalidation;
use nerutalk_domain::{
    Language, UserId,
    text::{self, Lines},
    user::{Profile, User, Username, search_query},
};
use nerutalk_ports::{Clock, EventBus, PortError, UserRepository, UserSearch};

use crate::cache::may_have_changed;
use crate::error::cause_chain;
use crate::{AppError, AuthenticatedUser, PortResultExt};

/// A profile edit: a field left out stays as it is, an empty one is cleared.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    pub avatar_url: Option<String>,
}

/// One page of people, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

/// The profile use cases.
#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
    /// Where every node hears that an account changed, to drop its copy.
    bus: Arc<dyn EventBus>,
}

impl std::fmt::Debug for UserService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserService").finish_non_exhaustive()
    }
}

impl UserService {
    pub const DEFAULT_PAGE: u32 = 20;
    pub const MAX_PAGE: u32 = 50;

    #[must_use]
    pub fn new(
        users: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self { users, clock, bus }
    }

    /// Tells every node that account `id` changed, once a write of it
    /// answered `outcome`: also when it failed, since it may have committed
    /// first (best effort: see docs/architecture.md, "Caches").
    async fn changed(
        &self,
        id: UserId,
        outcome: Result<User, PortError>,
    ) -> Result<User, PortError> {
        if may_have_changed(&outcome)
            && let Err(error) = self.bus.invalidate(&Invalidation::User(id)).await
        {
            tracing::warn!(user_id = %id, error = %cause_chain(&error), "invalidation not published; other nodes' copies expire with the cache TTL");
        }
        outcome
    }

    /// Applies a profile edit; nothing is stored unless every field is valid.
    ///
    /// # Errors
    /// [`AppError::Invalid`] naming the first bad field.
    pub async fn update_profile(
        &self,
        actor: &AuthenticatedUser,
        update: ProfileUpdate,
    ) -> Result<User, AppError> {
        let current = &actor.user.profile;
        let merge = |new: &Option<String>,
                     old: &Option<String>,
                     parse: fn(&str) -> Result<Option<String>, _>| {
            new.as_deref().map_or_else(|| Ok(old.clone()), parse)
        };
        let profile = Profile {
            full_name: merge(
                &update.full_name,
                &current.full_name,
                Profile::parse_full_name,
            )?,
            bio: merge(&update.bio, &current.bio, Profile::parse_bio)?,
            phone_number: merge(
                &update.phone_number,
                &current.phone_number,
                Profile::parse_phone,
            )?,
            avatar_url: merge(
                &update.avatar_url,
                &current.avatar_url,
                Profile::parse_avatar_url,
            )?,
        };
        let outcome = self
            .users
            .update_profile(actor.user.id, profile, self.clock.now())
            .await;
        self.changed(actor.user.id, outcome)
            .await
            .or_not_found(AppError::UserNotFound)
    }

    /// Another user's public profile; disabled accounts are not shown.
    ///
    /// # Errors
    /// [`AppError::UserNotFound`].
    pub async fn public_profile(&self, id: UserId) -> Result<User, AppError> {
        let user = self
            .users
            .get(id)
            .await
            .or_not_found(AppError::UserNotFound)?;
        if user.is_active {
            Ok(user)
        } else {
            Err(AppError::UserNotFound)
        }
    }

    /// People whose username or name contains `query`, a page at a time.
    /// A cursor that was not made here reads as "from the start".
    ///
    /// # Errors
    /// [`AppError::Invalid`] for control characters in `query`,
    /// [`AppError::Unavailable`] when the store cannot be read.
    pub async fn search(
        &self,
        query: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<UserPage, AppError> {
        let query = search_query(query)?;
        let limit = limit.unwrap_or(Self::DEFAULT_PAGE).clamp(1, Self::MAX_PAGE);
        let after = cursor.and_then(cursor_key);
        let users = self
            .users
            .search(UserSearch {
                query,
                limit: limit + 1,
                after,
            })
            .await?;
        Ok(page(users, limit))
    }

    /// Saves the language the user wants to be answered in.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an unsupported language.
    pub async fn set_language(
        &self,
        actor: &AuthenticatedUser,
        tag: &str,
    ) -> Result<User, AppError> {
        let language = Language::parse(tag)?;
        let outcome = self
            .users
            .set_language(actor.user.id, language, self.clock.now())
            .await;
        self.changed(actor.user.id, outcome)
            .await
            .or_not_found(AppError::UserNotFound)
    }
}

/// The username key a cursor holds. It is read as a plain key, not parsed
/// as a username: names taken before the ASCII rule (`ユーザー名`) end pages
/// too, and re-parsing them would send the next page back to the start.
/// Anything that cannot be a stored key (a NUL, say) is not ours.
fn cursor_key(cursor: &str) -> Option<String> {
    let key = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let plausible = !key.is_empty()
        && key.chars().count() <= Username::MAX_LEN
        && text::refuse_controls("cursor", &key, Lines::Single).is_ok();
    plausible.then_some(key)
}

/// Cuts the one extra row fetched to learn whether another page exists.
fn page(mut users: Vec<User>, limit: u32) -> UserPage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if users.len() > limit {
        users.truncate(limit);
        users
            .last()
            .map(|last| URL_SAFE_NO_PAD.encode(last.username.key()))
    } else {
        None
    };
    UserPage { users, next_cursor }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::{DomainError, SessionId};
    use nerutalk_ports::{MockEventBus, MockUserRepository, SystemClock};

    use super::*;
    use crate::auth::test_support::stored_user;

    fn actor() -> AuthenticatedUser {
        let mut user = stored_user(UserId::generate(), "ada@example.com", "ada");
        user.profile.bio = Some("old bio".into());
        AuthenticatedUser {
            user,
            session_id: SessionId::generate(),
        }
    }

    fn service(users: MockUserRepository) -> UserService {
        let mut bus = MockEventBus::new();
        bus.expect_invalidate().returning(|_| Ok(()));
        UserService::new(Arc::new(users), Arc::new(SystemClock), Arc::new(bus))
    }

    #[tokio::test]
    async fn a_profile_edit_tells_every_node_to_drop_its_copy() {
        let mut users = MockUserRepository::new();
        users
            .expect_update_profile()
            .returning(|id, _, _| Ok(stored_user(id, "ada@example.com", "ada")));
        let actor = actor();
        let user_id = actor.user.id;
        let mut bus = MockEventBus::new();
        bus.expect_invalidate()
            .withf(move |what| *what == Invalidation::User(user_id))
            .times(1)
            .returning(|_| Ok(()));
        let service = UserService::new(Arc::new(users), Arc::new(SystemClock), Arc::new(bus));
        service
            .update_profile(&actor, ProfileUpdate::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_profile_write_that_fails_is_still_invalidated_everywhere() {
        let mut users = MockUserRepository::new();
        users
            .expect_update_profile()
            .times(1)
            .returning(|_, _, _| Err(PortError::unavailable("lost after commit")));
        users
            .expect_set_language()
            .times(1)
            .returning(|_, _, _| Err(PortError::NotFound));
        let actor = actor();
        let user_id = actor.user.id;
        let mut bus = MockEventBus::new();
        // Once: for the write that may have committed, not for the one that found no account.
        bus.expect_invalidate()
            .withf(move |what| *what == Invalidation::User(user_id))
            .times(1)
            .returning(|_| Ok(()));
        let service = UserService::new(Arc::new(users), Arc::new(SystemClock), Arc::new(bus));
        assert_eq!(
            service
                .update_profile(&actor, ProfileUpdate::default())
                .await,
            Err(AppError::Unavailable)
        );
        assert_eq!(
            service.set_language(&actor, "en").await,
            Err(AppError::UserNotFound)
        );
    }

    #[tokio::test]
    async fn absent_fields_stay_and_empty_fields_clear() {
        let mut users = MockUserRepository::new();
        users
            .expect_update_profile()
            .withf(|_, profile, _| {
                profile.bio.as_deref() == Some("old bio")
                    && profile.full_name.as_deref() == Some("Ada Lovelace")
                    && profile.phone_number.is_none()
            })
            .times(1)
            .returning(|id, _, _| Ok(stored_user(id, "ada@example.com", "ada")));
        let update = ProfileUpdate {
            full_name: Some(" Ada Lovelace ".into()),
            phone_number: Some(String::new()),
            ..ProfileUpdate::default()
        };
        service(users)
            .update_profile(&actor(), update)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_bad_field_stores_nothing() {
        let service = service(MockUserRepository::new());
        let update = ProfileUpdate {
            bio: Some("x".repeat(501)),
            ..ProfileUpdate::default()
        };
        assert_eq!(
            service.update_profile(&actor(), update).await.unwrap_err(),
            AppError::Invalid(DomainError::BioTooLong { max: 500 })
        );
    }

    #[tokio::test]
    async fn search_pages_with_an_opaque_cursor() {
        let mut users = MockUserRepository::new();
        users
            .expect_search()
            .withf(|search| search.limit == 3 && search.after.is_none() && search.query == "ad")
            .returning(|_| {
                Ok(["ada", "adam", "adele"]
                    .iter()
                    .map(|name| stored_user(UserId::generate(), &format!("{name}@x.io"), name))
                    .collect())
            });
        users
            .expect_search()
            .withf(|search| search.after.as_deref() == Some("adam"))
            .returning(|_| Ok(Vec::new()));
        let service = service(users);
        let first = service.search(" AD ", Some(2), None).await.unwrap();
        assert_eq!(first.users.len(), 2);
        let cursor = first.next_cursor.unwrap();
        let second = service.search("ad", Some(2), Some(&cursor)).await.unwrap();
        assert!(second.users.is_empty() && second.next_cursor.is_none());
    }

    #[tokio::test]
    async fn a_page_ending_on_a_name_from_before_the_ascii_rule_goes_on() {
        let mut users = MockUserRepository::new();
        users
            .expect_search()
            .withf(|search| search.after.is_none())
            .returning(|_| {
                Ok(["ada", "ＡＤＡ名", "adele"]
                    .iter()
                    .map(|name| {
                        let mut user = stored_user(UserId::generate(), "a@x.io", "ada");
                        user.username = Username::stored((*name).to_owned());
                        user
                    })
                    .collect())
            });
        users
            .expect_search()
            .withf(|search| search.after.as_deref() == Some("ａｄａ名"))
            .times(1)
            .returning(|_| Ok(Vec::new()));
        let service = service(users);
        let first = service.search("ad", Some(2), None).await.unwrap();
        let cursor = first.next_cursor.unwrap();
        let second = service.search("ad", Some(2), Some(&cursor)).await.unwrap();
        assert!(second.users.is_empty());
    }

    #[tokio::test]
    async fn disabled_users_have_no_public_profile() {
        let mut users = MockUserRepository::new();
        users.expect_get().returning(|id| {
            let mut user = stored_user(id, "ada@example.com", "ada");
            user.is_active = false;
            Ok(user)
        });
        users.expect_set_language().never();
        let service = service(users);
        assert_eq!(
            service
                .public_profile(UserId::generate())
                .await
                .unwrap_err(),
            AppError::UserNotFound
        );
        assert_eq!(
            service.set_language(&actor(), "fr").await.unwrap_err(),
            AppError::Invalid(DomainError::LanguageUnsupported)
        );
    }

    #[tokio::test]
    async fn a_search_with_control_characters_is_refused_unread() {
        let mut users = MockUserRepository::new();
        users.expect_search().never();
        assert_eq!(
            service(users).search("a\0b", None, None).await.unwrap_err(),
            AppError::Invalid(DomainError::ControlCharacters { field: "query" })
        );
    }

    #[tokio::test]
    async fn a_cursor_that_is_no_username_key_reads_as_the_start() {
        let mut users = MockUserRepository::new();
        users
            .expect_search()
            .withf(|search| search.after.is_none())
            .times(3)
            .returning(|_| Ok(Vec::new()));
        let service = service(users);
        let nul = URL_SAFE_NO_PAD.encode("\0");
        let too_long = URL_SAFE_NO_PAD.encode("a".repeat(Username::MAX_LEN + 1));
        let not_base64 = "%%".to_owned();
        for cursor in [nul, too_long, not_base64] {
            assert!(service.search("a", None, Some(&cursor)).await.is_ok());
        }
    }
}
