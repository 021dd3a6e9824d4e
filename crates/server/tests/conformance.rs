//! What the OpenAPI conformance run (schemathesis, in `cargo xtask test`)
//! found at the edge of the HTTP layer, pinned here so that plain
//! `cargo test` keeps it fixed.

#![expect(clippy::expect_used, reason = "tests expect")]
#![expect(clippy::unwrap_used, reason = "tests unwrap")]

mod support;

use serde_json::json;
use support::{Backend, TestApp};

async fn group_chat(app: &TestApp, token: &str) -> String {
    let reply = app
        .post(
            "/api/v1/chats",
            Some(token),
            json!({"kind": "group", "member_ids": [], "name": "Conformance"}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{:#}", reply.body);
    reply.body["data"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `PUT …/messages/mark-read` reaches the route `…/messages/{message_id}`,
/// whose id does not parse; the path is a route of its own, for POST only.
#[actix_web::test]
async fn another_method_on_a_literal_route_is_405_not_a_bad_path() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (token, _) = app.signed_in("literal").await;
    let chat = group_chat(&app, &token).await;
    let reply = app
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/messages/mark-read"),
            Some(&token),
            &[],
            Some(json!({"seq": 0})),
        )
        .await;
    reply.assert_error(405, "request.method_not_allowed");
    assert_eq!(reply.allow.as_deref(), Some("POST"));
    let reply = app
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/messages/not-a-uuid"),
            Some(&token),
            &[],
            Some(json!({"text": "hi"})),
        )
        .await;
    reply.assert_error(400, "request.invalid_path");
}

/// JSON Schema counts `0.0` as an integer, so a client generated from the
/// document may send it.
#[actix_web::test]
async fn an_integral_float_is_an_integer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (token, _) = app.signed_in("integral").await;
    let chat = group_chat(&app, &token).await;
    let path = format!("/api/v1/chats/{chat}/messages/mark-read");
    let reply = app.post(&path, Some(&token), json!({"seq": 0.0})).await;
    assert_eq!(reply.status.as_u16(), 200, "{:#}", reply.body);
    let reply = app.post(&path, Some(&token), json!({"seq": 0.5})).await;
    reply.assert_error(400, "request.malformed_json");
}

/// `error.details` is `null` when there is nothing to say, never `{}`.
#[actix_web::test]
async fn error_details_are_null_or_a_non_empty_object() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let reply = app.get("/api/v1/auth/me", None).await;
    reply.assert_error(401, "auth.token_missing");
    assert!(reply.body["error"]["details"].is_null(), "{:#}", reply.body);
    let reply = app
        .post_raw("/api/v1/auth/login", "application/json", b"{")
        .await;
    reply.assert_error(400, "request.malformed_json");
    assert!(
        reply.body["error"]["details"]["reason"].is_string(),
        "{:#}",
        reply.body
    );
}
