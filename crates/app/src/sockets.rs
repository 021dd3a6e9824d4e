//! How many sockets one user may hold open at once, counted on every node
//! together by the presence store, which already counts them for presence.

use std::num::NonZeroU32;
use std::sync::Arc;

use nerutalk_domain::UserId;
use nerutalk_ports::PresenceStore;

use crate::error::{AppError, cause_chain};

/// The sockets-per-user limit.
#[derive(Clone)]
pub struct SocketLimit {
    presence: Arc<dyn PresenceStore>,
    per_user: NonZeroU32,
    /// When the presence store is down: `true` lets the socket open,
    /// `false` refuses it as unavailable.
    fail_open: bool,
}

impl std::fmt::Debug for SocketLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketLimit")
            .field("per_user", &self.per_user)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

impl SocketLimit {
    #[must_use]
    pub fn new(presence: Arc<dyn PresenceStore>, per_user: NonZeroU32, fail_open: bool) -> Self {
        Self {
            presence,
            per_user,
            fail_open,
        }
    }

    /// Whether `user` may open one more socket, asked before the upgrade.
    ///
    /// # Errors
    /// [`AppError::TooManySockets`] when the user has the limit open
    /// already; [`AppError::Unavailable`] when the count cannot be read and
    /// the limit fails closed.
    pub async fn admit(&self, user: UserId) -> Result<(), AppError> {
        self.at_most(user, self.per_user.get().saturating_sub(1))
            .await
    }

    /// Whether `user`'s sockets, this one counted, are within the limit.
    /// Two upgrades of one user may both pass [`Self::admit`] on two nodes
    /// at once; asked again once each socket counts, the one that went
    /// over is refused, so that the limit holds whatever the race.
    ///
    /// # Errors
    /// As [`Self::admit`].
    pub async fn still_within(&self, user: UserId) -> Result<(), AppError> {
        self.at_most(user, self.per_user.get()).await
    }

    async fn at_most(&self, user: UserId, allowed: u32) -> Result<(), AppError> {
        match self.presence.sockets(user).await {
            Ok(open) if open <= allowed => Ok(()),
            Ok(_) => Err(AppError::TooManySockets {
                limit: self.per_user.get(),
            }),
            Err(error) if self.fail_open => {
                tracing::warn!(%user, error = %cause_chain(&error), "sockets not counted; socket let through (RATE_LIMIT_FAIL_OPEN)");
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_ports::{MockPresenceStore, PortError};

    use super::*;

    fn limit(open: Result<u32, ()>, fail_open: bool) -> SocketLimit {
        let mut presence = MockPresenceStore::new();
        presence.expect_sockets().returning(move |_| {
            open.map_err(|()| PortError::unavailable(std::io::Error::other("down")))
        });
        SocketLimit::new(Arc::new(presence), NonZeroU32::new(2).unwrap(), fail_open)
    }

    #[tokio::test]
    async fn a_socket_beyond_the_limit_is_refused_before_and_after_it_counts() {
        let user = UserId::generate();
        assert_eq!(limit(Ok(1), true).admit(user).await, Ok(()));
        assert_eq!(
            limit(Ok(2), true).admit(user).await,
            Err(AppError::TooManySockets { limit: 2 })
        );
        assert_eq!(limit(Ok(2), true).still_within(user).await, Ok(()));
        assert_eq!(
            limit(Ok(3), true).still_within(user).await,
            Err(AppError::TooManySockets { limit: 2 })
        );
    }

    #[tokio::test]
    async fn a_store_that_is_down_lets_sockets_through_or_not_as_configured() {
        let user = UserId::generate();
        assert_eq!(limit(Err(()), true).admit(user).await, Ok(()));
        assert_eq!(
            limit(Err(()), false).admit(user).await,
            Err(AppError::Unavailable)
        );
    }
}
