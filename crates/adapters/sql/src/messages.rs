//! [`MessageRepository`] on SQL: `seq` is assigned in the append's transaction.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::chat::{Message, MessageKind};
use nerutalk_domain::{ChatId, MessageId, UserId};
use nerutalk_ports::{Appended, HistoryPage, MessageRepository, NewMessage, PortError};

use std::sync::Arc;

use crate::batch::WriteBatcher;
use crate::chats::corrupt;
use crate::error::require_row;
use crate::schema::{chats, messages};
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
    /// anyway; a few for PostgreSQL, whose row locks let batches for
    /// different chats commit side by side.
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        let workers = match store.kind() {
            DatabaseKind::Sqlite => 1,
            DatabaseKind::Postgres => 4,
        };
        let appends = WriteBatcher::start(&store, workers, append_one, |message: &NewMessage| {
            message.chat_id
        });
        Self {
            store,
            appends: Arc::new(appends),
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

/// One append inside a (possibly shared) write transaction.
fn append_one(connection: &mut AnyConnection, message: NewMessage) -> QueryResult<Appended> {
    let chat = DbUuid::from(message.chat_id);
    let sender = DbUuid::from(message.sender_id);
    if let Some(key) = &message.client_message_id {
        let earlier = messages::table
            .filter(messages::chat_id.eq(chat))
            .filter(messages::sender_id.eq(sender))
            .filter(messages::client_message_id.eq(key))
            .select(MessageRow::as_select())
            .first(connection)
            .optional()?;
        if let Some(earlier) = earlier {
            return Ok(Appended {
                message: earlier.into_message()?,
                created: false,
            });
        }
    }
    let now = message.created_at.naive_utc();
    // The row lock this update takes (PostgreSQL) or the write
    // lock of the immediate transaction (SQLite) serializes senders,
    // so each gets the next seq and none is skipped or shared.
    let bumped = diesel::update(chats::table.find(chat))
        .set((
            chats::last_seq.eq(chats::last_seq + 1),
            chats::last_activity_at.eq(now),
        ))
        .execute(connection)?;
    require_row(bumped)?;
    let seq: i64 = chats::table
        .find(chat)
        .select(chats::last_seq)
        .first(connection)?;
    let row = MessageRow {
        id: message.id.into(),
        chat_id: chat,
        seq,
        sender_id: sender,
        kind: message.content.kind.as_str().to_owned(),
        text: message.content.text,
        media_url: message.content.media_url,
        reply_to: message.reply_to.map(DbUuid::from),
        client_message_id: message.client_message_id,
        created_at: now,
        edited_at: None,
        deleted_at: None,
    };
    diesel::insert_into(messages::table)
        .values(&row)
        .execute(connection)?;
    Ok(Appended {
        message: row.into_message()?,
        created: true,
    })
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
        text: String,
        now: DateTime<Utc>,
    ) -> Result<Message, PortError> {
        self.store
            .write(move |connection| {
                let key = DbUuid::from(message_id);
                let updated = diesel::update(messages::table.find(key))
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
