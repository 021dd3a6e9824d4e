//! Typed identifiers: UUID v7 newtypes, so a user id can never be passed as a session id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (v7) identifier.
            #[must_use]
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies a sign-in session: one family of rotating refresh tokens.
    SessionId
);
id_type!(
    /// Identifies one refresh token inside a session.
    RefreshTokenId
);
id_type!(
    /// Identifies one e-mail verification request.
    VerificationId
);
id_type!(
    /// Identifies one mail in the outbox.
    MailId
);
id_type!(
    /// Identifies a direct or group chat.
    ChatId
);
id_type!(
    /// Identifies one message.
    MessageId
);
id_type!(
    /// Identifies one background job in the job queue.
    JobId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_are_time_ordered() {
        let first = UserId::generate();
        let second = UserId::generate();
        assert!(first < second);
        assert_eq!(first.to_string().parse::<UserId>().unwrap(), first);
        assert_eq!(first.as_uuid().get_version_num(), 7);
    }
}
