//! The text rules end to end: control characters, bidi controls, lookalike
//! usernames and invisible-only messages are a localized 422 naming the
//! field, on SQLite and PostgreSQL alike (PostgreSQL used to answer NUL with
//! a 500), and a refused request stores nothing.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "the shared support expects")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, PASSWORD, Reply, TestApp};

on_every_backend!(
    signing_up_and_in_refuse_control_characters,
    profiles_search_and_language_refuse_control_characters,
    names_refuse_bidi_controls_and_invisible_characters,
    usernames_are_nfkc_normalized_and_ascii,
    chats_and_messages_refuse_control_and_invisible_text,
);

const NUL: &str = "a\u{0}b";
const RIGHT_TO_LEFT_OVERRIDE: &str = "evil\u{202e}gnp.exe";

#[track_caller]
fn assert_refused(reply: &Reply, code: &str, field: &str) {
    reply.assert_error(422, code);
    assert_eq!(reply.body["error"]["details"]["field"], field, "{code}");
}

fn registration(email: &str, username: &str) -> Value {
    json!({ "email": email, "username": username, "password": PASSWORD, "confirm_password": PASSWORD })
}

async fn put_me(app: &TestApp, token: &str, body: Value) -> Reply {
    app.send("PUT", "/api/v1/auth/me", Some(token), &[], Some(body))
        .await
}

async fn signing_up_and_in_refuse_control_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for field in [
        "email",
        "username",
        "password",
        "full_name",
        "bio",
        "phone_number",
    ] {
        let mut body = registration("nul@example.com", "nul_user");
        body[field] = json!(NUL);
        if field == "password" {
            body[field] = json!("Secret\u{0}123");
            body["confirm_password"] = body[field].clone();
        }
        let reply = app.post("/api/v1/auth/register", None, body).await;
        assert_refused(&reply, "validation.control_characters", field);
    }
    let mut line_break = registration("nul@example.com", "nul_user");
    line_break["full_name"] = json!("Ada\nLovelace");
    let reply = app.post("/api/v1/auth/register", None, line_break).await;
    assert_refused(&reply, "validation.control_characters", "full_name");
    let registered = app
        .post(
            "/api/v1/auth/register",
            None,
            registration("nul@example.com", "nul_user"),
        )
        .await;
    assert_eq!(
        registered.status.as_u16(),
        201,
        "no refused sign-up stored anything: {:#}",
        registered.body
    );

    for (login, password, field) in [
        (NUL, PASSWORD, "login"),
        ("nul\u{0}@example.com", PASSWORD, "login"),
        ("nul_user\u{7f}", PASSWORD, "login"),
        ("nul_user", "Secret\u{0}123", "password"),
    ] {
        let reply = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "login": login, "password": password }),
            )
            .await;
        assert_refused(&reply, "validation.control_characters", field);
    }
    let reply = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": NUL }),
        )
        .await;
    assert_refused(&reply, "validation.control_characters", "refresh_token");
    let reply = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": NUL }))
        .await;
    assert_refused(&reply, "validation.control_characters", "token");
    app.login("nul_user", PASSWORD).await;
}

async fn profiles_search_and_language_refuse_control_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("editor").await;
    let kept = put_me(
        &app,
        &access,
        json!({ "full_name": "Ed Itor", "bio": "first line\nsecond\tline\r\n" }),
    )
    .await;
    assert_eq!(kept.status.as_u16(), 200, "{:#}", kept.body);
    assert_eq!(
        kept.body["data"]["bio"], "first line\nsecond\tline",
        "multi-line text keeps its line breaks and tabs"
    );
    for (field, value) in [
        ("full_name", NUL),
        ("full_name", "Ed\tItor"),
        ("bio", NUL),
        ("bio", "bell\u{7}"),
        ("bio", "next line\u{85}"),
        ("phone_number", "+1555\u{0}0109999"),
        ("avatar_url", "https://cdn.example.com/\u{0}.png"),
    ] {
        let reply = put_me(&app, &access, json!({ field: value })).await;
        assert_refused(&reply, "validation.control_characters", field);
    }
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(
        me.body["data"]["full_name"], "Ed Itor",
        "nothing was stored"
    );
    assert_eq!(me.body["data"]["bio"], "first line\nsecond\tline");

    let search = app.get("/api/v1/users?query=a%00b", Some(&access)).await;
    assert_refused(&search, "validation.control_characters", "query");
    let fine = app.get("/api/v1/users?query=edi", Some(&access)).await;
    assert_eq!(fine.status.as_u16(), 200, "{:#}", fine.body);
    // `AA` is a NUL in base64: a cursor the server never made reads as the start.
    let forged = app
        .get("/api/v1/users?query=edi&cursor=AA", Some(&access))
        .await;
    assert_eq!(forged.status.as_u16(), 200, "{:#}", forged.body);
    assert_eq!(forged.body["data"]["items"][0]["username"], "editor");

    let language = app
        .send(
            "PUT",
            "/api/v1/language",
            Some(&access),
            &[],
            Some(json!({ "language": "ja\u{0}" })),
        )
        .await;
    assert_refused(&language, "validation.control_characters", "language");
}

