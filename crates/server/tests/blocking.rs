//! Blocking, end to end over REST and real sockets: after Ada blocks Bob,
//! nothing Bob does in their direct chat reaches Ada, Bob cannot put Ada in
//! a group, and neither sees the other's presence through a group they share.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, Socket, TestApp};

on_every_backend!(
    a_block_freezes_the_direct_chat_but_not_reading_it,
    nobody_is_put_in_a_group_by_someone_who_blocked_them,
    presence_does_not_cross_a_block,
);

/// Access token and user id.
type Person = (String, String);

async fn person(app: &TestApp, username: &str) -> Person {
    let token = app.signed_in(username).await.0;
    let id = app.user_id(&token).await;
    (token, id)
}

fn chat_id(reply: &support::Reply) -> String {
    assert!(reply.status.is_success(), "{:#}", reply.body);
    reply.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn direct(app: &TestApp, from: &Person, to: &Person) -> String {
    chat_id(
        &app.post(
            "/api/v1/chats",
            Some(&from.0),
            json!({ "kind": "direct", "member_ids": [to.1] }),
        )
        .await,
    )
}

async fn group(app: &TestApp, owner: &Person, members: &[&Person]) -> support::Reply {
    let ids: Vec<&str> = members.iter().map(|member| member.1.as_str()).collect();
    app.post(
        "/api/v1/chats",
        Some(&owner.0),
        json!({ "kind": "group", "name": "Crew", "member_ids": ids }),
    )
    .await
}

async fn send(app: &TestApp, from: &Person, chat: &str, text: &str) -> String {
    let reply = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&from.0),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{:#}", reply.body);
    reply.body["data"]["id"].as_str().unwrap().to_owned()
}

async fn block(app: &TestApp, blocker: &Person, blocked: &Person) {
    let reply = app
        .post(
            &format!("/api/v1/users/{}/block", blocked.1),
            Some(&blocker.0),
            json!({}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:#}", reply.body);
}

async fn mark_read(app: &TestApp, reader: &Person, chat: &str, seq: i64) -> support::Reply {
    app.post(
        &format!("/api/v1/chats/{chat}/messages/mark-read"),
        Some(&reader.0),
        json!({ "seq": seq }),
    )
    .await
}

async fn connect(app: &TestApp, who: &Person) -> Socket {
    let mut socket = app.connect(&format!("token={}", who.0)).await;
    socket.until("connection_established").await;
    socket
}

/// The frames that arrive before the first one `fence` accepts (which is
/// consumed). A fence is an event sent after the actions under test, along
/// the same path, so that anything those actions sent has arrived before it.
async fn frames_before(socket: &mut Socket, fence: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let frame = socket.next().await.expect("the fence arrives");
        if fence(&frame) {
            return seen;
        }
        seen.push(frame);
    }
}

/// The presence frames about `user` among `frames`.
fn presence_of<'a>(frames: &'a [Value], user: &Person) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|frame| frame["type"] == "presence" && frame["data"]["user_id"] == user.1.as_str())
        .collect()
}

/// Sends a ping and returns every frame that came before its pong.
async fn frames_until_pong(socket: &mut Socket, id: &str) -> Vec<Value> {
    socket.send(json!({ "type": "ping", "id": id })).await;
    frames_before(socket, |frame| frame["type"] == "pong" && frame["id"] == id).await
}

