//! Blocking: a blocked user cannot open a direct chat with, or message, the blocker.

use nerutalk_domain::UserId;

use super::ChatService;
use crate::{AppError, PortResultExt};

impl ChatService {
    /// # Errors
    /// [`AppError::CannotBlockSelf`], [`AppError::UserNotFound`].
    pub async fn block(&self, actor: UserId, user: UserId) -> Result<(), AppError> {
        if actor == user {
            return Err(AppError::CannotBlockSelf);
        }
        self.ports
            .blocks
            .block(actor, user, self.ports.clock.now())
            .await
            .or_not_found(AppError::UserNotFound)
    }

    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be written.
    pub async fn unblock(&self, actor: UserId, user: UserId) -> Result<(), AppError> {
        Ok(self.ports.blocks.unblock(actor, user).await?)
    }

    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be read.
    pub async fn blocked(&self, actor: UserId) -> Result<Vec<UserId>, AppError> {
        Ok(self.ports.blocks.blocked_by(actor).await?)
    }
}