async fn names_refuse_bidi_controls_and_invisible_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("namer").await;
    for value in [
        RIGHT_TO_LEFT_OVERRIDE,
        "Ada\u{200b}Lovelace",
        "\u{2066}Ada\u{2069}",
        "Ada\u{feff}",
        "Ada\u{ad}",
    ] {
        let reply = put_me(&app, &access, json!({ "full_name": value })).await;
        assert_refused(&reply, "validation.invisible_characters", "full_name");
    }
    let mut body = registration("bidi@example.com", "bidi");
    body["full_name"] = json!(RIGHT_TO_LEFT_OVERRIDE);
    let reply = app.post("/api/v1/auth/register", None, body).await;
    assert_refused(&reply, "validation.invisible_characters", "full_name");

    let joined = put_me(
        &app,
        &access,
        json!({ "full_name": "\u{1f469}\u{200d}\u{1f4bb} \u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}" }),
    )
    .await;
    assert_eq!(
        joined.status.as_u16(),
        200,
        "ZWJ and ZWNJ stay allowed: {:#}",
        joined.body
    );
    let blank = put_me(&app, &access, json!({ "full_name": " \u{200d}\u{200c} " })).await;
    assert_eq!(blank.status.as_u16(), 200, "{:#}", blank.body);
    assert!(
        blank.body["data"]["full_name"].is_null(),
        "a name of joiners alone is empty, and empty clears it: {:#}",
        blank.body
    );
}

async fn usernames_are_nfkc_normalized_and_ascii(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.register("admin@example.com", "admin").await;
    assert_eq!(admin.status.as_u16(), 201, "{:#}", admin.body);

    let fullwidth = app
        .post(
            "/api/v1/auth/register",
            None,
            registration("fullwidth@example.com", "ａｄｍｉｎ"),
        )
        .await;
    fullwidth.assert_error(409, "auth.username_taken");
    let cyrillic = app
        .post(
            "/api/v1/auth/register",
            None,
            registration("cyrillic@example.com", "\u{430}dmin"),
        )
        .await;
    assert_refused(&cyrillic, "validation.username_charset", "username");
    let invisible = app
        .post(
            "/api/v1/auth/register",
            None,
            registration("zwsp@example.com", "ad\u{200b}min"),
        )
        .await;
    assert_refused(&invisible, "validation.username_charset", "username");

    let normalized = app
        .post(
            "/api/v1/auth/register",
            None,
            registration("wide@example.com", "ｗｉｄｅ_ｏｎｅ"),
        )
        .await;
    assert_eq!(normalized.status.as_u16(), 201, "{:#}", normalized.body);
    assert_eq!(normalized.body["data"]["username"], "wide_one");
    app.login("ＷＩＤＥ_ＯＮＥ", PASSWORD).await;
    app.login("Wide_One", PASSWORD).await;

    let (access, _) = app.login("admin", PASSWORD).await;
    let found = app.get("/api/v1/users?query=dmin", Some(&access)).await;
    let names: Vec<_> = found.body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].clone())
        .collect();
    assert_eq!(names, [json!("admin")], "no lookalike was stored");
}

async fn chats_and_messages_refuse_control_and_invisible_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ada, _) = app.signed_in("ada").await;
    let (bob, _) = app.signed_in("bob").await;
    let bob_id = app.user_id(&bob).await;
    let group = |name: &str| json!({ "kind": "group", "name": name, "member_ids": [bob_id] });
    for (name, code) in [
        (NUL, "validation.control_characters"),
        ("line\nbreak", "validation.control_characters"),
        (RIGHT_TO_LEFT_OVERRIDE, "validation.invisible_characters"),
        (" \u{200d} ", "validation.chat_name_length"),
    ] {
        let reply = app.post("/api/v1/chats", Some(&ada), group(name)).await;
        assert_refused(&reply, code, "name");
    }
    let chats = app.get("/api/v1/chats", Some(&ada)).await;
    assert_eq!(
        chats.body["data"]["items"],
        json!([]),
        "no refused chat was stored"
    );

    let created = app.post("/api/v1/chats", Some(&ada), group("Team")).await;
    assert_eq!(created.status.as_u16(), 201, "{:#}", created.body);
    let chat = created.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let messages = format!("/api/v1/chats/{chat}/messages");
    let renamed = app
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}"),
            Some(&ada),
            &[],
            Some(json!({ "name": NUL })),
        )
        .await;
    assert_refused(&renamed, "validation.control_characters", "name");

    for (body, code, field) in [
        (
            json!({ "text": NUL }),
            "validation.control_characters",
            "text",
        ),
        (
            json!({ "text": "escape \u{1b}[31m" }),
            "validation.control_characters",
            "text",
        ),
        (
            json!({ "text": "hi", "client_message_id": "key\u{0}" }),
            "validation.control_characters",
            "client_message_id",
        ),
        (
            json!({ "text": " \u{200b}\u{2060}\u{3164}\u{2800}\u{fe0f}\u{200d} \n" }),
            "validation.message_empty",
            "text",
        ),
    ] {
        let reply = app.post(&messages, Some(&ada), body).await;
        assert_refused(&reply, code, field);
    }
    let sent = app
        .post(
            &messages,
            Some(&ada),
            json!({ "text": "two\nlines\tand a tab", "client_message_id": "k1" }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    let message_id = sent.body["data"]["id"].as_str().unwrap().to_owned();
    let edited = app
        .send(
            "PUT",
            &format!("{messages}/{message_id}"),
            Some(&ada),
            &[],
            Some(json!({ "text": NUL })),
        )
        .await;
    assert_refused(&edited, "validation.control_characters", "text");

    let mut socket = app.connect(&format!("token={ada}")).await;
    socket.until("connection_established").await;
    socket
        .send(
            json!({ "type": "send_message", "id": "w1", "data": { "chat_id": chat, "text": NUL } }),
        )
        .await;
    let error = socket.until("error").await;
    assert_eq!(error["id"], "w1");
    assert_eq!(error["data"]["code"], "validation.control_characters");

    let history = app.get(&messages, Some(&bob)).await;
    let texts: Vec<_> = history.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["kind"] != "system")
        .map(|message| message["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [json!("two\nlines\tand a tab")],
        "only the accepted message was stored, unedited"
    );
}
