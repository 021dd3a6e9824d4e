//! `TestApp`: the real server on port 0, on SQLite or a scratch PostgreSQL
//! database, with a real HTTP client and a helper per common call.

#![expect(dead_code, reason = "each test binary uses part of the shared support")]

pub mod process;

use std::path::PathBuf;

use awc::http::StatusCode;
use nerutalk_server::{Application, DatabaseKind, Settings};
use nerutalk_sql::scratch::ScratchDatabase;
use nerutalk_sql::{DatabaseUrl, OutboxMailer, QueuedMail, SqlStore};
use serde_json::{Value, json};

/// Runs each scenario `name(backend)` as three tests: on SQLite; on
/// PostgreSQL; and on PostgreSQL with Redis carrying live events (the
/// production stack). The last two need services, so `cargo test` ignores
/// them and `cargo xtask test` runs them.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[ignore = "needs PostgreSQL: cargo xtask test"]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await;
                }
            )*
        }
        mod postgres_redis {
            $(
                #[actix_web::test]
                #[ignore = "needs PostgreSQL and Redis: cargo xtask test"]
                async fn $name() {
                    super::$name(super::Backend::PostgresRedis).await;
                }
            )*
        }
    };
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL, with live events through Redis: the production stack.
    PostgresRedis,
}

pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    database_url: String,
    data_dir: PathBuf,
    _database: Option<ScratchDatabase>,
}

/// A reply: status and parsed JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub www_authenticate: Option<String>,
    pub allow: Option<String>,
    pub headers: awc::http::header::HeaderMap,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// A response header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        assert!(self.body["data"].is_null(), "{:#}", self.body);
        assert!(
            !self.message().is_empty() && !self.message().starts_with("error-"),
            "{:#}",
            self.body
        );
        assert!(self.body["timestamp"].is_string() && self.body["language"].is_string());
        self
    }
}

