//! Sign-ins and their sockets, end to end: a revoked session's sockets close
//! at once (pushed through the live-event stream, not found by the periodic
//! check), and the gateway closes with the code the protocol names.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

#[macro_use]
mod support;

use std::time::Duration;

use actix_web::rt::net::TcpStream;
use serde_json::json;
use support::{Backend, PASSWORD, Socket, TestApp};

on_every_backend!(
    logging_out_closes_that_devices_socket_at_once_and_no_other,
    changing_the_password_closes_the_other_devices_sockets_at_once,
    reusing_a_refresh_token_closes_its_sessions_socket_at_once,
    a_text_frame_that_is_not_utf8_closes_with_1007,
);

/// Far longer than any test: a socket that closes did so because the
/// revocation was pushed, not because the periodic check came round.
const NEVER_CHECKED: u64 = 3_600;

/// How long a pushed revocation may take to close a socket.
const PROMPTLY: Duration = Duration::from_secs(2);

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |settings| {
        settings.ws_session_check_seconds = NEVER_CHECKED;
    })
    .await
}

/// A socket past its greeting and presence snapshot: the next frame it
/// reads is whatever happens after this.
async fn settled_socket(app: &TestApp, token: &str) -> Socket {
    let mut socket = app.connect(&format!("token={token}")).await;
    socket.until("connection_established").await;
    socket
        .send(json!({ "type": "ping", "id": "settled" }))
        .await;
    assert_eq!(socket.until("pong").await["id"], "settled");
    socket
}

/// The close code and reason, which must come within [`PROMPTLY`].
async fn closed_promptly(socket: &mut Socket) -> (u16, String) {
    actix_web::rt::time::timeout(PROMPTLY, socket.close_code_and_reason())
        .await
        .expect("the socket closed at once, not at a periodic check")
        .expect("a close frame with a code")
}

/// The English reason the periodic check gives for a revoked session.
const SESSION_ENDED: &str = "This session has ended. Please sign in again.";

/// Ada on a phone and a laptop, and Bob, in a direct chat with her.
struct TwoDevices {
    phone: String,
    laptop: String,
    bob: String,
    chat: String,
}

async fn two_devices(app: &TestApp) -> TwoDevices {
    let (phone, _) = app.signed_in("ada").await;
    let (laptop, _) = app.login("ada", PASSWORD).await;
    let (bob, _) = app.signed_in("bob").await;
    let ada_id = app.user_id(&phone).await;
    let chat = app
        .create_chat(&bob, json!({ "kind": "direct", "member_ids": [ada_id] }))
        .await;
    TwoDevices {
        phone,
        laptop,
        bob,
        chat,
    }
}

/// Bob writes; `socket`'s very next frame is the message (nothing about a
/// revocation came before it).
async fn still_receives(app: &TestApp, people: &TwoDevices, socket: &mut Socket, text: &str) {
    let sent = app
        .post(
            &format!("/api/v1/chats/{}/messages", people.chat),
            Some(&people.bob),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(sent.status.as_u16(), 201, "{:#}", sent.body);
    let next = socket.next().await.expect("the socket stays open");
    assert_eq!(next["type"], "new_message", "{next:#}");
    assert_eq!(next["data"]["text"], text);
}

async fn logging_out_closes_that_devices_socket_at_once_and_no_other(backend: Backend) {
    let app = spawn(backend).await;
    let people = two_devices(&app).await;
    let mut phone = settled_socket(&app, &people.phone).await;
    let mut laptop = settled_socket(&app, &people.laptop).await;

    let logout = app
        .post("/api/v1/auth/logout", Some(&people.phone), json!({}))
        .await;
    assert_eq!(logout.status.as_u16(), 200, "{:#}", logout.body);
    assert_eq!(
        closed_promptly(&mut phone).await,
        (4001, SESSION_ENDED.to_owned())
    );
    still_receives(&app, &people, &mut laptop, "only the laptop reads this").await;
}

async fn changing_the_password_closes_the_other_devices_sockets_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let people = two_devices(&app).await;
    let mut phone = settled_socket(&app, &people.phone).await;
    let mut laptop = settled_socket(&app, &people.laptop).await;
    let mut laptop_again = settled_socket(&app, &people.laptop).await;

    let changed = app
        .post(
            "/api/v1/auth/change-password",
            Some(&people.phone),
            json!({ "current_password": PASSWORD, "new_password": "Better456", "confirm_password": "Better456" }),
        )
        .await;
    assert_eq!(changed.status.as_u16(), 200, "{:#}", changed.body);
    for socket in [&mut laptop, &mut laptop_again] {
        assert_eq!(
            closed_promptly(socket).await,
            (4001, SESSION_ENDED.to_owned())
        );
    }
    still_receives(&app, &people, &mut phone, "the phone changed it and stays").await;
}

