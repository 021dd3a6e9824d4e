//! Developer tasks: `cargo xtask <verb>`. Run `cargo xtask help` for the list.

mod bench;
mod bench_http;
mod checks;
mod conformance;
mod server;
mod smtp;
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const HELP: &str = "\
cargo xtask <verb>

  test               the whole suite, PostgreSQL and Redis suites included (fails if either is down),
                     the SMTP suites against aiosmtpd (from PyPI, into a virtualenv under the target
                     directory, started on a free port), then schemathesis (from PyPI, into a virtualenv under the target directory)
                     against the debug server: every response must match docs/openapi.json
  openapi [--check]  write docs/openapi.json, or fail if it is stale
  asyncapi [--check] write docs/asyncapi.json (the WebSocket protocol), or fail if it is stale
  conformance        only the schemathesis run that ends `test`
  test-mail          only the SMTP suites of `test` (nerutalk-smtp, the server's mail tests)
  check-deps         fail if a crate depends on what its layer must not
  check-migrations   fail if the migration trees differ or do not round-trip
  ci                 everything .ci/run runs: fmt, clippy, openapi --check,
                     asyncapi --check, check-deps, check-migrations, test
  bench chat [...]   release server under WebSocket load, on SQLite, on
                     PostgreSQL + Redis, and as two nodes on both (flags:
                     --backends sqlite,postgres+redis,two-nodes --server BINARY
                     --clients --group --rate --seconds --idle)
  bench login [...]  release server at bcrypt's default cost: an honest sign-in's
                     latency under a wrong-password flood, with the hashing pool
                     unbounded, bounded, and with the sign-in limits on
                     (flags: --flood --honest --seconds --every-ms)
  bench http [...]   release server on PostgreSQL under wrk: a direct-chat send at 16 and 64
                     connections, GET /auth/me at 64, and a bare actix handler as the ceiling
                     (flags: --seconds, --server-env NAME=VALUE)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("openapi") => document(Document::OpenApi, args.iter().any(|arg| arg == "--check")),
        Some("asyncapi") => document(Document::AsyncApi, args.iter().any(|arg| arg == "--check")),
        Some("check-deps") => checks::dependencies(&root()),
        Some("check-migrations") => check_migrations(),
        Some("conformance") => conformance::schemathesis(),
        Some("test-mail") => test_mail(),
        Some("ci") => ci(),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("chat") => bench::chat(&args[2..]),
            Some("login") => bench::login(&args[2..]),
            Some("http") => bench_http::http(&args[2..]),
            _ => Err(anyhow::anyhow!(
                "usage: cargo xtask bench chat [--backends B,...] [--server BINARY] [--clients N] [--group G] [--rate R] [--seconds S] [--idle I]\n       cargo xtask bench login [--flood N] [--honest H] [--seconds S] [--every-ms M]\n       cargo xtask bench http [--seconds S] [--server-env NAME=VALUE]..."
            )),
        },
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown verb {other:?}\n\n{HELP}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root());
    command
}

/// The target directory cargo builds into (`CARGO_TARGET_DIR` when set).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The program and its arguments, quoted, and never the environment it is
/// given: secrets (the conformance run's bearer token) travel there, and a
/// command's `Debug` would print them into the CI log.
fn shown(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| format!("{part:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(mut command: Command) -> Result<()> {
    let shown = shown(&command);
    eprintln!("xtask: running {shown}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn test() -> Result<()> {
    checks::postgres_reachable()?;
    checks::redis_reachable()?;
    let smtp = smtp::SmtpServer::start()?;
    let mut command = cargo();
    command.args(["test", "--workspace", "--", "--include-ignored"]);
    smtp.export_to(&mut command);
    run(command)?;
    drop(smtp);
    conformance::schemathesis()
}

fn test_mail() -> Result<()> {
    let smtp = smtp::SmtpServer::start()?;
    let mut command = cargo();
    command.args([
        "test",
        "-p",
        "nerutalk-smtp",
        "-p",
        "nerutalk-server",
        "--test",
        "delivery",
        "--test",
        "mail",
        "--",
        "--include-ignored",
    ]);
    smtp.export_to(&mut command);
    run(command)
}

/// A document generated from the code and checked in under `docs/`.
#[derive(Debug, Clone, Copy)]
enum Document {
    OpenApi,
    AsyncApi,
}

impl Document {
    /// The `nerutalk` verb that prints it.
    const fn verb(self) -> &'static str {
        match self {
            Self::OpenApi => "openapi",
            Self::AsyncApi => "asyncapi",
        }
    }

    const fn path(self) -> &'static str {
        match self {
            Self::OpenApi => "docs/openapi.json",
            Self::AsyncApi => "docs/asyncapi.json",
        }
    }
}

fn document(document: Document, check: bool) -> Result<()> {
    let (verb, relative) = (document.verb(), document.path());
    let output = cargo()
        .args(["run", "--quiet", "-p", "nerutalk-server", "--", verb])
        .output()
        .with_context(|| format!("cannot run nerutalk {verb}"))?;
    if !output.status.success() {
        bail!(
            "nerutalk {verb} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let path = root().join(relative);
    if check {
        let current = std::fs::read(&path).unwrap_or_default();
        if current != output.stdout {
            bail!("{relative} is stale: run `cargo xtask {verb}` and commit it");
        }
        eprintln!("xtask: {relative} is current");
        Ok(())
    } else {
        std::fs::write(&path, &output.stdout)
            .with_context(|| format!("cannot write {relative}"))?;
        eprintln!("xtask: wrote {relative}");
        Ok(())
    }
}

fn check_migrations() -> Result<()> {
    checks::migration_trees(&root())?;
    checks::postgres_reachable()?;
    let mut command = cargo();
    command.args([
        "test",
        "-p",
        "nerutalk-sql",
        "--test",
        "migrations",
        "--",
        "--include-ignored",
    ]);
    run(command)
}

fn ci() -> Result<()> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)?;
    document(Document::OpenApi, true)?;
    document(Document::AsyncApi, true)?;
    checks::dependencies(&root())?;
    check_migrations()?;
    test()
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    #[test]
    fn a_shown_command_leaves_out_the_environment_where_secrets_travel() {
        let mut command = Command::new("schemathesis");
        command
            .env("NERUTALK_CONFORMANCE_TOKEN", "eyJ.secret.token")
            .args(["run", "--url", "http://127.0.0.1:1"]);
        assert!(format!("{command:?}").contains("eyJ.secret.token"));
        let shown = super::shown(&command);
        assert_eq!(
            shown,
            r#""schemathesis" "run" "--url" "http://127.0.0.1:1""#
        );
    }
}
