//! Database readiness.

use async_trait::async_trait;
use diesel::connection::SimpleConnection;
use nerutalk_ports::{HealthProbe, PortError};

use crate::SqlStore;

/// Ready when a pooled connection answers `SELECT 1`.
#[derive(Debug, Clone)]
pub struct SqlHealthProbe {
    store: SqlStore,
}

impl SqlHealthProbe {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl HealthProbe for SqlHealthProbe {
    async fn check(&self) -> Result<(), PortError> {
        self.store
            .run(|connection| connection.batch_execute("SELECT 1"))
            .await
            .map_err(|error| match error {
                PortError::Unavailable(cause) | PortError::Internal(cause) => {
                    PortError::Unavailable(cause)
                }
                other => other,
            })
    }
}
