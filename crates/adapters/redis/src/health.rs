//! Redis readiness.

use async_trait::async_trait;
use nerutalk_ports::{HealthProbe, PortError};

use crate::RedisEventBus;

/// Ready when Redis answers `PING`.
#[derive(Debug, Clone)]
pub struct RedisHealthProbe {
    bus: RedisEventBus,
}

impl RedisHealthProbe {
    #[must_use]
    pub fn new(bus: RedisEventBus) -> Self {
        Self { bus }
    }
}

#[async_trait]
impl HealthProbe for RedisHealthProbe {
    async fn check(&self) -> Result<(), PortError> {
        let mut connection = self
            .bus
            .pool()
            .get()
            .await
            .map_err(PortError::unavailable)?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(|_| ())
            .map_err(PortError::unavailable)
    }
}
