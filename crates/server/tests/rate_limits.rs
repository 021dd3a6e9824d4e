//! Sign-ins, sign-ups and verification mails are limited per account and
//! per client address; sends, new chats and member additions per user. A
//! refusal is a localized 429 with `Retry-After` and the IETF headers (an
//! `error` frame with the wait on the WebSocket), and nothing refused is
//! done.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "the support module expects")]

#[macro_use]
mod support;

use serde_json::json;
use support::{Backend, PASSWORD, TestApp};

on_every_backend!(
    the_sixth_attempt_on_an_account_is_refused,
    each_forwarded_client_has_its_own_budget,
    sign_ups_from_one_address_are_limited_and_the_refused_one_is_not_created,
    verification_mails_are_limited_per_account_and_per_address,
    a_flood_of_sends_is_refused_and_loses_nothing_acknowledged,
    rest_and_the_websocket_spend_one_send_budget,
    chats_created_and_member_additions_are_limited_per_user,
);

/// A name no earlier run used: on Redis the budgets outlive the server.
fn fresh_name() -> String {
    format!("u{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

async fn attempt(
    app: &TestApp,
    login: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> support::Reply {
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        headers,
        Some(json!({ "login": login, "password": password })),
    )
    .await
}

async fn the_sixth_attempt_on_an_account_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_login_account = "5/60s".to_owned();
    })
    .await;
    let name = fresh_name();
    app.register(&format!("{name}@example.com"), &name).await;
    for password in ["Wrong1234", "Wrong1234", "Wrong1234", "Wrong1234"] {
        attempt(&app, &name, password, &[])
            .await
            .assert_error(401, "auth.invalid_credentials");
    }
    assert_eq!(attempt(&app, &name, PASSWORD, &[]).await.status, 200);

    // The same login key however it is written, even with the right password.
    let refused = attempt(
        &app,
        &format!(" {} ", name.to_uppercase()),
        PASSWORD,
        &[("X-Language", "ja")],
    )
    .await;
    refused.assert_error(429, "rate_limited");
    let wait: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=12).contains(&wait), "{wait}");
    assert_eq!(
        refused.header("RateLimit-Policy"),
        Some("\"login.account\";q=5;w=60")
    );
    let state = refused.header("RateLimit").unwrap();
    assert!(state.starts_with("\"login.account\";r=0;t="), "{state}");
    assert_eq!(refused.body["language"], "ja");
    assert!(
        refused.message().contains(&format!("{wait} 秒")),
        "{}",
        refused.message()
    );
    assert_eq!(refused.body["error"]["details"]["limit"], "login.account");
    assert_eq!(
        refused.body["error"]["details"]["retry_after_seconds"],
        wait
    );

    // Another account is not affected.
    let other = fresh_name();
    app.register(&format!("{other}@example.com"), &other).await;
    assert_eq!(attempt(&app, &other, PASSWORD, &[]).await.status, 200);
}

async fn each_forwarded_client_has_its_own_budget(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_login_address = "2/60s".to_owned();
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    // Documentation addresses, varied per run: on Redis budgets outlive the server.
    let seed = uuid::Uuid::now_v7().as_bytes()[15];
    let first = format!("198.51.100.{seed}");
    let second = format!("203.0.113.{seed}");
    for _ in 0..2 {
        attempt(
            &app,
            &fresh_name(),
            PASSWORD,
            &[("X-Forwarded-For", &first)],
        )
        .await
        .assert_error(401, "auth.invalid_credentials");
    }
    let refused = attempt(
        &app,
        &fresh_name(),
        PASSWORD,
        &[("X-Forwarded-For", &first)],
    )
    .await;
    refused.assert_error(429, "rate_limited");
    assert_eq!(
        refused.header("RateLimit-Policy"),
        Some("\"login.address\";q=2;w=60")
    );
    // A spoofed hop left of the real client changes nothing…
    let spoofed = format!("10.9.8.7, {first}");
    attempt(
        &app,
        &fresh_name(),
        PASSWORD,
        &[("X-Forwarded-For", &spoofed)],
    )
    .await
    .assert_error(429, "rate_limited");
    // …while another client behind the same proxy still gets in.
    attempt(
        &app,
        &fresh_name(),
        PASSWORD,
        &[("X-Forwarded-For", &second)],
    )
    .await
    .assert_error(401, "auth.invalid_credentials");
}

