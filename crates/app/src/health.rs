//! Readiness: every backing service this node needs must answer.

use std::sync::Arc;

use nerutalk_ports::HealthProbe;

use crate::AppError;
use crate::error::cause_chain;

/// Checks the probes the server registered (the database, later Redis, …).
#[derive(Clone, Default)]
pub struct HealthService {
    probes: Vec<(&'static str, Arc<dyn HealthProbe>)>,
}

impl std::fmt::Debug for HealthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.probes.iter().map(|(name, _)| *name).collect();
        f.debug_struct("HealthService")
            .field("probes", &names)
            .finish()
    }
}

impl HealthService {
    #[must_use]
    pub fn new(probes: Vec<(&'static str, Arc<dyn HealthProbe>)>) -> Self {
        Self { probes }
    }

    /// # Errors
    /// [`AppError::Unavailable`] when any probe fails; the failure is logged
    /// with the probe's name.
    pub async fn ready(&self) -> Result<(), AppError> {
        for (name, probe) in &self.probes {
            if let Err(error) = probe.check().await {
                tracing::warn!(probe = name, error = %cause_chain(&error), "readiness check failed");
                return Err(AppError::Unavailable);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_ports::{MockHealthProbe, PortError};

    use super::*;

    #[tokio::test]
    async fn one_failing_probe_makes_the_node_unready() {
        let mut up = MockHealthProbe::new();
        up.expect_check().returning(|| Ok(()));
        let mut down = MockHealthProbe::new();
        down.expect_check()
            .returning(|| Err(PortError::unavailable("refused")));
        let healthy = HealthService::new(vec![("database", Arc::new(up))]);
        assert_eq!(healthy.ready().await, Ok(()));
        let broken = HealthService::new(vec![("database", Arc::new(down))]);
        assert_eq!(broken.ready().await, Err(AppError::Unavailable));
    }

    #[test]
    fn a_failing_probe_logs_its_whole_cause() {
        use crate::error::tests::{PoolTimeout, logged, refused};
        let mut down = MockHealthProbe::new();
        down.expect_check()
            .returning(|| Err(PortError::unavailable(PoolTimeout(refused()))));
        let broken = HealthService::new(vec![("database", Arc::new(down))]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (ready, log) = logged(|| runtime.block_on(broken.ready()));
        assert_eq!(ready, Err(AppError::Unavailable));
        assert!(log.contains("pool timed out: connection refused"), "{log}");
    }
}
