//! The decorators over mocks: what they keep, and what drops it.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use nerutalk_domain::event::{Invalidation, RevokedSessions};
use nerutalk_domain::{SessionId, UserId};
use nerutalk_ports::{
    BlockRepository, InvalidationSink, MockBlockRepository, MockSessionRepository,
    MockUserRepository, SessionRepository, SessionState, UserRepository,
};

use super::{CacheSettings, NodeCaches};
use crate::auth::test_support::stored_user;

fn caches() -> NodeCaches {
    let caches = NodeCaches::new(CacheSettings {
        capacity: 1_000,
        ttl: Duration::from_secs(60),
    });
    caches.tracking(true);
    caches
}

/// A session repository that answers `state` `reads` times, as live.
fn sessions_read(user_id: UserId, reads: usize) -> MockSessionRepository {
    let mut sessions = MockSessionRepository::new();
    sessions.expect_state().times(reads).returning(move |_| {
        Ok(SessionState {
            user_id,
            revoked: false,
        })
    });
    sessions
}

#[tokio::test]
async fn a_session_is_read_once_until_it_is_invalidated() {
    let caches = caches();
    let (user_id, session_id) = (UserId::generate(), SessionId::generate());
    let sessions = caches.sessions(Arc::new(sessions_read(user_id, 2)));
    sessions.state(session_id).await.unwrap();
    sessions.state(session_id).await.unwrap();
    // Another user's sessions going changes nothing here.
    caches.invalidate(&Invalidation::Sessions {
        user_id: UserId::generate(),
        revoked: RevokedSessions::AllExcept(None),
    });
    sessions.state(session_id).await.unwrap();
    caches.invalidate(&Invalidation::Sessions {
        user_id,
        revoked: RevokedSessions::AllExcept(Some(SessionId::generate())),
    });
    sessions.state(session_id).await.unwrap();
}

#[tokio::test]
async fn a_revocation_through_the_decorator_drops_this_nodes_copy_before_it_returns() {
    let caches = caches();
    let (user_id, session_id) = (UserId::generate(), SessionId::generate());
    let mut inner = sessions_read(user_id, 1);
    inner.expect_revoke().times(1).returning(|_, _| Ok(()));
    inner.expect_state().times(1).returning(move |_| {
        Ok(SessionState {
            user_id,
            revoked: true,
        })
    });
    let sessions = caches.sessions(Arc::new(inner));
    assert!(!sessions.state(session_id).await.unwrap().revoked);
    sessions.revoke(session_id, Utc::now()).await.unwrap();
    assert!(sessions.state(session_id).await.unwrap().revoked);
}

#[tokio::test]
async fn nothing_is_kept_while_the_bus_may_miss_invalidations() {
    let caches = caches();
    let (user_id, session_id) = (UserId::generate(), SessionId::generate());
    let sessions = caches.sessions(Arc::new(sessions_read(user_id, 3)));
    sessions.state(session_id).await.unwrap();
    caches.tracking(false);
    sessions.state(session_id).await.unwrap();
    sessions.state(session_id).await.unwrap();
}

#[tokio::test]
async fn an_account_and_its_blocks_go_with_the_users_invalidation() {
    let caches = caches();
    let (ada, bob) = (UserId::generate(), UserId::generate());
    let mut users = MockUserRepository::new();
    users
        .expect_get()
        .times(2)
        .returning(|id| Ok(stored_user(id, "ada@example.com", "ada")));
    let users = caches.users(Arc::new(users));
    let mut blocks = MockBlockRepository::new();
    blocks
        .expect_either_blocks()
        .times(2)
        .returning(|_, _| Ok(false));
    let blocks = caches.blocks(Arc::new(blocks));
    users.get(ada).await.unwrap();
    users.get(ada).await.unwrap();
    // Asked either way round, the pair is one copy.
    blocks.either_blocks(ada, bob).await.unwrap();
    blocks.either_blocks(bob, ada).await.unwrap();
    caches.invalidate(&Invalidation::User(ada));
    users.get(ada).await.unwrap();
    blocks.either_blocks(bob, ada).await.unwrap();
}
