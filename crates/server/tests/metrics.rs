//! `/metrics` on its own listener: after REST requests, WebSocket frames,
//! messages, a refused sign-in and a mail that cannot be delivered, the
//! counters, gauges and histograms moved with bounded labels (route
//! templates, not paths). SQLite only: what is counted does not depend on
//! the backend. One server per binary: gauges are process-wide.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use nerutalk_server::{Application, Settings};
use serde_json::json;
use support::TestApp;

/// The metrics page at `url`, as text.
async fn scrape(api: &TestApp, url: &str) -> String {
    let body = api
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The sum of the samples of `name` whose labels include every one of
/// `labels` (`key="value"`), as the text exposition format writes them.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    series(text, name, labels).sum()
}

fn series<'a>(text: &'a str, name: &'a str, labels: &'a [&str]) -> impl Iterator<Item = f64> + 'a {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(move |line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|label| rest.contains(label)))
                .then(|| value.parse::<f64>().ok())?
        })
}

/// Scrapes until `name` with `labels` reaches `at_least`, for what is
/// sampled or done in the background; the last scrape either way.
async fn scrape_until(
    api: &TestApp,
    url: &str,
    name: &str,
    labels: &[&str],
    at_least: f64,
) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = scrape(api, url).await;
        if sample(&text, name, labels) >= at_least || std::time::Instant::now() >= deadline {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[actix_web::test]
async fn a_scrape_after_traffic_shows_the_counters_moved() {
    let data_dir = std::env::temp_dir().join(format!("nerutalk-metrics-{}", uuid::Uuid::now_v7()));
    let database_url = format!("sqlite://{}/nerutalk.db", data_dir.display());
    let settings = Settings {
        port: 0,
        database_url: database_url.clone(),
        data_dir,
        bcrypt_cost: 4,
        http_workers: Some(1),
        metrics_addr: Some("127.0.0.1:0".to_owned()),
        // Two sign-ins per account, so that a third is refused.
        rate_limit_login_account: "2/60s".to_owned(),
        rate_limit_login_address: "1000/60s".to_owned(),
        // Mail to a server that is not there: each mail job fails and waits
        // to be retried.
        smtp_url: Some(secrecy::SecretString::from(format!(
            "smtp://127.0.0.1:{}",
            closed_port()
        ))),
        mail_from: Some("NeruTalk <no-reply@example.com>".to_owned()),
        public_url: Some("http://chat.example.com".to_owned()),
        ..Settings::default()
    };
    let app = Application::build(settings).await.expect("server starts");
    let scrape_url = format!(
        "http://127.0.0.1:{}/metrics",
        app.metrics_port().expect("a metrics listener")
    );
    let shutdown = app.shutdown();
    let api = TestApp::remote(format!("http://127.0.0.1:{}", app.port()), database_url);
    let running = actix_web::rt::spawn(app.run_until_stopped());

    let (token, _) = api.signed_in("ada").await;
    assert_eq!(api.get("/api/v1/auth/me", Some(&token)).await.status, 200);
    assert_eq!(api.get("/no/such/path/4242", None).await.status, 404);
    let chat = api
        .create_chat(
            &token,
            json!({ "kind": "group", "name": "metrics", "member_ids": [] }),
        )
        .await;
    let sent = api
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&token),
            json!({ "text": "counted" }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    let mut socket = api.connect(&format!("token={token}")).await;
    socket.until("connection_established").await;
    socket.send(json!({ "type": "ping", "id": "p1" })).await;
    socket.until("pong").await;
    socket
        .send(json!({ "type": "send_message", "id": "s1", "data": { "chat_id": chat, "text": "timed" } }))
        .await;
    socket.until("ack").await;

    let bob = api.register("bob@example.com", "bob").await;
    assert_eq!(bob.status.as_u16(), 201, "{:#}", bob.body);
    for _ in 0..2 {
        let wrong = api
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "login": "bob", "password": "not-his-password" }),
            )
            .await;
        wrong.assert_error(401, "auth.invalid_credentials");
    }
    let refused = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "login": "bob", "password": "not-his-password" }),
        )
        .await;
    refused.assert_error(429, "rate_limited");

    let scraped = scrape(&api, &scrape_url).await;
    let text = scraped.as_str();
    let requests = "nerutalk_http_requests_total";
    assert!(
        sample(
            text,
            requests,
            &[
                r#"method="GET""#,
                r#"route="/api/v1/auth/me""#,
                r#"status="200""#
            ]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, requests, &[r#"route="unmatched""#, r#"status="404""#]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            requests,
            &[
                r#"route="/api/v1/chats/{chat_id}/messages""#,
                r#"method="POST""#,
                r#"status="201""#
            ]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        !text.contains(&chat),
        "a raw path leaked into a label: {text}"
    );
    assert!(
        sample(
            text,
            "nerutalk_http_request_duration_seconds_count",
            &[r#"route="/api/v1/auth/me""#]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, "nerutalk_ws_open_sockets", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            "nerutalk_ws_frames_received_total",
            &[r#"type="ping""#]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, "nerutalk_ws_frames_sent_total", &[r#"type="pong""#]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            "nerutalk_ws_frames_sent_total",
            &[r#"type="connection_established""#]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sample(text, "nerutalk_sql_batch_size_count", &[]) >= 1.0,
        "{text}"
    );

    assert!(
        sample(text, "nerutalk_ws_send_ack_duration_seconds_count", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            "nerutalk_rate_limit_refusals_total",
            &[r#"limit="login.account""#]
        ) >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(text, "nerutalk_rate_limiter_unavailable_total", &[]),
        0.0,
        "the in-process limiter always answers: {text}"
    );
    for state in ["in_use", "idle"] {
        let label = format!(r#"state="{state}""#);
        assert_eq!(
            series(
                text,
                "nerutalk_db_pool_connections",
                &[r#"pool="main""#, &label]
            )
            .count(),
            1,
            "{text}"
        );
    }
    assert!(
        sample(
            text,
            "nerutalk_db_pool_max_connections",
            &[r#"pool="main""#]
        ) >= 1.0,
        "{text}"
    );
    assert_eq!(
        series(text, "nerutalk_db_pool_waiting", &[r#"pool="main""#]).count(),
        1,
        "{text}"
    );

    // Signing up queued verification mail; the job runner tries to deliver
    // it in the background, fails, and queues it again; the sampler sees
    // the retries within its period.
    let job = [r#"kind="mail.deliver""#, r#"outcome="retry""#];
    let text = scrape_until(&api, &scrape_url, "nerutalk_job_attempts_total", &job, 1.0).await;
    assert!(
        sample(&text, "nerutalk_job_attempts_total", &job) >= 1.0,
        "the mail job was not counted: {text}"
    );
    let retrying = [r#"state="retrying""#];
    let text = scrape_until(&api, &scrape_url, "nerutalk_jobs", &retrying, 1.0).await;
    assert!(sample(&text, "nerutalk_jobs", &retrying) >= 1.0, "{text}");
    for state in ["queued", "running", "dead"] {
        let label = format!(r#"state="{state}""#);
        assert_eq!(
            series(&text, "nerutalk_jobs", &[&label]).count(),
            1,
            "{text}"
        );
    }

    drop(socket);
    shutdown.trigger();
    running.await.unwrap().unwrap();
}