async fn reusing_a_refresh_token_closes_its_sessions_socket_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let people = two_devices(&app).await;
    let (stolen, stolen_refresh) = app.login("ada", PASSWORD).await;
    let mut thief = settled_socket(&app, &stolen).await;
    let mut laptop = settled_socket(&app, &people.laptop).await;

    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": stolen_refresh }),
        )
        .await;
    assert_eq!(rotated.status.as_u16(), 200, "{:#}", rotated.body);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": stolen_refresh }),
    )
    .await
    .assert_error(401, "auth.refresh_token_reused");
    assert_eq!(
        closed_promptly(&mut thief).await,
        (4001, SESSION_ENDED.to_owned())
    );
    still_receives(&app, &people, &mut laptop, "another session is untouched").await;
}

async fn a_text_frame_that_is_not_utf8_closes_with_1007(backend: Backend) {
    let app = spawn(backend).await;
    let (ada, _) = app.signed_in("ada").await;
    let mut raw = RawSocket::connect(&app, &ada).await;
    raw.send_text_frame(b"{\"type\": \"ping\", \"data\": \"\xff\xfe\"}")
        .await;
    assert_eq!(raw.close_code().await, 1007);
}

/// A WebSocket client over a bare TCP stream, for frames that a proper
/// client library refuses to send.
struct RawSocket {
    stream: TcpStream,
    /// Bytes read but not yet parsed.
    read: Vec<u8>,
}

impl RawSocket {
    async fn connect(app: &TestApp, token: &str) -> Self {
        let address = app.base.trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(&address).await.unwrap();
        let mut socket = Self {
            stream,
            read: Vec::new(),
        };
        let request = format!(
            "GET /ws?token={token} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await;
        let end = loop {
            if let Some(at) = socket.read.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            socket.read_more().await;
        };
        let head = String::from_utf8_lossy(&socket.read[..end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        socket.read.drain(..end);
        socket
    }

    async fn write_all(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.stream.writable().await.unwrap();
            match self.stream.try_write(bytes) {
                Ok(written) => bytes = &bytes[written..],
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("{error}"),
            }
        }
    }

    async fn read_more(&mut self) {
        let mut buffer = [0_u8; 4096];
        loop {
            actix_web::rt::time::timeout(Duration::from_secs(10), self.stream.readable())
                .await
                .expect("the server answers")
                .unwrap();
            match self.stream.try_read(&mut buffer) {
                Ok(0) => panic!("the server hung up without a close frame"),
                Ok(read) => {
                    self.read.extend_from_slice(&buffer[..read]);
                    return;
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("{error}"),
            }
        }
    }

    /// One final text frame carrying `payload` as it is, masked as a client must.
    async fn send_text_frame(&mut self, payload: &[u8]) {
        let mask = [0x5a, 0x17, 0xc3, 0x08];
        let length = u8::try_from(payload.len()).unwrap();
        assert!(length < 126, "a short frame");
        let mut frame = vec![0x81, 0x80 | length];
        frame.extend_from_slice(&mask);
        frame.extend(
            payload
                .iter()
                .enumerate()
                .map(|(i, byte)| byte ^ mask[i % 4]),
        );
        self.write_all(&frame).await;
    }

    /// Skips the server's frames up to its close frame, and returns its code.
    async fn close_code(&mut self) -> u16 {
        loop {
            while self.read.len() < 2 {
                self.read_more().await;
            }
            let opcode = self.read[0] & 0x0f;
            let (header, length) = match self.read[1] & 0x7f {
                126 => {
                    while self.read.len() < 4 {
                        self.read_more().await;
                    }
                    (
                        4,
                        usize::from(u16::from_be_bytes([self.read[2], self.read[3]])),
                    )
                }
                127 => panic!("no frame here is that long"),
                short => (2, usize::from(short)),
            };
            while self.read.len() < header + length {
                self.read_more().await;
            }
            let payload: Vec<u8> = self.read.drain(..header + length).skip(header).collect();
            if opcode == 0x8 {
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
    }
}
