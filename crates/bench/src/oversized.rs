//! `--oversized N`: N sockets each send one text frame of 10 MiB, all at
//! once, and the report says how the server closed each and how far its
//! resident memory rose meanwhile. The server refuses such a frame from its
//! header; the figure shows what refusing costs per socket.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{rss_mib, websocket};

/// The announced (and offered) payload of each frame.
const FRAME_BYTES: u64 = 10 * 1024 * 1024;
/// How long a write may stall before the client takes the server for
/// having stopped reading.
const STALL: Duration = Duration::from_secs(2);

/// How one socket's frame ended.
struct Outcome {
    close_code: Option<u16>,
    bytes_written: u64,
}

pub(crate) async fn run(
    base: &str,
    token: &str,
    sockets: usize,
    pid: Option<u32>,
) -> Result<Value> {
    let rss_before = rss_mib(pid);
    // Every socket is open before the first byte of a frame goes out, and
    // the memory is watched from then on.
    let mut opened = Vec::new();
    for _ in 0..sockets {
        let framed = websocket(base, &format!("/ws?token={token}")).await?;
        opened.push(framed.into_parts().io);
    }
    let started = Instant::now();
    let tasks: Vec<_> = opened
        .into_iter()
        .map(|io| actix_web::rt::spawn(send_one(io)))
        .collect();
    let mut rss_peak = rss_before.unwrap_or(0.0);
    while tasks.iter().any(|task| !task.is_finished()) {
        rss_peak = rss_peak.max(rss_mib(pid).unwrap_or(0.0));
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    let mut written = 0;
    for task in tasks {
        let outcome = task.await?;
        written += outcome.bytes_written;
        let code = outcome
            .close_code
            .map_or_else(|| "none".to_owned(), |code| code.to_string());
        *codes.entry(code).or_default() += 1;
    }
    let rss_after = rss_mib(pid);
    let per_socket_kib =
        rss_before.map(|before| (rss_peak - before) * 1024.0 / sockets.max(1) as f64);
    Ok(json!({
        "oversized_sockets": sockets,
        "announced_bytes_each": FRAME_BYTES,
        "bytes_written_total": written,
        "close_codes": codes,
        "seconds": elapsed.as_secs_f64(),
        "server_rss_mib_before": rss_before,
        "server_rss_mib_peak": rss_peak,
        "server_rss_mib_after": rss_after,
        "peak_rise_kib_per_socket": per_socket_kib,
    }))
}

/// Writes the header and as much of the payload as the server takes, then
/// reads until the close frame.
async fn send_one(mut io: tokio::net::TcpStream) -> Outcome {
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&FRAME_BYTES.to_be_bytes());
    // A zero mask leaves the payload as it is.
    header.extend_from_slice(&[0; 4]);
    let mut bytes_written = 0;
    if io.write_all(&header).await.is_err() {
        return Outcome {
            close_code: None,
            bytes_written,
        };
    }
    let chunk = vec![b'x'; 64 * 1024];
    while bytes_written < FRAME_BYTES {
        match actix_web::rt::time::timeout(STALL, io.write_all(&chunk)).await {
            Ok(Ok(())) => bytes_written += chunk.len() as u64,
            // Closed, or no longer read: either way the server stopped.
            Ok(Err(_)) | Err(_) => break,
        }
    }
    Outcome {
        close_code: close_code(&mut io).await,
        bytes_written,
    }
}

/// The code of the server's close frame, skipping the frames before it.
async fn close_code(io: &mut tokio::net::TcpStream) -> Option<u16> {
    let mut read = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        while let Some((opcode, payload, used)) = server_frame(&read) {
            if opcode == 8 {
                return payload
                    .get(..2)
                    .map(|code| u16::from_be_bytes([code[0], code[1]]));
            }
            read.drain(..used);
        }
        match actix_web::rt::time::timeout(STALL, io.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => return None,
            Ok(Ok(count)) => read.extend_from_slice(&buffer[..count]),
        }
    }
}

/// An unmasked server frame at the start of `bytes`: opcode, payload, bytes used.
fn server_frame(bytes: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let [first, second, ..] = bytes else {
        return None;
    };
    let (length, start) = match second & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        short => (usize::from(short), 2),
    };
    let payload = bytes.get(start..start + length)?;
    Some((first & 0x0f, payload.to_vec(), start + length))
}
