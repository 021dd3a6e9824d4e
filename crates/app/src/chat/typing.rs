//! Typing indicators: kept in the typing store, told to the other members.

use nerutalk_domain::event::ChatEvent;
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::Roster;

use super::ChatService;
use crate::AppError;
use crate::error::cause_chain;

impl ChatService {
    /// How long a typing indicator lasts without renewal.
    pub const TYPING_TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

    /// Records that the caller is typing (a start or a renewal, each told to
    /// the other members so that they can drop an indicator nobody renews)
    /// or stopped (told only when an indicator was running, so the several
    /// ways of stopping never repeat themselves).
    ///
    /// In a direct chat frozen by a block a start is refused, but a stop is
    /// still recorded, untold: the gateway stops the indicators of a socket
    /// that closes, and a refusal would leave the indicator listed.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`], [`AppError::Unavailable`],
    /// [`AppError::Blocked`] for a start in a direct chat frozen by a block.
    pub async fn typing(
        &self,
        actor: UserId,
        chat_id: ChatId,
        is_typing: bool,
    ) -> Result<(), AppError> {
        let (roster, _) = self.roster_for(actor, chat_id).await?;
        let now = self.ports.clock.now();
        if self.direct_chat_frozen(actor, &roster).await? {
            if is_typing {
                return Err(AppError::Blocked);
            }
            self.ports.typing.stop(chat_id, actor, now).await?;
            return Ok(());
        }
        if is_typing {
            let until = now + Self::TYPING_TTL;
            self.ports.typing.start(chat_id, actor, now, until).await?;
        } else if !self.ports.typing.stop(chat_id, actor, now).await? {
            return Ok(());
        }
        self.tell_typing(&roster, actor, chat_id, is_typing).await;
        Ok(())
    }

    /// A socket's indicator ran out without renewal: tells the others that
    /// the caller stopped, unless they are still typing by the store (they
    /// renewed it from another socket), or a block came between them since.
    ///
    /// # Errors
    /// [`AppError::ChatNotFound`] (say, they left), [`AppError::Unavailable`].
    pub async fn typing_ran_out(&self, actor: UserId, chat_id: ChatId) -> Result<(), AppError> {
        let (roster, _) = self.roster_for(actor, chat_id).await?;
        let now = self.ports.clock.now();
        if self
            .ports
            .typing
            .typing_in(chat_id, now)
            .await?
            .contains(&actor)
            || self.direct_chat_frozen(actor, &roster).await?
        {
            return Ok(());
        }
        self.tell_typing(&roster, actor, chat_id, false).await;
        Ok(())
    }

    /// A message ends its sender's typing indicator without a `typing`
    /// event: receivers clear the indicator when the message arrives.
    pub async fn typing_ended_by_message(&self, actor: UserId, chat_id: ChatId) {
        let now = self.ports.clock.now();
        if let Err(error) = self.ports.typing.stop(chat_id, actor, now).await {
            tracing::debug!(%chat_id, error = %cause_chain(&error), "typing indicator left to expire");
        }
    }

    /// Tells everyone in the chat but `actor` that they are (or stopped) typing.
    async fn tell_typing(&self, roster: &Roster, actor: UserId, chat_id: ChatId, is_typing: bool) {
        let mut others = roster.user_ids();
        others.retain(|user| *user != actor);
        let event = ChatEvent::Typing {
            chat_id,
            user_id: actor,
            is_typing,
        };
        self.tell(&others, event).await;
    }
}
