//! The checks that need no build: layer boundaries, migration trees, services.

use std::collections::BTreeSet;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Layer rules: the crate, and the packages it must not reach, even indirectly.
const RULES: &[(&str, &[&str])] = &[
    (
        "nerutalk-domain",
        &["tokio", "diesel", "actix-web", "actix-rt"],
    ),
    (
        "nerutalk-ports",
        &[
            "diesel",
            "actix-web",
            "redis",
            "deadpool-redis",
            "reqwest",
            "lettre",
        ],
    ),
    (
        "nerutalk-app",
        &[
            "diesel",
            "actix-web",
            "redis",
            "deadpool-redis",
            "reqwest",
            "lettre",
        ],
    ),
];

fn dependency_names(root: &Path, package: &str) -> Result<BTreeSet<String>> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(root)
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .output()
        .context("cannot run cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree -p {package} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_owned)
        .collect())
}

/// Fails if a layer reaches what it must not, or an adapter reaches another.
pub fn dependencies(root: &Path) -> Result<()> {
    let mut broken = Vec::new();
    for (package, forbidden) in RULES {
        let names = dependency_names(root, package)?;
        for name in *forbidden {
            if names.contains(*name) {
                broken.push(format!("{package} depends on {name}"));
            }
        }
    }
    let adapters: Vec<String> = std::fs::read_dir(root.join("crates/adapters"))
        .context("cannot list crates/adapters")?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| format!("nerutalk-{}", entry.file_name().to_string_lossy()))
        .collect();
    for adapter in &adapters {
        let names = dependency_names(root, adapter)?;
        for other in adapters.iter().filter(|other| *other != adapter) {
            if names.contains(other) {
                broken.push(format!("adapter {adapter} depends on adapter {other}"));
            }
        }
        for layer in ["nerutalk-app", "nerutalk-http", "nerutalk-server"] {
            if names.contains(layer) {
                broken.push(format!("adapter {adapter} depends on {layer}"));
            }
        }
    }
    if broken.is_empty() {
        eprintln!(
            "xtask: layer boundaries hold ({} adapters checked)",
            adapters.len()
        );
        Ok(())
    } else {
        bail!("layer boundaries broken:\n  {}", broken.join("\n  "))
    }
}

fn migration_names(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        for file in ["up.sql", "down.sql"] {
            if !entry.path().join(file).exists() {
                bail!("{} has no {file}", entry.path().display());
            }
        }
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// Fails if the two migration trees do not hold the same names.
pub fn migration_trees(root: &Path) -> Result<()> {
    let postgres = migration_names(&root.join("migrations/postgres"))?;
    let sqlite = migration_names(&root.join("migrations/sqlite"))?;
    if postgres != sqlite {
        let only_pg: Vec<_> = postgres.difference(&sqlite).collect();
        let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
        bail!(
            "migration trees differ: only in postgres {only_pg:?}, only in sqlite {only_sqlite:?}"
        );
    }
    eprintln!(
        "xtask: both migration trees hold the same {} migrations",
        postgres.len()
    );
    Ok(())
}

/// Fails, rather than letting suites skip, when PostgreSQL is not there.
pub fn postgres_reachable() -> Result<()> {
    reachable(
        "PostgreSQL",
        "NERUTALK_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
        5432,
    )
}

/// Fails, rather than letting suites skip, when Redis is not there.
pub fn redis_reachable() -> Result<()> {
    reachable(
        "Redis",
        "NERUTALK_TEST_REDIS_URL",
        "redis://127.0.0.1:6379",
        6379,
    )
}

/// Connects to the host and port of the URL in `variable` (or `default`).
fn reachable(service: &str, variable: &str, default: &str, default_port: u16) -> Result<()> {
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    let authority = url
        .split_once("://")
        .map_or(url.as_str(), |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    };
    let up = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok());
    if up {
        Ok(())
    } else {
        bail!(
            "{service} is not reachable at {host_port}: start it, or point {variable} at one \
             (the suites need it and will not skip)"
        )
    }
}
