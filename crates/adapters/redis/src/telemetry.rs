//! What the bus records for Prometheus (every metric is listed in
//! `docs/operations.md`), through the `metrics` facade: the server installs
//! the recorder; without one, recording is a no-op.

use std::time::Duration;

/// An event published, to however many recipients and nodes.
pub(crate) fn event_published() {
    metrics::counter!("nerutalk_bus_events_published_total").increment(1);
}

/// Pub/sub messages the publish script sent: one per node that hosts a
/// recipient of the event.
pub(crate) fn messages_sent(count: u64) {
    metrics::counter!("nerutalk_bus_messages_sent_total").increment(count);
}

/// A pub/sub message this node received on its channel.
pub(crate) fn message_received() {
    metrics::counter!("nerutalk_bus_messages_received_total").increment(1);
}

/// From the publisher's stamp to this node reading the message.
pub(crate) fn transit(took: Duration) {
    metrics::histogram!("nerutalk_bus_transit_duration_seconds").record(took.as_secs_f64());
}

/// An event or invalidation this node could not read.
pub(crate) fn skipped() {
    metrics::counter!("nerutalk_bus_events_skipped_total").increment(1);
}
