//! Prometheus metrics: the process-wide recorder every crate records into
//! through the `metrics` facade, and the listener that serves `/metrics`
//! on `METRICS_ADDR`, apart from the public API (every metric is listed in
//! `docs/operations.md`).

use std::net::TcpListener;
use std::sync::{Mutex, PoisonError};

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from a cached read to a slow bcrypt.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Writes per group commit, up to the batcher's limit.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The installed recorder. A process has one global recorder, and a test
/// binary starts many servers: the first installs it, the others share it.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// The process's recorder, installed on first use.
///
/// # Errors
/// When another recorder was installed first, or a bucket list is empty.
pub(crate) fn recorder() -> Result<PrometheusHandle, BuildError> {
    let mut handle = HANDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = handle.as_ref() {
        return Ok(handle.clone());
    }
    // Histograms rather than the exporter's default summaries: buckets
    // aggregate across nodes (`histogram_quantile` over a sum), quantiles do not.
    let installed = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_duration_seconds".to_owned()),
            LATENCY_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("nerutalk_sql_batch_size".to_owned()),
            BATCH_BUCKETS,
        )?
        .install_recorder()?;
    *handle = Some(installed.clone());
    Ok(installed)
}

/// Serves `GET /metrics` on `listener`, one worker: a scrape every few
/// seconds needs no more. Stopped by the caller, after everything else.
///
/// # Errors
/// When the listener cannot be used.
pub(crate) fn serve(listener: TcpListener, handle: PrometheusHandle) -> std::io::Result<Server> {
    let handle = web::Data::new(handle);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(handle.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

async fn scrape(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    // No exporter task drains the histograms (the exporter's own listener is
    // left out), so each scrape does it before rendering.
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
