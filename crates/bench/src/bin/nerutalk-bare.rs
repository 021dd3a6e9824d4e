//! `nerutalk-bare`: the ceiling `cargo xtask bench http` compares the server
//! with. One actix route that answers every GET with the JSON envelope it was
//! given, serialized anew each time as a handler would, and nothing else: no
//! middleware, no authentication, no database.
//!
//! Usage: `nerutalk-bare <port> <file holding the envelope>`.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, Result};
use serde_json::Value;

#[actix_web::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().context("a port")?.parse()?;
    let path = args.next().context("a file holding the envelope")?;
    let envelope: Arc<Value> = Arc::new(serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?,
    )?);
    HttpServer::new(move || {
        let envelope = Arc::clone(&envelope);
        App::new().default_service(web::to(move || {
            let envelope = Arc::clone(&envelope);
            async move { HttpResponse::Ok().json(&*envelope) }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}
