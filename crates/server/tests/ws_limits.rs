//! The WebSocket's limits: frames per socket (an `error` frame for each
//! one over the budget, then 1008 for a flood), sockets per user on all
//! nodes together (429 before the upgrade), and a frame over the size limit
//! refused from its header, before its payload arrives (1009).

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "the support module expects")]

#[macro_use]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Backend, TestApp};

on_every_backend!(
    frames_over_the_budget_are_refused_and_a_flood_is_closed,
    a_user_may_hold_only_so_many_sockets,
    an_oversized_frame_is_refused_from_its_header,
);

/// A name no earlier run used: on Redis the counts outlive the server.
fn fresh_name() -> String {
    format!("u{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

async fn frames_over_the_budget_are_refused_and_a_flood_is_closed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_ws_frames = "3/60s".to_owned();
    })
    .await;
    let (ada, bob) = (fresh_name(), fresh_name());
    let ada_token = app.signed_in(&ada).await.0;
    let bob_token = app.signed_in(&bob).await.0;
    let bob_id = app.user_id(&bob_token).await;
    let chat = app
        .create_chat(
            &ada_token,
            json!({ "kind": "direct", "member_ids": [bob_id] }),
        )
        .await;
    let mut socket = app.connect(&format!("token={ada_token}&lang=ja")).await;
    socket.until("connection_established").await;
    for id in ["p1", "p2", "p3"] {
        socket.send(json!({ "type": "ping", "id": id })).await;
        assert_eq!(socket.until("pong").await["id"], id);
    }

    // Over the budget: answered with its id, and not handled at all.
    socket
        .send(json!({ "type": "send_message", "id": "s1", "data": { "chat_id": chat, "text": "one too many" } }))
        .await;
    let refused = socket.until("error").await;
    assert_eq!(refused["id"], "s1");
    assert_eq!(refused["data"]["code"], "rate_limited");
    assert_eq!(refused["data"]["details"]["limit"], "ws.frames");
    let wait = refused["data"]["details"]["retry_after_seconds"]
        .as_u64()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let message = refused["data"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{wait} 秒")), "{message}");
    let history = app
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&ada_token))
        .await;
    assert_eq!(history.body["data"], json!([]), "nothing was sent");

    // A client that does not slow down is cut off: 1008, said in Japanese.
    for n in 0..30 {
        socket
            .send_raw(json!({ "type": "ping", "id": n }).to_string())
            .await;
    }
    let (frames, closed) = socket.frames_until_closed_with_reason().await;
    let (code, reason) = closed.expect("closed with a reason");
    assert_eq!(code, 1008);
    assert!(reason.contains("フレーム"), "{reason}");
    assert!(
        frames
            .iter()
            .all(|frame| frame["data"]["code"] == "rate_limited"),
        "{frames:?}"
    );
    assert_eq!(
        frames.len(),
        18,
        "refused until the twentieth refusal in a row, then closed"
    );
}

/// The upgrade request a browser sends, for a reply that is not a socket.
fn upgrade_headers() -> [(&'static str, &'static str); 4] {
    [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ]
}

