//! Blocking: a block, either way, freezes the pair's direct chat and hides
//! each one's presence from the other; nobody can put a user who blocked
//! them into a group. Groups both chose to be in are left alone.

use std::collections::HashSet;

use nerutalk_domain::UserId;
use nerutalk_domain::chat::ChatKind;
use nerutalk_domain::event::{Invalidation, PresenceChange};
use nerutalk_ports::{Presence, Roster};

use super::ChatService;
use crate::cache::may_have_changed;
use crate::error::cause_chain;
use crate::{AppError, PortResultExt};

impl ChatService {
    /// Stores the block, then tells each side the other went offline: from
    /// now on no presence crosses the block, so the last `online: true`
    /// each holds of the other would otherwise stay.
    ///
    /// # Errors
    /// [`AppError::CannotBlockSelf`], [`AppError::UserNotFound`].
    pub async fn block(&self, actor: UserId, user: UserId) -> Result<(), AppError> {
        if actor == user {
            return Err(AppError::CannotBlockSelf);
        }
        let outcome = self
            .ports
            .blocks
            .block(actor, user, self.ports.clock.now())
            .await;
        // Copies of blocks go with their blocker's: one invalidation for the pair.
        if may_have_changed(&outcome) {
            self.invalidate(Invalidation::User(actor)).await;
        }
        outcome.or_not_found(AppError::UserNotFound)?;
        for (told, about) in [(actor, user), (user, actor)] {
            let hidden = Presence {
                user_id: about,
                online: false,
                last_seen: None,
            };
            self.tell_presence(told, hidden).await;
        }
        Ok(())
    }

    /// Lifts the block, then tells each side the other's presence if they
    /// are contacts again (a shared chat, no block left either way), since
    /// the presence that changed while blocked was never told.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be written.
    pub async fn unblock(&self, actor: UserId, user: UserId) -> Result<(), AppError> {
        let outcome = self.ports.blocks.unblock(actor, user).await;
        if may_have_changed(&outcome) {
            self.invalidate(Invalidation::User(actor)).await;
        }
        outcome?;
        match self.contacts(actor).await {
            Ok(contacts) if contacts.contains(&user) => {}
            Ok(_) => return Ok(()),
            Err(error) => {
                tracing::warn!(%user, error = %cause_chain(&error), "presence not restored after unblock");
                return Ok(());
            }
        }
        match self.ports.presence.presence(vec![actor, user]).await {
            Ok(presences) => {
                for presence in presences {
                    let told = if presence.user_id == actor {
                        user
                    } else {
                        actor
                    };
                    self.tell_presence(told, presence).await;
                }
            }
            Err(error) => {
                tracing::warn!(%user, error = %cause_chain(&error), "presence not restored after unblock");
            }
        }
        Ok(())
    }

    async fn tell_presence(&self, told: UserId, presence: Presence) {
        let event = PresenceChange {
            user_id: presence.user_id,
            online: presence.online,
            last_seen: presence.last_seen,
        };
        self.tell(&[told], event).await;
    }

    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be read.
    pub async fn blocked(&self, actor: UserId) -> Result<Vec<UserId>, AppError> {
        Ok(self.ports.blocks.blocked_by(actor).await?)
    }

    /// Whether `roster` is a direct chat whose two members are kept apart
    /// by a block, either way: then nothing new happens in it, and nothing
    /// one of them does there is told to the other.
    pub(super) async fn direct_chat_frozen(
        &self,
        actor: UserId,
        roster: &Roster,
    ) -> Result<bool, AppError> {
        if roster.chat.kind != ChatKind::Direct {
            return Ok(false);
        }
        for other in roster
            .members
            .iter()
            .filter(|member| member.user_id != actor)
        {
            if self
                .ports
                .blocks
                .either_blocks(actor, other.user_id)
                .await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Those of `others` with a block, either way, with `user`.
    pub(super) async fn blocked_either_way(
        &self,
        user: UserId,
        others: &[UserId],
    ) -> Result<HashSet<UserId>, AppError> {
        if others.is_empty() {
            return Ok(HashSet::new());
        }
        let blocks = self
            .ports
            .blocks
            .blocks_between(user, others.to_vec())
            .await?;
        Ok(blocks
            .into_iter()
            .map(|block| {
                if block.blocker == user {
                    block.blocked
                } else {
                    block.blocker
                }
            })
            .collect())
    }

    /// Refuses to put into a group anyone among `users` who has blocked
    /// `actor`. Which one is not said; `field` names the request's list.
    /// Blocking someone does not stop the blocker from adding them: that is
    /// the blocker's own choice.
    pub(super) async fn refuse_those_who_blocked(
        &self,
        actor: UserId,
        users: &[UserId],
        field: &'static str,
    ) -> Result<(), AppError> {
        if users.is_empty() {
            return Ok(());
        }
        let blocks = self
            .ports
            .blocks
            .blocks_between(actor, users.to_vec())
            .await?;
        if blocks.iter().any(|block| block.blocked == actor) {
            return Err(AppError::MemberBlocked { field });
        }
        Ok(())
    }
}
