//! Every frame and every error code that no other suite reached, end to
//! end over REST and real WebSockets, on SQLite and (with `cargo xtask
//! test`) on PostgreSQL, alone and with Redis.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, Socket, TestApp};

on_every_backend!(
    message_frames_reach_every_member_and_only_admins_delete_for_others,
    message_rules_answer_their_codes,
    chat_updated_tells_creation_and_renaming,
    participant_added_tells_every_member_the_new_one_included,
    participant_removed_tells_the_one_who_left_and_the_owner_stays,
    leave_chat_answers_and_changes_nothing,
    resume_reports_what_it_replayed_and_what_it_could_not_read,
    the_upgrade_takes_a_bearer_header,
    a_socket_whose_queue_overflows_is_closed_with_1013,
    typing_ends_without_a_frame_when_the_typist_sends,
    the_chat_list_pages_by_cursor,
    a_group_over_the_member_cap_is_refused,
    the_socket_sends_what_rest_returns,
    the_original_services_field_names_are_accepted,
    wrong_data_is_answered_naming_the_field,
);

struct Person {
    token: String,
    id: String,
}

async fn person(app: &TestApp, name: &str) -> Person {
    let token = app.signed_in(name).await.0;
    let id = app.user_id(&token).await;
    Person { token, id }
}

async fn group(app: &TestApp, owner: &Person, name: &str, members: &[&str]) -> String {
    let created = app
        .post(
            "/api/v1/chats",
            Some(&owner.token),
            json!({ "kind": "group", "name": name, "member_ids": members }),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{:#}", created.body);
    created.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn direct(app: &TestApp, from: &Person, to: &Person) -> String {
    let created = app
        .post(
            "/api/v1/chats",
            Some(&from.token),
            json!({ "kind": "direct", "member_ids": [to.id] }),
        )
        .await;
    assert!(created.status.is_success(), "{:#}", created.body);
    created.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn say(app: &TestApp, who: &Person, chat: &str, text: &str) -> Value {
    let sent = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&who.token),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    sent.body["data"].clone()
}

/// A socket past its greeting.
async fn online(app: &TestApp, who: &Person) -> Socket {
    let mut socket = app.connect(&format!("token={}", who.token)).await;
    socket.until("connection_established").await;
    socket
}

/// The `data` of the answer to a frame: its `ack`, or its `error`.
async fn answer(socket: &mut Socket, kind: &str, id: &str, data: Value) -> Value {
    socket
        .send(json!({ "type": kind, "id": id, "data": data }))
        .await;
    loop {
        let frame = socket.next().await.expect("socket open");
        if frame["id"] == id {
            return frame;
        }
    }
}

async fn message_frames_reach_every_member_and_only_admins_delete_for_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let chat = group(&app, &ada, "Crew", &[&bob.id, &eve.id]).await;
    let (mut ada_ws, mut bob_ws, mut eve_ws) = (
        online(&app, &ada).await,
        online(&app, &bob).await,
        online(&app, &eve).await,
    );
    let first = say(&app, &ada, &chat, "first").await;
    let first_id = first["id"].as_str().unwrap();

    let reply = answer(
        &mut bob_ws,
        "send_message",
        "s1",
        json!({ "chat_id": chat, "text": "a reply", "reply_to": first_id, "client_message_id": "b1" }),
    )
    .await;
    assert_eq!(reply["type"], "ack", "{reply:#}");
    assert_eq!(reply["data"]["message"]["reply_to"], first_id);
    let replied = eve_ws.until("new_message").await;
    let replied = if replied["data"]["seq"] == 1 {
        eve_ws.until("new_message").await
    } else {
        replied
    };
    assert_eq!(replied["data"]["reply_to"], first_id, "{replied:#}");
    let reply_id = reply["data"]["message"]["id"].as_str().unwrap().to_owned();

    let edited = answer(
        &mut bob_ws,
        "edit_message",
        "e1",
        json!({ "chat_id": chat, "message_id": reply_id, "text": "a better reply" }),
    )
    .await;
    assert_eq!(edited["type"], "ack", "{edited:#}");
    assert_eq!(edited["data"]["message"]["text"], "a better reply");
    // The actor's own socket is left out: its event may come before the
    // ack, which `answer` skips it for.
    for socket in [&mut ada_ws, &mut eve_ws] {
        let updated = socket.until("message_updated").await;
        assert_eq!(updated["data"]["id"], reply_id.as_str());
        assert_eq!(updated["data"]["text"], "a better reply");
        assert!(updated["data"]["edited_at"].is_string());
    }

    let deleted = answer(
        &mut bob_ws,
        "delete_message",
        "d1",
        json!({ "chat_id": chat, "message_id": reply_id }),
    )
    .await;
    assert_eq!(deleted["type"], "ack", "{deleted:#}");
    assert!(deleted["data"]["message"]["text"].is_null());
    assert!(deleted["data"]["message"]["deleted_at"].is_string());
    for socket in [&mut ada_ws, &mut eve_ws] {
        let gone = socket.until("message_deleted").await;
        assert_eq!(
            gone["data"],
            json!({ "chat_id": chat, "message_id": reply_id, "seq": 2 })
        );
    }

    // A member may not delete someone else's message, by frame or by REST.
    let refused = answer(
        &mut eve_ws,
        "delete_message",
        "d2",
        json!({ "chat_id": chat, "message_id": first_id }),
    )
    .await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["data"]["code"], "chat.not_admin");
    app.send(
        "DELETE",
        &format!("/api/v1/chats/{chat}/messages/{first_id}"),
        Some(&eve.token),
        &[],
        None,
    )
    .await
    .assert_error(403, "chat.not_admin");
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&ada.token))
        .await;
    assert_eq!(history.body["data"][0]["text"], "first", "still there");

    // The owner may.
    let eves = say(&app, &eve, &chat, "eve's").await;
    let eves_id = eves["id"].as_str().unwrap();
    let removed = answer(
        &mut ada_ws,
        "delete_message",
        "d3",
        json!({ "chat_id": chat, "message_id": eves_id }),
    )
    .await;
    assert_eq!(removed["type"], "ack", "{removed:#}");
    assert_eq!(removed["data"]["message"]["sender_id"], eve.id.as_str());
    for socket in [&mut bob_ws, &mut eve_ws] {
        // Bob may still have the event of his own deletion queued.
        let gone = loop {
            let gone = socket.until("message_deleted").await;
            if gone["data"]["message_id"] != reply_id.as_str() {
                break gone;
            }
        };
        assert_eq!(gone["data"]["message_id"], eves_id);
    }
}

