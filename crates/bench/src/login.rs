//! `nerutalk-bench-login`: sign-ins under a wrong-password flood. `--flood`
//! connections from one client address send wrong passwords, as fast as
//! they are answered, to `--accounts` accounts, while every `--every-ms`
//! one of `--honest` people, each at an address of their own, signs in with
//! the right password; then one JSON line with the honest sign-ins' latency
//! and status, and the flood's answers by status. Run through
//! `cargo xtask bench login`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Args {
    base: String,
    flood: usize,
    accounts: usize,
    seconds: u64,
    every_ms: u64,
    honest: usize,
    label: String,
}

fn args() -> Result<Args> {
    let mut args = Args {
        base: "http://127.0.0.1:8080".into(),
        flood: 32,
        accounts: 4,
        seconds: 10,
        every_ms: 500,
        honest: 20,
        label: "run".into(),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let value = raw
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--base" => args.base = value,
            "--flood" => args.flood = value.parse()?,
            "--accounts" => args.accounts = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--every-ms" => args.every_ms = value.parse()?,
            "--honest" => args.honest = value.parse()?,
            "--label" => args.label = value,
            other => bail!("unknown flag {other}"),
        }
    }
    if args.accounts == 0 || args.flood == 0 || args.honest == 0 || args.honest > 250 {
        bail!("--flood and --accounts must be at least 1, --honest 1 to 250");
    }
    Ok(args)
}

const PASSWORD: &str = "Bench1234";

async fn register(client: &awc::Client, base: &str, name: &str) -> Result<()> {
    let mut response = client
        .post(format!("{base}/api/v1/auth/register"))
        .send_json(&json!({
            "email": format!("{name}@bench.test"),
            "username": name,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        }))
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    if !response.status().is_success() {
        let body = response.body().await?;
        bail!(
            "sign-up refused: {} {}",
            response.status(),
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}

/// The flood's client address, as a trusted proxy would forward it (the
/// server is started with `TRUSTED_PROXIES` set to loopback); the honest
/// people are at `203.0.113.<n>`.
const FLOOD_ADDRESS: &str = "198.51.100.66";

/// One sign-in from `address`: its status and how long it took.
async fn sign_in(
    client: &awc::Client,
    base: &str,
    address: &str,
    login: &str,
    password: &str,
) -> (u16, Duration) {
    let started = Instant::now();
    let status = match client
        .post(format!("{base}/api/v1/auth/login"))
        .insert_header(("X-Forwarded-For", address))
        .send_json(&json!({ "login": login, "password": password }))
        .await
    {
        Ok(mut response) => {
            // The body is read so the connection can be reused.
            let _ = response.body().await;
            response.status().as_u16()
        }
        Err(_) => 0,
    };
    (status, started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() -> Result<()> {
    let args = args()?;
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(60))
        .finish();
    let base = args.base.trim_end_matches('/').to_owned();
    let run_id = std::process::id();
    let mut honest = Vec::new();
    for n in 0..args.honest {
        let name = format!("honest{run_id}x{n}");
        register(&client, &base, &name).await?;
        honest.push((name, format!("203.0.113.{}", n + 1)));
    }
    let victims: Vec<String> = (0..args.accounts)
        .map(|n| format!("victim{run_id}x{n}"))
        .collect();
    for victim in &victims {
        register(&client, &base, victim).await?;
    }
    // The honest account's cost with nothing else running, for reference.
    let (name, address) = &honest[0];
    let (status, quiet) = sign_in(&client, &base, address, name, PASSWORD).await;
    if status != 200 {
        bail!("the honest sign-in failed before the flood: {status}");
    }

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let flood_answers: Rc<RefCell<BTreeMap<u16, u64>>> = Rc::default();
    let mut flooders = Vec::new();
    for n in 0..args.flood {
        let client = client.clone();
        let base = base.clone();
        let victim = victims[n % victims.len()].clone();
        let answers = flood_answers.clone();
        flooders.push(actix_web::rt::spawn(async move {
            while Instant::now() < deadline {
                let (status, _) =
                    sign_in(&client, &base, FLOOD_ADDRESS, &victim, "Wrong1234").await;
                *answers.borrow_mut().entry(status).or_default() += 1;
            }
        }));
    }
    // Let the flood fill whatever queue there is before measuring.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    let mut honest_answers: BTreeMap<u16, u64> = BTreeMap::new();
    for (name, address) in honest.iter().cycle() {
        if Instant::now() >= deadline {
            break;
        }
        let (status, took) = sign_in(&client, &base, address, name, PASSWORD).await;
        *honest_answers.entry(status).or_default() += 1;
        if status == 200 {
            latencies.push(took);
        }
        actix_web::rt::time::sleep(Duration::from_millis(args.every_ms)).await;
    }
    for flooder in flooders {
        let _ = flooder.await;
    }
    latencies.sort();
    let by_status = |answers: &BTreeMap<u16, u64>| -> Value {
        answers
            .iter()
            .map(|(status, count)| (status.to_string(), json!(count)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let flood_total: u64 = flood_answers.borrow().values().sum();
    println!(
        "{}",
        json!({
            "label": args.label,
            "flood_connections": args.flood,
            "flood_accounts": args.accounts,
            "seconds": args.seconds,
            "quiet_login_ms": quiet.as_secs_f64() * 1000.0,
            "flood_attempts_per_s": flood_total as f64 / args.seconds as f64,
            "flood_answers": by_status(&flood_answers.borrow()),
            "honest_answers": by_status(&honest_answers),
            "honest_ok_p50_ms": percentile(&latencies, 0.50),
            "honest_ok_p99_ms": percentile(&latencies, 0.99),
            "honest_ok_max_ms": latencies.last().map_or(0.0, |max| max.as_secs_f64() * 1000.0),
        })
    );
    Ok(())
}
