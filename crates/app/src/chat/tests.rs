//! Chat use cases against mocked ports.

use std::sync::Arc;

use chrono::Utc;
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Message, MessageKind, Participant, Role};
use nerutalk_domain::event::{ChatEvent, Invalidation, LiveEvent};
use nerutalk_domain::{ChatId, DomainError, MessageId, UserId};
use nerutalk_ports::{
    AddMembersOutcome, Appended, MockBlockRepository, MockChatRepository, MockEventBus,
    MockMessageRepository, MockPresenceStore, MockTypingStore, MockUserRepository, PortError,
    Roster, SystemClock,
};

use super::{ChatPorts, ChatService, Outgoing};
use crate::AppError;

fn chat(kind: ChatKind) -> Chat {
    Chat {
        id: ChatId::generate(),
        kind,
        details: ChatDetails::default(),
        created_by: UserId::generate(),
        created_at: Utc::now(),
        last_activity_at: Utc::now(),
        last_seq: 0,
    }
}

fn member(user_id: UserId, role: Role) -> Participant {
    Participant {
        user_id,
        role,
        joined_at: Utc::now(),
        last_read_seq: 0,
    }
}

fn message(chat_id: ChatId, sender_id: UserId, seq: i64) -> Message {
    Message {
        id: MessageId::generate(),
        chat_id,
        seq,
        sender_id,
        kind: MessageKind::Text,
        text: Some("hi".into()),
        media_url: None,
        reply_to: None,
        client_message_id: Some("k1".into()),
        created_at: Utc::now(),
        edited_at: None,
        deleted_at: None,
    }
}

fn roster(chat: Chat, members: &[(UserId, Role)]) -> Roster {
    Roster {
        chat,
        members: members
            .iter()
            .map(|(user, role)| member(*user, *role))
            .collect(),
    }
}

fn service(
    chats: MockChatRepository,
    messages: MockMessageRepository,
    blocks: MockBlockRepository,
    mut bus: MockEventBus,
) -> ChatService {
    // What is invalidated is asserted where it matters, not in every test.
    bus.expect_invalidate().returning(|_| Ok(()));
    ChatService::new(
        ChatPorts {
            chats: Arc::new(chats),
            messages: Arc::new(messages),
            blocks: Arc::new(blocks),
            users: Arc::new(MockUserRepository::new()),
            bus: Arc::new(bus),
            presence: Arc::new(MockPresenceStore::new()),
            typing: Arc::new(MockTypingStore::new()),
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::new(super::limits::test_support::allowing()),
        },
        super::limits::test_support::generous(),
    )
}

fn text(body: &str) -> Outgoing {
    Outgoing {
        kind: MessageKind::Text,
        text: Some(body.into()),
        media_url: None,
        reply_to: None,
        client_message_id: Some("k1".into()),
    }
}

#[tokio::test]
async fn strangers_get_not_found_and_nothing_is_stored() {
    let group = chat(ChatKind::Group);
    let mut chats = MockChatRepository::new();
    chats.expect_get().returning(move |_| Ok(group.clone()));
    // The store refuses a sender who is not a member, as it appends.
    let mut messages = MockMessageRepository::new();
    messages
        .expect_append()
        .times(1)
        .returning(|_| Err(PortError::NotFound));
    let mut bus = MockEventBus::new();
    bus.expect_publish().never();
    let service = service(chats, messages, MockBlockRepository::new(), bus);
    let error = service
        .send_message(UserId::generate(), ChatId::generate(), text("hi"))
        .await;
    assert_eq!(error.unwrap_err(), AppError::ChatNotFound);
}

#[tokio::test]
async fn a_new_message_is_published_to_every_member_and_a_retry_is_not() {
    let (me, you) = (UserId::generate(), UserId::generate());
    let group = chat(ChatKind::Group);
    let chat_id = group.id;
    let mut chats = MockChatRepository::new();
    // A group's kind is read once; its members come back with the append.
    chats
        .expect_get()
        .times(1)
        .returning(move |_| Ok(group.clone()));
    let mut messages = MockMessageRepository::new();
    let stored = message(chat_id, me, 1);
    let first = stored.clone();
    messages.expect_append().times(1).returning(move |_| {
        Ok(Appended {
            message: first.clone(),
            created: true,
            audience: vec![me, you],
        })
    });
    messages.expect_append().times(1).returning(move |_| {
        Ok(Appended {
            message: stored.clone(),
            created: false,
            audience: vec![me, you],
        })
    });
    let mut bus = MockEventBus::new();
    bus.expect_publish()
        .withf(move |recipients, _| recipients.len() == 2)
        .times(1)
        .returning(|_, _| Ok(()));
    let service = service(chats, messages, MockBlockRepository::new(), bus);
    assert!(
        service
            .send_message(me, chat_id, text("hi"))
            .await
            .unwrap()
            .created
    );
    assert!(
        !service
            .send_message(me, chat_id, text("hi"))
            .await
            .unwrap()
            .created
    );
}