async fn message_rules_answer_their_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let chat = direct(&app, &ada, &bob).await;
    let mut ada_ws = online(&app, &ada).await;
    let message = say(&app, &ada, &chat, "soon gone").await;
    let message_id = message["id"].as_str().unwrap();
    let path = format!("/api/v1/chats/{chat}/messages/{message_id}");
    let nowhere = format!("/api/v1/chats/{chat}/messages/{}", uuid::Uuid::now_v7());

    app.send(
        "PUT",
        &nowhere,
        Some(&ada.token),
        &[],
        Some(json!({ "text": "x" })),
    )
    .await
    .assert_error(404, "chat.message_not_found");
    let missing = answer(
        &mut ada_ws,
        "edit_message",
        "e0",
        json!({ "chat_id": chat, "message_id": uuid::Uuid::now_v7(), "text": "x" }),
    )
    .await;
    assert_eq!(missing["data"]["code"], "chat.message_not_found");
    app.post(
        &format!("/api/v1/chats/{chat}/messages"),
        Some(&ada.token),
        json!({ "text": "re: nothing", "reply_to": uuid::Uuid::now_v7() }),
    )
    .await
    .assert_error(404, "chat.message_not_found");

    let deleted = app.send("DELETE", &path, Some(&ada.token), &[], None).await;
    assert_eq!(deleted.status.as_u16(), 200, "{:#}", deleted.body);
    app.send(
        "PUT",
        &path,
        Some(&ada.token),
        &[],
        Some(json!({ "text": "back" })),
    )
    .await
    .assert_error(422, "chat.message_not_editable");
    let not_editable = answer(
        &mut ada_ws,
        "edit_message",
        "e1",
        json!({ "chat_id": chat, "message_id": message_id, "text": "back" }),
    )
    .await;
    assert_eq!(not_editable["data"]["code"], "chat.message_not_editable");
    let image = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ada.token),
            json!({ "kind": "image", "media_url": "https://example.com/a.png" }),
        )
        .await;
    assert_eq!(image.status.as_u16(), 201, "{:#}", image.body);
    let image_path = format!(
        "/api/v1/chats/{chat}/messages/{}",
        image.body["data"]["id"].as_str().unwrap()
    );
    app.send(
        "PUT",
        &image_path,
        Some(&ada.token),
        &[],
        Some(json!({ "text": "caption" })),
    )
    .await
    .assert_error(422, "chat.message_not_editable");

    for key in ["", &"k".repeat(65)] {
        app.post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ada.token),
            json!({ "text": "keyed", "client_message_id": key }),
        )
        .await
        .assert_error(422, "validation.client_message_id_invalid");
    }
    let bad_key = answer(
        &mut ada_ws,
        "send_message",
        "s1",
        json!({ "chat_id": chat, "text": "keyed", "client_message_id": "k".repeat(65) }),
    )
    .await;
    assert_eq!(
        bad_key["data"]["code"],
        "validation.client_message_id_invalid"
    );
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&ada.token))
        .await;
    assert_eq!(
        history.body["data"].as_array().unwrap().len(),
        2,
        "no refused send was stored: {:#}",
        history.body
    );
}

