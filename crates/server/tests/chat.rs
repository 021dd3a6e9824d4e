//! Chats over REST and the WebSocket gateway, end to end, on SQLite and
//! (with `cargo xtask test`) PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, TestApp};

on_every_backend!(
    direct_chats_are_unique_per_pair_and_strangers_see_nothing,
    messages_have_gap_free_seqs_and_idempotent_retries,
    groups_roles_and_leaving,
    blocking_stops_direct_messages,
    the_socket_delivers_live_events_and_acks_after_commit,
    a_reconnecting_client_gets_every_message_exactly_once_in_order,
    bad_tokens_close_with_4001_and_bad_frames_get_localized_errors,
    silent_sockets_and_oversized_frames_are_closed,
    presence_is_shown_on_connect_and_when_it_changes,
    typing_is_listed_while_it_lasts_and_withdrawn_once,
    a_socket_closes_when_its_session_ends,
);

struct People {
    ada: (String, String),
    bob: (String, String),
    eve: (String, String),
}

async fn people(app: &TestApp) -> People {
    let ada = app.signed_in("ada").await.0;
    let bob = app.signed_in("bob").await.0;
    let eve = app.signed_in("eve").await.0;
    let ada_id = app.user_id(&ada).await;
    let bob_id = app.user_id(&bob).await;
    let eve_id = app.user_id(&eve).await;
    People {
        ada: (ada, ada_id),
        bob: (bob, bob_id),
        eve: (eve, eve_id),
    }
}

async fn direct(app: &TestApp, from: &str, to_id: &str) -> support::Reply {
    app.post(
        "/api/v1/chats",
        Some(from),
        json!({ "kind": "direct", "member_ids": [to_id] }),
    )
    .await
}

async fn send(
    app: &TestApp,
    token: &str,
    chat: &str,
    text: &str,
    key: Option<&str>,
) -> support::Reply {
    app.post(
        &format!("/api/v1/chats/{chat}/messages"),
        Some(token),
        json!({ "text": text, "client_message_id": key }),
    )
    .await
}

fn chat_id(reply: &support::Reply) -> String {
    reply.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn direct_chats_are_unique_per_pair_and_strangers_see_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let created = direct(&app, &p.ada.0, &p.bob.1).await;
    assert_eq!(created.status.as_u16(), 201, "{:#}", created.body);
    let again = direct(&app, &p.bob.0, &p.ada.1).await;
    assert_eq!(again.status.as_u16(), 200);
    assert_eq!(chat_id(&again), chat_id(&created));
    let chat = chat_id(&created);

    app.get(&format!("/api/v1/chats/{chat}"), Some(&p.eve.0))
        .await
        .assert_error(404, "chat.not_found");
    send(&app, &p.eve.0, &chat, "hi", None)
        .await
        .assert_error(404, "chat.not_found");
    app.get(&format!("/api/v1/chats/{chat}/messages"), Some(&p.eve.0))
        .await
        .assert_error(404, "chat.not_found");
    app.get(
        &format!("/api/v1/chats/{}", uuid::Uuid::now_v7()),
        Some(&p.ada.0),
    )
    .await
    .assert_error(404, "chat.not_found");
    app.post(
        "/api/v1/chats",
        Some(&p.ada.0),
        json!({ "kind": "direct", "member_ids": [] }),
    )
    .await
    .assert_error(422, "validation.direct_chat_members");
    app.post(
        "/api/v1/chats",
        Some(&p.ada.0),
        json!({ "kind": "direct", "member_ids": [uuid::Uuid::now_v7()] }),
    )
    .await
    .assert_error(404, "user.not_found");
    app.send(
        "PUT",
        &format!("/api/v1/chats/{chat}"),
        Some(&p.ada.0),
        &[],
        Some(json!({ "name": "x" })),
    )
    .await
    .assert_error(422, "chat.direct_chat_fixed");

    send(&app, &p.bob.0, &chat, "hello ada", None).await;
    let list = app.get("/api/v1/chats", Some(&p.ada.0)).await;
    assert_eq!(list.status.as_u16(), 200, "{:#}", list.body);
    let item = &list.body["data"]["items"][0];
    assert_eq!(item["unread"], 1);
    assert_eq!(item["last_message"]["text"], "hello ada");
    assert_eq!(item["role"], "member");
}