async fn a_block_freezes_the_direct_chat_but_not_reading_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = person(&app, "ada").await;
    let bob = person(&app, "bob").await;
    let chat = direct(&app, &ada, &bob).await;
    let bobs_message = send(&app, &bob, &chat, "hello").await;
    let adas_message = send(&app, &ada, &chat, "hi").await;
    let mut ada_socket = connect(&app, &ada).await;
    let mut bob_socket = connect(&app, &bob).await;
    frames_until_pong(&mut ada_socket, "settled").await;
    frames_until_pong(&mut bob_socket, "settled").await;
    block(&app, &ada, &bob).await;

    // Over REST: no edit, no delete, by the blocked user or the blocker.
    for (who, message) in [(&bob, &bobs_message), (&ada, &adas_message)] {
        let path = format!("/api/v1/chats/{chat}/messages/{message}");
        app.send(
            "PUT",
            &path,
            Some(&who.0),
            &[],
            Some(json!({ "text": "changed" })),
        )
        .await
        .assert_error(403, "chat.blocked");
        app.send("DELETE", &path, Some(&who.0), &[], None)
            .await
            .assert_error(403, "chat.blocked");
    }
    // Over the socket: the same refusals, and no typing.
    for (kind, data) in [
        (
            "edit_message",
            json!({ "chat_id": chat, "message_id": bobs_message, "text": "changed" }),
        ),
        (
            "delete_message",
            json!({ "chat_id": chat, "message_id": bobs_message }),
        ),
        (
            "typing_indicator",
            json!({ "chat_id": chat, "is_typing": true }),
        ),
    ] {
        bob_socket
            .send(json!({ "type": kind, "id": kind, "data": data }))
            .await;
        let answer = bob_socket.until("error").await;
        assert_eq!(answer["data"]["code"], "chat.blocked", "{kind}");
        assert_eq!(answer["id"], kind);
    }
    // A stop is what a closing socket sends: accepted, told to nobody.
    bob_socket
        .send(json!({ "type": "typing_indicator", "id": "stop", "data": { "chat_id": chat, "is_typing": false } }))
        .await;
    assert_eq!(bob_socket.until("ack").await["id"], "stop");
    let listed = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&ada.0))
        .await;
    assert_eq!(listed.body["data"]["typing"], json!([]), "no typing stored");

    // Reading stays: the marker is stored and told to the reader's own
    // sockets, but not to the other member.
    let read = mark_read(&app, &bob, &chat, 1).await;
    assert_eq!(read.status.as_u16(), 200, "{:#}", read.body);
    assert_eq!(read.body["data"]["seq"], 1);
    let own = bob_socket.until("message_read").await;
    assert_eq!(own["data"]["user_id"], bob.1.as_str());
    assert_eq!(own["data"]["seq"], 1);
    bob_socket
        .send(json!({ "type": "message_read", "id": "r", "data": { "chat_id": chat, "seq": 2 } }))
        .await;
    assert_eq!(bob_socket.until("ack").await["data"]["seq"], 2);
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&bob.0))
        .await;
    assert_eq!(history.body["data"][0]["text"], "hello", "nothing changed");
    assert_eq!(history.body["data"][1]["text"], "hi");

    // Ada's own read receipt reaches her own socket: the fence after
    // everything Bob did.
    let fence = mark_read(&app, &ada, &chat, 2).await;
    assert_eq!(fence.status.as_u16(), 200, "{:#}", fence.body);
    let reached_ada = frames_before(&mut ada_socket, |frame| {
        frame["type"] == "message_read" && frame["data"]["user_id"] == ada.1.as_str()
    })
    .await;
    assert!(
        reached_ada.iter().all(|frame| !matches!(
            frame["type"].as_str(),
            Some("message_updated" | "message_deleted" | "typing" | "message_read")
        )),
        "nothing of Bob's reached Ada: {reached_ada:#?}"
    );
    // And Ada's receipt did not reach Bob.
    let reached_bob = frames_until_pong(&mut bob_socket, "after").await;
    assert!(
        reached_bob
            .iter()
            .all(|frame| frame["data"]["user_id"] != ada.1.as_str()),
        "{reached_bob:#?}"
    );
    let unread = app.get("/api/v1/chats", Some(&bob.0)).await;
    assert_eq!(unread.body["data"]["items"][0]["last_read_seq"], 2);
}