async fn chat_updated_tells_creation_and_renaming(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let (mut bob_ws, mut eve_ws) = (online(&app, &bob).await, online(&app, &eve).await);
    let chat = group(&app, &ada, "Crew", &[&bob.id]).await;
    let created = bob_ws.until("chat_updated").await;
    assert_eq!(created["data"]["id"], chat.as_str());
    assert_eq!(created["data"]["kind"], "group");
    assert_eq!(created["data"]["name"], "Crew");
    assert_eq!(created["data"]["created_by"], ada.id.as_str());
    assert_eq!(created["data"]["last_seq"], 0);

    let renamed = app
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}"),
            Some(&ada.token),
            &[],
            Some(json!({ "name": "Crew 2", "description": "the second" })),
        )
        .await;
    assert_eq!(renamed.status.as_u16(), 200, "{:#}", renamed.body);
    let updated = bob_ws.until("chat_updated").await;
    assert_eq!(updated["data"]["id"], chat.as_str());
    assert_eq!(updated["data"]["name"], "Crew 2");
    assert_eq!(updated["data"]["description"], "the second");

    // Eve, who is in neither, hears only of the direct chat made with her,
    // and only once: asking for it again returns it without an event.
    let with_eve = direct(&app, &ada, &eve).await;
    assert_eq!(direct(&app, &eve, &ada).await, with_eve);
    say(&app, &ada, &with_eve, "hello eve").await;
    let frames = eve_ws.frames_until("new_message").await;
    let updates: Vec<&Value> = frames
        .iter()
        .filter(|frame| frame["type"] == "chat_updated")
        .collect();
    assert_eq!(updates.len(), 1, "{frames:#?}");
    assert_eq!(updates[0]["data"]["id"], with_eve.as_str());
    assert_eq!(updates[0]["data"]["kind"], "direct");
}