async fn messages_have_gap_free_seqs_and_idempotent_retries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    let first = send(&app, &p.ada.0, &chat, "one", Some("k-1")).await;
    assert_eq!(first.status.as_u16(), 201, "{:#}", first.body);
    assert_eq!(first.body["data"]["seq"], 1);
    let retry = send(&app, &p.ada.0, &chat, "one", Some("k-1")).await;
    assert_eq!(retry.status.as_u16(), 200);
    assert_eq!(retry.body["data"]["id"], first.body["data"]["id"]);
    for text in ["two", "three"] {
        send(&app, &p.bob.0, &chat, text, None).await;
    }
    send(&app, &p.ada.0, &chat, "   ", None)
        .await
        .assert_error(422, "validation.message_empty");
    send(&app, &p.ada.0, &chat, &"x".repeat(4_001), None)
        .await
        .assert_error(422, "validation.message_too_long");
    let media = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&p.ada.0),
            json!({ "kind": "image", "text": "look" }),
        )
        .await;
    media.assert_error(422, "validation.message_media_missing");

    let second_id = {
        let history = app
            .get(&format!("/api/v1/chats/{chat}/messages"), Some(&p.ada.0))
            .await;
        let seqs: Vec<i64> = history.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
        history.body["data"][1]["id"].as_str().unwrap().to_owned()
    };
    let path = format!("/api/v1/chats/{chat}/messages/{second_id}");
    app.send(
        "PUT",
        &path,
        Some(&p.ada.0),
        &[],
        Some(json!({ "text": "edited" })),
    )
    .await
    .assert_error(403, "chat.not_message_author");
    let edited = app
        .send(
            "PUT",
            &path,
            Some(&p.bob.0),
            &[],
            Some(json!({ "text": "two!" })),
        )
        .await;
    assert_eq!(edited.body["data"]["text"], "two!");
    assert!(edited.body["data"]["edited_at"].is_string());
    let deleted = app.send("DELETE", &path, Some(&p.bob.0), &[], None).await;
    assert_eq!(deleted.status.as_u16(), 200, "{:#}", deleted.body);
    assert!(deleted.body["data"]["text"].is_null());

    let after = app
        .get(
            &format!("/api/v1/chats/{chat}/messages?after_seq=1&limit=1"),
            Some(&p.ada.0),
        )
        .await;
    assert_eq!(
        after.body["data"][0]["seq"], 2,
        "the tombstone keeps its place"
    );
    assert!(after.body["data"][0]["deleted_at"].is_string());
    let before = app
        .get(
            &format!("/api/v1/chats/{chat}/messages?before_seq=3"),
            Some(&p.ada.0),
        )
        .await;
    assert_eq!(before.body["data"].as_array().unwrap().len(), 2);

    let read = app
        .post(
            &format!("/api/v1/chats/{chat}/messages/mark-read"),
            Some(&p.ada.0),
            json!({ "seq": 99 }),
        )
        .await;
    assert_eq!(read.body["data"]["seq"], 3, "never past the last message");
}

async fn groups_roles_and_leaving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    app.post(
        "/api/v1/chats",
        Some(&p.ada.0),
        json!({ "kind": "group", "member_ids": [p.bob.1] }),
    )
    .await
    .assert_error(422, "validation.chat_name_length");
    let group = app
        .post(
            "/api/v1/chats",
            Some(&p.ada.0),
            json!({ "kind": "group", "name": "Crew", "member_ids": [p.bob.1] }),
        )
        .await;
    assert_eq!(group.status.as_u16(), 201, "{:#}", group.body);
    let chat = chat_id(&group);
    let roles: Vec<Value> = group.body["data"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].clone())
        .collect();
    assert_eq!(roles, ["owner", "member"]);

    app.send(
        "PUT",
        &format!("/api/v1/chats/{chat}"),
        Some(&p.bob.0),
        &[],
        Some(json!({ "name": "Mine" })),
    )
    .await
    .assert_error(403, "chat.not_admin");
    app.post(
        &format!("/api/v1/chats/{chat}/participants"),
        Some(&p.bob.0),
        json!({ "user_ids": [p.eve.1] }),
    )
    .await
    .assert_error(403, "chat.not_admin");
    let added = app
        .post(
            &format!("/api/v1/chats/{chat}/participants"),
            Some(&p.ada.0),
            json!({ "user_ids": [p.eve.1] }),
        )
        .await;
    assert_eq!(
        added.body["data"]["participants"].as_array().unwrap().len(),
        3
    );
    let renamed = app
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}"),
            Some(&p.ada.0),
            &[],
            Some(json!({ "name": "Crew 2" })),
        )
        .await;
    assert_eq!(renamed.body["data"]["chat"]["name"], "Crew 2");

    app.send(
        "DELETE",
        &format!("/api/v1/chats/{chat}/participants/{}", p.ada.1),
        Some(&p.bob.0),
        &[],
        None,
    )
    .await
    .assert_error(403, "chat.not_admin");
    let left = app
        .send(
            "DELETE",
            &format!("/api/v1/chats/{chat}/participants/{}", p.ada.1),
            Some(&p.ada.0),
            &[],
            None,
        )
        .await;
    assert_eq!(left.status.as_u16(), 200, "{:#}", left.body);
    let view = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&p.bob.0))
        .await;
    let bob = view.body["data"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == p.bob.1.as_str())
        .cloned()
        .unwrap();
    assert_eq!(
        bob["role"], "admin",
        "the oldest member is promoted when the last admin leaves"
    );
    app.get(&format!("/api/v1/chats/{chat}"), Some(&p.ada.0))
        .await
        .assert_error(404, "chat.not_found");
    send(&app, &p.ada.0, &chat, "still here?", None)
        .await
        .assert_error(404, "chat.not_found");
}

