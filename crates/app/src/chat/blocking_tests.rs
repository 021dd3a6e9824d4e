//! The blocking rule against mocked ports: every port is a strict mock, so
//! a read, write or event the rule forbids fails the test.

use std::sync::Arc;

use chrono::Utc;
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Participant, Role};
use nerutalk_domain::event::{ChatEvent, LiveEvent, PresenceChange};
use nerutalk_domain::{ChatId, DomainError, MessageId, UserId};
use nerutalk_ports::{
    Block, MockBlockRepository, MockChatRepository, MockEventBus, MockMessageRepository,
    MockPresenceStore, MockTypingStore, MockUserRepository, Presence, Roster, SystemClock,
};

use super::{ChatPorts, ChatService, NewConversation};
use crate::AppError;

#[derive(Default)]
struct Mocks {
    chats: MockChatRepository,
    messages: MockMessageRepository,
    blocks: MockBlockRepository,
    users: MockUserRepository,
    bus: MockEventBus,
    presence: MockPresenceStore,
    typing: MockTypingStore,
}

impl Mocks {
    fn service(mut self) -> ChatService {
        // What is invalidated is asserted where it matters, not in every test.
        self.bus.expect_invalidate().returning(|_| Ok(()));
        ChatService::new(
            ChatPorts {
                chats: Arc::new(self.chats),
                messages: Arc::new(self.messages),
                blocks: Arc::new(self.blocks),
                users: Arc::new(self.users),
                bus: Arc::new(self.bus),
                presence: Arc::new(self.presence),
                typing: Arc::new(self.typing),
                clock: Arc::new(SystemClock),
                rate_limiter: Arc::new(super::limits::test_support::allowing()),
            },
            super::limits::test_support::generous(),
        )
    }

    /// `chat_id` answers with these members, whatever is asked of it.
    fn chat(&mut self, kind: ChatKind, members: &[(UserId, Role)]) -> ChatId {
        let chat = Chat {
            id: ChatId::generate(),
            kind,
            details: ChatDetails::default(),
            created_by: members[0].0,
            created_at: Utc::now(),
            last_activity_at: Utc::now(),
            last_seq: 3,
        };
        let chat_id = chat.id;
        let members: Vec<Participant> = members
            .iter()
            .map(|(user_id, role)| Participant {
                user_id: *user_id,
                role: *role,
                joined_at: Utc::now(),
                last_read_seq: 0,
            })
            .collect();
        let roster = Roster {
            chat: chat.clone(),
            members: members.clone(),
        };
        self.chats
            .expect_roster()
            .returning(move |_| Ok(roster.clone()));
        self.chats.expect_get().returning(move |_| Ok(chat.clone()));
        self.chats
            .expect_member()
            .returning(move |_, user| Ok(members.iter().find(|m| m.user_id == user).cloned()));
        chat_id
    }

    /// A block between the two members of a direct chat.
    fn blocked_pair(&mut self) {
        self.blocks
            .expect_either_blocks()
            .returning(|_, _| Ok(true));
    }

    /// Every user asked about is active; they are asked about in one read.
    fn active_users(&mut self) {
        self.users.expect_get().never();
        self.users.expect_active_among().times(..=1).returning(Ok);
    }
}

fn pair() -> (UserId, UserId) {
    (UserId::generate(), UserId::generate())
}

#[tokio::test]
async fn a_block_freezes_edits_and_deletes_in_the_direct_chat() {
    let (blocked, blocker) = pair();
    let mut mocks = Mocks::default();
    let chat_id = mocks.chat(
        ChatKind::Direct,
        &[(blocked, Role::Member), (blocker, Role::Member)],
    );
    mocks.blocked_pair();
    // No message is read, changed or told about.
    mocks.messages.expect_get().never();
    mocks.messages.expect_edit().never();
    mocks.messages.expect_delete().never();
    mocks.bus.expect_publish().never();
    let service = mocks.service();
    let message_id = MessageId::generate();
    for actor in [blocked, blocker] {
        assert_eq!(
            service
                .edit_message(actor, chat_id, message_id, "changed")
                .await
                .unwrap_err(),
            AppError::Blocked
        );
        assert_eq!(
            service
                .delete_message(actor, chat_id, message_id)
                .await
                .unwrap_err(),
            AppError::Blocked
        );
    }
}

