//! `cargo xtask bench chat`: the release server under the load generator, on
//! SQLite and on PostgreSQL + Redis; `cargo xtask bench login`: sign-ins
//! under a wrong-password flood. Figures go to stdout; keep the ones worth
//! keeping in docs/performance.md.

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
    let release = target_dir().join("release");
    let database = format!("nerutalk_bench_{}", std::process::id());
    psql(&format!("CREATE DATABASE {database}"))?;
    let outcome = [
        ("sqlite", "bench-sqlite"),
        ("postgres+redis", "bench-postgres"),
    ]
    .into_iter()
    .map(|(label, scratch)| {
        let scratch = Scratch::create(scratch)?;
        let data = scratch.path().display().to_string();
        let env: Vec<(&str, String)> = if label == "sqlite" {
            vec![
                ("DATABASE_URL", format!("sqlite://{data}/bench.db")),
                ("DATA_DIR", data),
            ]
        } else {
            vec![
                (
                    "DATABASE_URL",
                    // The database is on loopback: TLS would only spend the cores
                    // the server and the load generator share.
                    format!("postgres://postgres@127.0.0.1:5432/{database}?sslmode=disable"),
                ),
                ("REDIS_URL", "redis://127.0.0.1:6379".to_owned()),
                ("DATA_DIR", data),
                ("DATABASE_POOL_SIZE", "16".to_owned()),
            ]
        };
        bench_one(&release, label, scratch, &env, extra)
    })
    // Both backends, even when the first fails.
    .collect::<Vec<Result<()>>>()
    .into_iter()
    .collect::<Result<()>>();
    let _ = psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    outcome
}

fn bench_one(
    release: &Path,
    label: &str,
    scratch: Scratch,
    env: &[(&str, String)],
    extra: &[String],
) -> Result<()> {
    let port = server::free_port()?;
    let server = server::start(&release.join("nerutalk"), port, scratch, env)?;
    let mut bench = Command::new(release.join("nerutalk-bench"));
    bench
        .args([
            "--base",
            &format!("http://127.0.0.1:{port}"),
            "--label",
            label,
        ])
        .args(["--pid", &server.id().to_string()])
        .args(extra);
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
    let release = target_dir().join("release");
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