/// One event per add, naming every member it added.
async fn participant_added_tells_every_member_the_new_one_included(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let chat = group(&app, &ada, "Crew", &[&bob.id]).await;
    let (mut ada_ws, mut bob_ws, mut eve_ws) = (
        online(&app, &ada).await,
        online(&app, &bob).await,
        online(&app, &eve).await,
    );
    let added = app
        .post(
            &format!("/api/v1/chats/{chat}/participants"),
            Some(&ada.token),
            json!({ "user_ids": [eve.id] }),
        )
        .await;
    assert_eq!(added.status.as_u16(), 200, "{:#}", added.body);
    for socket in [&mut ada_ws, &mut bob_ws, &mut eve_ws] {
        let frame = socket.until("participant_added").await;
        assert_eq!(
            frame["data"],
            json!({ "chat_id": chat, "participants": [{ "user_id": eve.id, "role": "member" }] })
        );
    }

    // The last manager leaving promotes the oldest member, told the same way.
    let left = app
        .send(
            "DELETE",
            &format!("/api/v1/chats/{chat}/participants/{}", ada.id),
            Some(&ada.token),
            &[],
            None,
        )
        .await;
    assert_eq!(left.status.as_u16(), 200, "{:#}", left.body);
    for socket in [&mut bob_ws, &mut eve_ws] {
        let frame = socket.until("participant_added").await;
        assert_eq!(
            frame["data"],
            json!({ "chat_id": chat, "participants": [{ "user_id": bob.id, "role": "admin" }] })
        );
    }
}

async fn participant_removed_tells_the_one_who_left_and_the_owner_stays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let chat = group(&app, &ada, "Crew", &[&bob.id, &eve.id]).await;
    // No route makes an admin beside an owner (admins are only ever
    // promoted once no manager is left), so the test sets the role itself.
    make_admin(&app, &chat, &bob.id);
    let (mut ada_ws, mut bob_ws, mut eve_ws) = (
        online(&app, &ada).await,
        online(&app, &bob).await,
        online(&app, &eve).await,
    );
    let participant = |user: &str| format!("/api/v1/chats/{chat}/participants/{user}");
    app.send("DELETE", &participant(&ada.id), Some(&bob.token), &[], None)
        .await
        .assert_error(403, "chat.cannot_remove_owner");

    let removed = app
        .send("DELETE", &participant(&eve.id), Some(&bob.token), &[], None)
        .await;
    assert_eq!(removed.status.as_u16(), 200, "{:#}", removed.body);
    for socket in [&mut ada_ws, &mut bob_ws, &mut eve_ws] {
        let frame = socket.until("participant_removed").await;
        assert_eq!(frame["data"], json!({ "chat_id": chat, "user_id": eve.id }));
    }
    let left = app
        .send("DELETE", &participant(&bob.id), Some(&bob.token), &[], None)
        .await;
    assert_eq!(left.status.as_u16(), 200, "{:#}", left.body);
    for socket in [&mut ada_ws, &mut bob_ws] {
        let frame = socket.until("participant_removed").await;
        assert_eq!(frame["data"], json!({ "chat_id": chat, "user_id": bob.id }));
    }
    let view = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&ada.token))
        .await;
    let members = view.body["data"]["participants"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{:#}", view.body);
    assert_eq!(members[0]["user_id"], ada.id.as_str());
    assert_eq!(members[0]["role"], "owner");
}

fn make_admin(app: &TestApp, chat: &str, user: &str) {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    let statement = format!(
        "UPDATE chat_participants SET role = 'admin' WHERE chat_id = '{chat}' AND user_id = '{user}'"
    );
    match nerutalk_sql::DatabaseUrl::parse(app.database_url()) {
        nerutalk_sql::DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(&url)
            .unwrap()
            .batch_execute(&statement),
        nerutalk_sql::DatabaseUrl::Sqlite(path) => {
            diesel::SqliteConnection::establish(path.to_str().unwrap())
                .unwrap()
                .batch_execute(&statement)
        }
    }
    .unwrap();
}

async fn leave_chat_answers_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let chat = direct(&app, &ada, &bob).await;
    let mut bob_ws = online(&app, &bob).await;
    let left = answer(&mut bob_ws, "leave_chat", "l1", json!({ "chat_id": chat })).await;
    assert_eq!(left["type"], "chat_left", "{left:#}");
    assert_eq!(left["data"], json!({ "chat_id": chat }));
    say(&app, &ada, &chat, "still reaching you").await;
    assert_eq!(
        bob_ws.until("new_message").await["data"]["text"],
        "still reaching you"
    );
    let view = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&bob.token))
        .await;
    assert_eq!(view.status.as_u16(), 200, "still a member");
}