#[tokio::test]
async fn blocked_pairs_cannot_message_in_a_direct_chat() {
    let (me, you) = (UserId::generate(), UserId::generate());
    let direct = chat(ChatKind::Direct);
    let chat_id = direct.id;
    let mut chats = MockChatRepository::new();
    let kind = direct.clone();
    chats.expect_get().returning(move |_| Ok(kind.clone()));
    let ours = roster(direct, &[(me, Role::Member), (you, Role::Member)]);
    chats.expect_roster().returning(move |_| Ok(ours.clone()));
    let mut blocks = MockBlockRepository::new();
    blocks.expect_either_blocks().returning(|_, _| Ok(true));
    let mut messages = MockMessageRepository::new();
    messages.expect_append().never();
    let service = service(chats, messages, blocks, MockEventBus::new());
    assert_eq!(
        service
            .send_message(me, chat_id, text("hi"))
            .await
            .unwrap_err(),
        AppError::Blocked
    );
}

#[tokio::test]
async fn empty_and_oversized_messages_are_refused_before_storage() {
    let (me, chat_id) = (UserId::generate(), ChatId::generate());
    let service = service(
        MockChatRepository::new(),
        MockMessageRepository::new(),
        MockBlockRepository::new(),
        MockEventBus::new(),
    );
    assert_eq!(
        service
            .send_message(me, chat_id, text("  "))
            .await
            .unwrap_err(),
        AppError::Invalid(DomainError::MessageEmpty)
    );
    assert_eq!(
        service
            .send_message(me, chat_id, text(&"x".repeat(4_001)))
            .await
            .unwrap_err(),
        AppError::Invalid(DomainError::MessageTooLong { max: 4_000 })
    );
}

#[tokio::test]
async fn text_rules_are_checked_before_any_port_is_asked() {
    let (me, chat_id) = (UserId::generate(), ChatId::generate());
    // Mocks without expectations: any port call fails the test.
    let service = service(
        MockChatRepository::new(),
        MockMessageRepository::new(),
        MockBlockRepository::new(),
        MockEventBus::new(),
    );
    let control = |field| AppError::Invalid(DomainError::ControlCharacters { field });
    let keyed = Outgoing {
        client_message_id: Some("k\0".into()),
        ..text("hi")
    };
    for (outgoing, expected) in [
        (text("a\0b"), control("text")),
        (keyed, control("client_message_id")),
        (
            text("\u{200b}\u{3164} \u{2800}"),
            AppError::Invalid(DomainError::MessageEmpty),
        ),
    ] {
        assert_eq!(
            service
                .send_message(me, chat_id, outgoing)
                .await
                .unwrap_err(),
            expected
        );
    }
    assert_eq!(
        service
            .edit_message(me, chat_id, MessageId::generate(), "a\0b")
            .await
            .unwrap_err(),
        control("text")
    );
}

#[tokio::test]
async fn only_admins_rename_groups_and_nobody_renames_a_direct_chat() {
    let group = chat(ChatKind::Group);
    let direct = chat(ChatKind::Direct);
    let (group_id, direct_id) = (group.id, direct.id);
    let mut chats = MockChatRepository::new();
    chats
        .expect_member()
        .returning(move |_, user| Ok(Some(member(user, Role::Member))));
    chats.expect_get().returning(move |id| {
        Ok(if id == group_id {
            group.clone()
        } else {
            direct.clone()
        })
    });
    chats.expect_update_details().never();
    let service = service(
        chats,
        MockMessageRepository::new(),
        MockBlockRepository::new(),
        MockEventBus::new(),
    );
    let me = UserId::generate();
    assert_eq!(
        service
            .update_chat(me, group_id, Some("New".into()), None, None)
            .await
            .unwrap_err(),
        AppError::NotChatAdmin
    );
    assert_eq!(
        service
            .update_chat(me, direct_id, Some("New".into()), None, None)
            .await
            .unwrap_err(),
        AppError::DirectChatFixed
    );
}

#[tokio::test]
async fn a_chat_that_does_not_exist_reads_as_not_found() {
    let mut chats = MockChatRepository::new();
    chats
        .expect_roster()
        .returning(|_| Err(PortError::NotFound));
    let service = service(
        chats,
        MockMessageRepository::new(),
        MockBlockRepository::new(),
        MockEventBus::new(),
    );
    let error = service
        .mark_read(UserId::generate(), ChatId::generate(), 3)
        .await;
    assert_eq!(error.unwrap_err(), AppError::ChatNotFound);
}

