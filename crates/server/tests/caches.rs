//! The per-node caches never outlive a change: a session, a membership or a
//! block that ends is refused at once on the node that ended it, and on
//! every other node as soon as Redis pub/sub brings it the invalidation,
//! even though each node read it just before.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use std::time::Duration;

use nerutalk_sql::scratch::ScratchDatabase;
use serde_json::json;
use support::process::{Node, NodeSettings};
use support::{Backend, PASSWORD, TestApp};

on_every_backend!(
    a_logged_out_token_is_refused_at_once,
    a_password_change_refuses_the_other_sessions_at_once,
    a_removed_member_is_refused_at_once,
    a_block_freezes_the_direct_chat_at_once,
);

const ME: &str = "/api/v1/auth/me";

/// Where a change is checked, from where it was made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The node that made it: the first request after it is refused.
    SameNode,
    /// Another node: it hears of the change through pub/sub, a moment after
    /// the change's reply, and refuses from then on.
    OtherNode,
}

/// Asserts that `attempt` is refused with `status` and `code`: at once on
/// the same node, and on another node within what pub/sub takes to bring
/// the invalidation (two seconds here, far longer than that on a loaded
/// machine, so that only a lost invalidation fails).
async fn refused<F, Fut>(reach: Reach, attempt: F, status: u16, code: &str)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = support::Reply>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let reply = attempt().await;
        if reach == Reach::SameNode
            || reply.status.as_u16() == status
            || tokio::time::Instant::now() >= deadline
        {
            reply.assert_error(status, code);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_logged_out_token_is_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.signed_in("ada").await;
    // Read, so that the node holds a copy of the session.
    assert_eq!(app.get(ME, Some(&token)).await.status, 200);
    let logout = app
        .post("/api/v1/auth/logout", Some(&token), json!({}))
        .await;
    assert_eq!(logout.status.as_u16(), 200, "{:#}", logout.body);
    app.get(ME, Some(&token))
        .await
        .assert_error(401, "auth.session_revoked");
}

async fn a_password_change_refuses_the_other_sessions_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (phone, _) = app.signed_in("ada").await;
    let (laptop, _) = app.login("ada", PASSWORD).await;
    assert_eq!(app.get(ME, Some(&laptop)).await.status, 200);
    let changed = app
        .post(
            "/api/v1/auth/change-password",
            Some(&phone),
            json!({
                "current_password": PASSWORD,
                "new_password": "Another987",
                "confirm_password": "Another987",
            }),
        )
        .await;
    assert_eq!(changed.status.as_u16(), 200, "{:#}", changed.body);
    app.get(ME, Some(&laptop))
        .await
        .assert_error(401, "auth.session_revoked");
    assert_eq!(app.get(ME, Some(&phone)).await.status, 200);
}

/// Ada's group with Bob in it, and each one's token.
struct Group {
    ada: String,
    bob: String,
    bob_id: String,
    chat: String,
}

async fn group(app: &TestApp) -> Group {
    let (ada, _) = app.signed_in("ada").await;
    let (bob, _) = app.signed_in("bob").await;
    let bob_id = app.user_id(&bob).await;
    let chat = app
        .create_chat(
            &ada,
            json!({ "kind": "group", "name": "cached", "member_ids": [bob_id] }),
        )
        .await;
    Group {
        ada,
        bob,
        bob_id,
        chat,
    }
}

fn mark_read(chat: &str) -> String {
    format!("/api/v1/chats/{chat}/messages/mark-read")
}

async fn a_removed_member_is_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let group = group(&app).await;
    removed_member_is_refused(&app, &app, &group, Reach::SameNode).await;
}

/// Bob reads on `reader` (which then holds the roster), Ada removes him on
/// `remover`, and `reader` refuses him at once.
async fn removed_member_is_refused(
    reader: &TestApp,
    remover: &TestApp,
    group: &Group,
    reach: Reach,
) {
    let read = reader
        .post(
            &mark_read(&group.chat),
            Some(&group.bob),
            json!({ "seq": 0 }),
        )
        .await;
    assert_eq!(read.status.as_u16(), 200, "{:#}", read.body);
    let removed = remover
        .send(
            "DELETE",
            &format!("/api/v1/chats/{}/participants/{}", group.chat, group.bob_id),
            Some(&group.ada),
            &[],
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{:#}", removed.body);
    let path = mark_read(&group.chat);
    let read_again = || reader.post(&path, Some(&group.bob), json!({ "seq": 0 }));
    refused(reach, read_again, 404, "chat.not_found").await;
}

/// Ada and Bob in a direct chat, and each one's token.
struct Direct {
    ada: String,
    bob_id: String,
    bob: String,
    chat: String,
}

async fn direct(app: &TestApp) -> Direct {
    let (ada, _) = app.signed_in("ada").await;
    let (bob, _) = app.signed_in("bob").await;
    let bob_id = app.user_id(&bob).await;
    let chat = app
        .create_chat(&ada, json!({ "kind": "direct", "member_ids": [bob_id] }))
        .await;
    Direct {
        ada,
        bob_id,
        bob,
        chat,
    }
}

async fn a_block_freezes_the_direct_chat_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let direct = direct(&app).await;
    block_is_refused(&app, &app, &direct, Reach::SameNode).await;
}

/// Bob writes on `sender` (which then holds the roster and the pair), Ada
/// blocks him on `blocker`, and `sender` refuses his next message at once.
async fn block_is_refused(sender: &TestApp, blocker: &TestApp, direct: &Direct, reach: Reach) {
    let path = format!("/api/v1/chats/{}/messages", direct.chat);
    let sent = sender
        .post(&path, Some(&direct.bob), json!({ "text": "hi" }))
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    let blocked = blocker
        .post(
            &format!("/api/v1/users/{}/block", direct.bob_id),
            Some(&direct.ada),
            json!({}),
        )
        .await;
    assert!(blocked.status.is_success(), "{:#}", blocked.body);
    let send_again = || sender.post(&path, Some(&direct.bob), json!({ "text": "still there?" }));
    refused(reach, send_again, 403, "chat.blocked").await;
}

#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn what_ends_on_one_node_is_refused_on_the_other_at_once() {
    let database = ScratchDatabase::create().unwrap();
    let node_a = Node::start(NodeSettings::new(database.url()).with_redis()).await;
    let node_b = Node::start(NodeSettings::new(database.url()).with_redis()).await;
    let (a, b) = (&node_a.app, &node_b.app);

    let (token, _) = a.signed_in("carol").await;
    assert_eq!(b.get(ME, Some(&token)).await.status, 200);
    let logout = a.post("/api/v1/auth/logout", Some(&token), json!({})).await;
    assert_eq!(logout.status.as_u16(), 200, "{:#}", logout.body);
    refused(
        Reach::OtherNode,
        || b.get(ME, Some(&token)),
        401,
        "auth.session_revoked",
    )
    .await;

    let direct = direct(a).await;
    block_is_refused(b, a, &direct, Reach::OtherNode).await;

    let (dave, _) = a.signed_in("dave").await;
    let (erin, _) = a.signed_in("erin").await;
    let erin_id = a.user_id(&erin).await;
    let chat = a
        .create_chat(
            &dave,
            json!({ "kind": "group", "name": "two nodes", "member_ids": [erin_id] }),
        )
        .await;
    let group = Group {
        ada: dave,
        bob: erin,
        bob_id: erin_id,
        chat,
    };
    removed_member_is_refused(b, a, &group, Reach::OtherNode).await;
}
