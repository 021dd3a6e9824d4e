//! What an adapter can report back through a port.

/// The unique field a conflicting write collided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictField {
    Email,
    Username,
    Other,
}

/// An adapter's failure, in terms the application can act on.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The addressed record does not exist.
    #[error("record not found")]
    NotFound,
    /// A uniqueness rule would be broken.
    #[error("conflict on {0:?}")]
    Conflict(ConflictField),
    /// The backing service cannot be reached or is overloaded; retrying may help.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug, corrupt data, a failed invariant.
    #[error("internal adapter error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl PortError {
    /// Wraps any error as [`PortError::Internal`].
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }

    /// Wraps any error as [`PortError::Unavailable`].
    pub fn unavailable(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unavailable(error.into())
    }
}
