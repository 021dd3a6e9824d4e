//! `cargo xtask bench http`: the release server on PostgreSQL under wrk, on
//! the two REST hot paths (sending a message to a direct chat, and
//! `GET /auth/me`), next to a bare actix handler answering the same
//! envelope: the ceiling of this machine for one HTTP round trip.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::bench::{build_release, psql};
use crate::checks;
use crate::server::{self, Scratch};

const PASSWORD: &str = "Bench12345";

struct Options {
    seconds: u64,
    /// `NAME=VALUE` for the server, such as `CACHE_TTL_SECONDS=0`.
    server_env: Vec<(String, String)>,
}

fn options(extra: &[String]) -> Result<Options> {
    let mut options = Options {
        seconds: 10,
        server_env: Vec::new(),
    };
    let mut raw = extra.iter();
    while let Some(flag) = raw.next() {
        let value = raw
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => options.seconds = value.parse()?,
            "--server-env" => {
                let (name, value) = value
                    .split_once('=')
                    .context("--server-env takes NAME=VALUE")?;
                options.server_env.push((name.to_owned(), value.to_owned()));
            }
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(options)
}

/// Runs the HTTP benchmark. `extra`: `--seconds S`, `--server-env NAME=VALUE`.
pub fn http(extra: &[String]) -> Result<()> {
    let options = options(extra)?;
    checks::postgres_reachable()?;
    wrk_installed()?;
    let release = build_release(true)?;
    let database = format!("nerutalk_bench_http_{}", std::process::id());
    psql(&format!("CREATE DATABASE {database}"))?;
    let outcome = bench(&release, &database, &options);
    let _ = psql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    outcome
}

fn wrk_installed() -> Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk is missing; installing Debian's package");
    let status = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .status()
        .context("cannot run apt-get to install wrk")?;
    if !status.success() {
        bail!("apt-get install wrk failed: install wrk and run again");
    }
    Ok(())
}

fn bench(release: &Path, database: &str, options: &Options) -> Result<()> {
    let scratch = Scratch::create("bench-http")?;
    let mut env: Vec<(&str, String)> = vec![
        (
            "DATABASE_URL",
            // Loopback: TLS would only spend the cores the server and wrk share.
            format!("postgres://postgres@127.0.0.1:5432/{database}?sslmode=disable"),
        ),
        ("DATA_DIR", scratch.path().display().to_string()),
        ("DATABASE_POOL_SIZE", "16".to_owned()),
    ];
    env.extend(
        options
            .server_env
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone())),
    );
    let port = server::free_port()?;
    let server = server::start(&release.join("nerutalk"), port, scratch, &env)?;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let setup = Setup::make(&base)?;
    let me_file = server.scratch().join("me.json");
    std::fs::write(&me_file, setup.me.to_string())?;
    let post_script = server.scratch().join("post.lua");
    std::fs::write(
        &post_script,
        format!(
            "wrk.method = \"POST\"\n\
             wrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n\
             wrk.body = '{body}'\n",
            token = setup.token,
            body = json!({ "kind": "text", "text": "hello from wrk" }),
        ),
    )?;
    let get_script = server.scratch().join("get.lua");
    std::fs::write(
        &get_script,
        format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {}\"\n",
            setup.token
        ),
    )?;
    let messages = format!("{base}/chats/{}/messages", setup.chat_id);
    let me = format!("{base}/auth/me");
    let mut rows = vec![
        wrk(
            "POST /chats/{id}/messages",
            &messages,
            &post_script,
            16,
            options,
        )?,
        wrk(
            "POST /chats/{id}/messages",
            &messages,
            &post_script,
            64,
            options,
        )?,
        wrk("GET /auth/me", &me, &get_script, 64, options)?,
    ];
    let bare_port = server::free_port()?;
    let bare = Bare::start(release, bare_port, &me_file)?;
    rows.push(wrk(
        "bare handler, same envelope",
        &format!("http://127.0.0.1:{bare_port}/api/v1/auth/me"),
        &get_script,
        64,
        options,
    )?);
    drop(bare);
    drop(server);
    println!();
    println!("| workload | connections | req/s | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {} | {:.0} | {} | {} |",
            row.label, row.connections, row.requests_per_second, row.p50, row.p99
        );
    }
    let (me_rate, bare_rate) = (rows[2].requests_per_second, rows[3].requests_per_second);
    println!(
        "\nGET /auth/me: {:.1}% of the bare handler",
        100.0 * me_rate / bare_rate.max(1.0)
    );
    Ok(())
}