async fn blocking_stops_direct_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    let blocked = app
        .post(
            &format!("/api/v1/users/{}/block", p.bob.1),
            Some(&p.ada.0),
            json!({}),
        )
        .await;
    assert_eq!(blocked.status.as_u16(), 200, "{:#}", blocked.body);
    send(&app, &p.bob.0, &chat, "hey", None)
        .await
        .assert_error(403, "chat.blocked");
    direct(&app, &p.bob.0, &p.ada.1)
        .await
        .assert_error(403, "chat.blocked");
    let list = app.get("/api/v1/users/blocked", Some(&p.ada.0)).await;
    assert_eq!(list.body["data"]["user_ids"][0], p.bob.1.as_str());
    app.post(
        &format!("/api/v1/users/{}/block", p.ada.1),
        Some(&p.ada.0),
        json!({}),
    )
    .await
    .assert_error(422, "user.cannot_block_self");
    app.send(
        "DELETE",
        &format!("/api/v1/users/{}/block", p.bob.1),
        Some(&p.ada.0),
        &[],
        None,
    )
    .await;
    assert_eq!(
        send(&app, &p.bob.0, &chat, "hey again", None)
            .await
            .status
            .as_u16(),
        201
    );
}

async fn the_socket_delivers_live_events_and_acks_after_commit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    let mut ada = app.connect(&format!("token={}", p.ada.0)).await;
    let hello = ada.next().await.unwrap();
    assert_eq!(hello["type"], "connection_established");
    let mut bob = app.connect(&format!("token={}&lang=ko", p.bob.0)).await;
    assert_eq!(bob.next().await.unwrap()["data"]["language"], "ko");

    ada.send(json!({ "type": "send_message", "id": "c1", "data": { "chat_id": chat, "text": "over the socket", "client_message_id": "w1" } })).await;
    // On the sending socket the ack comes before the message as an event.
    let ack = loop {
        let frame = ada.next().await.unwrap();
        assert_ne!(frame["type"], "new_message", "the ack comes first");
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(ack["id"], "c1");
    assert_eq!(ada.until("new_message").await["data"]["seq"], 1);
    assert_eq!(ack["data"]["message"]["seq"], 1);
    let live = bob.until("new_message").await;
    assert_eq!(live["data"]["text"], "over the socket");
    let stored = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&p.bob.0))
        .await;
    assert_eq!(
        stored.body["data"][0]["text"], "over the socket",
        "acknowledged means stored"
    );

    bob.send(json!({ "type": "typing_indicator", "data": { "chat_id": chat } }))
        .await;
    let typing = ada.until("typing").await;
    assert_eq!(typing["data"]["is_typing"], true);
    bob.send(json!({ "type": "message_read", "id": 7, "data": { "chat_id": chat, "seq": 1 } }))
        .await;
    let receipt = ada.until("message_read").await;
    assert_eq!(receipt["data"]["seq"], 1);
    send(&app, &p.bob.0, &chat, "from rest", None).await;
    assert_eq!(ada.until("new_message").await["data"]["text"], "from rest");
    bob.send(json!({ "type": "ping", "id": "p" })).await;
    assert_eq!(bob.until("pong").await["id"], "p");
}

