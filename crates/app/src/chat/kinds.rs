//! What kind each chat is, remembered: a chat's kind never changes, so the
//! send path asks the database only the first time it meets a chat.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use nerutalk_domain::ChatId;
use nerutalk_domain::chat::ChatKind;

/// Forgetting everything at this size keeps memory bounded; refilling costs
/// one read per active chat.
const MAX_REMEMBERED: usize = 100_000;

#[derive(Debug, Default)]
pub(super) struct ChatKinds {
    known: RwLock<HashMap<ChatId, ChatKind>>,
}

impl ChatKinds {
    pub(super) fn get(&self, chat_id: ChatId) -> Option<ChatKind> {
        self.known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&chat_id)
            .copied()
    }

    pub(super) fn remember(&self, chat_id: ChatId, kind: ChatKind) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MAX_REMEMBERED {
            known.clear();
        }
        known.insert(chat_id, kind);
    }
}
