//! NeruTalk's use cases. They speak only domain types and ports; which
//! database, mailer or clock stands behind a port is decided in `server`.

pub mod auth;
pub mod error;
pub mod messages;
pub mod users;

pub use auth::{
    AuthConfig, AuthPorts, AuthService, AuthenticatedUser, IssuedTokens, Login, PasswordChange,
    Registration,
};
pub use error::{AppError, ErrorClass};
pub use users::{ProfileUpdate, UserPage, UserService};