async fn a_reconnecting_client_gets_every_message_exactly_once_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    let mut bob = app.connect(&format!("token={}", p.bob.0)).await;
    bob.until("connection_established").await;
    let mut seen: Vec<i64> = Vec::new();
    let total: usize = 30;
    for i in 1..=total {
        let reply = send(
            &app,
            &p.ada.0,
            &chat,
            &format!("m{i}"),
            Some(&format!("k{i}")),
        )
        .await;
        assert!(reply.status.is_success());
        if i == 10 {
            // Take what arrived so far, then lose the connection mid-stream.
            while seen.len() < 10 {
                let frame = bob.until("new_message").await;
                seen.push(frame["data"]["seq"].as_i64().unwrap());
            }
            drop(bob);
            bob = app.connect(&format!("token={}&resume=true", p.bob.0)).await;
            bob.until("connection_established").await;
        }
        if i == 15 {
            // Back, with 11..=15 missed: ask for them while 16.. keep flowing.
            let last = *seen.last().unwrap();
            bob.send(
                json!({ "type": "resume", "id": "r", "data": { "chats": { chat.clone(): last } } }),
            )
            .await;
        }
    }
    while seen.len() < total {
        let frame = bob.next().await.expect("socket stays open");
        if frame["type"] == "new_message" {
            seen.push(frame["data"]["seq"].as_i64().unwrap());
        }
    }
    let expected: Vec<i64> = (1..=30).collect();
    assert_eq!(seen, expected, "every message exactly once, in order");
}

async fn bad_tokens_close_with_4001_and_bad_frames_get_localized_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let mut stranger = app.connect("token=not-a-token").await;
    assert_eq!(stranger.close_code().await, Some(4001));
    let mut anonymous = app.connect("").await;
    assert_eq!(anonymous.close_code().await, Some(4001));

    let mut eve = app.connect(&format!("token={}&lang=jp", p.eve.0)).await;
    eve.until("connection_established").await;
    eve.send(json!({ "type": "launch_rockets", "id": 1 })).await;
    let unknown = eve.until("error").await;
    assert_eq!(unknown["data"]["code"], "ws.unknown_frame");
    assert_eq!(unknown["id"], 1);
    let japanese = unknown["data"]["message"].as_str().unwrap().to_owned();
    assert!(!japanese.is_ascii(), "{japanese}");
    eve.send(json!({ "type": "send_message", "id": "m", "data": { "text": "no chat" } }))
        .await;
    let malformed = eve.until("error").await;
    assert_eq!(malformed["data"]["code"], "ws.malformed_frame");
    assert_eq!(
        malformed["id"], "m",
        "a frame whose data is wrong is answered by id"
    );
    assert_eq!(malformed["data"]["details"]["field"], "chat_id");
    let message = malformed["data"]["message"].as_str().unwrap();
    assert!(
        message.contains("chat_id") && !message.is_ascii(),
        "{message}"
    );
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    eve.send(json!({ "type": "send_message", "id": "x", "data": { "chat_id": chat, "text": "let me in" } })).await;
    assert_eq!(eve.until("error").await["data"]["code"], "chat.not_found");
    let message = send(&app, &p.ada.0, &chat, "private", None).await.body["data"]["id"].clone();
    for (kind, data) in [
        ("join_chat", json!({ "chat_id": chat })),
        (
            "edit_message",
            json!({ "chat_id": chat, "message_id": message, "text": "mine now" }),
        ),
        (
            "delete_message",
            json!({ "chat_id": chat, "message_id": message }),
        ),
        ("message_read", json!({ "chat_id": chat, "seq": 1 })),
        (
            "typing_indicator",
            json!({ "chat_id": chat, "is_typing": true }),
        ),
    ] {
        eve.send(json!({ "type": kind, "data": data })).await;
        assert_eq!(
            eve.until("error").await["data"]["code"],
            "chat.not_found",
            "{kind}"
        );
    }
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&p.ada.0))
        .await;
    assert_eq!(
        history.body["data"][0]["text"], "private",
        "a stranger changed nothing"
    );
}

async fn silent_sockets_and_oversized_frames_are_closed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.ws_heartbeat_seconds = 1;
        settings.ws_client_timeout_seconds = 2;
        settings.ws_max_frame_bytes = 1024;
    })
    .await;
    let (ada, _) = app.signed_in("ada").await;
    let mut silent = app.connect(&format!("token={ada}")).await;
    assert_eq!(
        silent.silent_close_code().await,
        Some(1001),
        "heartbeat timeout"
    );
    let mut big = app.connect(&format!("token={ada}")).await;
    big.until("connection_established").await;
    big.send_raw(format!(
        "{{\"type\": \"ping\", \"data\": \"{}\"}}",
        "x".repeat(2_000)
    ))
    .await;
    assert_eq!(big.close_code().await, Some(1009), "frame too large");
}

