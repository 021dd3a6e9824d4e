//! The conformance step of `cargo xtask test`: schemathesis, installed from
//! PyPI into a virtualenv under the target directory, runs every check it has
//! against the debug server on a scratch SQLite file, signed in, and fails
//! the task on any failure. It downloads, so plain `cargo test` never runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{bench, cargo, root, run};

/// Pinned so that a new release's new checks never fail CI unannounced.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Fixed, so that a failure reproduces.
const SEED: &str = "20261128";
/// Test cases per operation and phase: the whole run takes about a minute.
const EXAMPLES: &str = "50";
/// The route that ends the session it is called with: tested last, alone.
const LOGOUT: &str = "/api/v1/auth/logout";

/// The target directory cargo builds into (`CARGO_TARGET_DIR` when set).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The virtualenv's `bin`, with schemathesis at the pinned version in it.
fn install(venv: &Path) -> Result<PathBuf> {
    let bin = venv.join("bin");
    let installed = Command::new(bin.join("schemathesis"))
        .arg("--version")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains(SCHEMATHESIS_VERSION));
    if !installed {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(venv);
        run(create)?;
        let mut pip = Command::new(bin.join("pip"));
        pip.args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"));
        run(pip)?;
    }
    Ok(bin)
}

/// Registers a user on the server at `base` and signs in; returns the access token.
fn sign_in(python: &Path, base: &str) -> Result<String> {
    const SCRIPT: &str = r#"
import sys, requests
base = sys.argv[1]
account = {"email": "conformance@example.com", "username": "conformance",
           "password": "Conformance1", "confirm_password": "Conformance1"}
requests.post(base + "/api/v1/auth/register", json=account, timeout=30).raise_for_status()
reply = requests.post(base + "/api/v1/auth/login", timeout=30,
                      json={"login": account["email"], "password": account["password"]})
reply.raise_for_status()
print(reply.json()["data"]["access_token"])
"#;
    let output = Command::new(python)
        .args(["-c", SCRIPT, base])
        .output()
        .context("cannot run python to sign in")?;
    if !output.status.success() {
        bail!(
            "cannot sign in to the conformance server: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Runs schemathesis over the checked-in document against the server.
pub fn schemathesis() -> Result<()> {
    let started = Instant::now();
    let bin = install(&target_dir().join("schemathesis-venv"))?;
    let mut build = cargo();
    build.args(["build", "-p", "nerutalk-server"]);
    run(build)?;
    let scratch = std::env::temp_dir().join(format!("nerutalk-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).context("cannot create the scratch directory")?;
    let port = bench::free_port()?;
    let server = bench::start(
        &target_dir().join("debug/nerutalk"),
        port,
        &[
            (
                "DATABASE_URL",
                format!("sqlite://{}/conformance.db", scratch.display()),
            ),
            ("DATA_DIR", scratch.display().to_string()),
        ],
    )?;
    let base = format!("http://127.0.0.1:{port}");
    let outcome = sign_in(&bin.join("python"), &base).and_then(|token| {
        let runs: [&[&str]; 2] = [&["--exclude-path", LOGOUT], &["--include-path", LOGOUT]];
        // Both runs, even when the first fails, so that one report lists every failure.
        let outcomes: Vec<Result<()>> = runs
            .into_iter()
            .map(|filter| {
                let mut schemathesis = Command::new(bin.join("schemathesis"));
                schemathesis
                    .current_dir(&scratch)
                    .arg("--config-file")
                    .arg(root().join("xtask/schemathesis.toml"))
                    .arg("run")
                    .arg(root().join("docs/openapi.json"))
                    .args(["--url", &base])
                    .args(["--checks", "all"])
                    .args(["--seed", SEED, "--max-examples", EXAMPLES])
                    .args(filter)
                    .arg("--header")
                    .arg(format!("Authorization: Bearer {token}"));
                run(schemathesis)
            })
            .collect();
        outcomes.into_iter().collect::<Result<()>>()
    });
    drop(server);
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "xtask: schemathesis {SCHEMATHESIS_VERSION} took {} s",
        started.elapsed().as_secs()
    );
    outcome
}
