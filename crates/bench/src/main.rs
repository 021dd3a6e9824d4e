//! `nerutalk-bench`: N WebSocket clients in groups of G, sending at a fixed
//! rate for a while, then a report of sends/s, deliveries/s, send-to-receive
//! latency and the server's memory. Run through `cargo xtask bench chat`.
//!
//! Given several `--base` URLs (nodes of one deployment), client `i` signs
//! up and connects to node `i mod n`, so consecutive clients, and so every
//! group of at least `n` members, are spread over all nodes.

mod oversized;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_codec::{Framed, FramedParts};
use actix_web::web::BytesMut;
use anyhow::{Context, Result, bail};
use awc::ws::Codec;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
struct Args {
    /// The nodes, each client on one of them.
    bases: Vec<String>,
    clients: usize,
    group: usize,
    rate: u64,
    seconds: u64,
    idle: usize,
    /// The servers' process ids, for their memory.
    pids: Vec<u32>,
    /// Sockets that each send one 10 MiB frame (see `oversized`); 0: the chat run.
    oversized: usize,
    label: String,
}

fn args() -> Result<Args> {
    let mut args = Args {
        bases: Vec::new(),
        clients: 200,
        group: 10,
        rate: 1_000,
        seconds: 10,
        idle: 0,
        pids: Vec::new(),
        oversized: 0,
        label: "run".into(),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let value = raw
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--base" => args.bases.push(value),
            "--clients" => args.clients = value.parse()?,
            "--group" => args.group = value.parse()?,
            "--rate" => args.rate = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--idle" => args.idle = value.parse()?,
            "--oversized" => args.oversized = value.parse()?,
            "--pid" => args.pids.push(value.parse()?),
            "--label" => args.label = value,
            other => bail!("unknown flag {other}"),
        }
    }
    if args.bases.is_empty() {
        args.bases.push("http://127.0.0.1:8080".into());
    }
    Ok(args)
}

/// Each server's resident memory, one figure for one server.
fn rss_report(pids: &[u32]) -> Value {
    match pids {
        [pid] => json!(rss_mib(Some(*pid))),
        pids => json!(
            pids.iter()
                .map(|pid| rss_mib(Some(*pid)))
                .collect::<Vec<_>>()
        ),
    }
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
        })
}

