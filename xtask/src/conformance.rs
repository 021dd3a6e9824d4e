//! The conformance step of `cargo xtask test`: schemathesis, installed from
//! PyPI into a virtualenv under the target directory, runs every check it has
//! against the debug server on a scratch SQLite file, signed in, and fails
//! the task on any failure. It downloads, so plain `cargo test` never runs it.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::server::{self, Scratch};
use crate::venv::Pinned;
use crate::{cargo, root, run, target_dir};

/// Pinned, with every dependency in `xtask/schemathesis-constraints.txt`,
/// so that a new release's new checks never fail CI unannounced.
const SCHEMATHESIS: Pinned = Pinned {
    package: "schemathesis",
    version: "4.32.5",
    constraints: "xtask/schemathesis-constraints.txt",
};
/// Carries the bearer token to schemathesis, whose configuration expands it
/// into the `Authorization` header: in an argument it would be in the CI
/// log and in any process listing.
const TOKEN_VARIABLE: &str = "NERUTALK_CONFORMANCE_TOKEN";
/// Fixed, so that a failure reproduces.
const SEED: &str = "20261128";
/// Test cases per operation and phase: the whole run takes about a minute.
const EXAMPLES: &str = "50";
/// The route that ends the session it is called with: tested last, alone.
const LOGOUT: &str = "/api/v1/auth/logout";

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
    let bin = SCHEMATHESIS.install(&target_dir().join("schemathesis-venv"))?;
    let mut build = cargo();
    build.args(["build", "-p", "nerutalk-server"]);
    run(build)?;
    let scratch = Scratch::create("conformance")?;
    let data = scratch.path().display().to_string();
    let port = server::free_port()?;
    let server = server::start(
        &target_dir().join("debug/nerutalk"),
        port,
        scratch,
        &[
            ("DATABASE_URL", format!("sqlite://{data}/conformance.db")),
            ("DATA_DIR", data),
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
                    .current_dir(server.scratch())
                    .env(TOKEN_VARIABLE, &token)
                    .arg("--config-file")
                    .arg(root().join("xtask/schemathesis.toml"))
                    .arg("run")
                    .arg(root().join("docs/openapi.json"))
                    .args(["--url", &base])
                    .args(["--checks", "all"])
                    .args(["--seed", SEED, "--max-examples", EXAMPLES])
                    .args(filter);
                run(schemathesis)
            })
            .collect();
        outcomes.into_iter().collect::<Result<()>>()
    });
    drop(server);
    eprintln!(
        "xtask: schemathesis {} took {} s",
        SCHEMATHESIS.version,
        started.elapsed().as_secs()
    );
    outcome
}
