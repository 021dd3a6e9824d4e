//! Adding members to a group, end to end: the members hear of everyone one
//! add brought in through one `participant_added` frame.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, TestApp};

on_every_backend!(one_add_of_two_members_is_one_frame_naming_both);

async fn one_add_of_two_members_is_one_frame_naming_both(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut people = Vec::new();
    for name in ["ada", "bob", "cat", "dan"] {
        let token = app.signed_in(name).await.0;
        let id = app.user_id(&token).await;
        people.push((token, id));
    }
    let [(ada, _), (_, bob), (_, cat), (_, dan)] = people.as_slice() else {
        unreachable!("four people")
    };
    let group = app
        .post(
            "/api/v1/chats",
            Some(ada),
            json!({ "kind": "group", "name": "Crew", "member_ids": [bob] }),
        )
        .await;
    let chat = group.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut socket = app.connect(&format!("token={ada}")).await;
    socket.until("connection_established").await;

    let added = app
        .post(
            &format!("/api/v1/chats/{chat}/participants"),
            Some(ada),
            json!({ "user_ids": [cat, dan, cat] }),
        )
        .await;
    assert_eq!(added.status.as_u16(), 200, "{:#}", added.body);
    let frame = socket.until("participant_added").await;
    assert_eq!(frame["data"]["chat_id"], chat.as_str());
    assert_eq!(
        frame["data"]["participants"],
        json!([
            { "user_id": cat, "role": "member" },
            { "user_id": dan, "role": "member" },
        ])
    );
    // A ping answered after the add shows what else the add sent: nothing.
    socket.send(json!({ "type": "ping", "id": "after" })).await;
    loop {
        let frame: Value = socket.next().await.expect("socket open");
        assert_ne!(frame["type"], "participant_added", "{frame:#}");
        if frame["type"] == "pong" {
            break;
        }
    }
}
