//! `/api/v1/chats`: chats, members and messages over REST.

use actix_web::{delete, get, post, put, web};
use nerutalk_app::chat::{HistoryQuery, NewConversation, Outgoing};
use nerutalk_domain::{ChatId, MessageId, UserId};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::dto::chat::{
    AddParticipantsRequest, ChatDetailsResponse, ChatListParams, ChatPageResponse,
    CreateChatRequest, EditMessageRequest, HistoryParams, MarkReadRequest, MessageDto, ReadMarker,
    SendMessageRequest, UpdateChatRequest,
};
use crate::envelope::{Envelope, ErrorEnvelope, Reply};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::server::AppState;

/// Open a direct chat (returns the existing one with 200) or create a group (201).
#[utoipa::path(post, path = "/api/v1/chats", tag = "chats", security(("bearer" = [])),
    request_body = CreateChatRequest,
    responses(
        (status = 201, body = Envelope<ChatDetailsResponse>),
        (status = 200, description = "The pair's existing direct chat", body = Envelope<ChatDetailsResponse>),
        (status = 403, description = "A block stands in the way: `chat.blocked` for a direct chat, `chat.member_blocked` for a group", body = ErrorEnvelope),
        (status = 404, description = "A member does not exist", body = ErrorEnvelope),
        (status = 422, description = "A field breaks a rule, a direct chat without exactly one other member, or a group too large", body = ErrorEnvelope),
        (status = 429, description = "You have created too many chats lately (`chat.create`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`; nothing was done", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"chat.create\";q=20;w=600`: `q` per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"chat.create\";r=0;t=600`: `r` left, all back after `t` seconds")))))]
#[post("")]
pub(crate) async fn create(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    body: web::Json<CreateChatRequest>,
) -> Result<Reply<ChatDetailsResponse>, ApiError> {
    let body = body.into_inner();
    let (view, created) = state
        .chat
        .create_chat(
            actor.user.id,
            NewConversation {
                kind: body.kind.into(),
                members: body.member_ids.into_iter().map(UserId::from_uuid).collect(),
                name: body.name,
                description: body.description,
                avatar_url: body.avatar_url,
            },
        )
        .await?;
    Ok(if created {
        Reply::created(Notice::ChatCreated, view.into())
    } else {
        Reply::ok(Notice::ChatExisting, view.into())
    })
}

/// Your chats, newest activity first, with last message, unread count and your role.
#[utoipa::path(get, path = "/api/v1/chats", tag = "chats", security(("bearer" = [])),
    params(ChatListParams),
    responses((status = 200, body = Envelope<ChatPageResponse>)))]
#[get("")]
pub(crate) async fn list(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    query: web::Query<ChatListParams>,
) -> Result<Reply<ChatPageResponse>, ApiError> {
    let page = state
        .chat
        .list_chats(actor.user.id, query.cursor.as_deref(), query.limit)
        .await?;
    Ok(Reply::ok(Notice::Chats, page.into()))
}

/// A chat and its members. Chats you are not in answer 404.
#[utoipa::path(get, path = "/api/v1/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path)),
    responses((status = 200, body = Envelope<ChatDetailsResponse>),
        (status = 404, description = "No such chat, or you are not in it", body = ErrorEnvelope)))]
#[get("/{chat_id}")]
pub(crate) async fn details(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
) -> Result<Reply<ChatDetailsResponse>, ApiError> {
    let view = state
        .chat
        .get_chat(actor.user.id, ChatId::from_uuid(*chat_id))
        .await?;
    Ok(Reply::ok(Notice::Chat, view.into()))
}

/// Rename or redescribe a group (owner and admins).
#[utoipa::path(put, path = "/api/v1/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path)), request_body = UpdateChatRequest,
    responses((status = 200, body = Envelope<ChatDetailsResponse>),
        (status = 403, description = "Not an owner or admin of the group", body = ErrorEnvelope),
        (status = 404, description = "No such chat, or you are not in it", body = ErrorEnvelope),
        (status = 422, description = "A field breaks a rule, or the chat is a direct chat", body = ErrorEnvelope)))]