/// A client address no earlier run used: on Redis the budgets outlive the
/// server. From the documentation prefix, so it is nobody's.
fn fresh_address() -> String {
    let random = uuid::Uuid::now_v7().as_u128();
    format!(
        "2001:db8::{:x}:{:x}",
        (random >> 16) & 0xffff,
        random & 0xffff
    )
}

/// The three headers and the envelope's details of a refusal by `policy`.
#[track_caller]
fn assert_refused_by(refused: &support::Reply, limit: &str, policy: &str) {
    refused.assert_error(429, "rate_limited");
    let wait: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
    assert_eq!(refused.header("RateLimit-Policy"), Some(policy));
    let state = refused.header("RateLimit").unwrap();
    assert!(state.starts_with(&format!("\"{limit}\";r=0;t=")), "{state}");
    assert_eq!(refused.body["error"]["details"]["limit"], limit);
    assert_eq!(
        refused.body["error"]["details"]["retry_after_seconds"],
        wait
    );
}

async fn sign_up(app: &TestApp, name: &str, client: &str) -> support::Reply {
    app.send(
        "POST",
        "/api/v1/auth/register",
        None,
        &[("X-Forwarded-For", client)],
        Some(json!({
            "email": format!("{name}@example.com"),
            "username": name,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        })),
    )
    .await
}

async fn sign_ups_from_one_address_are_limited_and_the_refused_one_is_not_created(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_registration_address = "3/60s".to_owned();
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let client = fresh_address();
    for _ in 0..3 {
        assert_eq!(sign_up(&app, &fresh_name(), &client).await.status, 201);
    }
    let refused_name = fresh_name();
    let refused = sign_up(&app, &refused_name, &client).await;
    assert_refused_by(
        &refused,
        "registration.address",
        "\"registration.address\";q=3;w=60",
    );
    // Nothing of the refused sign-up exists: its name is free elsewhere.
    assert_eq!(
        sign_up(&app, &refused_name, &fresh_address()).await.status,
        201
    );
}

async fn resend(app: &TestApp, token: &str, client: &str) -> support::Reply {
    app.send(
        "POST",
        "/api/v1/auth/resend-verification",
        Some(token),
        &[("X-Forwarded-For", client)],
        None,
    )
    .await
}

async fn verification_mails_are_limited_per_account_and_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_verification_account = "2/60s".to_owned();
        settings.rate_limit_verification_address = "4/60s".to_owned();
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let client = fresh_address();
    let ada = fresh_name();
    let (ada_token, _) = app.signed_in(&ada).await;
    for _ in 0..2 {
        assert_eq!(resend(&app, &ada_token, &client).await.status, 200);
    }
    assert_refused_by(
        &resend(&app, &ada_token, &client).await,
        "verification.account",
        "\"verification.account\";q=2;w=60",
    );
    // The sign-up's mail and two more; the refused one issued nothing.
    let mail = app.outbox_holding(&format!("{ada}@example.com"), 3).await;
    assert_eq!(mail.len(), 3);

    // The address spent three of its four on Ada (the refused one too: the
    // address is asked first); Bob gets the last, then the address is spent.
    let (bob_token, _) = app.signed_in(&fresh_name()).await;
    assert_eq!(resend(&app, &bob_token, &client).await.status, 200);
    assert_refused_by(
        &resend(&app, &bob_token, &client).await,
        "verification.address",
        "\"verification.address\";q=4;w=60",
    );
    assert_eq!(
        resend(&app, &bob_token, &fresh_address()).await.status,
        200,
        "Bob's own budget is not spent"
    );
}