async fn nobody_is_put_in_a_group_by_someone_who_blocked_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = person(&app, "ada").await;
    let bob = person(&app, "bob").await;
    let eve = person(&app, "eve").await;
    let crew = chat_id(&group(&app, &bob, &[&ada, &eve]).await);
    let left = app
        .send(
            "DELETE",
            &format!("/api/v1/chats/{crew}/participants/{}", ada.1),
            Some(&ada.0),
            &[],
            None,
        )
        .await;
    assert_eq!(left.status.as_u16(), 200, "{:#}", left.body);
    block(&app, &ada, &bob).await;

    let refused = group(&app, &bob, &[&eve, &ada]).await;
    refused.assert_error(403, "chat.member_blocked");
    assert_eq!(
        refused.body["error"]["details"],
        json!({ "field": "member_ids" }),
        "which member is not said"
    );
    let bobs_chats = app.get("/api/v1/chats", Some(&bob.0)).await;
    assert_eq!(
        bobs_chats.body["data"]["items"].as_array().unwrap().len(),
        1,
        "no group was created: {:#}",
        bobs_chats.body
    );
    let refused = app
        .post(
            &format!("/api/v1/chats/{crew}/participants"),
            Some(&bob.0),
            json!({ "user_ids": [ada.1] }),
        )
        .await;
    refused.assert_error(403, "chat.member_blocked");
    assert_eq!(
        refused.body["error"]["details"],
        json!({ "field": "user_ids" }),
        "the add route's own field"
    );
    app.get(&format!("/api/v1/chats/{crew}"), Some(&ada.0))
        .await
        .assert_error(404, "chat.not_found");

    // The blocker's own choice stands, and inside a group both are in,
    // messages flow.
    let chosen = chat_id(&group(&app, &ada, &[&bob]).await);
    send(&app, &bob, &chosen, "thanks for having me").await;
}

async fn presence_does_not_cross_a_block(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = person(&app, "ada").await;
    let bob = person(&app, "bob").await;
    let eve = person(&app, "eve").await;
    chat_id(&group(&app, &eve, &[&ada, &bob]).await);
    block(&app, &ada, &bob).await;

    // The snapshot on connect leaves out the other side of the block.
    let mut bob_socket = connect(&app, &bob).await;
    let snapshot = frames_until_pong(&mut bob_socket, "snapshot").await;
    assert!(presence_of(&snapshot, &ada).is_empty(), "{snapshot:#?}");
    assert_eq!(presence_of(&snapshot, &eve).len(), 1, "{snapshot:#?}");
    let mut ada_socket = connect(&app, &ada).await;
    let snapshot = frames_until_pong(&mut ada_socket, "snapshot").await;
    assert!(presence_of(&snapshot, &bob).is_empty(), "{snapshot:#?}");
    assert_eq!(presence_of(&snapshot, &eve).len(), 1, "{snapshot:#?}");

    // Announcements too: Eve coming online, after Ada did, is the fence.
    let mut eve_socket = connect(&app, &eve).await;
    let fence = |frame: &Value| {
        frame["type"] == "presence"
            && frame["data"]["user_id"] == eve.1.as_str()
            && frame["data"]["online"] == true
    };
    let reached_bob = frames_before(&mut bob_socket, fence).await;
    assert!(
        presence_of(&reached_bob, &ada).is_empty(),
        "{reached_bob:#?}"
    );

    drop(ada_socket);
    let ada_offline = |frame: &Value| {
        frame["type"] == "presence"
            && frame["data"]["user_id"] == ada.1.as_str()
            && frame["data"]["online"] == false
    };
    frames_before(&mut eve_socket, ada_offline).await;
    drop(eve_socket);
    let eve_offline = |frame: &Value| {
        frame["type"] == "presence"
            && frame["data"]["user_id"] == eve.1.as_str()
            && frame["data"]["online"] == false
    };
    let reached_bob = frames_before(&mut bob_socket, eve_offline).await;
    assert!(
        presence_of(&reached_bob, &ada).is_empty(),
        "{reached_bob:#?}"
    );
}