/// A signed-in user with a direct chat, and what `/auth/me` answers them.
struct Setup {
    token: String,
    chat_id: String,
    me: Value,
}

impl Setup {
    fn make(base: &str) -> Result<Self> {
        for name in ["ada", "bob"] {
            curl(
                "POST",
                &format!("{base}/auth/register"),
                None,
                Some(json!({
                    "email": format!("{name}@bench.example.com"),
                    "username": name,
                    "password": PASSWORD,
                    "confirm_password": PASSWORD,
                })),
            )?;
        }
        let login = |name: &str| -> Result<String> {
            let reply = curl(
                "POST",
                &format!("{base}/auth/login"),
                None,
                Some(json!({ "login": name, "password": PASSWORD })),
            )?;
            text(&reply["data"]["access_token"])
        };
        let token = login("ada")?;
        let bob = login("bob")?;
        let bob_id =
            text(&curl("GET", &format!("{base}/auth/me"), Some(&bob), None)?["data"]["id"])?;
        let chat = curl(
            "POST",
            &format!("{base}/chats"),
            Some(&token),
            Some(json!({ "kind": "direct", "member_ids": [bob_id] })),
        )?;
        let chat_id = text(&chat["data"]["chat"]["id"])?;
        let me = curl("GET", &format!("{base}/auth/me"), Some(&token), None)?;
        Ok(Self { token, chat_id, me })
    }
}

fn text(value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("expected a string, got {value}"))
}

/// One JSON request; fails on anything but a 2xx.
fn curl(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Result<Value> {
    let mut command = Command::new("curl");
    command.args(["-sS", "--fail-with-body", "-X", method, url]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    if let Some(body) = body {
        command.args([
            "-H",
            "Content-Type: application/json",
            "-d",
            &body.to_string(),
        ]);
    }
    let output = command.output().context("cannot run curl")?;
    if !output.status.success() {
        bail!(
            "{method} {url} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

struct Row {
    label: &'static str,
    connections: u32,
    requests_per_second: f64,
    p50: String,
    p99: String,
}

fn wrk(
    label: &'static str,
    url: &str,
    script: &Path,
    connections: u32,
    options: &Options,
) -> Result<Row> {
    let output = Command::new("wrk")
        .args(["-t", "2", "-c", &connections.to_string()])
        .args(["-d", &format!("{}s", options.seconds), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .context("cannot run wrk")?;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("--- {label}, {connections} connections\n{report}");
    if !output.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    if report.contains("Non-2xx or 3xx responses") {
        bail!("{label}: the server refused some requests (see wrk's report above)");
    }
    let field = |prefix: &str| -> Result<String> {
        report
            .lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix(prefix))
            .map(|rest| rest.trim().to_owned())
            .with_context(|| format!("no {prefix:?} in wrk's report"))
    };
    Ok(Row {
        label,
        connections,
        requests_per_second: field("Requests/sec:")?.parse()?,
        p50: field("50%")?,
        p99: field("99%")?,
    })
}

/// The bare handler, stopped when dropped.
struct Bare(std::process::Child);

impl Bare {
    fn start(release: &Path, port: u16, envelope: &Path) -> Result<Self> {
        let child = Command::new(release.join("nerutalk-bare"))
            .arg(port.to_string())
            .arg(envelope)
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start nerutalk-bare")?;
        let bare = Self(child);
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(bare);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bail!("nerutalk-bare did not listen on port {port}")
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