/// Ada and Bob, signed in, with a direct chat: (Ada's token, the chat).
async fn pair_with_chat(app: &TestApp) -> (String, String) {
    let (ada, _) = app.signed_in(&fresh_name()).await;
    let (bob, _) = app.signed_in(&fresh_name()).await;
    let bob_id = app.user_id(&bob).await;
    let chat = app
        .create_chat(&ada, json!({ "kind": "direct", "member_ids": [bob_id] }))
        .await;
    (ada, chat)
}

async fn send_text(app: &TestApp, token: &str, chat: &str, text: &str) -> support::Reply {
    app.post(
        &format!("/api/v1/chats/{chat}/messages"),
        Some(token),
        json!({ "text": text }),
    )
    .await
}

async fn stored_texts(app: &TestApp, token: &str, chat: &str) -> Vec<String> {
    let history = app
        .get(
            &format!("/api/v1/chats/{chat}/messages?limit=100"),
            Some(token),
        )
        .await;
    assert_eq!(history.status, 200, "{:#}", history.body);
    let mut texts: Vec<String> = history.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    texts
}

async fn a_flood_of_sends_is_refused_and_loses_nothing_acknowledged(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_message_send = "10/60s".to_owned();
    })
    .await;
    let (ada, chat) = pair_with_chat(&app).await;
    let texts: Vec<String> = (0..30).map(|n| format!("flood {n:02}")).collect();
    let replies =
        futures_util::future::join_all(texts.iter().map(|text| send_text(&app, &ada, &chat, text)))
            .await;
    let mut acknowledged = Vec::new();
    for (text, reply) in texts.iter().zip(&replies) {
        if reply.status == 201 {
            acknowledged.push(text.clone());
        } else {
            assert_refused_by(reply, "message.send", "\"message.send\";q=10;w=60");
        }
    }
    assert_eq!(acknowledged.len(), 10, "exactly the budget is let through");
    acknowledged.sort();
    assert_eq!(
        stored_texts(&app, &ada, &chat).await,
        acknowledged,
        "every acknowledged send is stored, and nothing refused"
    );
}

async fn rest_and_the_websocket_spend_one_send_budget(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_message_send = "3/60s".to_owned();
    })
    .await;
    let (ada, chat) = pair_with_chat(&app).await;
    for text in ["rest 1", "rest 2"] {
        assert_eq!(send_text(&app, &ada, &chat, text).await.status, 201);
    }
    let mut socket = app.connect(&format!("token={ada}&lang=ja")).await;
    socket.until("connection_established").await;
    let send = |id: &str, text: &str| json!({ "type": "send_message", "id": id, "data": { "chat_id": chat, "text": text } });
    socket.send(send("w1", "socket 1")).await;
    assert_eq!(socket.until("ack").await["id"], "w1");
    socket.send(send("w2", "socket 2")).await;
    let refused = socket.until("error").await;
    assert_eq!(refused["id"], "w2");
    assert_eq!(refused["data"]["code"], "rate_limited");
    assert_eq!(refused["data"]["details"]["limit"], "message.send");
    let wait = refused["data"]["details"]["retry_after_seconds"]
        .as_u64()
        .unwrap();
    assert!(wait >= 1, "{wait}");
    let message = refused["data"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{wait} 秒")), "{message}");
    assert_refused_by(
        &send_text(&app, &ada, &chat, "rest 3").await,
        "message.send",
        "\"message.send\";q=3;w=60",
    );
    assert_eq!(
        stored_texts(&app, &ada, &chat).await,
        ["rest 1", "rest 2", "socket 1"]
    );
}

