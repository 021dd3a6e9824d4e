//! [`MessageRepository`] on SQL: `seq` is assigned in the append's transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::chat::{Message, MessageKind};
use nerutalk_domain::{ChatId, MessageId, UserId};
use nerutalk_ports::{Appended, HistoryPage, MessageRepository, NewMessage, PortError};

use std::collections::HashMap;
use std::sync::Arc;

use crate::batch::{WriteBatcher, shard_key};
use crate::chats::corrupt;
use crate::error::require_row;
use crate::schema::{chat_participants, chats, messages};
use crate::types::DbUuid;
use crate::{AnyConnection, DatabaseKind, SqlStore};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub(crate) struct MessageRow {
    id: DbUuid,
    chat_id: DbUuid,
    seq: i64,
    sender_id: DbUuid,
    kind: String,
    text: Option<String>,
    media_url: Option<String>,
    reply_to: Option<DbUuid>,
    client_message_id: Option<String>,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
}

impl MessageRow {
    pub(crate) fn chat_id(&self) -> DbUuid {
        self.chat_id
    }

    pub(crate) fn into_message(self) -> QueryResult<Message> {
        Ok(Message {
            id: MessageId::from_uuid(self.id.0),
            chat_id: ChatId::from_uuid(self.chat_id.0),
            seq: self.seq,
            sender_id: UserId::from_uuid(self.sender_id.0),
            kind: MessageKind::from_name(&self.kind)
                .ok_or_else(|| corrupt("messages.kind", &self.kind))?,
            text: self.text,
            media_url: self.media_url,
            reply_to: self.reply_to.map(|id| MessageId::from_uuid(id.0)),
            client_message_id: self.client_message_id,
            created_at: self.created_at.and_utc(),
            edited_at: self.edited_at.map(|at| at.and_utc()),
            deleted_at: self.deleted_at.map(|at| at.and_utc()),
        })
    }
}

/// Messages in `messages`. Appends are group-committed (see [`crate::batch`]).
#[derive(Debug, Clone)]
pub struct SqlMessageRepository {
    store: SqlStore,
    appends: Arc<WriteBatcher<NewMessage, Appended>>,
}

impl SqlMessageRepository {
    /// Starts the append workers: one for SQLite, which has a single writer
    /// anyway; a few for PostgreSQL, each owning a shard of the chats.
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        let workers = match store.kind() {
            DatabaseKind::Sqlite => 1,
            DatabaseKind::Postgres => 4,
        };
        let appends = WriteBatcher::start(&store, workers, append_batch, |message: &NewMessage| {
            shard_key(&message.chat_id)
        });
        Self {
            store,
            appends: Arc::new(appends),
        }
    }

    /// Stops the append workers once every append queued so far is
    /// committed, and returns when they have ended. Appends made after it
    /// are refused as unavailable. For the server's shutdown.
    pub async fn stop(&self) {
        let appends = self.appends.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || appends.stop()).await {
            tracing::error!(%error, "the append workers did not stop cleanly");
        }
    }
}

fn load(connection: &mut AnyConnection, message: DbUuid) -> QueryResult<Message> {
    messages::table
        .find(message)
        .select(MessageRow::as_select())
        .first(connection)?
        .into_message()
}

/// Who sent which key in which chat: what makes a retry a retry.
type RetryKey = (DbUuid, DbUuid, String);

fn retry_key(message: &NewMessage) -> Option<RetryKey> {
    let key = message.client_message_id.clone()?;
    Some((message.chat_id.into(), message.sender_id.into(), key))
}