async fn resume_reports_what_it_replayed_and_what_it_could_not_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let chat = direct(&app, &ada, &bob).await;
    for text in ["one", "two", "three"] {
        say(&app, &ada, &chat, text).await;
    }
    let not_bobs = group(&app, &ada, "Without Bob", &[&eve.id]).await;
    let nowhere = uuid::Uuid::now_v7().to_string();
    let mut bob_ws = app
        .connect(&format!("token={}&resume=true", bob.token))
        .await;
    bob_ws.until("connection_established").await;
    bob_ws
        .send(json!({ "type": "resume", "id": "r1", "data": { "chats": {
            chat.clone(): 1, not_bobs.clone(): 0, nowhere.clone(): 0 } } }))
        .await;
    let frames = bob_ws.frames_until("ack").await;
    let replayed: Vec<i64> = frames
        .iter()
        .filter(|frame| frame["type"] == "new_message")
        .map(|frame| frame["data"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(replayed, [2, 3]);
    let ack = frames.last().unwrap();
    assert_eq!(ack["id"], "r1");
    assert_eq!(ack["data"]["replayed"], 2);
    let mut unavailable: Vec<String> = ack["data"]["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    unavailable.sort();
    let mut expected = vec![not_bobs, nowhere];
    expected.sort();
    assert_eq!(unavailable, expected);
}

async fn the_upgrade_takes_a_bearer_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = person(&app, "ada").await;
    let mut by_header = app.connect_with_bearer("", &ada.token).await;
    let hello = by_header.until("connection_established").await;
    assert_eq!(hello["data"]["user_id"], ada.id.as_str());
    let mut bad_header = app.connect_with_bearer("", "not-a-token").await;
    assert_eq!(bad_header.close_code().await, Some(4001));
    // When both are sent, the query's token is the one checked.
    let mut bad_query = app
        .connect_with_bearer("token=not-a-token", &ada.token)
        .await;
    assert_eq!(bad_query.close_code().await, Some(4001));
    let mut good_query = app
        .connect_with_bearer(&format!("token={}", ada.token), "not-a-token")
        .await;
    good_query.until("connection_established").await;
}

async fn a_socket_whose_queue_overflows_is_closed_with_1013(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.ws_queue_capacity = 2).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let chat = direct(&app, &ada, &bob).await;
    // A socket that holds its events until its `resume` does not read its
    // queue: the surest way to be a socket that cannot keep up.
    let mut bob_ws = app
        .connect(&format!("token={}&resume=true", bob.token))
        .await;
    bob_ws.until("connection_established").await;
    // Bob's other socket reads as it should. The hub queues each event on
    // both sockets in one go, so once this one has a message, the holding
    // one has had it queued too (or overflowed on it); with Redis, that is
    // the only way to know the event reached this node.
    let mut watcher = online(&app, &bob).await;
    for text in ["one", "two", "three"] {
        say(&app, &ada, &chat, text).await;
        assert_eq!(watcher.until("new_message").await["data"]["text"], text);
    }
    let confirm = answer(&mut bob_ws, "resume", "r", json!({ "chats": {} })).await;
    assert_eq!(confirm["type"], "ack", "{confirm:#}");
    // What was queued before the overflow is still written, then the close.
    let (frames, code) = bob_ws.frames_until_closed().await;
    let seen: Vec<i64> = frames
        .iter()
        .filter(|frame| frame["type"] == "new_message")
        .map(|frame| frame["data"]["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, [1, 2], "{frames:#?}");
    assert_eq!(code, Some(1013));
}

async fn typing_ends_without_a_frame_when_the_typist_sends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let chat = direct(&app, &ada, &bob).await;
    let mut ada_ws = online(&app, &ada).await;
    let mut bob_ws = online(&app, &bob).await;
    let started = answer(
        &mut bob_ws,
        "typing_indicator",
        "t",
        json!({ "chat_id": chat }),
    )
    .await;
    assert_eq!(started["type"], "ack");
    assert_eq!(ada_ws.until("typing").await["data"]["is_typing"], true);
    let sent = answer(
        &mut bob_ws,
        "send_message",
        "s",
        json!({ "chat_id": chat, "text": "done typing" }),
    )
    .await;
    assert_eq!(sent["type"], "ack");
    let details = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&ada.token))
        .await;
    assert_eq!(
        details.body["data"]["typing"],
        json!([]),
        "the store forgot it"
    );
    // Closing the socket withdraws the indicators it still has running;
    // the send ended Bob's, so nothing is withdrawn and Ada hears of Bob
    // only that he went offline.
    drop(bob_ws);
    let frames = ada_ws.frames_until("presence").await;
    let kinds: Vec<&str> = frames
        .iter()
        .map(|frame| frame["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["new_message", "presence"], "{frames:#?}");
    assert_eq!(frames[1]["data"]["online"], false);
}

async fn the_chat_list_pages_by_cursor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = person(&app, "ada").await;
    let mut made = Vec::new();
    for name in ["bea", "ben", "bess", "bill", "bob"] {
        let other = person(&app, name).await;
        made.push(direct(&app, &ada, &other).await);
    }
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("?limit=2&cursor={cursor}"),
            None => "?limit=2".to_owned(),
        };
        let page = app
            .get(&format!("/api/v1/chats{query}"), Some(&ada.token))
            .await;
        assert_eq!(page.status.as_u16(), 200, "{:#}", page.body);
        pages += 1;
        let items = page.body["data"]["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        listed.extend(
            items
                .iter()
                .map(|item| item["chat"]["id"].as_str().unwrap().to_owned()),
        );
        match page.body["data"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor never ran out");
    }
    assert_eq!(pages, 3);
    made.reverse();
    assert_eq!(listed, made, "each chat once, newest activity first");
}

async fn a_group_over_the_member_cap_is_refused(backend: Backend) {
    // 256 ids do not fit in the 4 KiB body the other tests allow.
    let app = TestApp::spawn_with(backend, |settings| settings.json_body_limit = 64 * 1024).await;
    let ada = person(&app, "ada").await;
    let mut members = Vec::new();
    // The cap is 256 members, the creator included.
    for n in 0..256 {
        let email = format!("member{n}@example.com");
        let registered = app.register(&email, &format!("member{n}")).await;
        assert_eq!(registered.status.as_u16(), 201, "{:#}", registered.body);
        members.push(registered.body["data"]["id"].as_str().unwrap().to_owned());
    }
    app.post(
        "/api/v1/chats",
        Some(&ada.token),
        json!({ "kind": "group", "name": "Too many", "member_ids": members }),
    )
    .await
    .assert_error(422, "validation.group_too_large");
    let last = members.pop().unwrap();
    let full: Vec<&str> = members.iter().map(String::as_str).collect();
    let chat = group(&app, &ada, "Full", &full).await;
    app.post(
        &format!("/api/v1/chats/{chat}/participants"),
        Some(&ada.token),
        json!({ "user_ids": [last] }),
    )
    .await
    .assert_error(422, "validation.group_too_large");
}

/// A message, a chat and an answer look the same on the socket and over REST.
async fn the_socket_sends_what_rest_returns(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let mut bob_ws = online(&app, &bob).await;
    let chat = group(&app, &ada, "Crew", &[&bob.id]).await;
    let created = bob_ws.until("chat_updated").await;
    let details = app
        .get(&format!("/api/v1/chats/{chat}"), Some(&bob.token))
        .await;
    assert_eq!(created["data"], details.body["data"]["chat"]);

    let mut ada_ws = online(&app, &ada).await;
    let ack = answer(
        &mut ada_ws,
        "send_message",
        "s",
        json!({ "chat_id": chat, "text": "same everywhere", "client_message_id": "k1" }),
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack:#}");
    assert_eq!(ack["data"]["created"], true);
    let event = bob_ws.until("new_message").await;
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&bob.token))
        .await;
    let stored = &history.body["data"][0];
    assert_eq!(
        event["data"], *stored,
        "new_message is the history's message"
    );
    assert_eq!(ack["data"]["message"], *stored, "and so is the ack's");

    let retried = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ada.token),
            json!({ "text": "same everywhere", "client_message_id": "k1" }),
        )
        .await;
    assert_eq!(retried.status.as_u16(), 200, "{:#}", retried.body);
    assert_eq!(retried.body["data"], *stored, "REST's reply to a retry too");

    let read = answer(
        &mut ada_ws,
        "message_read",
        "r",
        json!({ "chat_id": chat, "seq": 1 }),
    )
    .await;
    let marked = app
        .post(
            &format!("/api/v1/chats/{chat}/messages/mark-read"),
            Some(&ada.token),
            json!({ "seq": 1 }),
        )
        .await;
    assert_eq!(read["data"], marked.body["data"], "the read marker too");
}

