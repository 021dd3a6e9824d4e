//! `cargo xtask bench chat`: the release server under the load generator, on
//! SQLite and on PostgreSQL + Redis. Figures go to stdout; keep the ones worth
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
/// (`--clients`, `--group`, `--rate`, `--seconds`, `--idle`, or
/// `--oversized N` for N sockets each sending one 10 MiB frame).
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
    // The load generator is many people's traffic through few users and
    // sockets (100 idle sockets per user, hundreds of sends per socket and
    // second): the limits that stop one abuser would stop the benchmark.
    let mut env = env.to_vec();
    env.extend([
        ("RATE_LIMIT_WS_FRAMES", "1000000/1s".to_owned()),
        ("RATE_LIMIT_SOCKETS_PER_USER", "100000".to_owned()),
    ]);
    let port = server::free_port()?;
    let server = server::start(&release.join("nerutalk"), port, scratch, &env)?;
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
