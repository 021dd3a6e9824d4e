//! NeruTalk's use cases. They speak only domain types and ports; which
//! database, mailer or clock stands behind a port is decided in `server`.

pub mod auth;
pub mod cache;
pub mod chat;
pub mod error;
pub mod health;
pub mod jobs;
pub mod messages;
mod rate_limits;
pub mod sockets;
pub mod users;

pub use auth::{
    AuthConfig, AuthLimits, AuthPorts, AuthService, AuthenticatedUser, HashingLimits, IssuedTokens,
    Login, PasswordChange, Registration,
};
pub use chat::{ChatLimits, ChatPorts, ChatService};
pub use error::{AppError, ErrorClass, LimitPolicy, PortResultExt};
pub use health::HealthService;
pub use jobs::{
    Job, JobError, JobHandler, JobOutcome, JobRunner, JobRunnerConfig, JobScheduler, RunningJobs,
    StopReport,
};
pub use nerutalk_ports::{Appended, ChatSummary, EventSink, MessageArg, Presence};
pub use sockets::SocketLimit;
pub use users::{ProfileUpdate, UserPage, UserService};
