//! A graceful stop: SIGTERM in the middle of a burst of sends and of mail
//! being queued. Every socket is closed with 1001 and a localized reason,
//! the process exits cleanly, every message that was acknowledged is in the
//! database when the server comes back, and every mail job queued before
//! the stop is delivered once: none lost, none sent twice.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use nerutalk_sql::scratch::ScratchDatabase;
use serde_json::{Value, json};
use support::TestApp;
use support::process::{Node, NodeSettings};

const SOCKETS: usize = 3;
const SENDS_PER_SOCKET: usize = 1_000;
/// Accounts registered just before the SIGTERM, each queuing one mail job.
const REGISTRATIONS: usize = 8;

#[actix_web::test]
async fn sigterm_during_a_send_burst_loses_nothing_acknowledged_on_sqlite() {
    let data_dir = std::env::temp_dir().join(format!("nerutalk-stop-{}", uuid::Uuid::now_v7()));
    let url = format!("sqlite://{}/nerutalk.db", data_dir.display());
    let settings = || {
        let mut settings = NodeSettings::new(&url);
        settings.data_dir = data_dir.clone();
        settings
    };
    sigterm_during_a_send_burst(settings(), settings()).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[actix_web::test]
#[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
async fn sigterm_during_a_send_burst_loses_nothing_acknowledged_on_postgres_with_redis() {
    let database = ScratchDatabase::create().unwrap();
    sigterm_during_a_send_burst(
        NodeSettings::new(database.url()).with_redis(),
        NodeSettings::new(database.url()).with_redis(),
    )
    .await;
}

async fn sigterm_during_a_send_burst(first: NodeSettings<'_>, second: NodeSettings<'_>) {
    let mut node = Node::start(first).await;
    let app = &node.app;
    let (ada, _) = app.signed_in("ada").await;
    let (bob, _) = app.signed_in("bob").await;
    let bob_id = app.user_id(&bob).await;
    let chat = app
        .create_chat(
            &ada,
            json!({ "kind": "group", "name": "burst", "member_ids": [bob_id] }),
        )
        .await;

    let mut sockets = Vec::new();
    for _ in 0..SOCKETS {
        let mut socket = app.connect(&format!("token={ada}")).await;
        socket.until("connection_established").await;
        sockets.push(socket);
    }
    // Every frame goes out at once; the server works through them while
    // the SIGTERM arrives.
    for (index, socket) in sockets.iter_mut().enumerate() {
        for n in 0..SENDS_PER_SOCKET {
            let key = format!("s{index}-{n}");
            socket
                .send(json!({
                    "type": "send_message",
                    "id": key,
                    "data": { "chat_id": chat, "text": key, "client_message_id": key },
                }))
                .await;
        }
    }
    // Each registration queues a verification mail as a job, while the
    // server works through the sends.
    let registrations = (0..REGISTRATIONS).map(|n| async move {
        let email = format!("late{n}@example.com");
        let reply = app.register(&email, &format!("late{n}")).await;
        assert_eq!(reply.status.as_u16(), 201, "{:#}", reply.body);
        email
    });
    let registered = futures_util::future::join_all(registrations).await;
    let mut acknowledged: BTreeMap<String, i64> = BTreeMap::new();
    while acknowledged.len() < 20 {
        let frame = sockets[0]
            .next()
            .await
            .expect("socket open during the burst");
        record_ack(&frame, &mut acknowledged);
    }
    node.terminate();

    for socket in &mut sockets {
        let (frames, closed) = socket.frames_until_closed_with_reason().await;
        for frame in &frames {
            record_ack(frame, &mut acknowledged);
        }
        let (code, reason) = closed.expect("a close frame");
        assert_eq!(code, 1001, "closed as going away");
        assert!(
            reason.starts_with("The server is restarting"),
            "the localized reason: {reason:?}"
        );
    }
    let status = node.exit_status(Duration::from_secs(30)).await;
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(
        acknowledged.len() < SOCKETS * SENDS_PER_SOCKET,
        "the stop came during the burst, not after it"
    );

    let restarted = Node::start(second).await;
    let stored = every_message(&restarted.app, &ada, &chat).await;
    let seqs: Vec<i64> = stored.values().copied().collect();
    let expected: Vec<i64> = (1..=i64::try_from(stored.len()).unwrap()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "gap-free seqs");
    for (key, seq) in &acknowledged {
        assert_eq!(stored.get(key), Some(seq), "acknowledged {key} is stored");
    }

    // The restarted node delivers what the stopped one left queued.
    for email in &registered {
        let mail = restarted.app.outbox(email).await;
        assert!(!mail.is_empty(), "the mail to {email} was lost");
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    for email in &registered {
        let mail = restarted.app.outbox(email).await;
        assert_eq!(mail.len(), 1, "the mail to {email} went out once");
    }
}

/// Remembers the message an `ack` of a send confirms, by its text.
fn record_ack(frame: &Value, acknowledged: &mut BTreeMap<String, i64>) {
    if frame["type"] == "ack" {
        if let (Some(text), Some(seq)) = (
            frame["data"]["message"]["text"].as_str(),
            frame["data"]["message"]["seq"].as_i64(),
        ) {
            acknowledged.insert(text.to_owned(), seq);
        }
    }
}

/// Every message of the chat, text to seq.
async fn every_message(app: &TestApp, token: &str, chat: &str) -> BTreeMap<String, i64> {
    let mut stored = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = app
            .get(
                &format!("/api/v1/chats/{chat}/messages?after_seq={after}&limit=100"),
                Some(token),
            )
            .await;
        assert_eq!(page.status.as_u16(), 200, "{:#}", page.body);
        let messages = page.body["data"].as_array().unwrap().clone();
        if messages.is_empty() {
            return stored;
        }
        for message in messages {
            let seq = message["seq"].as_i64().unwrap();
            after = after.max(seq);
            stored.insert(message["text"].as_str().unwrap().to_owned(), seq);
        }
    }
}