pub const PASSWORD: &str = "Secret123";

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        let (app, backends) = Self::start(backend, adjust).await;
        app.assert_runs_on(backend, backends.database, backends.redis)
            .await;
        app
    }

    /// A server on `backend`'s database whose live events, presence and
    /// typing are set to go through a Redis that is not there (a port
    /// nothing listens on): for what a backing service that is down does.
    pub async fn spawn_with_redis_down(backend: Backend) -> Self {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let (app, backends) = Self::start(backend, |settings| {
            settings.redis_url = Some(secrecy::SecretString::from(format!(
                "redis://127.0.0.1:{closed}"
            )));
        })
        .await;
        let expected = match backend {
            Backend::Sqlite => DatabaseKind::Sqlite,
            Backend::Postgres | Backend::PostgresRedis => DatabaseKind::Postgres,
        };
        assert_eq!((backends.database, backends.redis), (expected, true));
        app
    }

    async fn start(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> (Self, nerutalk_server::Backends) {
        let data_dir = std::env::temp_dir().join(format!("nerutalk-api-{}", uuid::Uuid::now_v7()));
        let (database_url, database) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/nerutalk.db", data_dir.display()), None),
            Backend::Postgres | Backend::PostgresRedis => {
                let database = ScratchDatabase::create().expect("PostgreSQL for the API suite");
                (database.url().to_owned(), Some(database))
            }
        };
        let mut settings = Settings {
            port: 0,
            database_url: database_url.clone(),
            database_pool_size: 4,
            data_dir: data_dir.clone(),
            bcrypt_cost: 4,
            json_body_limit: 4 * 1024,
            http_workers: Some(1),
            // Suites sign up, sign in and send far more often than a person
            // would; the rate-limit suite sets the real budgets.
            rate_limit_login_account: "1000/60s".to_owned(),
            rate_limit_login_address: "1000/60s".to_owned(),
            rate_limit_registration_address: "1000/60s".to_owned(),
            rate_limit_verification_account: "1000/60s".to_owned(),
            rate_limit_verification_address: "1000/60s".to_owned(),
            rate_limit_message_send: "1000/60s".to_owned(),
            rate_limit_chat_create: "1000/60s".to_owned(),
            rate_limit_member_add: "1000/60s".to_owned(),
            rate_limit_ws_frames: "100000/1s".to_owned(),
            redis_url: matches!(backend, Backend::PostgresRedis).then(|| {
                secrecy::SecretString::from(
                    std::env::var("NERUTALK_TEST_REDIS_URL")
                        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
                )
            }),
            ..Settings::default()
        };
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("server starts");
        let backends = app.backends();
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        let app = Self {
            base,
            client: awc::Client::default(),
            database_url,
            data_dir,
            _database: database,
        };
        (app, backends)
    }

    /// Fails the test loudly when the server does not run on the backend
    /// the test was named for: a PostgreSQL variant that fell back to a
    /// SQLite file, or a Redis variant whose Redis does not answer, would
    /// otherwise pass as if it had tested them.
    async fn assert_runs_on(&self, backend: Backend, database: DatabaseKind, redis: bool) {
        let (expected_database, expected_redis) = match backend {
            Backend::Sqlite => (DatabaseKind::Sqlite, false),
            Backend::Postgres => (DatabaseKind::Postgres, false),
            Backend::PostgresRedis => (DatabaseKind::Postgres, true),
        };
        assert_eq!(
            (database, redis),
            (expected_database, expected_redis),
            "the {backend:?} variant runs on {database:?} (Redis: {redis}); \
             is NERUTALK_TEST_POSTGRES_URL a postgres:// URL?"
        );
        // Readiness probes every backing service the server uses, Redis
        // included: a 200 means they all answer.
        let ready = self.get("/health/ready", None).await;
        assert_eq!(
            ready.status,
            StatusCode::OK,
            "the {backend:?} variant's services do not answer: {:#}",
            ready.body
        );
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().limit(1 << 20).await.unwrap();
        Reply {
            status: response.status(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            www_authenticate: response
                .headers()
                .get("www-authenticate")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            allow: response
                .headers()
                .get("allow")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            headers: response.headers().clone(),
        }
    }

    /// Sends raw bytes with a content type, for malformed-request cases.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &'static [u8]) -> Reply {
        let mut response = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Content-Type", content_type))
            .send_body(body)
            .await
            .unwrap();
        let bytes = response.body().await.unwrap();
        Reply {
            status: response.status(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            www_authenticate: None,
            allow: None,
            headers: response.headers().clone(),
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send("POST", path, token, &[], Some(body)).await
    }

    /// Creates a chat with `body` as `token`'s user and returns its id.
    pub async fn create_chat(&self, token: &str, body: Value) -> String {
        let created = self.post("/api/v1/chats", Some(token), body).await;
        assert_eq!(created.status.as_u16(), 201, "{:#}", created.body);
        created.body["data"]["chat"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send("GET", path, token, &[], None).await
    }

    pub async fn register(&self, email: &str, username: &str) -> Reply {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "username": username, "password": PASSWORD, "confirm_password": PASSWORD }),
        )
        .await
    }

    /// Logs in and returns (access token, refresh token).
    pub async fn login(&self, login: &str, password: &str) -> (String, String) {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "login": login, "password": password }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
        let data = &reply.body["data"];
        (
            data["access_token"].as_str().unwrap().to_owned(),
            data["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Registers a user and signs them in.
    pub async fn signed_in(&self, username: &str) -> (String, String) {
        let email = format!("{username}@example.com");
        let reply = self.register(&email, username).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:#}", reply.body);
        self.login(&email, PASSWORD).await
    }

    /// The mail kept in the outbox for `email`, oldest first.
    pub async fn outbox(&self, email: &str) -> Vec<QueuedMail> {
        self.outbox_holding(email, 1).await
    }

    /// The outbox of `email` once it holds `count` mails: mail is queued as
    /// a job and reaches the outbox when the job runner delivers it.
    pub async fn outbox_holding(&self, email: &str, count: usize) -> Vec<QueuedMail> {
        let store = SqlStore::connect(&DatabaseUrl::parse(&self.database_url), 1).unwrap();
        let outbox = OutboxMailer::new(store, std::sync::Arc::new(nerutalk_ports::SystemClock));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mail = outbox.queued(email).await.unwrap();
            if mail.len() >= count || std::time::Instant::now() >= deadline {
                return mail;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The verification code from the first mail to `email`.
    pub async fn verification_code(&self, email: &str) -> String {
        self.verification_code_of_mail(email, 1).await
    }

    /// The verification code from the `number`th mail to `email` (from 1):
    /// the line that is the code alone (the link's line is longer).
    pub async fn verification_code_of_mail(&self, email: &str, number: usize) -> String {
        let mail = self.outbox_holding(email, number).await;
        let last = mail.get(number - 1).expect("the mail was delivered");
        assert_eq!(last.kind, "email_verification");
        last.body
            .lines()
            .map(str::trim)
            .find(|line| line.len() == 43 && !line.contains(' '))
            .expect("the code stands on a line of its own")
            .to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// A WebSocket client speaking the gateway's JSON frames.
pub struct Socket {
    framed: actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>,
}

impl TestApp {
    /// A client of a server that something else started.
    pub fn remote(base: String, database_url: String) -> Self {
        Self {
            base,
            client: awc::Client::default(),
            database_url,
            data_dir: std::env::temp_dir()
                .join(format!("nerutalk-remote-{}", uuid::Uuid::now_v7())),
            _database: None,
        }
    }

    pub async fn user_id(&self, token: &str) -> String {
        let me = self.get("/api/v1/auth/me", Some(token)).await;
        me.body["data"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn connect(&self, query: &str) -> Socket {
        let url = format!("{}/ws?{query}", self.base.replacen("http", "ws", 1));
        let (_, framed) = self.client.ws(url).connect().await.unwrap();
        Socket { framed }
    }
}

impl Socket {
    pub async fn send(&mut self, frame: Value) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    /// The next JSON frame, skipping pings; `None` when the socket closed.
    pub async fn next(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        loop {
            let frame = tokio_timeout(self.framed.next()).await??;
            match frame.ok()? {
                awc::ws::Frame::Text(bytes) => return serde_json::from_slice(&bytes).ok(),
                awc::ws::Frame::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Sends a text frame as it is, for protocol-level cases.
    pub async fn send_raw(&mut self, text: String) {
        use futures_util::SinkExt;
        let _ = self.framed.send(awc::ws::Message::Text(text.into())).await;
    }

    /// Waits for the server to close the socket, without answering its pings.
    pub async fn silent_close_code(&mut self) -> Option<u16> {
        self.close_code().await
    }

    /// The close code the server closed with.
    pub async fn close_code(&mut self) -> Option<u16> {
        use futures_util::StreamExt;
        loop {
            match tokio_timeout(self.framed.next()).await?? {
                Ok(awc::ws::Frame::Close(reason)) => return reason.map(|r| u16::from(r.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Frames until one of `kind` arrives (that one is returned).
    pub async fn until(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await.expect("socket open");
            if frame["type"] == kind {
                return frame;
            }
        }
    }
}

async fn tokio_timeout<F: std::future::Future>(future: F) -> Option<F::Output> {
    actix_web::rt::time::timeout(std::time::Duration::from_secs(10), future)
        .await
        .ok()
}

impl TestApp {
    /// The database the server runs on, for a test that must reach past
    /// the API (a state no route can make, a database that goes away).
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Opens `/ws` with the token in an `Authorization: Bearer` header.
    pub async fn connect_with_bearer(&self, query: &str, token: &str) -> Socket {
        let url = format!("{}/ws?{query}", self.base.replacen("http", "ws", 1));
        let (_, framed) = self
            .client
            .ws(url)
            .bearer_auth(token)
            .connect()
            .await
            .unwrap();
        Socket { framed }
    }
}

impl Socket {
    /// Every text frame until the server closes the socket, and the code
    /// it closed with.
    pub async fn frames_until_closed(&mut self) -> (Vec<Value>, Option<u16>) {
        let (frames, closed) = self.frames_until_closed_with_reason().await;
        (frames, closed.map(|(code, _)| code))
    }

    /// Every text frame until the server closes the socket, and the code
    /// and reason it closed with.
    pub async fn frames_until_closed_with_reason(&mut self) -> (Vec<Value>, Option<(u16, String)>) {
        use futures_util::StreamExt;
        let mut frames = Vec::new();
        loop {
            match tokio_timeout(self.framed.next()).await.flatten() {
                Some(Ok(awc::ws::Frame::Text(bytes))) => {
                    frames.push(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
                }
                Some(Ok(awc::ws::Frame::Close(reason))) => {
                    let closed =
                        reason.map(|r| (u16::from(r.code), r.description.unwrap_or_default()));
                    return (frames, closed);
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return (frames, None),
            }
        }
    }

    /// Every frame up to and including the first of `kind`.
    pub async fn frames_until(&mut self, kind: &str) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let frame = self.next().await.expect("socket open");
            let done = frame["type"] == kind;
            frames.push(frame);
            if done {
                return frames;
            }
        }
    }
}

impl Socket {
    /// The close code and the reason the server closed with.
    pub async fn close_code_and_reason(&mut self) -> Option<(u16, String)> {
        use futures_util::StreamExt;
        loop {
            match tokio_timeout(self.framed.next()).await?? {
                Ok(awc::ws::Frame::Close(reason)) => {
                    return reason.map(|r| (u16::from(r.code), r.description.unwrap_or_default()));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}