/// The server's resident memory, in MiB, from /proc.
fn rss_mib(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kib: f64 = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

struct User {
    token: String,
    id: String,
    /// The node this user signed up on and connects to.
    base: String,
}

async fn call(
    client: &awc::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<Value> {
    let mut request = client.post(url);
    if let Some(token) = token {
        request = request.insert_header(("Authorization", format!("Bearer {token}")));
    }
    let mut response = request
        .send_json(&body)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let bytes = response.body().await?;
    let reply: Value = serde_json::from_slice(&bytes)?;
    if !response.status().is_success() {
        bail!("{}: {reply}", response.status());
    }
    Ok(reply)
}

async fn user(client: &awc::Client, base: &str, name: &str) -> Result<User> {
    let password = "Bench1234";
    call(
        client,
        format!("{base}/api/v1/auth/register"),
        None,
        json!({ "email": format!("{name}@bench.test"), "username": name, "password": password, "confirm_password": password }),
    )
    .await?;
    let login = call(
        client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({ "login": name, "password": password }),
    )
    .await?;
    Ok(User {
        token: login["data"]["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        id: login["data"]["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        base: base.to_owned(),
    })
}

/// Opens a WebSocket with `TCP_NODELAY` set, which awc's connector does not
/// do: with Nagle's algorithm on the client, a small frame can wait for the
/// server's delayed ACK and the benchmark would measure 40 ms of its own.
async fn websocket(base: &str, path: &str) -> Result<Framed<TcpStream, Codec>> {
    let authority = base
        .strip_prefix("http://")
        .context("--base must be an http:// URL")?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: bmVydXRhbGstYmVuY2gtaw==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = BytesMut::with_capacity(1024);
    let end = loop {
        if stream.read_buf(&mut buffer).await? == 0 {
            bail!("the server closed the connection during the handshake");
        }
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = buffer.split_to(end);
    if !head.starts_with(b"HTTP/1.1 101") {
        bail!("handshake refused: {}", String::from_utf8_lossy(&head));
    }
    // Frames the server sent right after the handshake are already in `buffer`.
    let parts =
        FramedParts::with_read_buf(stream, Codec::new().client_mode().max_size(1 << 20), buffer);
    Ok(Framed::from_parts(parts))
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    deliveries: u64,
    acks: u64,
    errors: u64,
    /// When the last frame arrived: rates are counted up to here.
    last_at: Option<Instant>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)] as f64 / 1000.0
}

fn main() -> Result<()> {
    let args = args()?;
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    // awc pools at most 100 connections by default, and every WebSocket holds one.
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(30))
        .finish();
    let stamp = now_micros() % 1_000_000_000;
    if args.oversized > 0 {
        let base = &args.bases[0];
        let sender = user(&client, base, &format!("b{stamp}big")).await?;
        let report = oversized::run(
            base,
            &sender.token,
            args.oversized,
            args.pids.first().copied(),
        )
        .await?;
        println!("{report}");
        return Ok(());
    }
    let mut users = Vec::new();
    let node = |index: usize| &args.bases[index % args.bases.len()];
    for index in 0..args.clients {
        users.push(user(&client, node(index), &format!("b{stamp}u{index}")).await?);
    }
    // Groups of `group` members; the first member creates each.
    let mut chat_of = vec![String::new(); users.len()];
    for (group_index, members) in users.chunks(args.group.max(2)).enumerate() {
        let others: Vec<&str> = members[1..]
            .iter()
            .map(|member| member.id.as_str())
            .collect();
        let created = call(
            &client,
            format!("{}/api/v1/chats", members[0].base),
            Some(&members[0].token),
            json!({ "kind": "group", "name": format!("bench {group_index}"), "member_ids": others }),
        )
        .await?;
        let chat = created["data"]["chat"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for offset in 0..members.len() {
            chat_of[group_index * args.group.max(2) + offset] = chat.clone();
        }
    }
    let tally = Rc::new(RefCell::new(Tally::default()));
    let mut senders = Vec::new();
    for user in &users {
        let framed = websocket(&user.base, &format!("/ws?token={}", user.token)).await?;
        let (mut sink, mut stream) = framed.split();
        let (outgoing, mut queue) = tokio::sync::mpsc::unbounded_channel::<String>();
        senders.push(outgoing);
        let tally = tally.clone();
        actix_web::rt::spawn(async move {
            loop {
                tokio::select! {
                    frame = stream.next() => match frame {
                        Some(Ok(awc::ws::Frame::Text(bytes))) => record(&tally, &bytes),
                        Some(Ok(awc::ws::Frame::Ping(bytes))) => {
                            let _ = sink.send(awc::ws::Message::Pong(bytes)).await;
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    text = queue.recv() => match text {
                        Some(text) => {
                            if sink.send(awc::ws::Message::Text(text.into())).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                }
            }
        });
    }
    // Idle sockets belong to users in no chat, so that they really are idle.
    let mut idle_users = Vec::new();
    for index in 0..args.idle.div_ceil(100) {
        idle_users.push(user(&client, node(index), &format!("b{stamp}idle{index}")).await?);
    }
    let mut idle = Vec::new();
    for index in 0..args.idle {
        let user = &idle_users[index / 100];
        if let Ok(framed) = websocket(&user.base, &format!("/ws?token={}", user.token)).await {
            idle.push(framed);
        }
    }
    // Let the server finish greeting every socket (presence snapshots and
    // announcements) so that connecting is not measured as sending.
    let sockets = u64::try_from(senders.len() + idle.len()).unwrap_or(u64::MAX);
    actix_web::rt::time::sleep(Duration::from_millis(500 + sockets)).await;
    *tally.borrow_mut() = Tally::default();
    let rss_before = rss_report(&args.pids);

    let started = Instant::now();
    let total = args.rate * args.seconds;
    let mut sent: u64 = 0;
    while sent < total {
        let due = (started.elapsed().as_secs_f64() * args.rate as f64) as u64;
        while sent < due.min(total) {
            let index = usize::try_from(sent).unwrap_or(0) % senders.len();
            let frame = json!({
                "type": "send_message",
                "id": sent,
                "data": { "chat_id": chat_of[index], "text": format!("t={}", now_micros()) },
            });
            let _ = senders[index].send(frame.to_string());
            sent += 1;
        }
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
    let send_window = started.elapsed();
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_report(&args.pids);
    let mut tally = tally.borrow_mut();
    let elapsed = tally
        .last_at
        .map_or(send_window, |last| last.duration_since(started))
        .as_secs_f64()
        .max(send_window.as_secs_f64());
    tally.latencies_us.sort_unstable();
    let report = json!({
        "label": args.label,
        "nodes": args.bases.len(),
        "clients": args.clients,
        "group_size": args.group,
        "target_sends_per_s": args.rate,
        "sends_offered": sent,
        "sends_acked": tally.acks,
        "errors": tally.errors,
        "acked_sends_per_s": (tally.acks as f64 / elapsed).round(),
        "deliveries": tally.deliveries,
        "deliveries_per_s": (tally.deliveries as f64 / elapsed).round(),
        "send_window_s": send_window.as_secs_f64(),
        "until_last_frame_s": elapsed,
        "latency_ms_p50": percentile(&tally.latencies_us, 0.50),
        "latency_ms_p99": percentile(&tally.latencies_us, 0.99),
        "idle_sockets": idle.len(),
        "server_rss_mib_before": rss_before,
        "server_rss_mib_after": rss_after,
    });
    println!("{report}");
    Ok(())
}

/// Only the fields the tally needs: parsing whole frames into `Value` costs
/// the load generator CPU that the server, on the same cores, could use.
#[derive(Deserialize)]
struct Received<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    data: Option<ReceivedData<'a>>,
}

#[derive(Deserialize)]
struct ReceivedData<'a> {
    #[serde(default, borrow)]
    text: Option<&'a str>,
}

fn record(tally: &Rc<RefCell<Tally>>, bytes: &[u8]) {
    let Ok(frame) = serde_json::from_slice::<Received<'_>>(bytes) else {
        return;
    };
    let mut tally = tally.borrow_mut();
    tally.last_at = Some(Instant::now());
    match frame.kind {
        "new_message" => {
            tally.deliveries += 1;
            let sent_at = frame
                .data
                .and_then(|data| data.text)
                .and_then(|text| text.strip_prefix("t="))
                .and_then(|micros| micros.parse::<u64>().ok());
            if let Some(sent_at) = sent_at {
                tally
                    .latencies_us
                    .push(now_micros().saturating_sub(sent_at));
            }
        }
        "ack" => tally.acks += 1,
        "error" => tally.errors += 1,
        _ => {}
    }
}