#[tokio::test]
async fn a_reply_from_a_stranger_does_not_reveal_the_chat() {
    let group = chat(ChatKind::Group);
    let chat_id = group.id;
    let mut chats = MockChatRepository::new();
    let kind = group.clone();
    chats.expect_get().returning(move |_| Ok(kind.clone()));
    let theirs = roster(group, &[(UserId::generate(), Role::Owner)]);
    chats.expect_roster().returning(move |_| Ok(theirs.clone()));
    let mut messages = MockMessageRepository::new();
    messages.expect_get().never();
    messages.expect_append().never();
    let service = service(
        chats,
        messages,
        MockBlockRepository::new(),
        MockEventBus::new(),
    );
    let mut reply = text("hi");
    reply.reply_to = Some(MessageId::generate());
    let error = service
        .send_message(UserId::generate(), chat_id, reply)
        .await;
    assert_eq!(error.unwrap_err(), AppError::ChatNotFound);
}

#[tokio::test]
async fn an_edit_that_loses_a_race_with_a_delete_is_not_editable_and_tells_nobody() {
    let me = UserId::generate();
    let group = chat(ChatKind::Group);
    let chat_id = group.id;
    let mut chats = MockChatRepository::new();
    let ours = roster(group, &[(me, Role::Owner)]);
    chats.expect_roster().returning(move |_| Ok(ours.clone()));
    // The read sees a live message; the delete commits before the edit does.
    let live = message(chat_id, me, 1);
    let message_id = live.id;
    let mut messages = MockMessageRepository::new();
    messages
        .expect_get()
        .returning(move |_, _| Ok(live.clone()));
    messages
        .expect_edit()
        .withf(move |id, author, _, _| *id == message_id && *author == me)
        .times(1)
        .returning(|_, _, _, _| Err(PortError::NotFound));
    let mut blocks = MockBlockRepository::new();
    blocks.expect_either_blocks().returning(|_, _| Ok(false));
    let mut bus = MockEventBus::new();
    bus.expect_publish().never();
    let service = service(chats, messages, blocks, bus);
    let error = service.edit_message(me, chat_id, message_id, "late").await;
    assert_eq!(error.unwrap_err(), AppError::MessageNotEditable);
}

/// A group owned by `owner`, as `managed_group` reads it, for add-member tests.
fn owned_group(owner: UserId) -> (Chat, MockChatRepository) {
    let group = chat(ChatKind::Group);
    let mut chats = MockChatRepository::new();
    chats
        .expect_member()
        .returning(move |_, user| Ok((user == owner).then(|| member(user, Role::Owner))));
    let stored = group.clone();
    chats.expect_get().returning(move |_| Ok(stored.clone()));
    (group, chats)
}

fn service_with_typing(chats: MockChatRepository, bus: MockEventBus) -> ChatService {
    let mut typing = MockTypingStore::new();
    typing.expect_typing_in().returning(|_, _| Ok(Vec::new()));
    // Nobody here blocks anybody.
    let mut blocks = MockBlockRepository::new();
    blocks
        .expect_blocks_between()
        .returning(|_, _| Ok(Vec::new()));
    ChatService::new(
        ChatPorts {
            chats: Arc::new(chats),
            messages: Arc::new(MockMessageRepository::new()),
            blocks: Arc::new(blocks),
            users: Arc::new(MockUserRepository::new()),
            bus: Arc::new(bus),
            presence: Arc::new(MockPresenceStore::new()),
            typing: Arc::new(typing),
            clock: Arc::new(SystemClock),
            rate_limiter: Arc::new(super::limits::test_support::allowing()),
        },
        super::limits::test_support::generous(),
    )
}

#[tokio::test]
async fn adding_members_is_one_store_call_and_one_event_for_all_of_them() {
    let owner = UserId::generate();
    let newcomers: Vec<UserId> = (0..5).map(|_| UserId::generate()).collect();
    let (group, mut chats) = owned_group(owner);
    let chat_id = group.id;
    let everyone: Vec<Participant> = std::iter::once(member(owner, Role::Owner))
        .chain(newcomers.iter().map(|user| member(*user, Role::Member)))
        .collect();
    let (asked, after) = (newcomers.clone(), everyone.clone());
    // The users are looked up by the store, with the cap, in the same call:
    // nothing reads them one by one first.
    chats
        .expect_add_members()
        .withf(move |id, users, cap, _| {
            *id == chat_id && *users == asked && *cap == ChatDetails::GROUP_MAX_MEMBERS
        })
        .times(1)
        .returning(move |_, users, _, _| {
            Ok(AddMembersOutcome::Added {
                added: users,
                members: after.clone(),
            })
        });
    chats.expect_members().never();
    let told: Vec<UserId> = everyone.iter().map(|member| member.user_id).collect();
    let added = newcomers.clone();
    let mut bus = MockEventBus::new();
    bus.expect_publish()
        .withf(move |recipients, event| {
            let LiveEvent::Chat(ChatEvent::ParticipantAdded {
                chat_id: about,
                participants,
            }) = event
            else {
                return false;
            };
            let users: Vec<UserId> = participants.iter().map(|p| p.user_id).collect();
            recipients == told.as_slice()
                && *about == chat_id
                && users == added
                && participants.iter().all(|p| p.role == Role::Member)
        })
        .times(1)
        .returning(|_, _| Ok(()));
    // Every node drops its copy of the roster.
    bus.expect_invalidate()
        .withf(move |what| *what == Invalidation::Chat(chat_id))
        .times(1)
        .returning(|_| Ok(()));
    let service = service_with_typing(chats, bus);
    // A user named twice is added once.
    let mut asked_for = newcomers.clone();
    asked_for.push(newcomers[0]);
    let view = service.add_participants(owner, chat_id, asked_for).await;
    assert_eq!(view.unwrap().participants, everyone);
}

