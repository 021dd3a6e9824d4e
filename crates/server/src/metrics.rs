//! Prometheus metrics: the process-wide recorder every crate records into
//! through the `metrics` facade, and the listener that serves `/metrics`
//! on `METRICS_ADDR`, apart from the public API (every metric is listed in
//! `docs/operations.md`).

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use nerutalk_ports::{Decision, JobQueue, PortError, Quota, RateKey, RateLimiter};
use nerutalk_sql::SqlStore;

use crate::lifecycle::Periodic;

/// How often the gauges of the pool and the job queue are sampled: often
/// enough for a 15 s scrape interval to see each change, and one cheap
/// query per period on the job table.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// The `pool` label of the one database pool a node has.
const MAIN_POOL: &str = "main";

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

/// What the gauges sample: the database pool and the job queue.
pub(crate) struct Sampled {
    pub(crate) store: SqlStore,
    pub(crate) jobs: Arc<dyn JobQueue>,
}

impl Sampled {
    /// Samples now, then every [`SAMPLE_EVERY`], until stopped.
    pub(crate) fn start(self) -> Periodic {
        let sampled = Arc::new(self);
        Periodic::start(SAMPLE_EVERY, move || {
            let sampled = sampled.clone();
            async move { sampled.sample().await }
        })
    }

    async fn sample(&self) {
        let pool = self.store.pool_status();
        metrics::gauge!("nerutalk_db_pool_connections", "pool" => MAIN_POOL, "state" => "in_use")
            .set(pool.in_use);
        metrics::gauge!("nerutalk_db_pool_connections", "pool" => MAIN_POOL, "state" => "idle")
            .set(pool.idle);
        metrics::gauge!("nerutalk_db_pool_waiting", "pool" => MAIN_POOL).set(pool.waiting);
        metrics::gauge!("nerutalk_db_pool_max_connections", "pool" => MAIN_POOL).set(pool.max);
        match self.jobs.counts().await {
            Ok(counts) => {
                for (state, jobs) in [
                    ("queued", counts.queued),
                    ("retrying", counts.retrying),
                    ("running", counts.running),
                    ("dead", counts.dead),
                ] {
                    // A gauge is a float: precise below 2^53 jobs.
                    metrics::gauge!("nerutalk_jobs", "state" => state).set(jobs as f64);
                }
            }
            // The gauges keep their last values; the pool's and the HTTP
            // metrics already show a database that is down.
            Err(error) => tracing::warn!(%error, "cannot count the jobs for metrics"),
        }
    }
}

/// The rate limiter, counting the checks it could not answer in
/// `nerutalk_rate_limiter_unavailable_total`: an error, or no answer before
/// the caller gave up waiting. Each of those was let through or refused as
/// `RATE_LIMIT_FAIL_OPEN` says.
pub(crate) struct MeteredRateLimiter(pub(crate) Arc<dyn RateLimiter>);

#[async_trait]
impl RateLimiter for MeteredRateLimiter {
    async fn check(
        &self,
        key: &RateKey,
        quota: &Quota,
        now: DateTime<Utc>,
    ) -> Result<Decision, PortError> {
        let mut unanswered = Unanswered {
            limit: key.limit().as_str(),
            reason: Some("timeout"),
        };
        let checked = self.0.check(key, quota, now).await;
        unanswered.reason = checked.is_err().then_some("error");
        checked
    }
}

/// Counts a check when dropped, unless it was answered: a check the
/// caller stopped waiting for is dropped before it ends.
struct Unanswered {
    limit: &'static str,
    /// `None` once the limiter answered.
    reason: Option<&'static str>,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(reason) = self.reason {
            metrics::counter!(
                "nerutalk_rate_limiter_unavailable_total",
                "limit" => self.limit,
                "reason" => reason,
            )
            .increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use nerutalk_ports::LimitName;

    use super::*;

    /// A limiter that answers, fails, or never answers.
    enum Limiter {
        Answers,
        Fails,
        Hangs,
    }

    #[async_trait]
    impl RateLimiter for Limiter {
        async fn check(
            &self,
            _: &RateKey,
            _: &Quota,
            _: DateTime<Utc>,
        ) -> Result<Decision, PortError> {
            match self {
                Self::Answers => Ok(Decision::Allowed {
                    remaining: 1,
                    reset_after: Duration::from_secs(1),
                }),
                Self::Fails => Err(PortError::unavailable(std::io::Error::other("redis down"))),
                Self::Hangs => std::future::pending().await,
            }
        }
    }

    #[test]
    fn checks_the_limiter_could_not_answer_are_counted_by_reason() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let rendered = recorder.handle();
        let key = RateKey::new(LimitName::new("test.limit"), "ada");
        let quota = Quota::per_period(NonZeroU32::MIN, Duration::from_secs(1)).unwrap();
        metrics::with_local_recorder(&recorder, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            runtime.block_on(async {
                for limiter in [Limiter::Answers, Limiter::Fails, Limiter::Hangs] {
                    let metered = MeteredRateLimiter(Arc::new(limiter));
                    let check = metered.check(&key, &quota, Utc::now());
                    let _ = tokio::time::timeout(Duration::from_millis(20), check).await;
                }
            });
        });
        let text = rendered.render();
        let counted = |reason: &str| {
            text.lines().any(|line| {
                line == format!(
                    r#"nerutalk_rate_limiter_unavailable_total{{limit="test.limit",reason="{reason}"}} 1"#
                )
            })
        };
        assert!(counted("error") && counted("timeout"), "{text}");
        assert_eq!(
            text.lines()
                .filter(|line| line.starts_with("nerutalk_rate_limiter_unavailable_total{"))
                .count(),
            2,
            "an answered check is not counted: {text}"
        );
    }
}
