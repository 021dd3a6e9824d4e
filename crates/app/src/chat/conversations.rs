//! Creating, listing, describing chats, and managing their members.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Participant, Role};
use nerutalk_domain::event::{ChatEvent, Invalidation, ParticipantRole};
use nerutalk_domain::user::Profile;
use nerutalk_domain::{ChatId, DomainError, UserId};
use nerutalk_ports::{AddMembersOutcome, ChatCursor, ChatSummary, NewChat, PortError};

use super::ChatService;
use super::limits::{CHAT_CREATE, MEMBER_ADD};
use crate::cache::may_have_changed;
use crate::error::cause_chain;
use crate::{AppError, PortResultExt};

/// A chat to open, as the client asked for it.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub kind: ChatKind,
    pub members: Vec<UserId>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

/// A chat with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatView {
    pub chat: Chat,
    pub participants: Vec<Participant>,
    /// Members typing right now.
    pub typing: Vec<UserId>,
}

/// A page of the caller's chats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPage {
    pub chats: Vec<ChatSummary>,
    pub next_cursor: Option<String>,
}

/// The request field listing the members of a new group.
const MEMBER_IDS: &str = "member_ids";
/// The request field listing the users added to a group.
const USER_IDS: &str = "user_ids";

/// `users` without `actor` and without repeats, in the order given.
fn distinct_others(actor: UserId, users: Vec<UserId>) -> Vec<UserId> {
    let mut seen = HashSet::with_capacity(users.len());
    users
        .into_iter()
        .filter(|user| *user != actor && seen.insert(*user))
        .collect()
}

/// The users a request puts into a group besides `actor` (who is or
/// becomes a member), each once; more than a group holds with `actor` is
/// refused before any lookup. `field` names the request's list.
fn group_newcomers(
    actor: UserId,
    users: Vec<UserId>,
    field: &'static str,
) -> Result<Vec<UserId>, AppError> {
    let newcomers = distinct_others(actor, users);
    if newcomers.len() + 1 > ChatDetails::GROUP_MAX_MEMBERS {
        return Err(group_too_large(field));
    }
    Ok(newcomers)
}

fn group_too_large(field: &'static str) -> AppError {
    DomainError::GroupTooLarge {
        max: ChatDetails::GROUP_MAX_MEMBERS,
        field,
    }
    .into()
}

impl ChatService {
    pub const MAX_CHAT_PAGE: u32 = 50;

    /// Opens a direct chat (or returns the pair's existing one, with
    /// `false`) or creates a group with the caller as owner.
    ///
    /// # Errors
    /// [`AppError::Invalid`], [`AppError::UserNotFound`], [`AppError::Blocked`],
    /// [`AppError::MemberBlocked`], [`AppError::RateLimited`] when the
    /// caller has created their share of chats (then nothing is read or
    /// written).
    pub async fn create_chat(
        &self,
        actor: UserId,
        request: NewConversation,
    ) -> Result<(ChatView, bool), AppError> {
        // What needs no read is checked first: a request too large or
        // malformed costs no lookup.
        let (others, details, members, pair) = match request.kind {
            ChatKind::Direct => {
                let others = distinct_others(actor, request.members);
                let [other] = others.as_slice() else {
                    return Err(DomainError::DirectChatMembers.into());
                };
                let other = *other;
                (
                    others,
                    ChatDetails::default(),
                    vec![(actor, Role::Member), (other, Role::Member)],
                    Some(other),
                )
            }
            ChatKind::Group => {
                let others = group_newcomers(actor, request.members, MEMBER_IDS)?;
                let details = ChatDetails {
                    name: Some(ChatDetails::parse_name(
                        request.name.as_deref().unwrap_or_default(),
                    )?),
                    description: match request.description.as_deref() {
                        Some(raw) => ChatDetails::parse_description(raw)?,
                        None => None,
                    },
                    avatar_url: match request.avatar_url.as_deref() {
                        Some(raw) => Profile::parse_avatar_url(raw)?,
                        None => None,
                    },
                };
                let members = std::iter::once((actor, Role::Owner))
                    .chain(others.iter().map(|user| (*user, Role::Member)))
                    .collect();
                (others, details, members, None)
            }
        };
        self.admit(CHAT_CREATE, self.limits.chat_create, actor)
            .await?;
        self.all_active(&others).await?;
        if let Some(other) = pair {
            if self.ports.blocks.either_blocks(actor, other).await? {
                return Err(AppError::Blocked);
            }
            if let Some(existing) = self.ports.chats.find_direct(actor, other).await? {
                return Ok((self.view(existing).await?, false));
            }
        } else {
            self.refuse_those_who_blocked(actor, &others, MEMBER_IDS)
                .await?;
        }
        let now = self.ports.clock.now();
        let created = self
            .ports
            .chats
            .create(NewChat {
                id: ChatId::generate(),
                kind: request.kind,
                details,
                created_by: actor,
                created_at: now,
                members,
            })
            .await;
        let chat = match (created, pair) {
            (Ok(chat), _) => chat,
            // Two first messages raced; the other one made the pair's chat.
            (Err(PortError::Conflict(_)), Some(other)) => {
                let existing = self.ports.chats.find_direct(actor, other).await?;
                return Ok((self.view(existing.ok_or(AppError::Internal)?).await?, false));
            }
            (Err(error), _) => return Err(error.into()),
        };
        let view = self.view(chat).await?;
        self.tell_members(view.chat.id, ChatEvent::ChatUpdated(view.chat.clone()))
            .await;
        Ok((view, true))
    }