/// Appends a batch inside one write transaction, in a handful of statements
/// whatever its size: one read of the chats' members, one lookup of retried
/// keys, then per chat one bump of `last_seq` by the number of new messages,
/// then one multi-row insert. Messages of one chat get consecutive seqs in
/// the batch's order; a sender who is not a member is refused alone.
fn append_batch(
    connection: &mut AnyConnection,
    batch: Vec<NewMessage>,
) -> QueryResult<Vec<Result<Appended, PortError>>> {
    let audiences = members_of(connection, &batch)?;
    let earlier = stored_retries(connection, &batch)?;
    // What each input becomes: refused, a stored message, or the n-th new one.
    enum Outcome {
        Refused,
        Earlier(Message),
        New(usize),
        SameAsNew(usize),
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut chat_of = Vec::with_capacity(batch.len());
    let mut fresh: Vec<NewMessage> = Vec::new();
    let mut fresh_keys: HashMap<RetryKey, usize> = HashMap::new();
    for message in batch {
        let chat = DbUuid::from(message.chat_id);
        chat_of.push(chat);
        let key = retry_key(&message);
        let is_member = audiences
            .get(&chat)
            .is_some_and(|members| members.contains(&message.sender_id));
        if !is_member {
            outcomes.push(Outcome::Refused);
        } else if let Some(stored) = key.as_ref().and_then(|key| earlier.get(key)) {
            outcomes.push(Outcome::Earlier(stored.clone()));
        } else if let Some(index) = key.as_ref().and_then(|key| fresh_keys.get(key)) {
            outcomes.push(Outcome::SameAsNew(*index));
        } else {
            if let Some(key) = key {
                fresh_keys.insert(key, fresh.len());
            }
            outcomes.push(Outcome::New(fresh.len()));
            fresh.push(message);
        }
    }
    let rows = number_and_insert(connection, fresh)?;
    let messages: Vec<Message> = rows
        .into_iter()
        .map(MessageRow::into_message)
        .collect::<QueryResult<_>>()?;
    outcomes
        .into_iter()
        .zip(chat_of)
        .map(|(outcome, chat)| {
            let (message, created) = match outcome {
                Outcome::Refused => return Ok(Err(PortError::NotFound)),
                Outcome::Earlier(message) => (Some(message), false),
                Outcome::New(index) => (messages.get(index).cloned(), true),
                Outcome::SameAsNew(index) => (messages.get(index).cloned(), false),
            };
            let message = message.ok_or(diesel::result::Error::NotFound)?;
            let audience = audiences.get(&chat).cloned().unwrap_or_default();
            Ok(Ok(Appended {
                message,
                created,
                audience,
            }))
        })
        .collect()
}

/// The members of every chat in `batch`, oldest first.
fn members_of(
    connection: &mut AnyConnection,
    batch: &[NewMessage],
) -> QueryResult<HashMap<DbUuid, Vec<UserId>>> {
    let mut chats: Vec<DbUuid> = batch.iter().map(|message| message.chat_id.into()).collect();
    chats.sort_unstable_by_key(|chat| chat.0);
    chats.dedup();
    let rows: Vec<(DbUuid, DbUuid)> = chat_participants::table
        .filter(chat_participants::chat_id.eq_any(chats))
        .order((
            chat_participants::chat_id,
            chat_participants::joined_at,
            chat_participants::user_id,
        ))
        .select((chat_participants::chat_id, chat_participants::user_id))
        .load(connection)?;
    let mut members: HashMap<DbUuid, Vec<UserId>> = HashMap::new();
    for (chat, user) in rows {
        members
            .entry(chat)
            .or_default()
            .push(UserId::from_uuid(user.0));
    }
    Ok(members)
}

/// The stored messages whose sender, chat and key match a message in `batch`.
fn stored_retries(
    connection: &mut AnyConnection,
    batch: &[NewMessage],
) -> QueryResult<HashMap<RetryKey, Message>> {
    let keys: Vec<&str> = batch
        .iter()
        .filter_map(|message| message.client_message_id.as_deref())
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let chats: Vec<DbUuid> = batch.iter().map(|message| message.chat_id.into()).collect();
    let rows: Vec<MessageRow> = messages::table
        .filter(messages::client_message_id.eq_any(keys))
        .filter(messages::chat_id.eq_any(chats))
        .select(MessageRow::as_select())
        .load(connection)?;
    let mut stored = HashMap::new();
    for row in rows {
        if let Some(key) = row.client_message_id.clone() {
            stored.insert((row.chat_id, row.sender_id, key), row.into_message()?);
        }
    }
    Ok(stored)
}

/// Gives each new message the next seq of its chat and inserts them all.
fn number_and_insert(
    connection: &mut AnyConnection,
    fresh: Vec<NewMessage>,
) -> QueryResult<Vec<MessageRow>> {
    if fresh.is_empty() {
        return Ok(Vec::new());
    }
    // The chats, with the count and newest time of each.
    let mut chats_in_batch: Vec<(DbUuid, i64, NaiveDateTime)> = Vec::new();
    for message in &fresh {
        let chat = DbUuid::from(message.chat_id);
        let at = message.created_at.naive_utc();
        match chats_in_batch.iter_mut().find(|(id, _, _)| *id == chat) {
            Some((_, count, newest)) => {
                *count += 1;
                *newest = (*newest).max(at);
            }
            None => chats_in_batch.push((chat, 1, at)),
        }
    }
    // Every batch, on every node, locks chat rows in one order: two batches
    // cannot each hold a row the other waits for.
    chats_in_batch.sort_unstable_by_key(|(chat, _, _)| chat.0);
    let mut next_seq: HashMap<DbUuid, i64> = HashMap::new();
    for (chat, count, newest) in chats_in_batch {
        // The row lock this update takes (PostgreSQL) or the write lock of
        // the immediate transaction (SQLite) serializes appenders, so each
        // seq is handed out once and none is skipped.
        let bumped = diesel::update(chats::table.find(chat))
            .set((
                chats::last_seq.eq(chats::last_seq + count),
                chats::last_activity_at.eq(newest),
            ))
            .execute(connection)?;
        require_row(bumped)?;
        let last: i64 = chats::table
            .find(chat)
            .select(chats::last_seq)
            .first(connection)?;
        next_seq.insert(chat, last - count + 1);
    }
    let mut rows = Vec::with_capacity(fresh.len());
    for message in fresh {
        let chat = DbUuid::from(message.chat_id);
        let seq = next_seq
            .get_mut(&chat)
            .ok_or(diesel::result::Error::NotFound)?;
        rows.push(MessageRow {
            id: message.id.into(),
            chat_id: chat,
            seq: *seq,
            sender_id: message.sender_id.into(),
            kind: message.content.kind.as_str().to_owned(),
            text: message.content.text,
            media_url: message.content.media_url,
            reply_to: message.reply_to.map(DbUuid::from),
            client_message_id: message.client_message_id,
            created_at: message.created_at.naive_utc(),
            edited_at: None,
            deleted_at: None,
        });
        *seq += 1;
    }
    // Multi-row inserts do not pass through MultiBackend; each backend takes them itself.
    match connection {
        AnyConnection::Postgresql(postgres) => diesel::insert_into(messages::table)
            .values(&rows)
            .execute(postgres)?,
        AnyConnection::Sqlite(sqlite) => diesel::insert_into(messages::table)
            .values(&rows)
            .execute(sqlite)?,
    };
    Ok(rows)
}

#[async_trait]
impl MessageRepository for SqlMessageRepository {
    async fn append(&self, message: NewMessage) -> Result<Appended, PortError> {
        self.appends.submit(message).await
    }

    async fn history(&self, chat_id: ChatId, page: HistoryPage) -> Result<Vec<Message>, PortError> {
        self.store
            .run(move |connection| {
                let mut query = messages::table
                    .filter(messages::chat_id.eq(DbUuid::from(chat_id)))
                    .select(MessageRow::as_select())
                    .limit(i64::from(page.limit))
                    .into_boxed();
                if let Some(before) = page.before_seq {
                    query = query.filter(messages::seq.lt(before));
                }
                // Catching up reads forward from a point; browsing reads
                // backward from the newest. Either way the page is returned oldest first.
                let rows: Vec<MessageRow> = if let Some(after) = page.after_seq {
                    query
                        .filter(messages::seq.gt(after))
                        .order(messages::seq.asc())
                        .load(connection)?
                } else {
                    let mut rows: Vec<MessageRow> =
                        query.order(messages::seq.desc()).load(connection)?;
                    rows.reverse();
                    rows
                };
                rows.into_iter().map(MessageRow::into_message).collect()
            })
            .await
    }

    async fn get(&self, chat_id: ChatId, message_id: MessageId) -> Result<Message, PortError> {
        self.store
            .run(move |connection| {
                messages::table
                    .find(DbUuid::from(message_id))
                    .filter(messages::chat_id.eq(DbUuid::from(chat_id)))
                    .select(MessageRow::as_select())
                    .first(connection)?
                    .into_message()
            })
            .await
    }

    async fn edit(
        &self,
        message_id: MessageId,
        author: UserId,
        text: String,
        now: DateTime<Utc>,
    ) -> Result<Message, PortError> {
        self.store
            .write(move |connection| {
                let key = DbUuid::from(message_id);
                // The predicates live in the UPDATE, not in a read before it:
                // a delete committed in between leaves nothing to match.
                let editable = messages::table
                    .find(key)
                    .filter(messages::sender_id.eq(DbUuid::from(author)))
                    .filter(messages::deleted_at.is_null());
                let updated = diesel::update(editable)
                    .set((
                        messages::text.eq(text),
                        messages::edited_at.eq(now.naive_utc()),
                    ))
                    .execute(connection)?;
                require_row(updated)?;
                load(connection, key)
            })
            .await
    }

    async fn delete(
        &self,
        message_id: MessageId,
        now: DateTime<Utc>,
    ) -> Result<Message, PortError> {
        self.store
            .write(move |connection| {
                let key = DbUuid::from(message_id);
                let updated = diesel::update(
                    messages::table
                        .find(key)
                        .filter(messages::deleted_at.is_null()),
                )
                .set((
                    messages::text.eq(None::<String>),
                    messages::media_url.eq(None::<String>),
                    messages::deleted_at.eq(now.naive_utc()),
                ))
                .execute(connection)?;
                let message = load(connection, key)?;
                if updated == 0 && !message.is_deleted() {
                    return Err(diesel::result::Error::NotFound);
                }
                Ok(message)
            })
            .await
    }
}
