//! `cargo xtask bench chat`: the release server under the load generator, on
//! `cargo xtask bench chat`: the release server under the load generator, on
//! SQLite, on PostgreSQL + Redis, and as two nodes on one PostgreSQL and one
//! Redis; `cargo xtask bench login`: sign-ins under a wrong-password flood.
//! Figures go to stdout; keep the ones worth keeping in docs/performance.md.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::server::{self, Scratch};
use crate::{cargo, checks, run, target_dir};

/// Builds the load generators in release mode, and the server too unless
/// `with_server` is false (a given binary is measured instead); returns the
/// folder they are in.
pub(crate) fn build_release(with_server: bool) -> Result<std::path::PathBuf> {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "nerutalk-bench"]);
    if with_server {
        build.args(["-p", "nerutalk-server"]);
    }
    run(build)?;
    Ok(target_dir().join("release"))
}

pub(crate) fn psql(sql: &str) -> Result<()> {
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
/// `--seconds`, `--idle`, or `--oversized N` for N sockets each sending one
/// 10 MiB frame).
pub fn chat(args: &[String]) -> Result<()> {
    let options = ChatOptions::parse(args)?;
    checks::postgres_reachable()?;
    checks::redis_reachable()?;
    let release = build_release(options.server.is_none())?;
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

/// One run of the sign-in benchmark: its label, the accounts the flood
/// aims at, and the server's settings.
struct LoginSetup {
    label: &'static str,
    accounts: &'static str,
    settings: Vec<(&'static str, &'static str)>,
}

/// Runs the sign-in benchmark on SQLite at bcrypt's default cost, once per
/// setup: the hashing pool as wide as the blocking thread pool (how bcrypt
/// ran before it was bounded), bounded with the flood spread over 32
/// accounts, bounded with the flood on 4 accounts, and the same with the
/// sign-in limits at their defaults. `extra` is passed to the load
/// generator (`--flood`, `--seconds`, `--every-ms`).
pub fn login(extra: &[String]) -> Result<()> {
    let release = build_release(true)?;
    // The first three measure the pool alone, so the limits must not stop
    // the flood first; the last is what a default server does.
    let unlimited = [
        ("RATE_LIMIT_LOGIN_ACCOUNT", "1000000/60s"),
        ("RATE_LIMIT_LOGIN_ADDRESS", "1000000/60s"),
    ];
    let unbounded = [
        ("PASSWORD_HASH_WORKERS", "512"),
        ("PASSWORD_HASH_QUEUE", "100000"),
    ];
    let limited = [
        ("RATE_LIMIT_LOGIN_ACCOUNT", "5/60s"),
        ("RATE_LIMIT_LOGIN_ADDRESS", "20/60s"),
    ];
    let setups = [
        LoginSetup {
            label: "unbounded-pool",
            accounts: "32",
            settings: [&unlimited[..], &unbounded[..]].concat(),
        },
        LoginSetup {
            label: "bounded-pool",
            accounts: "32",
            settings: unlimited.to_vec(),
        },
        LoginSetup {
            label: "bounded-pool",
            accounts: "4",
            settings: unlimited.to_vec(),
        },
        LoginSetup {
            label: "bounded-pool+limits",
            accounts: "4",
            settings: limited.to_vec(),
        },
    ];
    for LoginSetup {
        label,
        accounts,
        settings,
    } in setups
    {
        let scratch = Scratch::create("bench-login")?;
        let data = scratch.path().display().to_string();
        let mut env: Vec<(&str, String)> = vec![
            ("DATABASE_URL", format!("sqlite://{data}/bench.db")),
            ("DATA_DIR", data),
            // The default cost, which the server helper lowers for speed.
            ("BCRYPT_COST", "12".to_owned()),
            // The load generator forwards the flood's and the honest
            // client's addresses, as a proxy would.
            ("TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            // It signs up every account from loopback first.
            ("RATE_LIMIT_REGISTRATION_ADDRESS", "1000/60s".to_owned()),
        ];
        env.extend(
            settings
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned())),
        );
        let port = server::free_port()?;
        let _server = server::start(&release.join("nerutalk"), port, scratch, &env)?;
        let mut bench = Command::new(release.join("nerutalk-bench-login"));
        bench
            .args(["--base", &format!("http://127.0.0.1:{port}")])
            .args(["--label", label, "--accounts", accounts])
            .args(extra);
        run(bench)?;
    }
    Ok(())
}
