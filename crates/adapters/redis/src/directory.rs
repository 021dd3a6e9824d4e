//! Which nodes each user is connected to, in Redis, and the script that
//! publishes an event once per node that hosts a recipient.
//!
//! A user's route is a hash `nerutalk:route:<user>` of node id → the time
//! (milliseconds since the epoch, the writing node's clock) until which the
//! entry holds. A node writes its entry when the user's first socket on it
//! opens, deletes it when the last one closes, and renews every entry it
//! holds every [`Renewal::every`], each for [`Renewal::lasts`]: the entries
//! of a node that died without closing its sockets stop counting within
//! that, and the publish script deletes them as it meets them. The whole
//! key expires as well, so a user whom no live node renews leaves nothing
//! behind. Redis losing its data (it keeps none on disk here) loses the
//! routes until each node's next renewal, or its reconnection, rewrites
//! them.
//!
//! Times are the callers' clocks, like the rate limiter's: nodes are kept
//! in step by NTP, and an entry lasts three renewals, far more than any
//! skew NTP leaves.

use std::time::Duration;

use nerutalk_domain::UserId;

use crate::envelope::SealedForNodes;

const ROUTE_PREFIX: &str = "nerutalk:route:";

/// The channel of each node: its id after this prefix.
pub(crate) const NODE_CHANNEL_PREFIX: &str = "nerutalk:node:";

pub(crate) fn route_key(user_id: UserId) -> String {
    format!("{ROUTE_PREFIX}{user_id}")
}

pub(crate) fn node_channel(node: &str) -> String {
    format!("{NODE_CHANNEL_PREFIX}{node}")
}

/// Looks up every recipient's live nodes and publishes once per node the
/// recipients on it, between the two halves of the sealed event. Entries
/// that have lapsed are deleted on the way. Returns how many messages it
/// published.
///
/// `KEYS`: the recipients' routes. `ARGV`: now (ms), the node channel
/// prefix, the sealed event's head and tail, then the recipients' ids in
/// the order of `KEYS`. Lua's numbers are doubles, exact for milliseconds
/// for the next 280,000 years.
const PUBLISH: &str = r#"
local now = tonumber(ARGV[1])
local recipients = {}
local nodes = {}
for i, key in ipairs(KEYS) do
  local entries = redis.call('HGETALL', key)
  for j = 1, #entries, 2 do
    local node = entries[j]
    if tonumber(entries[j + 1]) > now then
      local to = recipients[node]
      if not to then
        to = {}
        recipients[node] = to
        nodes[#nodes + 1] = node
      end
      to[#to + 1] = '"' .. ARGV[4 + i] .. '"'
    else
      redis.call('HDEL', key, node)
    end
  end
end
for _, node in ipairs(nodes) do
  redis.call('PUBLISH', ARGV[2] .. node,
    ARGV[3] .. table.concat(recipients[node], ',') .. ARGV[4])
end
return #nodes
"#;

pub(crate) fn publish_script() -> redis::Script {
    redis::Script::new(PUBLISH)
}

/// The script's invocation for `recipients`, at `now_ms`.
pub(crate) fn publish_invocation<'script>(
    script: &'script redis::Script,
    recipients: &[UserId],
    sealed: &SealedForNodes,
    now_ms: i64,
) -> redis::ScriptInvocation<'script> {
    let mut invocation = script.prepare_invoke();
    for recipient in recipients {
        invocation.key(route_key(*recipient));
    }
    invocation
        .arg(now_ms)
        .arg(NODE_CHANNEL_PREFIX)
        .arg(&sealed.head)
        .arg(&sealed.tail);
    for recipient in recipients {
        invocation.arg(recipient.to_string());
    }
    invocation
}

/// How often a node renews its entries, and so how long they last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    every: Duration,
}

impl Default for Renewal {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(10),
        }
    }
}

impl Renewal {
    /// Renewing every `every`; at least every 10 ms.
    #[must_use]
    pub fn every(every: Duration) -> Self {
        Self {
            every: every.max(Duration::from_millis(10)),
        }
    }

    pub(crate) fn period(self) -> Duration {
        self.every
    }

    /// Three renewals: one late or lost renewal does not cut a user off.
    pub(crate) fn lasts(self) -> Duration {
        self.every * 3
    }

    fn lasts_ms(self) -> i64 {
        i64::try_from(self.lasts().as_millis()).unwrap_or(i64::MAX)
    }
}

/// Adds to `pipeline` the commands that register `node` for `users` until
/// `now_ms` plus the entries' lifetime.
pub(crate) fn register(
    pipeline: &mut redis::Pipeline,
    node: &str,
    users: impl IntoIterator<Item = UserId>,
    renewal: Renewal,
    now_ms: i64,
) {
    let until = now_ms.saturating_add(renewal.lasts_ms());
    for user in users {
        let key = route_key(user);
        pipeline
            .hset(&key, node, until)
            .ignore()
            // Only ever lengthened: nodes may renew on different periods,
            // and the key must outlive every entry in it. NX gives a new
            // key its lifetime (GT treats a key without one as eternal),
            // GT extends an existing one. Both need Redis 7.
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(renewal.lasts_ms())
            .arg("NX")
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(renewal.lasts_ms())
            .arg("GT")
            .ignore();
    }
}

/// Adds to `pipeline` the command that removes `node` from `user`'s route.
pub(crate) fn unregister(pipeline: &mut redis::Pipeline, node: &str, user: UserId) {
    pipeline.hdel(route_key(user), node).ignore();
}
