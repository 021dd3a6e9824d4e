//! Sign-in attempts are limited per account and per client address, and a
//! refusal is a localized 429 with `Retry-After` and the IETF headers.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "the support module expects")]

#[macro_use]
mod support;

use serde_json::json;
use support::{Backend, PASSWORD, TestApp};

on_every_backend!(
    the_sixth_attempt_on_an_account_is_refused,
    each_forwarded_client_has_its_own_budget,
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
