//! `cargo xtask bench chat`: the release server under the load generator, on
//! SQLite and on PostgreSQL + Redis. Figures go to stdout; keep the ones worth
//! keeping in docs/performance.md.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{cargo, checks, root, run};

/// A server process, stopped when dropped.
pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn psql(sql: &str) -> Result<()> {
    let status = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-q",
            "-c",
            sql,
        ])
        .status()
        .context("cannot run psql")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

pub(crate) fn start(binary: &Path, port: u16, env: &[(&str, String)]) -> Result<Server> {
    let mut command = Command::new(binary);
    command
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .env("WS_QUEUE_CAPACITY", "4096")
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let server = Server(command.spawn().context("cannot start the server")?);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(server);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the server did not start listening on port {port}")
}

/// Runs the chat benchmark. `extra` is passed to the load generator
/// (`--clients`, `--group`, `--rate`, `--seconds`, `--idle`).
pub fn chat(extra: &[String]) -> Result<()> {
    checks::postgres_reachable()?;
    checks::redis_reachable()?;
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "nerutalk-server",
        "-p",
        "nerutalk-bench",
    ]);
    run(build)?;
    let release = root().join("target/release");
    let scratch = std::env::temp_dir().join(format!("nerutalk-bench-{}", std::process::id()));
    let database = format!("nerutalk_bench_{}", std::process::id());
    psql(&format!("CREATE DATABASE {database}"))?;
    let backends: [(&str, Vec<(&str, String)>); 2] = [
        (
            "sqlite",
            vec![
                (
                    "DATABASE_URL",
                    format!("sqlite://{}/bench.db", scratch.display()),
                ),
                ("DATA_DIR", scratch.display().to_string()),
            ],
        ),
        (
            "postgres+redis",
            vec![
                (
                    "DATABASE_URL",
                    // The database is on loopback: TLS would only spend the cores
                    // the server and the load generator share.
                    format!("postgres://postgres@127.0.0.1:5432/{database}?sslmode=disable"),
                ),
                ("REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
                ("DATA_DIR", scratch.display().to_string()),
                ("DATABASE_POOL_SIZE", "16".to_owned()),
            ],
        ),
    ];
    let mut outcome = Ok(());
    for (label, env) in backends {
        let port = free_port()?;
        let server = start(&release.join("nerutalk"), port, &env)?;
        let mut bench = Command::new(release.join("nerutalk-bench"));
        bench
            .args([
                "--base",
                &format!("http://127.0.0.1:{port}"),
                "--label",
                label,
            ])
            .args(["--pid", &server.0.id().to_string()])
            .args(extra);
        if let Err(error) = run(bench) {
            outcome = Err(error);
        }
        drop(server);
    }
    let _ = psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}