async fn presence_is_shown_on_connect_and_when_it_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    direct(&app, &p.ada.0, &p.bob.1).await;
    let mut bob = app.connect(&format!("token={}", p.bob.0)).await;
    bob.until("connection_established").await;
    // The snapshot is read after `connection_established` is written: wait
    // for it before ada connects, or it may already show her online.
    let before = bob.until("presence").await;
    assert_eq!(before["data"]["user_id"], p.ada.1.as_str());
    assert_eq!(
        before["data"]["online"], false,
        "bob's snapshot: ada not yet online"
    );
    assert!(before["data"]["last_seen"].is_null(), "and never seen");
    let mut ada = app.connect(&format!("token={}", p.ada.0)).await;
    ada.until("connection_established").await;
    let snapshot = ada.until("presence").await;
    assert_eq!(snapshot["data"]["user_id"], p.bob.1.as_str());
    assert_eq!(snapshot["data"]["online"], true);
    let announced = bob.until("presence").await;
    assert_eq!(announced["data"]["online"], true);
    let mut second_tab = app.connect(&format!("token={}", p.ada.0)).await;
    second_tab.until("connection_established").await;
    drop(ada);
    drop(second_tab);
    let offline = bob.until("presence").await;
    assert_eq!(
        offline["data"]["online"], false,
        "offline only when the last socket closes"
    );
    assert!(offline["data"]["last_seen"].is_string());
}

async fn typing_is_listed_while_it_lasts_and_withdrawn_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = people(&app).await;
    let chat = chat_id(&direct(&app, &p.ada.0, &p.bob.1).await);
    let details = format!("/api/v1/chats/{chat}");
    let mut ada = app.connect(&format!("token={}", p.ada.0)).await;
    ada.until("connection_established").await;
    let mut bob = app.connect(&format!("token={}", p.bob.0)).await;
    bob.until("connection_established").await;

    bob.send(json!({ "type": "typing_indicator", "id": 1, "data": { "chat_id": chat } }))
        .await;
    bob.until("ack").await;
    assert_eq!(ada.until("typing").await["data"]["is_typing"], true);
    let listed = app.get(&details, Some(&p.ada.0)).await;
    assert_eq!(listed.body["data"]["typing"], json!([p.bob.1]));
    ada.send(json!({ "type": "join_chat", "id": "j", "data": { "chat_id": chat } }))
        .await;
    assert_eq!(
        ada.until("chat_joined").await["data"]["typing"],
        json!([p.bob.1])
    );

    for id in [2, 3] {
        bob.send(json!({ "type": "typing_indicator", "id": id, "data": { "chat_id": chat, "is_typing": false } }))
            .await;
        bob.until("ack").await;
    }
    assert_eq!(ada.until("typing").await["data"]["is_typing"], false);
    let cleared = app.get(&details, Some(&p.ada.0)).await;
    assert_eq!(cleared.body["data"]["typing"], json!([]));
    // The second stop was not announced: the next frame Ada gets is the pong.
    ada.send(json!({ "type": "ping", "id": "p" })).await;
    assert_eq!(ada.next().await.unwrap()["type"], "pong");

    // An indicator nobody renews is withdrawn by the server 5 to 6 s after
    // it started. Time passing is the thing tested: the clock starts before
    // the frame is sent, so the server's timer cannot have started earlier.
    let started = std::time::Instant::now();
    bob.send(json!({ "type": "typing_indicator", "id": 4, "data": { "chat_id": chat } }))
        .await;
    assert_eq!(ada.until("typing").await["data"]["is_typing"], true);
    assert_eq!(ada.until("typing").await["data"]["is_typing"], false);
    assert!(
        started.elapsed() > std::time::Duration::from_secs(5),
        "withdrawn before its 5 s ran out"
    );
    let expired = app.get(&details, Some(&p.ada.0)).await;
    assert_eq!(expired.body["data"]["typing"], json!([]));
}

async fn a_socket_closes_when_its_session_ends(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.ws_session_check_seconds = 1;
    })
    .await;
    let (ada, _) = app.signed_in("ada").await;
    let (other_device, _) = app.login("ada", support::PASSWORD).await;
    let mut socket = app.connect(&format!("token={ada}")).await;
    socket.until("connection_established").await;
    let mut elsewhere = app.connect(&format!("token={other_device}")).await;
    elsewhere.until("connection_established").await;
    let logout = app.post("/api/v1/auth/logout", Some(&ada), json!({})).await;
    assert_eq!(logout.status.as_u16(), 200);
    assert_eq!(socket.close_code().await, Some(4001), "its session ended");
    elsewhere
        .send(json!({ "type": "ping", "id": "still" }))
        .await;
    assert_eq!(
        elsewhere.until("pong").await["id"],
        "still",
        "another session of the same user stays"
    );
}
