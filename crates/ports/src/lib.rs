//! The driven ports: every capability NeruTalk's use cases need from the
//! outside world, as object-safe traits with domain types in and out.
//!
//! With the `mock` feature each trait also has a `mockall` mock (`MockUserRepository`, …).

pub mod blocks;
pub mod chats;
pub mod clock;
#[cfg(feature = "contract")]
pub mod contract;
pub mod error;
pub mod events;
pub mod health;
pub mod jobs;
pub mod mailer;
pub mod messages;
pub mod presence;
pub mod rate_limit;
pub mod sessions;
pub mod translator;
pub mod typing;
pub mod users;
pub mod verification;

pub use blocks::{Block, BlockRepository};
pub use chats::{
    AddMembersOutcome, ChatCursor, ChatRepository, ChatSummary, NewChat, Removal, Roster,
};
pub use clock::{Clock, SystemClock};
pub use error::{ConflictField, PortError};
pub use events::{EventBus, EventSink, InvalidationSink};
pub use health::HealthProbe;
pub use jobs::{
    ClaimedJob, Enqueued, Failure, JobCounts, JobKind, JobQueue, JobRecord, JobState, Lease,
    NewJob, Renewal, RetryPolicy, Settled, WorkerId,
};
pub use mailer::{MailError, MailKind, Mailer, OutgoingMail};
pub use messages::{Appended, HistoryPage, MessageRepository, NewMessage};
pub use presence::{Presence, PresenceStore};
pub use rate_limit::{Decision, LimitName, Quota, QuotaError, RateKey, RateLimiter};
pub use sessions::{NewRefreshToken, RotationOutcome, SessionRepository, SessionState};
pub use translator::{MessageArg, Translator};
pub use typing::TypingStore;
pub use users::{NewUser, UserCredentials, UserRepository, UserSearch};
pub use verification::{EmailVerificationRepository, NewEmailVerification, VerificationOutcome};

#[cfg(feature = "mock")]
pub use {
    blocks::MockBlockRepository,
    chats::MockChatRepository,
    clock::MockClock,
    events::{MockEventBus, MockEventSink, MockInvalidationSink},
    health::MockHealthProbe,
    jobs::MockJobQueue,
    mailer::MockMailer,
    messages::MockMessageRepository,
    presence::MockPresenceStore,
    rate_limit::MockRateLimiter,
    sessions::MockSessionRepository,
    translator::MockTranslator,
    typing::MockTypingStore,
    users::MockUserRepository,
    verification::MockEmailVerificationRepository,
};