#[put("/{chat_id}")]
pub(crate) async fn update(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
    body: web::Json<UpdateChatRequest>,
) -> Result<Reply<ChatDetailsResponse>, ApiError> {
    let body = body.into_inner();
    let view = state
        .chat
        .update_chat(
            actor.user.id,
            ChatId::from_uuid(*chat_id),
            body.name,
            body.description,
            body.avatar_url,
        )
        .await?;
    Ok(Reply::ok(Notice::ChatUpdated, view.into()))
}

/// Add members to a group (owner and admins).
#[utoipa::path(post, path = "/api/v1/chats/{chat_id}/participants", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path)), request_body = AddParticipantsRequest,
    responses((status = 200, body = Envelope<ChatDetailsResponse>),
        (status = 403, description = "Not an owner or admin of the group (`chat.not_admin`), or a user to add has blocked you (`chat.member_blocked`)", body = ErrorEnvelope),
        (status = 404, description = "No such chat (or you are not in it), or no such user", body = ErrorEnvelope),
        (status = 422, description = "The chat is a direct chat, or the group would grow too large", body = ErrorEnvelope),
        (status = 429, description = "You have added members too often lately (`member.add`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`; nothing was done", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"member.add\";q=30;w=600`: `q` per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"member.add\";r=0;t=600`: `r` left, all back after `t` seconds")))))]
#[post("/{chat_id}/participants")]
pub(crate) async fn add_participants(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
    body: web::Json<AddParticipantsRequest>,
) -> Result<Reply<ChatDetailsResponse>, ApiError> {
    let users = body
        .user_ids
        .iter()
        .copied()
        .map(UserId::from_uuid)
        .collect();
    let chat_id = ChatId::from_uuid(*chat_id);
    state
        .chat
        .add_participants(actor.user.id, chat_id, users)
        .await?;
    let view = state.chat.get_chat(actor.user.id, chat_id).await?;
    Ok(Reply::ok(Notice::ParticipantsAdded, view.into()))
}

/// Remove a member (admins), or leave (yourself).
#[utoipa::path(delete, path = "/api/v1/chats/{chat_id}/participants/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = Envelope<Option<String>>),
        (status = 403, description = "Not an admin, or the member is the owner", body = ErrorEnvelope),
        (status = 404, description = "No such chat or member, or you are not in the chat", body = ErrorEnvelope),
        (status = 422, description = "The chat is a direct chat", body = ErrorEnvelope)))]
#[delete("/{chat_id}/participants/{user_id}")]
pub(crate) async fn remove_participant(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Reply<Option<String>>, ApiError> {
    let (chat_id, user_id) = path.into_inner();
    state
        .chat
        .remove_participant(
            actor.user.id,
            ChatId::from_uuid(chat_id),
            UserId::from_uuid(user_id),
        )
        .await?;
    Ok(Reply::ok(Notice::ParticipantRemoved, None))
}

/// Send a message (201), or get the first one back (200) when `client_message_id` was seen.
#[utoipa::path(post, path = "/api/v1/chats/{chat_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path)), request_body = SendMessageRequest,
    responses((status = 201, body = Envelope<MessageDto>),
        (status = 200, description = "A retry: the message stored the first time", body = Envelope<MessageDto>),
        (status = 403, description = "Blocked by the other member of a direct chat", body = ErrorEnvelope),
        (status = 404, description = "No such chat (or you are not in it), or no such message to reply to", body = ErrorEnvelope),
        (status = 422, description = "A field breaks a rule", body = ErrorEnvelope),
        (status = 429, description = "You have sent too many messages lately, over REST and the WebSocket together (`message.send`): `rate_limited`, with `error.details.limit` and `error.details.retry_after_seconds`; nothing was done", body = ErrorEnvelope,
            headers(
                ("Retry-After" = u64, description = "Seconds until one more is allowed"),
                ("RateLimit-Policy" = String, description = "The refusing policy (draft-ietf-httpapi-ratelimit-headers-09), e.g. `\"message.send\";q=30;w=10`: `q` per `w` seconds"),
                ("RateLimit" = String, description = "Its state, e.g. `\"message.send\";r=0;t=10`: `r` left, all back after `t` seconds")))))]
#[post("/{chat_id}/messages")]
pub(crate) async fn send_message(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
    body: web::Json<SendMessageRequest>,
) -> Result<Reply<MessageDto>, ApiError> {
    let body = body.into_inner();
    let appended = state
        .chat
        .send_message(
            actor.user.id,
            ChatId::from_uuid(*chat_id),
            Outgoing::from(body),
        )
        .await?;
    Ok(if appended.created {
        Reply::created(Notice::MessageSent, appended.message.into())
    } else {
        Reply::ok(Notice::MessageDuplicate, appended.message.into())
    })
}

