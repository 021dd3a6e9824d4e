//! [`ChatRepository`] on SQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Participant, Role};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::{
    AddMembersOutcome, ChatCursor, ChatRepository, ChatSummary, NewChat, PortError, Removal, Roster,
};
use std::collections::{HashMap, HashSet};

use crate::connection::MultiBackend;
use crate::error::require_row;
use crate::messages::MessageRow;
use crate::schema::{chat_participants, chats, messages, users};
use crate::types::DbUuid;
use crate::{AnyConnection, SqlStore};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chats)]
pub(crate) struct ChatRow {
    id: DbUuid,
    kind: String,
    name: Option<String>,
    description: Option<String>,
    avatar_url: Option<String>,
    direct_key: Option<String>,
    created_by: DbUuid,
    created_at: NaiveDateTime,
    last_activity_at: NaiveDateTime,
    last_seq: i64,
}

impl ChatRow {
    fn into_chat(self) -> QueryResult<Chat> {
        let kind =
            ChatKind::from_name(&self.kind).ok_or_else(|| corrupt("chats.kind", &self.kind))?;
        Ok(Chat {
            id: ChatId::from_uuid(self.id.0),
            kind,
            details: ChatDetails {
                name: self.name,
                description: self.description,
                avatar_url: self.avatar_url,
            },
            created_by: UserId::from_uuid(self.created_by.0),
            created_at: self.created_at.and_utc(),
            last_activity_at: self.last_activity_at.and_utc(),
            last_seq: self.last_seq,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_participants)]
pub(crate) struct ParticipantRow {
    chat_id: DbUuid,
    user_id: DbUuid,
    role: String,
    joined_at: NaiveDateTime,
    last_read_seq: i64,
}

impl ParticipantRow {
    fn into_participant(self) -> QueryResult<Participant> {
        Ok(Participant {
            user_id: UserId::from_uuid(self.user_id.0),
            role: Role::from_name(&self.role)
                .ok_or_else(|| corrupt("chat_participants.role", &self.role))?,
            joined_at: self.joined_at.and_utc(),
            last_read_seq: self.last_read_seq,
        })
    }
}

/// A stored value that no longer parses: reported, never papered over.
pub(crate) fn corrupt(column: &str, value: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("{column} holds {value:?}").into())
}

/// The key that makes a pair's direct chat unique, whatever the order.
fn direct_key(a: UserId, b: UserId) -> String {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    format!("{low}:{high}")
}

/// Chats in `chats`, members in `chat_participants`.
#[derive(Debug, Clone)]
pub struct SqlChatRepository {
    store: SqlStore,
}

impl SqlChatRepository {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

fn load_chat(connection: &mut AnyConnection, chat: DbUuid) -> QueryResult<Chat> {
    chats::table
        .find(chat)
        .select(ChatRow::as_select())
        .first(connection)?
        .into_chat()
}

fn load_members(connection: &mut AnyConnection, chat: DbUuid) -> QueryResult<Vec<ParticipantRow>> {
    chat_participants::table
        .filter(chat_participants::chat_id.eq(chat))
        .order((
            chat_participants::joined_at.asc(),
            chat_participants::user_id.asc(),
        ))
        .select(ParticipantRow::as_select())
        .load(connection)
}

/// Inserts members in one statement. Multi-row inserts do not pass through
/// MultiBackend; each backend takes them itself.
fn insert_participants(connection: &mut AnyConnection, rows: &[ParticipantRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match connection {
        AnyConnection::Postgresql(postgres) => diesel::insert_into(chat_participants::table)
            .values(rows)
            .execute(postgres)?,
        AnyConnection::Sqlite(sqlite) => diesel::insert_into(chat_participants::table)
            .values(rows)
            .execute(sqlite)?,
    };
    Ok(())
}

/// Holds the chat's row until the transaction ends, so that changes to one
/// chat's membership happen one at a time: what one add counts, no other
/// add can change before it commits. SQLite needs no lock of its own: its
/// write transaction holds the database's single write lock from the start.
fn lock_chat(connection: &mut AnyConnection, chat: DbUuid) -> QueryResult<()> {
    let locked = chats::table.find(chat).select(chats::id);
    match connection {
        AnyConnection::Postgresql(postgres) => locked.for_update().first::<DbUuid>(postgres)?,
        AnyConnection::Sqlite(sqlite) => locked.first::<DbUuid>(sqlite)?,
    };
    Ok(())
}

#[async_trait]
impl ChatRepository for SqlChatRepository {
    async fn create(&self, chat: NewChat) -> Result<Chat, PortError> {
        let direct = match (chat.kind, chat.members.as_slice()) {
            (ChatKind::Direct, [(a, _), (b, _)]) => Some(direct_key(*a, *b)),
            _ => None,
        };
        let now = chat.created_at.naive_utc();
        let row = ChatRow {
            id: chat.id.into(),
            kind: chat.kind.as_str().to_owned(),
            name: chat.details.name,
            description: chat.details.description,
            avatar_url: chat.details.avatar_url,
            direct_key: direct,
            created_by: chat.created_by.into(),
            created_at: now,
            last_activity_at: now,
            last_seq: 0,
        };
        let members: Vec<ParticipantRow> = chat
            .members
            .iter()
            .map(|(user, role)| ParticipantRow {
                chat_id: row.id,
                user_id: (*user).into(),
                role: role.as_str().to_owned(),
                joined_at: now,
                last_read_seq: 0,
            })
            .collect();
        self.store
            .write(move |connection| {
                diesel::insert_into(chats::table)
                    .values(&row)
                    .execute(connection)?;
                insert_participants(connection, &members)?;
                row.into_chat()
            })
            .await
    }

    async fn find_direct(&self, a: UserId, b: UserId) -> Result<Option<Chat>, PortError> {
        let key = direct_key(a, b);
        self.store
            .run(move |connection| {
                chats::table
                    .filter(chats::direct_key.eq(key))
                    .select(ChatRow::as_select())
                    .first(connection)
                    .optional()?
                    .map(ChatRow::into_chat)
                    .transpose()
            })
            .await
    }

    async fn get(&self, chat_id: ChatId) -> Result<Chat, PortError> {
        self.store
            .run(move |connection| load_chat(connection, chat_id.into()))
            .await
    }

    async fn member(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<Option<Participant>, PortError> {
        self.store
            .run(move |connection| {
                chat_participants::table
                    .find((DbUuid::from(chat_id), DbUuid::from(user_id)))
                    .select(ParticipantRow::as_select())
                    .first(connection)
                    .optional()?
                    .map(ParticipantRow::into_participant)
                    .transpose()
            })
            .await
    }

    async fn members(&self, chat_id: ChatId) -> Result<Vec<Participant>, PortError> {
        self.store
            .run(move |connection| {
                load_members(connection, chat_id.into())?
                    .into_iter()
                    .map(ParticipantRow::into_participant)
                    .collect()
            })
            .await
    }

    async fn roster(&self, chat_id: ChatId) -> Result<Roster, PortError> {
        self.store
            .run(move |connection| {
                // One query on the hot path of every send: members joined with their chat.
                let key = DbUuid::from(chat_id);
                let rows: Vec<(ChatRow, ParticipantRow)> = chat_participants::table
                    .inner_join(chats::table)
                    .filter(chat_participants::chat_id.eq(key))
                    .order((
                        chat_participants::joined_at.asc(),
                        chat_participants::user_id.asc(),
                    ))
                    .select((ChatRow::as_select(), ParticipantRow::as_select()))
                    .load(connection)?;
                let Some((chat, _)) = rows.first() else {
                    // No members: the chat may still exist, empty.
                    let chat = load_chat(connection, key)?;
                    return Ok(Roster {
                        chat,
                        members: Vec::new(),
                    });
                };
                let chat = chat.clone().into_chat()?;
                let members = rows
                    .into_iter()
                    .map(|(_, member)| member.into_participant())
                    .collect::<QueryResult<_>>()?;
                Ok(Roster { chat, members })
            })
            .await
    }

    async fn contacts(&self, user_id: UserId) -> Result<Vec<UserId>, PortError> {
        let me = DbUuid::from(user_id);
        let ids: Vec<DbUuid> = self
            .store
            .run(move |connection| {
                // Two steps: diesel cannot alias a table to join it with itself.
                let my_chats: Vec<DbUuid> = chat_participants::table
                    .filter(chat_participants::user_id.eq(me))
                    .select(chat_participants::chat_id)
                    .load(connection)?;
                chat_participants::table
                    .filter(chat_participants::chat_id.eq_any(my_chats))
                    .filter(chat_participants::user_id.ne(me))
                    .select(chat_participants::user_id)
                    .distinct()
                    .load(connection)
            })
            .await?;
        Ok(ids.into_iter().map(|id| UserId::from_uuid(id.0)).collect())
    }

    async fn list_for_user(
        &self,
        user_id: UserId,
        after: Option<ChatCursor>,
        limit: u32,
    ) -> Result<Vec<ChatSummary>, PortError> {
        let me = DbUuid::from(user_id);
        self.store
            .run(move |connection| {
                let mut query = chats::table
                    .inner_join(chat_participants::table)
                    .filter(chat_participants::user_id.eq(me))
                    .select((ChatRow::as_select(), ParticipantRow::as_select()))
                    .order((chats::last_activity_at.desc(), chats::id.desc()))
                    .limit(i64::from(limit))
                    .into_boxed();
                if let Some(cursor) = after {
                    let at = cursor.last_activity_at.naive_utc();
                    let id = DbUuid::from(cursor.chat_id);
                    query = query.filter(
                        chats::last_activity_at
                            .lt(at)
                            .or(chats::last_activity_at.eq(at).and(chats::id.lt(id))),
                    );
                }
                let page: Vec<(ChatRow, ParticipantRow)> = query.load(connection)?;
                summarize(connection, page, me)
            })
            .await
    }

    async fn update_details(
        &self,
        chat_id: ChatId,
        details: ChatDetails,
        now: DateTime<Utc>,
    ) -> Result<Chat, PortError> {
        self.store
            .write(move |connection| {
                let chat = DbUuid::from(chat_id);
                let updated = diesel::update(chats::table.find(chat))
                    .set((
                        chats::name.eq(details.name),
                        chats::description.eq(details.description),
                        chats::avatar_url.eq(details.avatar_url),
                        chats::last_activity_at.eq(now.naive_utc()),
                    ))
                    .execute(connection)?;
                require_row(updated)?;
                load_chat(connection, chat)
            })
            .await
    }

    async fn add_members(
        &self,
        chat_id: ChatId,
        users: Vec<UserId>,
        max_members: usize,
        now: DateTime<Utc>,
    ) -> Result<AddMembersOutcome, PortError> {
        self.store
            .write(move |connection| {
                let chat = DbUuid::from(chat_id);
                lock_chat(connection, chat)?;
                let present: HashSet<DbUuid> = chat_participants::table
                    .filter(chat_participants::chat_id.eq(chat))
                    .select(chat_participants::user_id)
                    .load::<DbUuid>(connection)?
                    .into_iter()
                    .collect();
                let mut seen = HashSet::with_capacity(users.len());
                let added: Vec<UserId> = users
                    .into_iter()
                    .filter(|user| !present.contains(&DbUuid::from(*user)) && seen.insert(*user))
                    .collect();
                if present.len() + added.len() > max_members {
                    return Ok(AddMembersOutcome::TooLarge);
                }
                let keys: Vec<DbUuid> = added.iter().copied().map(DbUuid::from).collect();
                if !keys.is_empty() {
                    let active: HashSet<DbUuid> = users::table
                        .filter(users::id.eq_any(&keys))
                        .filter(users::is_active.eq(true))
                        .select(users::id)
                        .load::<DbUuid>(connection)?
                        .into_iter()
                        .collect();
                    let unknown: Vec<UserId> = added
                        .iter()
                        .copied()
                        .filter(|user| !active.contains(&DbUuid::from(*user)))
                        .collect();
                    if !unknown.is_empty() {
                        return Ok(AddMembersOutcome::UnknownUsers(unknown));
                    }
                    let rows: Vec<ParticipantRow> = keys
                        .into_iter()
                        .map(|user_id| ParticipantRow {
                            chat_id: chat,
                            user_id,
                            role: Role::Member.as_str().to_owned(),
                            joined_at: now.naive_utc(),
                            last_read_seq: 0,
                        })
                        .collect();
                    insert_participants(connection, &rows)?;
                }
                let members = load_members(connection, chat)?
                    .into_iter()
                    .map(ParticipantRow::into_participant)
                    .collect::<QueryResult<_>>()?;
                Ok(AddMembersOutcome::Added { added, members })
            })
            .await
    }

    async fn remove_member(&self, chat_id: ChatId, user_id: UserId) -> Result<Removal, PortError> {
        self.store
            .write(move |connection| {
                let chat = DbUuid::from(chat_id);
                let key = (chat, DbUuid::from(user_id));
                let leaving: ParticipantRow = chat_participants::table
                    .find(key)
                    .select(ParticipantRow::as_select())
                    .first(connection)?;
                diesel::delete(chat_participants::table.find(key)).execute(connection)?;
                // Only a leaving manager can leave a chat without one; a
                // direct chat never had one and must not grow one.
                if !Role::from_name(&leaving.role).is_some_and(Role::can_manage) {
                    return Ok(Removal { promoted: None });
                }
                let remaining = load_members(connection, chat)?;
                let has_manager = remaining
                    .iter()
                    .any(|member| Role::from_name(&member.role).is_some_and(Role::can_manage));
                let promoted = match remaining.first() {
                    Some(oldest) if !has_manager => {
                        diesel::update(chat_participants::table.find((chat, oldest.user_id)))
                            .set(chat_participants::role.eq(Role::Admin.as_str()))
                            .execute(connection)?;
                        Some(UserId::from_uuid(oldest.user_id.0))
                    }
                    _ => None,
                };
                Ok(Removal { promoted })
            })
            .await
    }

    async fn mark_read(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    ) -> Result<i64, PortError> {
        self.store
            .write(move |connection| {
                let chat = DbUuid::from(chat_id);
                let key = (chat, DbUuid::from(user_id));
                let current: i64 = chat_participants::table
                    .find(key)
                    .select(chat_participants::last_read_seq)
                    .first(connection)?;
                let last_seq: i64 = chats::table
                    .find(chat)
                    .select(chats::last_seq)
                    .first(connection)?;
                let target = seq.min(last_seq).max(current);
                if target != current {
                    diesel::update(chat_participants::table.find(key))
                        .set(chat_participants::last_read_seq.eq(target))
                        .execute(connection)?;
                }
                Ok(target)
            })
            .await
    }
}

/// A condition on a row of `messages`, built at run time.
type MessageCondition = Box<dyn BoxableExpression<messages::table, MultiBackend, SqlType = Bool>>;

/// That any of `conditions` holds; `None` when there are none.
fn any_of(conditions: impl IntoIterator<Item = MessageCondition>) -> Option<MessageCondition> {
    conditions
        .into_iter()
        .reduce(|any, next| Box::new(any.or(next)))
}

/// Summaries for a page of chats, in two statements whatever the page's
/// size: one reads every last message, one counts every unread message.
/// Both use the chats' `last_seq` and the member's `last_read_seq` as the
/// page read them, so a summary never disagrees with itself.
fn summarize(
    connection: &mut AnyConnection,
    page: Vec<(ChatRow, ParticipantRow)>,
    me: DbUuid,
) -> QueryResult<Vec<ChatSummary>> {
    let last_of_each = any_of(page.iter().filter(|(chat, _)| chat.last_seq > 0).map(
        |(chat, _)| -> MessageCondition {
            Box::new(
                messages::chat_id
                    .eq(chat.id)
                    .and(messages::seq.eq(chat.last_seq)),
            )
        },
    ));
    let mut last_messages: HashMap<DbUuid, MessageRow> = HashMap::new();
    if let Some(last_of_each) = last_of_each {
        let rows: Vec<MessageRow> = messages::table
            .filter(last_of_each)
            .select(MessageRow::as_select())
            .load(connection)?;
        last_messages.extend(rows.into_iter().map(|row| (row.chat_id(), row)));
    }
    let unread_of_each = any_of(
        page.iter()
            .filter(|(chat, membership)| chat.last_seq > membership.last_read_seq)
            .map(|(chat, membership)| -> MessageCondition {
                Box::new(
                    messages::chat_id
                        .eq(chat.id)
                        .and(messages::seq.gt(membership.last_read_seq)),
                )
            }),
    );
    let mut unread: HashMap<DbUuid, i64> = HashMap::new();
    if let Some(unread_of_each) = unread_of_each {
        let counts: Vec<(DbUuid, i64)> = messages::table
            .filter(unread_of_each)
            .filter(messages::sender_id.ne(me))
            .filter(messages::deleted_at.is_null())
            .group_by(messages::chat_id)
            .select((messages::chat_id, count_star()))
            .load(connection)?;
        unread.extend(counts);
    }
    page.into_iter()
        .map(|(chat, membership)| {
            let last_message = last_messages
                .remove(&chat.id)
                .map(MessageRow::into_message)
                .transpose()?;
            let unread = unread.get(&chat.id).copied().unwrap_or(0);
            let participant = membership.into_participant()?;
            Ok(ChatSummary {
                chat: chat.into_chat()?,
                role: participant.role,
                last_read_seq: participant.last_read_seq,
                last_message,
                unread,
            })
        })
        .collect()
}