#[tokio::test]
async fn a_block_stops_typing_in_the_direct_chat() {
    let (blocked, blocker) = pair();
    let mut mocks = Mocks::default();
    let chat_id = mocks.chat(
        ChatKind::Direct,
        &[(blocked, Role::Member), (blocker, Role::Member)],
    );
    mocks.blocked_pair();
    mocks.typing.expect_start().never();
    // A stop (the gateway's clean-up when a socket closes) still clears the
    // indicator, but tells nobody.
    mocks
        .typing
        .expect_stop()
        .withf(move |chat, user, _| *chat == chat_id && *user == blocked)
        .times(1)
        .returning(|_, _, _| Ok(true));
    // An indicator that ran out after the block is not announced either.
    mocks
        .typing
        .expect_typing_in()
        .returning(|_, _| Ok(Vec::new()));
    mocks.bus.expect_publish().never();
    let service = mocks.service();
    assert_eq!(
        service.typing(blocked, chat_id, true).await.unwrap_err(),
        AppError::Blocked
    );
    service.typing(blocked, chat_id, false).await.unwrap();
    service.typing_ran_out(blocked, chat_id).await.unwrap();
}

#[tokio::test]
async fn under_a_block_a_read_marker_is_kept_and_told_only_to_the_reader() {
    let (reader, blocker) = pair();
    let mut mocks = Mocks::default();
    let chat_id = mocks.chat(
        ChatKind::Direct,
        &[(reader, Role::Member), (blocker, Role::Member)],
    );
    mocks.blocked_pair();
    mocks
        .chats
        .expect_mark_read()
        .times(1)
        .returning(|_, _, seq| Ok(seq));
    mocks
        .bus
        .expect_publish()
        .withf(move |recipients, event| {
            recipients == [reader]
                && matches!(
                    event,
                    LiveEvent::Chat(ChatEvent::MessageRead { seq: 2, .. })
                )
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let service = mocks.service();
    assert_eq!(service.mark_read(reader, chat_id, 2).await.unwrap(), 2);
}

#[tokio::test]
async fn in_a_group_both_chose_receipts_and_typing_still_reach_everyone() {
    let (blocked, blocker) = pair();
    let owner = UserId::generate();
    let mut mocks = Mocks::default();
    let chat_id = mocks.chat(
        ChatKind::Group,
        &[
            (owner, Role::Owner),
            (blocked, Role::Member),
            (blocker, Role::Member),
        ],
    );
    // Groups are not frozen: no block is even looked up.
    mocks.blocks.expect_either_blocks().never();
    mocks.blocks.expect_blocks_between().never();
    mocks
        .chats
        .expect_mark_read()
        .returning(|_, _, seq| Ok(seq));
    mocks
        .typing
        .expect_start()
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    mocks
        .bus
        .expect_publish()
        .withf(move |recipients, _| recipients.contains(&blocker))
        .times(2)
        .returning(|_, _| Ok(()));
    let service = mocks.service();
    service.mark_read(blocked, chat_id, 1).await.unwrap();
    service.typing(blocked, chat_id, true).await.unwrap();
}

#[tokio::test]
async fn nobody_creates_a_group_with_someone_who_blocked_them() {
    let (actor, blocker) = pair();
    let friend = UserId::generate();
    let mut mocks = Mocks::default();
    mocks.active_users();
    mocks
        .blocks
        .expect_blocks_between()
        .withf(move |user, others| *user == actor && *others == [friend, blocker])
        .times(1)
        .returning(move |_, _| {
            Ok(vec![Block {
                blocker,
                blocked: actor,
            }])
        });
    mocks.chats.expect_create().never();
    mocks.bus.expect_publish().never();
    let service = mocks.service();
    let request = NewConversation {
        kind: ChatKind::Group,
        members: vec![friend, blocker, friend],
        name: Some("Crew".into()),
        description: None,
        avatar_url: None,
    };
    let refused = service.create_chat(actor, request).await.unwrap_err();
    assert_eq!(
        refused,
        AppError::MemberBlocked {
            field: "member_ids"
        }
    );
    assert_eq!(refused.field(), Some("member_ids"));
}

#[tokio::test]
async fn the_blocker_may_still_put_the_blocked_user_in_a_group() {
    let (blocker, blocked) = pair();
    let mut mocks = Mocks::default();
    mocks.active_users();
    mocks
        .blocks
        .expect_blocks_between()
        .returning(move |_, _| Ok(vec![Block { blocker, blocked }]));
    mocks.chats.expect_create().times(1).returning(|new| {
        Ok(Chat {
            id: new.id,
            kind: new.kind,
            details: new.details,
            created_by: new.created_by,
            created_at: new.created_at,
            last_activity_at: new.created_at,
            last_seq: 0,
        })
    });
    mocks.chats.expect_members().returning(|_| Ok(Vec::new()));
    mocks
        .typing
        .expect_typing_in()
        .returning(|_, _| Ok(Vec::new()));
    mocks.bus.expect_publish().returning(|_, _| Ok(()));
    let service = mocks.service();
    let request = NewConversation {
        kind: ChatKind::Group,
        members: vec![blocked],
        name: Some("Crew".into()),
        description: None,
        avatar_url: None,
    };
    assert!(service.create_chat(blocker, request).await.unwrap().1);
}

#[tokio::test]
async fn nobody_adds_to_a_group_someone_who_blocked_them() {
    let (admin, blocker) = pair();
    let mut mocks = Mocks::default();
    let chat_id = mocks.chat(ChatKind::Group, &[(admin, Role::Owner)]);
    mocks.active_users();
    mocks.blocks.expect_blocks_between().returning(move |_, _| {
        Ok(vec![Block {
            blocker,
            blocked: admin,
        }])
    });
    mocks.chats.expect_add_members().never();
    mocks.bus.expect_publish().never();
    let service = mocks.service();
    let refused = service
        .add_participants(admin, chat_id, vec![blocker])
        .await
        .unwrap_err();
    // The add route's list is `user_ids`, and the reply names it.
    assert_eq!(refused, AppError::MemberBlocked { field: "user_ids" });
    assert_eq!(refused.field(), Some("user_ids"));
}

// No user or block lookup is expected: one would fail the test.
#[tokio::test]
async fn a_group_too_large_is_refused_before_any_lookup() {
    let service = Mocks::default().service();
    let request = NewConversation {
        kind: ChatKind::Group,
        members: (0..1_600).map(|_| UserId::generate()).collect(),
        name: Some("Everyone".into()),
        description: None,
        avatar_url: None,
    };
    assert_eq!(
        service
            .create_chat(UserId::generate(), request)
            .await
            .unwrap_err(),
        AppError::Invalid(DomainError::GroupTooLarge {
            max: ChatDetails::GROUP_MAX_MEMBERS,
            field: "member_ids"
        })
    );
}

/// `user` shares chats with these contacts, and `blocker` blocks them; the
/// blocks are read `reads` times, once for each list of contacts.
fn contacts_with_a_block(
    user: UserId,
    contacts: Vec<UserId>,
    blocker: UserId,
    reads: usize,
) -> Mocks {
    let mut mocks = Mocks::default();
    mocks
        .chats
        .expect_contacts()
        .returning(move |_| Ok(contacts.clone()));
    mocks
        .blocks
        .expect_blocks_between()
        .times(reads)
        .returning(move |_, _| {
            Ok(vec![Block {
                blocker,
                blocked: user,
            }])
        });
    mocks
}

#[tokio::test]
async fn presence_on_connect_leaves_out_either_side_of_a_block() {
    let (user, blocker) = pair();
    let friend = UserId::generate();
    let mut mocks = contacts_with_a_block(user, vec![friend, blocker], blocker, 1);
    mocks
        .presence
        .expect_presence()
        .withf(move |users| *users == [friend])
        .returning(|users| {
            Ok(users
                .into_iter()
                .map(|user_id| Presence {
                    user_id,
                    online: true,
                    last_seen: None,
                })
                .collect())
        });
    let presence = mocks.service().contacts_presence(user).await.unwrap();
    assert_eq!(presence.len(), 1);
    assert_eq!(presence[0].user_id, friend);
}

#[tokio::test]
async fn presence_changes_are_not_announced_across_a_block() {
    let (user, blocker) = pair();
    let friend = UserId::generate();
    let mut mocks = contacts_with_a_block(user, vec![blocker, friend], blocker, 2);
    mocks.presence.expect_connected().returning(|_| Ok(true));
    mocks
        .presence
        .expect_disconnected()
        .returning(|_, _| Ok(true));
    mocks
        .bus
        .expect_publish()
        .withf(move |recipients, event| {
            recipients == [friend] && matches!(event, LiveEvent::Presence(_))
        })
        .times(2)
        .returning(|_, _| Ok(()));
    let service = mocks.service();
    service.connected(user, false).await.unwrap();
    service.disconnected(user, false).await;
}

/// Every event published, with its recipients.
type Told = Arc<std::sync::Mutex<Vec<(Vec<UserId>, LiveEvent)>>>;

/// A bus that records every event and to whom it went.
fn recording_bus(mocks: &mut Mocks) -> Told {
    let told = Told::default();
    let sink = Arc::clone(&told);
    mocks
        .bus
        .expect_publish()
        .returning(move |recipients, event| {
            sink.lock()
                .unwrap()
                .push((recipients.to_vec(), event.clone()));
            Ok(())
        });
    told
}

#[tokio::test]
async fn a_block_takes_each_side_offline_for_the_other() {
    let (blocker, blocked) = pair();
    let mut mocks = Mocks::default();
    mocks
        .blocks
        .expect_block()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let told = recording_bus(&mut mocks);
    mocks.service().block(blocker, blocked).await.unwrap();
    let offline = |user_id| {
        LiveEvent::Presence(PresenceChange {
            user_id,
            online: false,
            last_seen: None,
        })
    };
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told.contains(&(vec![blocker], offline(blocked))),
        "{told:?}"
    );
    assert!(
        told.contains(&(vec![blocked], offline(blocker))),
        "{told:?}"
    );
}

#[tokio::test]
async fn an_unblock_tells_each_contact_the_others_real_presence() {
    let (blocker, blocked) = pair();
    let mut mocks = Mocks::default();
    mocks
        .blocks
        .expect_unblock()
        .times(1)
        .returning(|_, _| Ok(()));
    mocks
        .chats
        .expect_contacts()
        .returning(move |_| Ok(vec![blocked]));
    mocks
        .blocks
        .expect_blocks_between()
        .returning(|_, _| Ok(Vec::new()));
    let seen = Utc::now();
    mocks.presence.expect_presence().returning(move |users| {
        Ok(users
            .into_iter()
            .map(|user_id| Presence {
                user_id,
                online: user_id == blocked,
                last_seen: (user_id == blocker).then_some(seen),
            })
            .collect())
    });
    let told = recording_bus(&mut mocks);
    mocks.service().unblock(blocker, blocked).await.unwrap();
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told.contains(&(
        vec![blocker],
        LiveEvent::Presence(PresenceChange {
            user_id: blocked,
            online: true,
            last_seen: None,
        })
    )));
    assert!(told.contains(&(
        vec![blocked],
        LiveEvent::Presence(PresenceChange {
            user_id: blocker,
            online: false,
            last_seen: Some(seen),
        })
    )));
}