/// History by `seq`, oldest first, at most 100 a page.
#[utoipa::path(get, path = "/api/v1/chats/{chat_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), HistoryParams),
    responses((status = 200, body = Envelope<Vec<MessageDto>>),
        (status = 404, description = "No such chat, or you are not in it", body = ErrorEnvelope)))]
#[get("/{chat_id}/messages")]
pub(crate) async fn history(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
    query: web::Query<HistoryParams>,
) -> Result<Reply<Vec<MessageDto>>, ApiError> {
    let messages = state
        .chat
        .history(
            actor.user.id,
            ChatId::from_uuid(*chat_id),
            HistoryQuery {
                before_seq: query.before_seq,
                after_seq: query.after_seq,
                limit: query.limit,
            },
        )
        .await?;
    Ok(Reply::ok(
        Notice::Messages,
        messages.into_iter().map(MessageDto::from).collect(),
    ))
}

/// Edit your own text message.
#[utoipa::path(put, path = "/api/v1/chats/{chat_id}/messages/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ("message_id" = Uuid, Path)), request_body = EditMessageRequest,
    responses((status = 200, body = Envelope<MessageDto>),
        (status = 403, description = "Not your message (`chat.not_message_author`), or a direct chat one of whose two members has blocked the other (`chat.blocked`)", body = ErrorEnvelope),
        (status = 404, description = "No such chat or message, or you are not in the chat", body = ErrorEnvelope),
        (status = 422, description = "Empty or too long text, or a message that cannot be edited", body = ErrorEnvelope)))]
#[put("/{chat_id}/messages/{message_id}")]
pub(crate) async fn edit_message(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<EditMessageRequest>,
) -> Result<Reply<MessageDto>, ApiError> {
    let (chat_id, message_id) = path.into_inner();
    let message = state
        .chat
        .edit_message(
            actor.user.id,
            ChatId::from_uuid(chat_id),
            MessageId::from_uuid(message_id),
            &body.text,
        )
        .await?;
    Ok(Reply::ok(Notice::MessageUpdated, message.into()))
}

/// Delete a message (its author or an admin); a tombstone keeps its seq.
#[utoipa::path(delete, path = "/api/v1/chats/{chat_id}/messages/{message_id}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path), ("message_id" = Uuid, Path)),
    responses((status = 200, body = Envelope<MessageDto>),
        (status = 403, description = "Neither your message nor yours to moderate (`chat.not_admin`), or a direct chat one of whose two members has blocked the other (`chat.blocked`)", body = ErrorEnvelope),
        (status = 404, description = "No such chat or message, or you are not in the chat", body = ErrorEnvelope)))]
#[delete("/{chat_id}/messages/{message_id}")]
pub(crate) async fn delete_message(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<Reply<MessageDto>, ApiError> {
    let (chat_id, message_id) = path.into_inner();
    let message = state
        .chat
        .delete_message(
            actor.user.id,
            ChatId::from_uuid(chat_id),
            MessageId::from_uuid(message_id),
        )
        .await?;
    Ok(Reply::ok(Notice::MessageDeleted, message.into()))
}

/// Mark everything up to `seq` read; members get a read receipt.
#[utoipa::path(post, path = "/api/v1/chats/{chat_id}/messages/mark-read", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = Uuid, Path)), request_body = MarkReadRequest,
    responses((status = 200, body = Envelope<ReadMarker>),
        (status = 404, description = "No such chat, or you are not in it", body = ErrorEnvelope)))]
#[post("/{chat_id}/messages/mark-read")]
pub(crate) async fn mark_read(
    state: web::Data<AppState>,
    CurrentUser(actor): CurrentUser,
    chat_id: web::Path<Uuid>,
    body: web::Json<MarkReadRequest>,
) -> Result<Reply<ReadMarker>, ApiError> {
    let seq = state
        .chat
        .mark_read(actor.user.id, ChatId::from_uuid(*chat_id), body.seq)
        .await?;
    Ok(Reply::ok(
        Notice::MessagesRead,
        ReadMarker {
            chat_id: *chat_id,
            seq,
        },
    ))
}
