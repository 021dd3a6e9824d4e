//! The conformance step of `cargo xtask test`: schemathesis, installed from
//! PyPI into a virtualenv under the target directory, runs every check it has
//! against the debug server on a scratch SQLite file, signed in, and fails
//! the task on any failure. It downloads, so plain `cargo test` never runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::server::{self, Scratch};
use crate::{cargo, root, run, target_dir};

/// Pinned, with every dependency in [`CONSTRAINTS`], so that a new
/// release's new checks never fail CI unannounced.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The exact version of every package in the virtualenv (`pip install -c`).
const CONSTRAINTS: &str = "xtask/schemathesis-constraints.txt";
/// The constraints a virtualenv was installed with, kept in it: a changed
/// file means a new virtualenv.
const INSTALLED_WITH: &str = "nerutalk-constraints.txt";
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

/// The virtualenv's `bin`, with exactly the constrained packages in it.
fn install(venv: &Path) -> Result<PathBuf> {
    let bin = venv.join("bin");
    let constraints = root().join(CONSTRAINTS);
    let pinned = std::fs::read_to_string(&constraints)
        .with_context(|| format!("cannot read {}", constraints.display()))?;
    let current = std::fs::read_to_string(venv.join(INSTALLED_WITH))
        .is_ok_and(|installed_with| installed_with == pinned)
        && installed_version(&bin).as_deref() == Some(SCHEMATHESIS_VERSION);
    if current {
        return Ok(bin);
    }
    // Whatever is there was made from other constraints, or half made.
    let _ = std::fs::remove_dir_all(venv);
    create_venv(venv)?;
    let mut pip = Command::new(bin.join("pip"));
    pip.args(["install", "--quiet", "--disable-pip-version-check"])
        .arg("--constraint")
        .arg(&constraints)
        .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"));
    run(pip)?;
    let installed = installed_version(&bin);
    if installed.as_deref() != Some(SCHEMATHESIS_VERSION) {
        bail!("pip installed schemathesis {installed:?}, not {SCHEMATHESIS_VERSION}");
    }
    refuse_unpinned(&bin, &pinned)?;
    std::fs::write(venv.join(INSTALLED_WITH), pinned)
        .context("cannot record the virtualenv's constraints")?;
    Ok(bin)
}

/// The installed schemathesis's version as its package metadata states it.
fn installed_version(bin: &Path) -> Option<String> {
    let output = Command::new(bin.join("python"))
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('schemathesis'))",
        ])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `python3 -m venv`, saying what to install when Debian's python lacks it.
fn create_venv(venv: &Path) -> Result<()> {
    const HINT: &str = "python3 -m venv needs the standard library's venv and ensurepip; \
        on Debian and Ubuntu they are the python3-venv package (`apt-get install python3-venv`)";
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(venv);
    eprintln!("xtask: running {}", crate::shown(&create));
    let output = create
        .output()
        .with_context(|| format!("cannot run python3 ({HINT})"))?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(venv);
        bail!(
            "python3 -m venv failed ({}): {}\n{HINT}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Fails if the virtualenv holds a package the constraints do not pin at
/// the version installed: a new dependency of schemathesis would float.
fn refuse_unpinned(bin: &Path, pinned: &str) -> Result<()> {
    let output = Command::new(bin.join("pip"))
        .args(["freeze", "--disable-pip-version-check"])
        .output()
        .context("cannot run pip freeze")?;
    if !output.status.success() {
        bail!(
            "pip freeze failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let pinned: Vec<&str> = pinned.lines().map(str::trim).collect();
    let unpinned: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !pinned.contains(line))
        .map(str::to_owned)
        .collect();
    if !unpinned.is_empty() {
        bail!(
            "{CONSTRAINTS} does not pin {}: add them as `pip freeze` lists them",
            unpinned.join(", ")
        );
    }
    Ok(())
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
        "xtask: schemathesis {SCHEMATHESIS_VERSION} took {} s",
        started.elapsed().as_secs()
    );
    outcome
}
