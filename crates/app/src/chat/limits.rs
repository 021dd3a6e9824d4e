//! How many messages a user sends, and how many chats they open and member
//! additions they make. Each is counted before anything is read or written,
//! so a refused request costs no row; REST and the WebSocket call the same
//! use cases, so they spend the same budgets.

use nerutalk_domain::UserId;
use nerutalk_ports::{LimitName, Quota, RateKey};

use super::ChatService;
use crate::error::AppError;
use crate::rate_limits::admit;

/// Messages one user sends, over REST and the WebSocket together.
pub const MESSAGE_SEND: LimitName = LimitName::new("message.send");
/// Chats one user creates (direct or group; opening an existing direct
/// chat counts too, since it is the same request).
pub const CHAT_CREATE: LimitName = LimitName::new("chat.create");
/// Requests adding members to a group, by one user.
pub const MEMBER_ADD: LimitName = LimitName::new("member.add");

/// The chat budgets and what happens when the limiter cannot be asked.
#[derive(Debug, Clone, Copy)]
pub struct ChatLimits {
    pub message_send: Quota,
    pub chat_create: Quota,
    pub member_add: Quota,
    /// When the limiter is down: `true` lets the request through, `false`
    /// answers 503.
    pub fail_open: bool,
}

impl ChatService {
    /// Counts one hit of `user` against `quota`, the budget of `limit`.
    ///
    /// # Errors
    /// [`AppError::RateLimited`] when the budget is spent;
    /// [`AppError::Unavailable`] when the limiter is down and the limits
    /// fail closed.
    pub(super) async fn admit(
        &self,
        limit: LimitName,
        quota: Quota,
        user: UserId,
    ) -> Result<(), AppError> {
        admit(
            self.ports.rate_limiter.as_ref(),
            self.ports.clock.as_ref(),
            &RateKey::new(limit, user),
            &quota,
            self.limits.fail_open,
        )
        .await
    }
}

#[cfg(test)]
pub(super) mod test_support {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use nerutalk_ports::{Decision, MockRateLimiter, Quota};

    use super::ChatLimits;

    /// A limiter that allows everything, for tests about something else.
    pub(in crate::chat) fn allowing() -> MockRateLimiter {
        let mut limiter = MockRateLimiter::new();
        limiter.expect_check().returning(|_, _, _| {
            Ok(Decision::Allowed {
                remaining: 1,
                reset_after: Duration::ZERO,
            })
        });
        limiter
    }

    pub(in crate::chat) fn per_minute(limit: u32) -> Quota {
        Quota::per_period(
            NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN),
            Duration::from_secs(60),
        )
        .unwrap()
    }

    pub(in crate::chat) fn generous() -> ChatLimits {
        ChatLimits {
            message_send: per_minute(1000),
            chat_create: per_minute(1000),
            member_add: per_minute(1000),
            fail_open: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use nerutalk_domain::chat::{ChatKind, MessageKind};
    use nerutalk_domain::{ChatId, UserId};
    use nerutalk_ports::{
        Decision, MockBlockRepository, MockChatRepository, MockEventBus, MockMessageRepository,
        MockPresenceStore, MockRateLimiter, MockTypingStore, MockUserRepository, PortError,
        SystemClock,
    };

    use super::test_support::per_minute;
    use super::*;
    use crate::chat::{ChatPorts, NewConversation, Outgoing};
    use crate::error::LimitPolicy;

    /// A limiter that refuses the one hit it expects, of `limit` for `user`;
    /// every store is a strict mock, so any read or write fails the test.
    fn refusing(limit: LimitName, user: UserId) -> ChatService {
        let mut limiter = MockRateLimiter::new();
        limiter
            .expect_check()
            .withf(move |key, quota, _| {
                key.limit() == limit
                    && key.subject() == user.to_string()
                    && quota.limit().get() == 7
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(Decision::Limited {
                    retry_after: Duration::from_millis(1_500),
                    reset_after: Duration::from_secs(60),
                })
            });
        strict(limiter, false)
    }

    fn strict(limiter: MockRateLimiter, fail_closed: bool) -> ChatService {
        ChatService::new(
            ChatPorts {
                chats: Arc::new(MockChatRepository::new()),
                messages: Arc::new(MockMessageRepository::new()),
                blocks: Arc::new(MockBlockRepository::new()),
                users: Arc::new(MockUserRepository::new()),
                bus: Arc::new(MockEventBus::new()),
                presence: Arc::new(MockPresenceStore::new()),
                typing: Arc::new(MockTypingStore::new()),
                clock: Arc::new(SystemClock),
                rate_limiter: Arc::new(limiter),
            },
            ChatLimits {
                message_send: per_minute(7),
                chat_create: per_minute(7),
                member_add: per_minute(7),
                fail_open: !fail_closed,
            },
        )
    }

    fn refused(limit: &'static str) -> AppError {
        AppError::RateLimited {
            retry_after_seconds: 2,
            limit: LimitPolicy {
                name: limit,
                quota: 7,
                window_seconds: 60,
                reset_seconds: 60,
            },
        }
    }

    fn hello() -> Outgoing {
        Outgoing {
            kind: MessageKind::Text,
            text: Some("hello".into()),
            media_url: None,
            reply_to: None,
            client_message_id: None,
        }
    }

    #[tokio::test]
    async fn a_spent_send_budget_refuses_before_anything_is_read_or_stored() {
        let actor = UserId::generate();
        let service = refusing(MESSAGE_SEND, actor);
        assert_eq!(
            service
                .send_message(actor, ChatId::generate(), hello())
                .await
                .unwrap_err(),
            refused("message.send")
        );
    }

    #[tokio::test]
    async fn a_malformed_message_costs_no_budget() {
        let mut limiter = MockRateLimiter::new();
        limiter.expect_check().never();
        let service = strict(limiter, false);
        let empty = Outgoing {
            text: Some(String::new()),
            ..hello()
        };
        assert!(matches!(
            service
                .send_message(UserId::generate(), ChatId::generate(), empty)
                .await,
            Err(AppError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn a_spent_chat_budget_refuses_before_anything_is_read_or_written() {
        let actor = UserId::generate();
        let service = refusing(CHAT_CREATE, actor);
        let group = NewConversation {
            kind: ChatKind::Group,
            name: Some("Team".into()),
            description: None,
            avatar_url: None,
            members: vec![UserId::generate()],
        };
        assert_eq!(
            service.create_chat(actor, group).await.unwrap_err(),
            refused("chat.create")
        );
    }

    #[tokio::test]
    async fn a_spent_member_budget_refuses_before_anything_is_read_or_written() {
        let actor = UserId::generate();
        let service = refusing(MEMBER_ADD, actor);
        assert_eq!(
            service
                .add_participants(actor, ChatId::generate(), vec![UserId::generate()])
                .await
                .unwrap_err(),
            refused("member.add")
        );
    }

    #[tokio::test]
    async fn a_limiter_that_is_down_answers_unavailable_when_failing_closed() {
        let mut limiter = MockRateLimiter::new();
        limiter.expect_check().returning(|_, _, _| {
            Err(PortError::unavailable(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            )))
        });
        let service = strict(limiter, true);
        assert_eq!(
            service
                .send_message(UserId::generate(), ChatId::generate(), hello())
                .await
                .unwrap_err(),
            AppError::Unavailable
        );
    }
}
