//! The event bus contract: what is published to a subscribed user reaches
//! this node's sink, once per recipient, in publication order.

use std::sync::{Arc, Mutex};

use nerutalk_domain::event::ChatEvent;
use nerutalk_domain::{ChatId, UserId};
use nerutalk_memory::MemoryEventBus;
use nerutalk_ports::{EventBus, EventSink};

#[derive(Default)]
struct RecordingSink(Mutex<Vec<(UserId, ChatEvent)>>);

impl EventSink for RecordingSink {
    fn deliver(&self, user_id: UserId, event: ChatEvent) {
        if let Ok(mut seen) = self.0.lock() {
            seen.push((user_id, event));
        }
    }
}

#[tokio::test]
async fn published_events_reach_each_subscribed_recipient_in_order() {
    let sink = Arc::new(RecordingSink::default());
    let bus = MemoryEventBus::new(sink.clone());
    let (ada, bob) = (UserId::generate(), UserId::generate());
    bus.subscribe(ada).await.unwrap();
    bus.subscribe(bob).await.unwrap();
    let chat_id = ChatId::generate();
    for seq in 1..=3 {
        let event = ChatEvent::MessageRead {
            chat_id,
            user_id: ada,
            seq,
        };
        bus.publish(&[ada, bob], &event).await.unwrap();
    }
    let seen = sink.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    let to_bob: Vec<i64> = seen
        .iter()
        .filter(|(user, _)| *user == bob)
        .filter_map(|(_, event)| match event {
            ChatEvent::MessageRead { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(to_bob, [1, 2, 3]);
}
