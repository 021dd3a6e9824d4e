//! The `nerutalk` binary as a process of its own, for what only a process
//! shows: two nodes on one database, a signal, an exit status.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::TestApp;

/// A running `nerutalk` process and a client of it; killed when dropped.
pub struct Node {
    process: Child,
    pub app: TestApp,
    pub data_dir: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What a node is started with, beyond its port.
pub struct NodeSettings<'a> {
    pub database_url: &'a str,
    pub redis_url: Option<String>,
    pub data_dir: PathBuf,
    /// `JWT_SECRET_KEY`; `None` leaves it unset, so that the node keeps its
    /// key in the database.
    pub jwt_secret_key: Option<String>,
    /// Further environment variables.
    pub env: Vec<(&'static str, String)>,
    /// Where the node's log (its stdout) is written; discarded when absent.
    pub log_file: Option<PathBuf>,
}

impl<'a> NodeSettings<'a> {
    pub fn new(database_url: &'a str) -> Self {
        Self {
            database_url,
            redis_url: None,
            data_dir: std::env::temp_dir().join(format!("nerutalk-node-{}", uuid::Uuid::now_v7())),
            jwt_secret_key: Some("the-nodes-share-this-secret-of-enough-length".to_owned()),
            env: Vec::new(),
            log_file: None,
        }
    }

    pub fn without_jwt_secret_key(mut self) -> Self {
        self.jwt_secret_key = None;
        self
    }

    pub fn with_redis(mut self) -> Self {
        self.redis_url = Some(
            std::env::var("NERUTALK_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
        );
        self
    }
}

impl Node {
    /// Starts a node and waits until it is ready.
    pub async fn start(settings: NodeSettings<'_>) -> Self {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_nerutalk"));
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATABASE_URL", settings.database_url)
            .env("BCRYPT_COST", "4")
            .env("DATA_DIR", &settings.data_dir)
            .env("HTTP_WORKERS", "1")
            // Suites sign up, sign in and send far more often than a person
            // would; a test of the limits sets its own through `env`.
            .env("RATE_LIMIT_LOGIN_ACCOUNT", "1000/60s")
            .env("RATE_LIMIT_LOGIN_ADDRESS", "1000/60s")
            .env("RATE_LIMIT_REGISTRATION_ADDRESS", "1000/60s")
            .env("RATE_LIMIT_VERIFICATION_ACCOUNT", "1000/60s")
            .env("RATE_LIMIT_VERIFICATION_ADDRESS", "1000/60s")
            .env("RATE_LIMIT_MESSAGE_SEND", "1000/60s")
            .env("RATE_LIMIT_CHAT_CREATE", "1000/60s")
            .env("RATE_LIMIT_MEMBER_ADD", "1000/60s")
            .env("RATE_LIMIT_WS_FRAMES", "100000/1s")
            .env_remove("REDIS_URL");
        // NERUTALK_TEST_NODE_LOG=<filter> shows a node's log while debugging.
        match std::env::var("NERUTALK_TEST_NODE_LOG") {
            Ok(filter) => command.env("RUST_LOG", filter).stdout(Stdio::inherit()),
            Err(_) => command.env("RUST_LOG", "warn").stdout(Stdio::null()),
        };
        match &settings.jwt_secret_key {
            Some(key) => command.env("JWT_SECRET_KEY", key),
            None => command.env_remove("JWT_SECRET_KEY"),
        };
        if let Some(redis) = &settings.redis_url {
            command.env("REDIS_URL", redis);
        }
        if let Some(path) = &settings.log_file {
            let file = std::fs::File::create(path).expect("the log file can be created");
            command.stdout(Stdio::from(file));
        }
        for (name, value) in &settings.env {
            command.env(name, value);
        }
        let process = command.spawn().expect("the nerutalk binary starts");
        // Owned by `Node` at once, so that every path (a panic included) reaps it.
        let node = Node {
            process,
            app: TestApp::remote(
                format!("http://127.0.0.1:{port}"),
                settings.database_url.to_owned(),
            ),
            data_dir: settings.data_dir,
        };
        for _ in 0..200 {
            let probe = node
                .app
                .client
                .get(format!("{}/health/ready", node.app.base))
                .send();
            if let Ok(Ok(response)) =
                actix_web::rt::time::timeout(Duration::from_secs(1), probe).await
            {
                if response.status().is_success() {
                    return node;
                }
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("node on port {port} never became ready");
    }

    /// Sends the process SIGTERM, as an orchestrator stopping it does.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.process.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// Waits up to `limit` for the process to exit, and returns how it did.
    pub async fn exit_status(&mut self, limit: Duration) -> ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self
                .process
                .try_wait()
                .expect("the process can be waited on")
            {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the node did not exit within {limit:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