async fn a_user_may_hold_only_so_many_sockets(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.rate_limit_sockets_per_user = std::num::NonZeroU32::new(2).unwrap();
    })
    .await;
    let token = app.signed_in(&fresh_name()).await.0;
    let mut first = app.connect(&format!("token={token}")).await;
    first.until("connection_established").await;
    let mut second = app.connect(&format!("token={token}")).await;
    second.until("connection_established").await;

    let refused = app
        .send(
            "GET",
            &format!("/ws?token={token}"),
            None,
            &[upgrade_headers().as_slice(), &[("X-Language", "ko")]].concat(),
            None,
        )
        .await;
    refused.assert_error(429, "ws.too_many_sockets");
    assert_eq!(refused.body["language"], "ko");
    assert!(refused.message().contains('2'), "{}", refused.message());

    // Another user is not held back by this one's sockets.
    let other = app.signed_in(&fresh_name()).await.0;
    let mut theirs = app.connect(&format!("token={other}")).await;
    theirs.until("connection_established").await;

    // Once one closes, a socket opens again; the count drops as the server
    // finishes closing it, so the test asks until it does.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = format!("{}/ws?token={token}", app.base.replacen("http", "ws", 1));
    loop {
        match app.client.ws(url.as_str()).connect().await {
            Ok(_) => break,
            Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
                assert_eq!(status.as_u16(), 429);
            }
            Err(other) => panic!("{other}"),
        }
        assert!(Instant::now() < deadline, "the closed socket still counts");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_oversized_frame_is_refused_from_its_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.signed_in(&fresh_name()).await.0;
    let base = app.base.clone();
    // A raw connection: a client library would not announce 10 MB and then
    // send only a few bytes of them. Blocking reads on a thread of its own.
    let (frames, close) = actix_web::rt::task::spawn_blocking(move || {
        let mut stream = RawSocket::open(&base, &token);
        stream.read_until_text_containing("connection_established");
        // A small frame and the oversized header in one write: the small
        // one is still answered, the big one closes the socket.
        let mut bytes = client_frame(br#"{"type": "ping", "id": "before"}"#);
        bytes.extend_from_slice(&client_header(10 * 1024 * 1024));
        bytes.extend_from_slice(b"only a few bytes");
        stream.write(&bytes);
        stream.frames_until_close()
    })
    .await
    .unwrap();
    assert!(
        frames
            .iter()
            .any(|frame| frame["type"] == "pong" && frame["id"] == "before"),
        "{frames:?}"
    );
    let (code, reason) = close.expect("a close frame, though the payload never came");
    assert_eq!(code, 1009);
    assert!(!reason.is_empty());
}

/// A masked client frame header announcing `length` bytes of text.
fn client_header(length: u64) -> Vec<u8> {
    let mut header = vec![0x81];
    match length {
        0..=125 => header.push(0x80 | u8::try_from(length).unwrap()),
        126..=0xffff => {
            header.push(0x80 | 126);
            header.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend_from_slice(&length.to_be_bytes());
        }
    }
    header.extend_from_slice(&[0; 4]);
    header
}

/// A whole client text frame (masked with zeros, which leaves it as it is).
fn client_frame(text: &[u8]) -> Vec<u8> {
    let mut frame = client_header(text.len() as u64);
    frame.extend_from_slice(text);
    frame
}

/// A WebSocket spoken byte by byte.
struct RawSocket {
    stream: TcpStream,
    read: Vec<u8>,
}

impl RawSocket {
    fn open(base: &str, token: &str) -> Self {
        let address = base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let request = format!(
            "GET /ws?token={token} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut socket = Self {
            stream,
            read: Vec::new(),
        };
        let end = loop {
            if let Some(end) = socket.read.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            socket.fill();
        };
        assert!(socket.read.starts_with(b"HTTP/1.1 101"), "not upgraded");
        socket.read.drain(..end);
        socket
    }

    fn fill(&mut self) {
        let mut buffer = [0; 4096];
        let read = self.stream.read(&mut buffer).expect("the server answers");
        assert!(read > 0, "the server hung up");
        self.read.extend_from_slice(&buffer[..read]);
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next server frame: its opcode and payload.
    fn frame(&mut self) -> (u8, Vec<u8>) {
        loop {
            if let Some((frame, used)) = server_frame(&self.read) {
                self.read.drain(..used);
                return frame;
            }
            self.fill();
        }
    }

    fn read_until_text_containing(&mut self, needle: &str) {
        loop {
            let (opcode, payload) = self.frame();
            if opcode == 1 && String::from_utf8_lossy(&payload).contains(needle) {
                return;
            }
        }
    }

    /// Text frames as JSON until the close frame, and its code and reason.
    fn frames_until_close(&mut self) -> (Vec<Value>, Option<(u16, String)>) {
        let mut frames = Vec::new();
        loop {
            match self.frame() {
                (1, payload) => frames.push(serde_json::from_slice(&payload).unwrap()),
                (8, payload) if payload.len() >= 2 => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    let reason = String::from_utf8_lossy(&payload[2..]).into_owned();
                    return (frames, Some((code, reason)));
                }
                (8, _) => return (frames, None),
                _ => {}
            }
        }
    }
}

/// An unmasked server frame at the start of `bytes`, and the bytes it used.
fn server_frame(bytes: &[u8]) -> Option<((u8, Vec<u8>), usize)> {
    let [first, second, ..] = bytes else {
        return None;
    };
    let (length, start) = match second & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        short => (usize::from(short), 2),
    };
    let payload = bytes.get(start..start + length)?;
    Some(((first & 0x0f, payload.to_vec()), start + length))
}