async fn chats_created_and_member_additions_are_limited_per_user(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_chat_create = "2/60s".to_owned();
        settings.rate_limit_member_add = "2/60s".to_owned();
    })
    .await;
    let (ada, _) = app.signed_in(&fresh_name()).await;
    let mut others = Vec::new();
    for _ in 0..4 {
        let (token, _) = app.signed_in(&fresh_name()).await;
        others.push(app.user_id(&token).await);
    }
    let group = |name: &str| json!({ "kind": "group", "name": name, "member_ids": [others[0]] });
    let team = app.create_chat(&ada, group("one")).await;
    app.create_chat(&ada, json!({ "kind": "direct", "member_ids": [others[1]] }))
        .await;
    assert_refused_by(
        &app.post("/api/v1/chats", Some(&ada), group("three")).await,
        "chat.create",
        "\"chat.create\";q=2;w=60",
    );
    let listed = app.get("/api/v1/chats", Some(&ada)).await;
    assert_eq!(
        listed.body["data"]["items"].as_array().unwrap().len(),
        2,
        "{:#}",
        listed.body
    );

    let participants = format!("/api/v1/chats/{team}/participants");
    let add = |user: &str| app.post(&participants, Some(&ada), json!({ "user_ids": [user] }));
    assert_eq!(add(&others[1]).await.status, 200);
    assert_eq!(add(&others[2]).await.status, 200);
    assert_refused_by(
        &add(&others[3]).await,
        "member.add",
        "\"member.add\";q=2;w=60",
    );
    let details = app.get(&format!("/api/v1/chats/{team}"), Some(&ada)).await;
    let members: Vec<&str> = details.body["data"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(members.len(), 4, "{:#}", details.body);
    assert!(!members.contains(&others[3].as_str()));
}

/// With Redis, a budget is one for all nodes: attempts spread over two
/// nodes are refused after five in all.
#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn two_nodes_share_an_account_budget() {
    use support::process::{Node, NodeSettings};
    let database = nerutalk_sql::scratch::ScratchDatabase::create().unwrap();
    let start = || {
        let mut settings = NodeSettings::new(database.url()).with_redis();
        settings
            .env
            .push(("RATE_LIMIT_LOGIN_ACCOUNT", "5/60s".to_owned()));
        Node::start(settings)
    };
    let (node_a, node_b) = (start().await, start().await);
    let name = fresh_name();
    for (turn, node) in [&node_a, &node_b, &node_a, &node_b, &node_a]
        .into_iter()
        .enumerate()
    {
        let reply = attempt(&node.app, &name, PASSWORD, &[]).await;
        assert_eq!(reply.status, 401, "attempt {turn}: {:#}", reply.body);
    }
    let refused = attempt(&node_b.app, &name, PASSWORD, &[]).await;
    refused.assert_error(429, "rate_limited");
    assert_eq!(
        refused.header("RateLimit-Policy"),
        Some("\"login.account\";q=5;w=60")
    );
}

/// With Redis, one user's sends over two nodes, REST on one and REST on
/// the other, spend one budget.
#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn two_nodes_share_a_send_budget() {
    use support::process::{Node, NodeSettings};
    let database = nerutalk_sql::scratch::ScratchDatabase::create().unwrap();
    let start = || {
        let mut settings = NodeSettings::new(database.url()).with_redis();
        settings
            .env
            .push(("RATE_LIMIT_MESSAGE_SEND", "4/60s".to_owned()));
        Node::start(settings)
    };
    let (node_a, node_b) = (start().await, start().await);
    let (ada, chat) = pair_with_chat(&node_a.app).await;
    for (turn, node) in [&node_a, &node_b, &node_a, &node_b].into_iter().enumerate() {
        let reply = send_text(&node.app, &ada, &chat, &format!("turn {turn}")).await;
        assert_eq!(reply.status, 201, "send {turn}: {:#}", reply.body);
    }
    assert_refused_by(
        &send_text(&node_a.app, &ada, &chat, "one too many").await,
        "message.send",
        "\"message.send\";q=4;w=60",
    );
    assert_eq!(stored_texts(&node_b.app, &ada, &chat).await.len(), 4);
}
