//! Readiness of a backing service.

use async_trait::async_trait;

use crate::PortError;

/// Something whose health decides whether this node may take traffic.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait HealthProbe: Send + Sync {
    /// Checks the service with one cheap round trip.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when it does not answer.
    async fn check(&self) -> Result<(), PortError>;
}