/// `content`, `message_type`, `chat_type` (`private`) and `participant_ids`,
/// over REST and the socket; the replies stay in this service's shape.
async fn the_original_services_field_names_are_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob, eve) = (
        person(&app, "ada").await,
        person(&app, "bob").await,
        person(&app, "eve").await,
    );
    let private = app
        .post(
            "/api/v1/chats",
            Some(&ada.token),
            json!({ "chat_type": "private", "participant_ids": [bob.id] }),
        )
        .await;
    assert_eq!(private.status.as_u16(), 201, "{:#}", private.body);
    assert_eq!(private.body["data"]["chat"]["kind"], "direct");
    let chat = private.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let crew = app
        .post(
            "/api/v1/chats",
            Some(&ada.token),
            json!({ "chat_type": "group", "name": "Crew", "participant_ids": [bob.id, eve.id] }),
        )
        .await;
    assert_eq!(crew.status.as_u16(), 201, "{:#}", crew.body);
    assert_eq!(crew.body["data"]["chat"]["kind"], "group");
    assert_eq!(
        crew.body["data"]["participants"].as_array().unwrap().len(),
        3
    );

    let sent = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ada.token),
            json!({ "content": "hello", "message_type": "text" }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    assert_eq!(sent.body["data"]["text"], "hello");
    assert!(
        sent.body["data"].get("content").is_none(),
        "replies keep our names"
    );
    let edited = app
        .send(
            "PUT",
            &format!(
                "/api/v1/chats/{chat}/messages/{}",
                sent.body["data"]["id"].as_str().unwrap()
            ),
            Some(&ada.token),
            &[],
            Some(json!({ "content": "hello again" })),
        )
        .await;
    assert_eq!(
        edited.body["data"]["text"], "hello again",
        "{:#}",
        edited.body
    );

    let mut ada_ws = online(&app, &ada).await;
    let ack = answer(
        &mut ada_ws,
        "send_message",
        "c",
        json!({ "chat_id": chat, "content": "over the socket", "message_type": "image",
                "media_url": "https://example.com/a.png" }),
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack:#}");
    assert_eq!(ack["data"]["message"]["text"], "over the socket");
    assert_eq!(ack["data"]["message"]["kind"], "image");
    let edit = answer(
        &mut ada_ws,
        "edit_message",
        "e",
        json!({ "chat_id": chat, "message_id": sent.body["data"]["id"], "content": "third" }),
    )
    .await;
    assert_eq!(edit["data"]["message"]["text"], "third", "{edit:#}");

    let both = app
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ada.token),
            json!({ "content": "one", "text": "two" }),
        )
        .await;
    both.assert_error(400, "request.malformed_json");
}

