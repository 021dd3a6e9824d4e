//! `/metrics` on its own listener: after REST requests, a WebSocket frame
//! and a message, the counters moved with bounded labels (route templates,
//! not paths). SQLite only: what is counted does not depend on the backend.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use nerutalk_server::{Application, Settings};
use serde_json::json;
use support::TestApp;

/// The sum of the samples of `name` whose labels include every one of
/// `labels` (`key="value"`), as the text exposition format writes them.
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

fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|label| rest.contains(label)))
                .then(|| value.parse::<f64>().ok())?
        })
        .sum()
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

    // Signing up queued a verification mail; the job runner delivers it
    // to the outbox in the background, soon.
    let job = [r#"kind="mail.deliver""#, r#"outcome="done""#];
    let mut delivered = sample(text, "nerutalk_job_attempts_total", &job);
    for _ in 0..50 {
        if delivered >= 1.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let scraped = scrape(&api, &scrape_url).await;
        delivered = sample(&scraped, "nerutalk_job_attempts_total", &job);
    }
    assert!(delivered >= 1.0, "the mail job was not counted");

    drop(socket);
    shutdown.trigger();
    running.await.unwrap().unwrap();
}
