//! [`UserRepository`] on SQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::{
    Language, UserId,
    user::{Email, Profile, User, Username},
};
use nerutalk_ports::{NewUser, PortError, UserCredentials, UserRepository, UserSearch};

use crate::SqlStore;
use crate::error::require_row;
use crate::schema::users;
use crate::store::load_in_chunks;
use crate::types::DbUuid;

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: DbUuid,
    email: String,
    username: String,
    username_key: String,
    password_hash: String,
    full_name: Option<String>,
    bio: Option<String>,
    phone_number: Option<String>,
    avatar_url: Option<String>,
    language: Option<String>,
    is_active: bool,
    is_verified: bool,
    last_seen_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl UserRow {
    fn from_new(user: NewUser) -> Self {
        let now = user.created_at.naive_utc();
        Self {
            id: user.id.into(),
            email: user.email.as_str().to_owned(),
            username_key: user.username.key(),
            username: user.username.as_str().to_owned(),
            password_hash: user.password_hash,
            full_name: user.profile.full_name,
            bio: user.profile.bio,
            phone_number: user.profile.phone_number,
            avatar_url: user.profile.avatar_url,
            language: user.language.map(|language| language.code().to_owned()),
            is_active: true,
            is_verified: false,
            last_seen_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Rebuilds the domain user. Stored values were valid when written; an
    /// e-mail that no longer parses means the row was edited by hand, and is
    /// reported rather than papered over. A username is kept as stored: one
    /// taken under an earlier, wider rule is still its owner's name.
    fn into_user(self) -> Result<User, PortError> {
        let corrupt = |field: &str| {
            PortError::internal(format!("users row {} has an invalid {field}", self.id.0))
        };
        Ok(User {
            id: UserId::from_uuid(self.id.0),
            email: Email::parse(&self.email).map_err(|_| corrupt("email"))?,
            username: Username::stored(self.username),
            language: self
                .language
                .as_deref()
                .and_then(|tag| Language::parse(tag).ok()),
            profile: Profile {
                full_name: self.full_name,
                bio: self.bio,
                phone_number: self.phone_number,
                avatar_url: self.avatar_url,
            },
            is_active: self.is_active,
            is_verified: self.is_verified,
            last_seen_at: self.last_seen_at.map(|at| at.and_utc()),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// Users in the `users` table.
#[derive(Debug, Clone)]
pub struct SqlUserRepository {
    store: SqlStore,
}

impl SqlUserRepository {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }

    async fn load(&self, id: UserId) -> Result<UserRow, PortError> {
        self.store
            .run(move |connection| {
                users::table
                    .find(DbUuid::from(id))
                    .select(UserRow::as_select())
                    .first(connection)
            })
            .await
    }

    /// Runs an update of one user and returns the user as stored after it.
    async fn update_and_load<F>(&self, id: UserId, update: F) -> Result<User, PortError>
    where
        F: FnOnce(&mut crate::AnyConnection, DbUuid) -> QueryResult<usize> + Send + 'static,
    {
        self.store
            .write(move |connection| {
                let key = DbUuid::from(id);
                require_row(update(connection, key)?)?;
                users::table
                    .find(key)
                    .select(UserRow::as_select())
                    .first(connection)
            })
            .await?
            .into_user()
    }
}

/// Escapes `LIKE` wildcards so a query matches literally.
fn like_pattern(query: &str) -> String {
    let escaped = query
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[async_trait]
impl UserRepository for SqlUserRepository {
    async fn create(&self, user: NewUser) -> Result<User, PortError> {
        let row = UserRow::from_new(user);
        let stored = row.clone();
        self.store
            .run(move |connection| {
                diesel::insert_into(users::table)
                    .values(&row)
                    .execute(connection)
            })
            .await?;
        stored.into_user()
    }

    async fn get(&self, id: UserId) -> Result<User, PortError> {
        self.load(id).await?.into_user()
    }

    async fn find_credentials(&self, login: &str) -> Result<UserCredentials, PortError> {
        let key = login.trim().to_lowercase();
        let row = self
            .store
            .run(move |connection| {
                let query = users::table.select(UserRow::as_select());
                if key.contains('@') {
                    query.filter(users::email.eq(key)).first(connection)
                } else {
                    query.filter(users::username_key.eq(key)).first(connection)
                }
            })
            .await?;
        let password_hash = row.password_hash.clone();
        Ok(UserCredentials {
            user: row.into_user()?,
            password_hash,
        })
    }

    async fn password_hash(&self, id: UserId) -> Result<String, PortError> {
        Ok(self.load(id).await?.password_hash)
    }

    async fn update_profile(
        &self,
        id: UserId,
        profile: Profile,
        now: DateTime<Utc>,
    ) -> Result<User, PortError> {
        self.update_and_load(id, move |connection, key| {
            diesel::update(users::table.find(key))
                .set((
                    users::full_name.eq(profile.full_name),
                    users::bio.eq(profile.bio),
                    users::phone_number.eq(profile.phone_number),
                    users::avatar_url.eq(profile.avatar_url),
                    users::updated_at.eq(now.naive_utc()),
                ))
                .execute(connection)
        })
        .await
    }

    async fn update_password_hash(
        &self,
        id: UserId,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        self.update_and_load(id, move |connection, key| {
            diesel::update(users::table.find(key))
                .set((
                    users::password_hash.eq(password_hash),
                    users::updated_at.eq(now.naive_utc()),
                ))
                .execute(connection)
        })
        .await
        .map(|_| ())
    }

    async fn set_language(
        &self,
        id: UserId,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<User, PortError> {
        self.update_and_load(id, move |connection, key| {
            diesel::update(users::table.find(key))
                .set((
                    users::language.eq(language.code()),
                    users::updated_at.eq(now.naive_utc()),
                ))
                .execute(connection)
        })
        .await
    }

    async fn search(&self, search: UserSearch) -> Result<Vec<User>, PortError> {
        let pattern = like_pattern(&search.query);
        let limit = i64::from(search.limit);
        let rows = self
            .store
            .run(move |connection| {
                let mut query = users::table
                    .select(UserRow::as_select())
                    .filter(users::is_active.eq(true))
                    .filter(
                        users::username_key
                            .like(pattern.clone())
                            .escape('\\')
                            .or(lower(users::full_name).like(pattern).escape('\\')),
                    )
                    .order(users::username_key.asc())
                    .limit(limit)
                    .into_boxed();
                if let Some(after) = search.after {
                    query = query.filter(users::username_key.gt(after));
                }
                query.load(connection)
            })
            .await?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn active_among(&self, ids: Vec<UserId>) -> Result<Vec<UserId>, PortError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<DbUuid> = ids.into_iter().map(DbUuid::from).collect();
        let found: Vec<DbUuid> = self
            .store
            .run(move |connection| {
                load_in_chunks(&keys, |batch| {
                    users::table
                        .filter(users::id.eq_any(batch))
                        .filter(users::is_active.eq(true))
                        .select(users::id)
                        .load::<DbUuid>(connection)
                })
            })
            .await?;
        let mut active: Vec<UserId> = found
            .into_iter()
            .map(|id| UserId::from_uuid(id.0))
            .collect();
        active.sort_unstable();
        active.dedup();
        Ok(active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