#[tokio::test]
async fn refused_adds_tell_nobody_and_name_the_reason() {
    let owner = UserId::generate();
    let (group, mut chats) = owned_group(owner);
    let chat_id = group.id;
    chats
        .expect_add_members()
        .times(1)
        .returning(|_, _, _, _| Ok(AddMembersOutcome::TooLarge));
    chats
        .expect_add_members()
        .times(1)
        .returning(|_, users, _, _| Ok(AddMembersOutcome::UnknownUsers(users)));
    let mut bus = MockEventBus::new();
    bus.expect_publish().never();
    let service = service_with_typing(chats, bus);
    let add = async |users: Vec<UserId>| {
        service
            .add_participants(owner, chat_id, users)
            .await
            .unwrap_err()
    };
    assert_eq!(
        add(vec![UserId::generate()]).await,
        AppError::Invalid(DomainError::GroupTooLarge {
            max: ChatDetails::GROUP_MAX_MEMBERS,
            field: "user_ids"
        })
    );
    assert_eq!(add(vec![UserId::generate()]).await, AppError::UserNotFound);
}

#[tokio::test]
async fn more_members_than_a_group_holds_are_refused_before_any_lookup() {
    let mut chats = MockChatRepository::new();
    chats.expect_member().never();
    chats.expect_add_members().never();
    let mut bus = MockEventBus::new();
    bus.expect_publish().never();
    let service = service_with_typing(chats, bus);
    let crowd = (0..=ChatDetails::GROUP_MAX_MEMBERS)
        .map(|_| UserId::generate())
        .collect();
    let error = service
        .add_participants(UserId::generate(), ChatId::generate(), crowd)
        .await;
    assert_eq!(
        error.unwrap_err(),
        AppError::Invalid(DomainError::GroupTooLarge {
            max: ChatDetails::GROUP_MAX_MEMBERS,
            field: "user_ids"
        })
    );
}

#[tokio::test]
async fn a_membership_write_that_fails_is_still_invalidated_everywhere() {
    let owner = UserId::generate();
    let (group, mut chats) = owned_group(owner);
    let chat_id = group.id;
    // It may have committed before the error: other nodes must not keep the old roster.
    chats
        .expect_remove_member()
        .times(1)
        .returning(|_, _| Err(PortError::unavailable("connection lost after commit")));
    chats
        .expect_add_members()
        .times(1)
        .returning(|_, _, _, _| Err(PortError::unavailable("connection lost after commit")));
    let mut bus = MockEventBus::new();
    bus.expect_invalidate()
        .withf(move |what| *what == Invalidation::Chat(chat_id))
        .times(2)
        .returning(|_| Ok(()));
    bus.expect_publish().never();
    let service = service_with_typing(chats, bus);
    assert!(matches!(
        service.remove_participant(owner, chat_id, owner).await,
        Err(AppError::Unavailable)
    ));
    let newcomer = UserId::generate();
    assert!(matches!(
        service
            .add_participants(owner, chat_id, vec![newcomer])
            .await,
        Err(AppError::Unavailable)
    ));
}

#[tokio::test]
async fn a_write_that_found_nothing_invalidates_nothing() {
    let owner = UserId::generate();
    let (group, mut chats) = owned_group(owner);
    let chat_id = group.id;
    chats
        .expect_remove_member()
        .times(1)
        .returning(|_, _| Err(PortError::NotFound));
    let mut bus = MockEventBus::new();
    bus.expect_invalidate().never();
    bus.expect_publish().never();
    let service = service_with_typing(chats, bus);
    assert_eq!(
        service.remove_participant(owner, chat_id, owner).await,
        Err(AppError::UserNotFound)
    );
}
