//! A NeruTalk server started for a task (the conformance run, the benchmark):
//! ready only once its readiness route answers 200, reported with its exit
//! status and last log lines when it dies while starting, and never left
//! behind, with its scratch directory, whichever way the task ends.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a server may take to answer its readiness route.
const STARTUP: Duration = Duration::from_secs(30);
/// The route that answers 200 once the database and every other backing
/// service answer (crates/http/src/routes/root.rs).
const READINESS: &str = "/health/ready";
/// How many of the server's last log lines a failure to start quotes.
const TAIL_LINES: usize = 40;

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn create(label: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("nerutalk-{label}-{}", std::process::id()));
        // A directory left by a killed run of the same process id holds stale data.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server's log lines, forwarded to ours as they come; the last ones are
/// kept to explain a failure to start.
type Tail = Arc<Mutex<VecDeque<String>>>;

/// A running server. Dropping it kills the process, waits for it, then
/// removes its scratch directory (in that order: fields drop after `drop`).
pub(crate) struct Server {
    child: Child,
    log: Option<JoinHandle<()>>,
    tail: Tail,
    scratch: Scratch,
}

impl Server {
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// The last lines the server logged, once its log has ended.
    fn last_lines(&mut self) -> String {
        if let Some(log) = self.log.take() {
            let _ = log.join();
        }
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.is_empty() {
            "it logged nothing".to_owned()
        } else {
            let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
            format!("its last log lines:\n{}", lines.join("\n"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now (another process may still take it before
/// the server binds it; the server then exits, which `start` reports).
pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn forward(stderr: ChildStderr, tail: Tail) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("nerutalk: {line}");
            let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    })
}

/// Starts `binary` on `port` with `env` (which may name paths in `scratch`)
/// and waits until it is ready.
///
/// # Errors
/// When it cannot be started, exits while starting (with its exit status and
/// last log lines), or is not ready within [`STARTUP`]. The process is killed
/// and `scratch` removed in every case.
pub(crate) fn start(
    binary: &Path,
    port: u16,
    scratch: Scratch,
    env: &[(&str, String)],
) -> Result<Server> {
    let mut command = Command::new(binary);
    command
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .env("WS_QUEUE_CAPACITY", "4096")
        // Both callers do everything far more often than people do: the
        // bench signs up and in hundreds of clients from one address and
        // sends thousands of messages a second, schemathesis sends
        // thousands of generated requests. The limits have tests of their
        // own; the login bench sets its own through `env`.
        .env("RATE_LIMIT_LOGIN_ACCOUNT", "1000000/60s")
        .env("RATE_LIMIT_LOGIN_ADDRESS", "1000000/60s")
        .env("RATE_LIMIT_REGISTRATION_ADDRESS", "1000000/60s")
        .env("RATE_LIMIT_VERIFICATION_ACCOUNT", "1000000/60s")
        .env("RATE_LIMIT_VERIFICATION_ADDRESS", "1000000/60s")
        .env("RATE_LIMIT_MESSAGE_SEND", "1000000/60s")
        .env("RATE_LIMIT_CHAT_CREATE", "1000000/60s")
        .env("RATE_LIMIT_MEMBER_ADD", "1000000/60s")
        // The bench is many people's traffic through few users and sockets
        // (100 idle sockets per user, hundreds of frames per socket and
        // second).
        .env("RATE_LIMIT_WS_FRAMES", "1000000/1s")
        .env("RATE_LIMIT_SOCKETS_PER_USER", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let tail = Tail::default();
    let log = child
        .stderr
        .take()
        .map(|stderr| forward(stderr, Arc::clone(&tail)));
    let mut server = Server {
        child,
        log,
        tail,
        scratch,
    };
    let deadline = Instant::now() + STARTUP;
    loop {
        if let Some(status) = server
            .child
            .try_wait()
            .context("cannot check on the server")?
        {
            let lines = server.last_lines();
            bail!("the server exited while starting ({status}); {lines}");
        }
        let answer = match readiness(port) {
            Ok(200) => return Ok(server),
            Ok(status) => format!("{READINESS} answered {status}"),
            Err(error) => format!("{READINESS}: {error}"),
        };
        if Instant::now() >= deadline {
            bail!(
                "the server on port {port} was not ready within {} s (last: {answer})",
                STARTUP.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The status of `GET /health/ready`, over a plain HTTP/1.1 connection.
fn readiness(port: u16) -> std::io::Result<u16> {
    let timeout = Duration::from_secs(2);
    let mut stream =
        TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    // One write: `write!` would send each piece of the format on its own.
    let request =
        format!("GET {READINESS} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut status_line = String::new();
    BufReader::new(stream).read_line(&mut status_line)?;
    status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP/1.1 status line: {status_line:?}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_server_that_dies_at_start_is_reported_at_once_with_its_status_and_log() {
        let scripts = Scratch::create("test-scripts").unwrap();
        let binary = scripts.path().join("dies");
        std::fs::write(
            &binary,
            "#!/bin/sh\necho 'cannot open the database' >&2\nexit 3\n",
        )
        .unwrap();
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
        let scratch = Scratch::create("test-dies").unwrap();
        let data = scratch.path().to_owned();

        let started = Instant::now();
        let error = start(&binary, free_port().unwrap(), scratch, &[])
            .err()
            .unwrap()
            .to_string();

        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(error.contains("exit status: 3"), "{error}");
        assert!(error.contains("cannot open the database"), "{error}");
        assert!(!data.exists(), "the scratch directory was left behind");
    }

    /// Answers one connection with `reply` (nothing when empty), on a port of its own.
    fn answer_once(reply: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // A request may arrive in pieces: read up to its blank line.
            let mut request = Vec::new();
            let mut chunk = [0_u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let read = stream.read(&mut chunk).unwrap();
                assert!(read > 0, "the request ended early: {request:?}");
                request.extend_from_slice(&chunk[..read]);
            }
            assert!(
                request.starts_with(b"GET /health/ready HTTP/1.1\r\n"),
                "{:?}",
                String::from_utf8_lossy(&request)
            );
            stream.write_all(reply.as_bytes()).unwrap();
        });
        port
    }

    #[test]
    fn readiness_is_the_status_of_the_readiness_route_not_an_accepted_connection() {
        let ready = answer_once("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(readiness(ready).unwrap(), 200);
        let unavailable =
            answer_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(readiness(unavailable).unwrap(), 503);
        let silent = answer_once("");
        assert!(readiness(silent).is_err());
    }
}
