//! `cargo xtask bench chat`: the release server under the load generator, on
//! SQLite, on PostgreSQL + Redis, and as two nodes on one PostgreSQL and one
//! Redis. Figures go to stdout; keep the ones worth keeping in
//! docs/performance.md.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::server::{self, Scratch};
use crate::{cargo, checks, run, target_dir};

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

/// Where a chat benchmark runs the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// One server on SQLite, with the in-process bus.
    Sqlite,
    /// One server on PostgreSQL + Redis.
    Postgres,
    /// Two servers on one PostgreSQL and one Redis, the clients split
    /// between them so that every group has members on both.
    TwoNodes,
}

impl Backend {
    const ALL: [Self; 3] = [Self::Sqlite, Self::Postgres, Self::TwoNodes];

    fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres+redis",
            Self::TwoNodes => "two-nodes",
        }
    }

    fn nodes(self) -> usize {
        if self == Self::TwoNodes { 2 } else { 1 }
    }
}

/// What `bench chat` takes for itself; the rest goes to the load generator.
struct ChatOptions {
    backends: Vec<Backend>,
    /// A server binary to run instead of the one built here (to measure an
    /// older build under today's load generator).
    server: Option<std::path::PathBuf>,
    load: Vec<String>,
}

impl ChatOptions {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            backends: Backend::ALL.to_vec(),
            server: None,
            load: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--backends" => {
                    let list = args.next().context("--backends needs a value")?;
                    options.backends = list
                        .split(',')
                        .map(|name| {
                            Backend::ALL
                                .into_iter()
                                .find(|backend| backend.label() == name)
                                .with_context(|| {
                                    format!(
                                        "unknown backend {name:?} (sqlite, postgres+redis, two-nodes)"
                                    )
                                })
                        })
                        .collect::<Result<_>>()?;
                }
                "--server" => {
                    options.server = Some(args.next().context("--server needs a path")?.into());
                }
                _ => options.load.push(flag.clone()),
            }
        }
        Ok(options)
    }
}

/// Runs the chat benchmark. `args` are `--backends` (a comma-separated list
/// of `sqlite`, `postgres+redis`, `two-nodes`; all by default) and
/// `--server` (a server binary to use instead of building one); the rest
/// goes to the load generator (`--clients`, `--group`, `--rate`,
/// `--seconds`, `--idle`).
pub fn chat(args: &[String]) -> Result<()> {
    let options = ChatOptions::parse(args)?;
    checks::postgres_reachable()?;
    checks::redis_reachable()?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "nerutalk-bench"]);
    if options.server.is_none() {
        build.args(["-p", "nerutalk-server"]);
    }
    run(build)?;
    let release = target_dir().join("release");
    let binary = options
        .server
        .clone()
        .unwrap_or_else(|| release.join("nerutalk"));
    options
        .backends
        .iter()
        .map(|backend| bench_backend(&release, &binary, *backend, &options.load))
        // Every backend, even when one fails.
        .collect::<Vec<Result<()>>>()
        .into_iter()
        .collect::<Result<()>>()
}

/// Runs the load generator against `backend`'s servers, on a database of
/// their own.
fn bench_backend(release: &Path, binary: &Path, backend: Backend, load: &[String]) -> Result<()> {
    let label = backend.label();
    if backend == Backend::Sqlite {
        let scratch = Scratch::create("bench-sqlite")?;
        let data = scratch.path().display().to_string();
        let env = [
            ("DATABASE_URL", format!("sqlite://{data}/bench.db")),
            ("DATA_DIR", data),
        ];
        let port = server::free_port()?;
        let server = server::start(binary, port, scratch, &env)?;
        return load_generator(release, label, &[(port, server)], load);
    }
    let database = format!("nerutalk_bench_{}_{}", std::process::id(), backend.nodes());
    psql(&format!("CREATE DATABASE {database}"))?;
    let outcome = (|| {
        let mut servers = Vec::new();
        // One after the other: the first applies the migrations.
        for node in 0..backend.nodes() {
            let scratch = Scratch::create(&format!("bench-postgres-{node}"))?;
            let env = [
                (
                    "DATABASE_URL",
                    // The database is on loopback: TLS would only spend the
                    // cores the servers and the load generator share.
                    format!("postgres://postgres@127.0.0.1:5432/{database}?sslmode=disable"),
                ),
                ("REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
                ("DATA_DIR", scratch.path().display().to_string()),
                ("DATABASE_POOL_SIZE", "16".to_owned()),
            ];
            let port = server::free_port()?;
            servers.push((port, server::start(binary, port, scratch, &env)?));
        }
        load_generator(release, label, &servers, load)
    })();
    let _ = psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    outcome
}

/// Runs the load generator against `servers` (each with its port), clients
/// split between them.
fn load_generator(
    release: &Path,
    label: &str,
    servers: &[(u16, server::Server)],
    load: &[String],
) -> Result<()> {
    let mut bench = Command::new(release.join("nerutalk-bench"));
    bench.args(["--label", label]);
    for (port, server) in servers {
        bench
            .args(["--base", &format!("http://127.0.0.1:{port}")])
            .args(["--pid", &server.id().to_string()]);
    }
    bench.args(load);
    run(bench)
}
