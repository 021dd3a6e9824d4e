//! Two server processes on one PostgreSQL and one Redis: what happens on one
//! node reaches sockets on the other, a session revoked on one closes its
//! sockets on the other.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use std::time::Duration;

use nerutalk_sql::scratch::ScratchDatabase;
use serde_json::json;
use support::process::{Node, NodeSettings};

async fn start_node(database_url: &str) -> Node {
    let mut settings = NodeSettings::new(database_url).with_redis();
    // Sockets close on revocation only because it is pushed between nodes.
    settings
        .env
        .push(("WS_SESSION_CHECK_SECONDS", "3600".to_owned()));
    Node::start(settings).await
}

#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn messages_receipts_typing_and_presence_cross_nodes() {
    let database = ScratchDatabase::create().unwrap();
    let node_a = start_node(database.url()).await;
    let node_b = start_node(database.url()).await;
    let (a, b) = (&node_a.app, &node_b.app);

    let (ada, _) = a.signed_in("ada").await;
    let (bob, _) = b.signed_in("bob").await;
    let bob_id = b.user_id(&bob).await;
    let chat = a
        .create_chat(&ada, json!({ "kind": "direct", "member_ids": [bob_id] }))
        .await;

    let mut ada_socket = a.connect(&format!("token={ada}")).await;
    ada_socket.until("connection_established").await;
    // Read before Bob connects: the snapshot is taken after the greeting,
    // and a Bob already online by then would be in it.
    let snapshot = ada_socket.until("presence").await;
    assert_eq!(
        snapshot["data"]["online"], false,
        "ada's snapshot: bob not yet online"
    );
    let mut bob_socket = b.connect(&format!("token={bob}")).await;
    bob_socket.until("connection_established").await;
    let online = ada_socket.until("presence").await;
    assert_eq!(online["data"]["user_id"], bob_id.as_str());
    assert_eq!(online["data"]["online"], true);

    ada_socket
        .send(json!({ "type": "send_message", "id": 1, "data": { "chat_id": chat, "text": "hello from node A" } }))
        .await;
    let delivered = bob_socket.until("new_message").await;
    assert_eq!(delivered["data"]["text"], "hello from node A");

    bob_socket
        .send(json!({ "type": "message_read", "data": { "chat_id": chat, "seq": 1 } }))
        .await;
    let receipt = ada_socket.until("message_read").await;
    assert_eq!(receipt["data"]["user_id"], bob_id.as_str());
    bob_socket
        .send(json!({ "type": "typing_indicator", "data": { "chat_id": chat, "is_typing": true } }))
        .await;
    assert_eq!(ada_socket.until("typing").await["data"]["is_typing"], true);

    let over_rest = b
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&bob),
            json!({ "text": "and back via REST on B" }),
        )
        .await;
    assert_eq!(over_rest.status.as_u16(), 201);
    assert_eq!(ada_socket.until("new_message").await["data"]["seq"], 2);

    drop(bob_socket);
    let offline = ada_socket.until("presence").await;
    assert_eq!(offline["data"]["online"], false);
    assert!(offline["data"]["last_seen"].is_string());
}

#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn a_logout_on_one_node_closes_the_socket_on_the_other() {
    let database = ScratchDatabase::create().unwrap();
    let node_a = start_node(database.url()).await;
    let node_b = start_node(database.url()).await;
    let (a, b) = (&node_a.app, &node_b.app);

    let (phone, _) = a.signed_in("ada").await;
    let (laptop, _) = b.login("ada", support::PASSWORD).await;
    let mut phone_on_b = b.connect(&format!("token={phone}")).await;
    phone_on_b.until("connection_established").await;
    let mut laptop_on_b = b.connect(&format!("token={laptop}")).await;
    laptop_on_b.until("connection_established").await;

    let logout = a.post("/api/v1/auth/logout", Some(&phone), json!({})).await;
    assert_eq!(logout.status.as_u16(), 200, "{:#}", logout.body);
    let closed = actix_web::rt::time::timeout(Duration::from_secs(2), phone_on_b.close_code())
        .await
        .expect("closed at once through Redis, not at a periodic check");
    assert_eq!(closed, Some(4001));

    laptop_on_b
        .send(json!({ "type": "ping", "id": "still" }))
        .await;
    assert_eq!(
        laptop_on_b.until("pong").await["id"],
        "still",
        "the same user's other session stays"
    );
}

/// A group with members on both nodes, two of them (one with two sockets)
/// on the node that did not handle the send: the event crosses once per
/// node, and every socket still gets each message exactly once, in order.
#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn a_group_message_reaches_every_socket_on_the_other_node_once() {
    let database = ScratchDatabase::create().unwrap();
    let node_a = start_node(database.url()).await;
    let node_b = start_node(database.url()).await;
    let (a, b) = (&node_a.app, &node_b.app);

    let (ada, _) = a.signed_in("ada").await;
    let (bob, _) = b.signed_in("bob").await;
    let (cat, _) = b.signed_in("cat").await;
    let (bob_id, cat_id) = (b.user_id(&bob).await, b.user_id(&cat).await);
    let chat = a
        .create_chat(
            &ada,
            json!({ "kind": "group", "name": "trio", "member_ids": [bob_id, cat_id] }),
        )
        .await;
    let mut sockets = Vec::new();
    for token in [&bob, &bob, &cat] {
        let mut socket = b.connect(&format!("token={token}")).await;
        socket.until("connection_established").await;
        sockets.push(socket);
    }
    let mut ada_socket = a.connect(&format!("token={ada}")).await;
    ada_socket.until("connection_established").await;

    for (id, text) in [(1, "one"), (2, "two")] {
        ada_socket
            .send(json!({ "type": "send_message", "id": id, "data": { "chat_id": chat, "text": text } }))
            .await;
    }
    for socket in &mut sockets {
        let mut seqs = Vec::new();
        while seqs.last() != Some(&2) {
            let frame = socket.until("new_message").await;
            seqs.push(frame["data"]["seq"].as_i64().expect("a seq"));
        }
        assert_eq!(seqs, [1, 2], "each message once, in order");
    }
}