/// A frame whose `data` is wrong is answered, in the socket's language,
/// naming the field; the socket stays open.
async fn wrong_data_is_answered_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
    let chat = direct(&app, &ada, &bob).await;
    let mut socket = app.connect(&format!("token={}&lang=ko", ada.token)).await;
    socket.until("connection_established").await;
    for (kind, data, field) in [
        (
            "message_read",
            json!({ "chat_id": chat, "seq": "many" }),
            "seq",
        ),
        ("typing_indicator", json!({ "chat_id": 42 }), "chat_id"),
        (
            "edit_message",
            json!({ "chat_id": chat, "message_id": chat }),
            "text",
        ),
        ("join_chat", Value::Null, "data"),
        (
            "send_message",
            json!({ "chat_id": chat, "kind": "hologram", "text": "x" }),
            "kind",
        ),
    ] {
        let error = answer(&mut socket, kind, field, data).await;
        assert_eq!(error["type"], "error", "{kind}: {error:#}");
        assert_eq!(error["data"]["code"], "ws.malformed_frame", "{kind}");
        assert_eq!(
            error["data"]["details"]["field"], field,
            "{kind}: {error:#}"
        );
        let message = error["data"]["message"].as_str().unwrap();
        assert!(message.contains(field) && !message.is_ascii(), "{message}");
    }
    let rule = answer(
        &mut socket,
        "send_message",
        "long",
        json!({ "chat_id": chat, "text": "x".repeat(4001) }),
    )
    .await;
    assert_eq!(rule["data"]["code"], "validation.message_too_long");
    assert_eq!(
        rule["data"]["details"]["field"], "text",
        "REST's details: {rule:#}"
    );
    let pong = answer(&mut socket, "ping", "still open", Value::Null).await;
    assert_eq!(pong["type"], "pong");
}