#[tokio::test]
async fn an_unblock_between_strangers_tells_nothing() {
    let (blocker, blocked) = pair();
    let mut mocks = Mocks::default();
    mocks.blocks.expect_unblock().returning(|_, _| Ok(()));
    mocks.chats.expect_contacts().returning(|_| Ok(Vec::new()));
    mocks.presence.expect_presence().never();
    mocks.bus.expect_publish().never();
    mocks.service().unblock(blocker, blocked).await.unwrap();
}

#[tokio::test]
async fn a_group_s_members_are_looked_up_in_one_read() {
    let actor = UserId::generate();
    let members: Vec<UserId> = (0..200).map(|_| UserId::generate()).collect();
    let expected = members.clone();
    let disabled = members[150];
    let mut mocks = Mocks::default();
    mocks.users.expect_get().never();
    mocks
        .users
        .expect_active_among()
        .withf(move |asked| *asked == expected)
        .times(1)
        .returning(move |asked| Ok(asked.into_iter().filter(|id| *id != disabled).collect()));
    mocks.chats.expect_create().never();
    let service = mocks.service();
    let request = NewConversation {
        kind: ChatKind::Group,
        members: members.iter().chain(&members[..10]).copied().collect(),
        name: Some("Crew".into()),
        description: None,
        avatar_url: None,
    };
    assert_eq!(
        service.create_chat(actor, request).await.unwrap_err(),
        AppError::UserNotFound
    );
}

#[tokio::test]
async fn a_block_that_fails_is_still_invalidated_everywhere_and_tells_nobody() {
    let (blocker, blocked) = pair();
    let mut mocks = Mocks::default();
    // It may have committed before the error: other nodes must not keep "not blocked".
    mocks
        .blocks
        .expect_block()
        .times(1)
        .returning(|_, _, _| Err(nerutalk_ports::PortError::unavailable("lost after commit")));
    mocks
        .blocks
        .expect_unblock()
        .times(1)
        .returning(|_, _| Err(nerutalk_ports::PortError::unavailable("lost after commit")));
    mocks
        .bus
        .expect_invalidate()
        .withf(move |what| *what == nerutalk_domain::event::Invalidation::User(blocker))
        .times(2)
        .returning(|_| Ok(()));
    mocks.bus.expect_publish().never();
    let service = mocks.service();
    assert_eq!(
        service.block(blocker, blocked).await,
        Err(AppError::Unavailable)
    );
    assert_eq!(
        service.unblock(blocker, blocked).await,
        Err(AppError::Unavailable)
    );
}
