//! [`PresenceStore`] within one process.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::UserId;
use nerutalk_ports::{PortError, Presence, PresenceStore};

#[derive(Debug, Default, Clone, Copy)]
struct Entry {
    sockets: u32,
    last_seen: Option<DateTime<Utc>>,
}

/// Socket counts per user, for a single node.
#[derive(Debug, Default)]
pub struct MemoryPresenceStore {
    entries: Mutex<HashMap<UserId, Entry>>,
}

impl MemoryPresenceStore {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl PresenceStore for MemoryPresenceStore {
    async fn connected(&self, user_id: UserId) -> Result<bool, PortError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.entry(user_id).or_default();
        entry.sockets += 1;
        Ok(entry.sockets == 1)
    }

    async fn disconnected(&self, user_id: UserId, at: DateTime<Utc>) -> Result<bool, PortError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.entry(user_id).or_default();
        entry.sockets = entry.sockets.saturating_sub(1);
        if entry.sockets == 0 {
            entry.last_seen = Some(at);
        }
        Ok(entry.sockets == 0)
    }

    /// One node holds every count: nothing to renew.
    async fn refresh(&self, _users: Vec<UserId>) -> Result<(), PortError> {
        Ok(())
    }

    async fn sockets(&self, user_id: UserId) -> Result<u32, PortError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.get(&user_id).map_or(0, |entry| entry.sockets))
    }

    async fn presence(&self, users: Vec<UserId>) -> Result<Vec<Presence>, PortError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(users
            .into_iter()
            .map(|user_id| {
                let entry = entries.get(&user_id).copied().unwrap_or_default();
                Presence {
                    user_id,
                    online: entry.sockets > 0,
                    last_seen: if entry.sockets > 0 {
                        None
                    } else {
                        entry.last_seen
                    },
                }
            })
            .collect())
    }
}