/// A backing service that is down answers `503 common.unavailable`.
mod unavailable {
    use super::*;

    #[actix_web::test]
    async fn sqlite_with_redis_down() {
        redis_down(Backend::Sqlite).await;
    }

    #[actix_web::test]
    #[ignore = "needs PostgreSQL: cargo xtask test"]
    async fn postgres_with_redis_down() {
        redis_down(Backend::Postgres).await;
    }

    async fn redis_down(backend: Backend) {
        let app = TestApp::spawn_with_redis_down(backend).await;
        app.get("/health/ready", None)
            .await
            .assert_error(503, "common.unavailable");
        let (ada, bob) = (person(&app, "ada").await, person(&app, "bob").await);
        let chat = direct(&app, &ada, &bob).await;
        say(&app, &ada, &chat, "stored, whatever the bus").await;
        let mut ada_ws = online(&app, &ada).await;
        let typing = answer(
            &mut ada_ws,
            "typing_indicator",
            "t",
            json!({ "chat_id": chat }),
        )
        .await;
        assert_eq!(typing["type"], "error", "{typing:#}");
        assert_eq!(typing["data"]["code"], "common.unavailable");
    }

    #[actix_web::test]
    #[ignore = "needs PostgreSQL: cargo xtask test"]
    async fn postgres_whose_database_goes_away() {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        let app = TestApp::spawn(Backend::Postgres).await;
        app.signed_in("ada").await;
        let (base, name) = app.database_url().rsplit_once('/').unwrap();
        let mut admin = diesel::PgConnection::establish(&format!("{base}/postgres")).unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .unwrap();
        // The pool tries to reconnect for its whole 10 s checkout timeout
        // before it gives up: longer than the client's default patience.
        let patient = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish();
        let mut response = patient
            .post(format!("{}/api/v1/auth/login", app.base))
            .send_json(&json!({ "login": "ada", "password": support::PASSWORD }))
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(response.status().as_u16(), 503, "{body:#}");
        assert_eq!(body["error"]["code"], "common.unavailable", "{body:#}");
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok()),
            Some("2"),
            "a 503 says when to retry"
        );
    }
}
