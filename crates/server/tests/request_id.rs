//! Every request has an id: made up, or taken from `X-Request-Id` when a
//! trusted proxy sends a safe one; returned in the `X-Request-Id` header of
//! every response and in every error envelope, and written on the log
//! lines of the request (here as `LOG_FORMAT=json` writes them).

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::process::{Node, NodeSettings};
use support::{Backend, PASSWORD, Reply, TestApp};

const HEADER: &str = "X-Request-Id";

fn request_id(reply: &Reply) -> &str {
    reply
        .header(HEADER)
        .unwrap_or_else(|| panic!("no {HEADER} on a {} reply", reply.status))
}

fn is_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

#[actix_web::test]
async fn every_response_has_its_own_id_and_a_client_cannot_choose_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status.as_u16(), 200);
    assert!(is_uuid(request_id(&live)), "{:?}", live.header(HEADER));
    let again = app.get("/health/live", None).await;
    assert_ne!(request_id(&again), request_id(&live), "one id per request");

    let missing = app.get("/no/such/route", None).await;
    missing.assert_error(404, "request.route_not_found");
    let unauthenticated = app.get("/api/v1/auth/me", None).await;
    unauthenticated.assert_error(401, "auth.token_missing");
    for error in [&missing, &unauthenticated] {
        assert!(is_uuid(request_id(error)));
        assert_eq!(
            error.body["request_id"].as_str(),
            Some(request_id(error)),
            "the envelope names the request: {:#}",
            error.body
        );
    }

    let spoofed = app
        .send(
            "GET",
            "/api/v1/auth/me",
            None,
            &[(HEADER, "chosen-by-the-client")],
            None,
        )
        .await;
    assert!(
        is_uuid(request_id(&spoofed)),
        "an untrusted peer's id is replaced"
    );
    assert_eq!(
        spoofed.body["request_id"].as_str(),
        Some(request_id(&spoofed))
    );
}

#[actix_web::test]
async fn a_trusted_proxy_names_the_request_when_its_id_is_safe() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let named = app
        .send(
            "GET",
            "/api/v1/auth/me",
            None,
            &[(HEADER, "lb-4f1c9a2e")],
            None,
        )
        .await;
    named.assert_error(401, "auth.token_missing");
    assert_eq!(request_id(&named), "lb-4f1c9a2e");
    assert_eq!(named.body["request_id"], "lb-4f1c9a2e");

    let too_long = "x".repeat(129);
    for unsafe_id in ["two words", too_long.as_str()] {
        let replaced = app
            .send("GET", "/health/live", None, &[(HEADER, unsafe_id)], None)
            .await;
        assert!(is_uuid(request_id(&replaced)), "{unsafe_id:?} was kept");
    }
}

/// The node's log lines once one of them says `message`.
async fn log_lines_once(path: &std::path::Path, message: &str) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line}"))
            })
            .collect();
        if lines.iter().any(|line| line["message"] == message)
            || std::time::Instant::now() >= deadline
        {
            return lines;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn json_logs_are_one_object_per_line_and_carry_the_request_id() {
    let data_dir = std::env::temp_dir().join(format!("nerutalk-logs-{}", uuid::Uuid::now_v7()));
    let database_url = format!("sqlite://{}/nerutalk.db", data_dir.display());
    let log_file =
        std::env::temp_dir().join(format!("nerutalk-log-{}.jsonl", uuid::Uuid::now_v7()));
    let mut settings = NodeSettings::new(&database_url);
    settings.data_dir = data_dir;
    settings.log_file = Some(log_file.clone());
    settings.env = vec![
        ("LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
    ];
    let node = Node::start(settings).await;
    let (token, _) = node.app.signed_in("lin").await;
    let changed = node
        .app
        .send(
            "POST",
            "/api/v1/auth/change-password",
            Some(&token),
            &[(HEADER, "trace-7d2e")],
            Some(json!({ "current_password": PASSWORD, "new_password": "Better456", "confirm_password": "Better456" })),
        )
        .await;
    assert_eq!(changed.status.as_u16(), 200, "{:#}", changed.body);
    assert_eq!(request_id(&changed), "trace-7d2e");

    let said = "password changed; other sessions revoked";
    let lines = log_lines_once(&log_file, said).await;
    assert!(
        lines
            .iter()
            .any(|line| line["message"] == "NeruTalk is listening; API docs at /docs/"),
        "lines outside requests are JSON too: {lines:#?}"
    );
    for line in &lines {
        for field in ["timestamp", "level", "target", "message"] {
            assert!(line[field].is_string(), "{field} missing: {line}");
        }
    }
    let logged = lines
        .iter()
        .find(|line| line["message"] == said)
        .unwrap_or_else(|| panic!("the change was not logged: {lines:#?}"));
    assert_eq!(logged["level"], "INFO");
    let request = logged["spans"]
        .as_array()
        .and_then(|spans| spans.iter().find(|span| span["name"] == "HTTP request"))
        .unwrap_or_else(|| panic!("not in the request's span: {logged}"));
    assert_eq!(request["request_id"], "trace-7d2e", "{logged}");
    assert_eq!(
        request["http.route"], "/api/v1/auth/change-password",
        "{logged}"
    );
    drop(node);
    let _ = std::fs::remove_file(log_file);
}