    /// A group the caller may manage.
    async fn managed_group(&self, actor: UserId, chat_id: ChatId) -> Result<Chat, AppError> {
        let me = self.membership(actor, chat_id).await?;
        let chat = self.chat(chat_id).await?;
        if chat.kind == ChatKind::Direct {
            return Err(AppError::DirectChatFixed);
        }
        if !me.role.can_manage() {
            return Err(AppError::NotChatAdmin);
        }
        Ok(chat)
    }

    /// Only existing, enabled accounts can be put in a chat; all of
    /// `users` (distinct) are looked up in one read.
    async fn all_active(&self, users: &[UserId]) -> Result<(), AppError> {
        if users.is_empty() {
            return Ok(());
        }
        let active = self.ports.users.active_among(users.to_vec()).await?;
        if active.len() == users.len() {
            Ok(())
        } else {
            Err(AppError::UserNotFound)
        }
    }

    async fn view(&self, chat: Chat) -> Result<ChatView, AppError> {
        let participants = self.ports.chats.members(chat.id).await?;
        self.view_with(chat, participants).await
    }

    /// [`Self::view`] for a caller that has just read the members.
    async fn view_with(
        &self,
        chat: Chat,
        participants: Vec<Participant>,
    ) -> Result<ChatView, AppError> {
        // Who is typing is a nicety: without the store the chat still opens.
        let typing = self
            .ports
            .typing
            .typing_in(chat.id, self.ports.clock.now())
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(chat_id = %chat.id, error = %cause_chain(&error), "typing indicators unavailable");
                Vec::new()
            });
        Ok(ChatView {
            chat,
            participants,
            typing,
        })
    }

    /// The caller's chats, newest activity first.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be read.
    pub async fn list_chats(
        &self,
        actor: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ChatPage, AppError> {
        let limit = limit.unwrap_or(20).clamp(1, Self::MAX_CHAT_PAGE);
        let after = cursor.and_then(decode_cursor);
        let mut chats = self
            .ports
            .chats
            .list_for_user(actor, after, limit + 1)
            .await?;
        let next_cursor = if chats.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            chats.pop();
            chats
                .last()
                .map(|last| encode_cursor(last.chat.last_activity_at, last.chat.id))
        } else {
            None
        };
        Ok(ChatPage { chats, next_cursor })
    }

    /// A chat and its members, for a member.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`] for a chat the caller is not in.
    pub async fn get_chat(&self, actor: UserId, chat_id: ChatId) -> Result<ChatView, AppError> {
        self.membership(actor, chat_id).await?;
        let chat = self.chat(chat_id).await?;
        self.view(chat).await
    }

    /// Renames or redescribes a group; fields left out stay.
    ///
    /// # Errors
    /// [`AppError::NotChatAdmin`], [`AppError::DirectChatFixed`], [`AppError::Invalid`].
    pub async fn update_chat(
        &self,
        actor: UserId,
        chat_id: ChatId,
        name: Option<String>,
        description: Option<String>,
        avatar_url: Option<String>,
    ) -> Result<ChatView, AppError> {
        let chat = self.managed_group(actor, chat_id).await?;
        let details = ChatDetails {
            name: match name.as_deref() {
                Some(raw) => Some(ChatDetails::parse_name(raw)?),
                None => chat.details.name,
            },
            description: match description.as_deref() {
                Some(raw) => ChatDetails::parse_description(raw)?,
                None => chat.details.description,
            },
            avatar_url: match avatar_url.as_deref() {
                Some(raw) => Profile::parse_avatar_url(raw)?,
                None => chat.details.avatar_url,
            },
        };
        let outcome = self
            .ports
            .chats
            .update_details(chat_id, details, self.ports.clock.now())
            .await;
        if may_have_changed(&outcome) {
            self.invalidate(Invalidation::Chat(chat_id)).await;
        }
        let updated = outcome?;
        self.tell_members(chat_id, ChatEvent::ChatUpdated(updated.clone()))
            .await;
        self.view(updated).await
    }

    /// Adds members to a group (admins only), all in one step: the store
    /// looks the users up together and checks the member cap in the same
    /// transaction that adds them, and the members hear of them in one event.
    ///
    /// # Errors
    /// [`AppError::NotChatAdmin`], [`AppError::DirectChatFixed`],
    /// [`AppError::UserNotFound`], [`AppError::MemberBlocked`], [`AppError::Invalid`]
    /// when the group would grow past its cap, [`AppError::RateLimited`]
    /// when the caller has made their share of additions (then nothing is
    /// read or written).
    pub async fn add_participants(
        &self,
        actor: UserId,
        chat_id: ChatId,
        users: Vec<UserId>,
    ) -> Result<ChatView, AppError> {
        // The caller is a member already (an admin, or refused below).
        let newcomers = group_newcomers(actor, users, USER_IDS)?;
        self.admit(MEMBER_ADD, self.limits.member_add, actor)
            .await?;
        let chat = self.managed_group(actor, chat_id).await?;
        self.refuse_those_who_blocked(actor, &newcomers, USER_IDS)
            .await?;
        let outcome = self
            .ports
            .chats
            .add_members(
                chat_id,
                newcomers,
                ChatDetails::GROUP_MAX_MEMBERS,
                self.ports.clock.now(),
            )
            .await;
        let changed = match &outcome {
            Ok(AddMembersOutcome::Added { added, .. }) => !added.is_empty(),
            Ok(AddMembersOutcome::UnknownUsers(_) | AddMembersOutcome::TooLarge) => false,
            Err(_) => may_have_changed(&outcome),
        };
        if changed {
            self.invalidate(Invalidation::Chat(chat_id)).await;
        }
        let (added, members) = match outcome? {
            AddMembersOutcome::Added { added, members } => (added, members),
            AddMembersOutcome::UnknownUsers(_) => return Err(AppError::UserNotFound),
            AddMembersOutcome::TooLarge => return Err(group_too_large(USER_IDS)),
        };
        if !added.is_empty() {
            let recipients: Vec<UserId> = members.iter().map(|member| member.user_id).collect();
            let participants = added
                .into_iter()
                .map(|user_id| ParticipantRole {
                    user_id,
                    role: Role::Member,
                })
                .collect();
            self.tell(
                &recipients,
                ChatEvent::ParticipantAdded {
                    chat_id,
                    participants,
                },
            )
            .await;
        }
        self.view_with(chat, members).await
    }

    /// Removes a member: anyone may leave; admins may remove others, but
    /// not the owner. The last manager leaving promotes the oldest member.
    ///
    /// # Errors
    /// [`AppError::NotChatAdmin`], [`AppError::CannotRemoveOwner`], [`AppError::UserNotFound`].
    pub async fn remove_participant(
        &self,
        actor: UserId,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<(), AppError> {
        let me = self.membership(actor, chat_id).await?;
        if user_id != actor {
            let chat = self.chat(chat_id).await?;
            if chat.kind == ChatKind::Direct {
                return Err(AppError::DirectChatFixed);
            }
            if !me.role.can_manage() {
                return Err(AppError::NotChatAdmin);
            }
            let target = self
                .ports
                .chats
                .member(chat_id, user_id)
                .await?
                .ok_or(AppError::UserNotFound)?;
            if target.role == Role::Owner {
                return Err(AppError::CannotRemoveOwner);
            }
        }
        let outcome = self.ports.chats.remove_member(chat_id, user_id).await;
        if may_have_changed(&outcome) {
            self.invalidate(Invalidation::Chat(chat_id)).await;
        }
        let removal = outcome.or_not_found(AppError::UserNotFound)?;
        let event = ChatEvent::ParticipantRemoved { chat_id, user_id };
        self.tell(&[user_id], event.clone()).await;
        self.tell_members(chat_id, event).await;
        if let Some(promoted) = removal.promoted {
            self.tell_members(
                chat_id,
                ChatEvent::ParticipantAdded {
                    chat_id,
                    participants: vec![ParticipantRole {
                        user_id: promoted,
                        role: Role::Admin,
                    }],
                },
            )
            .await;
        }
        Ok(())
    }
}

fn encode_cursor(at: DateTime<Utc>, chat_id: ChatId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{chat_id}", at.timestamp_micros()))
}

/// A cursor this service did not make reads as "from the start".
fn decode_cursor(cursor: &str) -> Option<ChatCursor> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (micros, id) = text.split_once('|')?;
    Some(ChatCursor {
        last_activity_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        chat_id: id.parse().ok()?,
    })
}
