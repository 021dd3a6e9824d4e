//! The contract of the chat, message and block repositories, written once
//! and run against SQLite and PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use futures_util::future::join_all;
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Message, MessageContent, MessageKind};
use nerutalk_domain::chat::{Participant, Role};
use nerutalk_domain::user::{Email, Profile, Username};
use nerutalk_domain::{ChatId, MessageId, UserId};
use nerutalk_ports::{
    AddMembersOutcome, Appended, Block, BlockRepository, ChatCursor, ChatRepository, HistoryPage,
    MessageRepository, NewChat, NewMessage, NewUser, PortError, UserRepository,
};
use nerutalk_sql::{
    DatabaseUrl, SqlBlockRepository, SqlChatRepository, SqlMessageRepository, SqlStore,
    SqlUserRepository,
};

struct Repositories {
    store: SqlStore,
    users: SqlUserRepository,
    chats: SqlChatRepository,
    messages: SqlMessageRepository,
    blocks: SqlBlockRepository,
}

async fn repositories(url: &DatabaseUrl) -> Repositories {
    let store = SqlStore::connect(url, 4).unwrap();
    store.migrate().await.unwrap();
    Repositories {
        users: SqlUserRepository::new(store.clone()),
        chats: SqlChatRepository::new(store.clone()),
        messages: SqlMessageRepository::new(store.clone()),
        blocks: SqlBlockRepository::new(store.clone()),
        store,
    }
}

type Time = DateTime<Utc>;

/// Microseconds: what both backends store, so stored times compare equal.
fn now() -> Time {
    Utc::now().trunc_subsecs(6)
}

fn later(base: Time, seconds: i64) -> Time {
    base + Duration::seconds(seconds)
}

#[track_caller]
fn not_found<T: std::fmt::Debug>(outcome: Result<T, PortError>) {
    assert!(matches!(outcome, Err(PortError::NotFound)), "{outcome:?}");
}

/// Stored users, created in this order (so their ids ascend): chats,
/// messages and blocks all point at users.
async fn users<const N: usize>(repos: &Repositories, names: [&str; N]) -> [UserId; N] {
    let mut ids = [UserId::generate(); N];
    for (id, name) in ids.iter_mut().zip(names) {
        let new = NewUser {
            id: UserId::generate(),
            email: Email::parse(&format!("{name}@example.com")).unwrap(),
            username: Username::parse(name).unwrap(),
            password_hash: "$2b$04$hash".to_owned(),
            profile: Profile::default(),
            language: None,
            created_at: now(),
        };
        *id = repos.users.create(new).await.unwrap().id;
    }
    ids
}

fn new_chat(kind: ChatKind, members: Vec<(UserId, Role)>, at: Time) -> NewChat {
    NewChat {
        id: ChatId::generate(),
        kind,
        details: ChatDetails::default(),
        created_by: members[0].0,
        created_at: at,
        members,
    }
}

/// A direct chat as the application makes one: both sides plain members.
async fn direct(repos: &Repositories, a: UserId, b: UserId, at: Time) -> Chat {
    let members = vec![(a, Role::Member), (b, Role::Member)];
    let chat = new_chat(ChatKind::Direct, members, at);
    repos.chats.create(chat).await.unwrap()
}

/// A group owned by `owner`, everyone else a plain member.
async fn group(repos: &Repositories, owner: UserId, others: &[UserId], at: Time) -> Chat {
    let members = std::iter::once((owner, Role::Owner))
        .chain(others.iter().map(|user| (*user, Role::Member)))
        .collect();
    let mut chat = new_chat(ChatKind::Group, members, at);
    chat.details.name = Some("Team".to_owned());
    repos.chats.create(chat).await.unwrap()
}

/// The most members a chat of these tests may have.
const CAP: usize = 256;

async fn add(repos: &Repositories, chat: ChatId, users: &[UserId], at: Time) -> Vec<UserId> {
    let outcome = repos.chats.add_members(chat, users.to_vec(), CAP, at);
    match outcome.await.unwrap() {
        AddMembersOutcome::Added { added, members } => {
            assert_eq!(members, repos.chats.members(chat).await.unwrap());
            added
        }
        refused => panic!("{refused:?}"),
    }
}

async fn member(repos: &Repositories, chat: ChatId, user: UserId) -> Participant {
    repos.chats.member(chat, user).await.unwrap().unwrap()
}

fn message(chat: ChatId, sender: UserId, body: &str) -> NewMessage {
    NewMessage {
        id: MessageId::generate(),
        chat_id: chat,
        sender_id: sender,
        content: MessageContent::parse(MessageKind::Text, Some(body), None).unwrap(),
        reply_to: None,
        client_message_id: None,
        created_at: now(),
    }
}

async fn append(repos: &Repositories, message: NewMessage) -> Appended {
    repos.messages.append(message).await.unwrap()
}

async fn send(repos: &Repositories, chat: ChatId, sender: UserId, body: &str) -> Message {
    append(repos, message(chat, sender, body)).await.message
}

fn seqs(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(|message| message.seq).collect()
}

fn page(before_seq: Option<i64>, after_seq: Option<i64>, limit: u32) -> HistoryPage {
    HistoryPage {
        before_seq,
        after_seq,
        limit,
    }
}

async fn appends_number_each_chat_from_one_without_gaps(repos: &Repositories) {
    let [ann, ben] = users(repos, ["ann", "ben"]).await;
    let first = group(repos, ann, &[ben], now()).await;
    let second = group(repos, ben, &[ann], now()).await;

    let mut sent = Vec::new();
    for body in ["one", "two", "three"] {
        let appended = append(repos, message(first.id, ann, body)).await;
        assert!(appended.created);
        sent.push(appended.message);
    }
    assert_eq!(seqs(&sent), [1, 2, 3]);
    let newest = &sent[2];
    assert_eq!((newest.chat_id, newest.sender_id), (first.id, ann));
    assert_eq!(newest.text.as_deref(), Some("three"));
    assert!(newest.edited_at.is_none() && newest.deleted_at.is_none());
    // Another chat has its own counter.
    assert_eq!(send(repos, second.id, ben, "elsewhere").await.seq, 1);

    // The chat keeps its newest seq, and the append bumped its activity.
    let stored = repos.chats.get(first.id).await.unwrap();
    assert_eq!(stored.last_seq, 3);
    assert_eq!(stored.last_activity_at, newest.created_at);

    let nowhere = message(ChatId::generate(), ann, "x");
    not_found(repos.messages.append(nowhere).await);

    // The append tells who to notify: the members, oldest first.
    let told = append(repos, message(first.id, ben, "four")).await;
    assert_eq!(told.audience, [ann, ben]);
    // Someone outside the chat is refused as the append happens, and the
    // refusal costs the chat no seq.
    let [zed] = users(repos, ["zed"]).await;
    not_found(
        repos
            .messages
            .append(message(first.id, zed, "let me in"))
            .await,
    );
    assert_eq!(send(repos, first.id, ann, "five").await.seq, 5);
}

async fn retried_appends_return_the_first_message(repos: &Repositories) {
    let [cat, dan] = users(repos, ["cat", "dan"]).await;
    let chat = group(repos, cat, &[dan], now()).await;
    let keyed = |sender: UserId, body: &str, key: &str| {
        let mut keyed = message(chat.id, sender, body);
        keyed.client_message_id = Some(key.to_owned());
        keyed
    };

    let first = append(repos, keyed(cat, "hello", "k1")).await;
    assert!(first.created);
    assert_eq!(first.message.client_message_id.as_deref(), Some("k1"));
    // A retry carries a fresh id and maybe other text: the stored message wins.
    let retry = append(repos, keyed(cat, "hello again", "k1")).await;
    assert!(!retry.created);
    assert_eq!(retry.message, first.message);

    // Keys belong to their sender: someone else's "k1" is a new message,
    // and the retry above used up no seq.
    let other = append(repos, keyed(dan, "hi", "k1")).await;
    assert!(other.created);
    assert_eq!(other.message.seq, 2);
    // Messages without a key never collide.
    assert_eq!(send(repos, chat.id, cat, "no key").await.seq, 3);
    assert_eq!(send(repos, chat.id, cat, "no key").await.seq, 4);
    assert_eq!(repos.chats.get(chat.id).await.unwrap().last_seq, 4);

    // Keys are scoped to a chat (docs/database.md): the same key elsewhere is new.
    let elsewhere = group(repos, cat, &[], now()).await;
    let mut moved = keyed(cat, "hello", "k1");
    moved.chat_id = elsewhere.id;
    assert!(append(repos, moved).await.created);

    // Retries that arrive together (and may share a batch) store one message.
    let at_once =
        join_all((0..5).map(|i| append(repos, keyed(dan, &format!("try {i}"), "k2")))).await;
    assert_eq!(
        at_once.iter().filter(|appended| appended.created).count(),
        1
    );
    assert!(
        at_once
            .iter()
            .all(|appended| appended.message == at_once[0].message)
    );
    assert_eq!(at_once[0].message.seq, 5);
    assert_eq!(repos.chats.get(chat.id).await.unwrap().last_seq, 5);
}

async fn concurrent_appends_share_no_seq(repos: &Repositories) {
    let [eve] = users(repos, ["eve"]).await;
    let chat = group(repos, eve, &[], now()).await;
    let sends = (0..20).map(|i| append(repos, message(chat.id, eve, &format!("m{i}"))));
    let appended = join_all(sends).await;
    let mut assigned: Vec<i64> = appended.iter().map(|a| a.message.seq).collect();
    assigned.sort_unstable();
    assert_eq!(assigned, (1..=20).collect::<Vec<_>>());
    assert_eq!(repos.chats.get(chat.id).await.unwrap().last_seq, 20);

    // Appends that travel together (group commit) fail alone: a send to a
    // chat that does not exist costs the others neither their message nor a seq.
    let lost = message(ChatId::generate(), eve, "nowhere");
    let mixed = (0..10).map(|i| {
        let to_chat = if i == 5 {
            lost.clone()
        } else {
            message(chat.id, eve, &format!("n{i}"))
        };
        repos.messages.append(to_chat)
    });
    let outcomes = join_all(mixed).await;
    assert!(matches!(outcomes[5], Err(PortError::NotFound)));
    let mut assigned: Vec<i64> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().ok().map(|a| a.message.seq))
        .collect();
    assigned.sort_unstable();
    assert_eq!(assigned, (21..=29).collect::<Vec<_>>());
}

async fn history_pages_read_oldest_first(repos: &Repositories) {
    let [fay] = users(repos, ["fay"]).await;
    let chat = group(repos, fay, &[], now()).await;
    for i in 1..=10 {
        send(repos, chat.id, fay, &format!("m{i}")).await;
    }
    let history = async |before, after, limit| {
        let messages = repos.messages.history(chat.id, page(before, after, limit));
        seqs(&messages.await.unwrap())
    };

    // Browsing reads back from the newest, catching up reads forward from a
    // point; either way the page comes oldest first and holds at most `limit`.
    assert_eq!(history(None, None, 3).await, [8, 9, 10]);
    assert_eq!(history(Some(8), None, 3).await, [5, 6, 7]);
    assert_eq!(history(Some(3), None, 5).await, [1, 2]);
    assert_eq!(history(None, Some(2), 3).await, [3, 4, 5]);
    assert_eq!(history(None, Some(7), 5).await, [8, 9, 10]);
    assert!(history(None, Some(10), 5).await.is_empty());
    assert_eq!(history(Some(6), Some(2), 10).await, [3, 4, 5]);
    assert_eq!(history(None, None, 100).await, (1..=10).collect::<Vec<_>>());

    let nowhere = ChatId::generate();
    let unknown = repos.messages.history(nowhere, page(None, None, 9));
    assert!(unknown.await.unwrap().is_empty());
}

async fn messages_are_found_only_in_their_chat(repos: &Repositories) {
    let [gus] = users(repos, ["gus"]).await;
    let chat = group(repos, gus, &[], now()).await;
    let other = group(repos, gus, &[], now()).await;
    let sent = send(repos, chat.id, gus, "here").await;

    assert_eq!(repos.messages.get(chat.id, sent.id).await.unwrap(), sent);
    not_found(repos.messages.get(other.id, sent.id).await);
    not_found(repos.messages.get(chat.id, MessageId::generate()).await);
}

async fn edits_and_deletes_keep_the_place_in_history(repos: &Repositories) {
    let messages = &repos.messages;
    let [hal] = users(repos, ["hal"]).await;
    let chat = group(repos, hal, &[], now()).await;
    let typo = send(repos, chat.id, hal, "typo").await;
    let mut photo = message(chat.id, hal, "caption");
    photo.content.kind = MessageKind::Image;
    photo.content.media_url = Some("https://media.example.com/p.png".to_owned());
    let photo = append(repos, photo).await.message;
    send(repos, chat.id, hal, "after").await;

    let edit_time = later(now(), 1);
    let edited = messages
        .edit(typo.id, hal, "fixed".to_owned(), edit_time)
        .await;
    let edited = edited.unwrap();
    assert_eq!(edited.text.as_deref(), Some("fixed"));
    assert_eq!(edited.edited_at, Some(edit_time));
    assert_eq!((edited.seq, edited.created_at), (1, typo.created_at));
    assert_eq!(messages.get(chat.id, typo.id).await.unwrap(), edited);

    let delete_time = later(now(), 2);
    let tombstone = messages.delete(photo.id, delete_time).await.unwrap();
    assert!(tombstone.text.is_none() && tombstone.media_url.is_none());
    assert_eq!(tombstone.deleted_at, Some(delete_time));
    assert_eq!((tombstone.id, tombstone.seq), (photo.id, 2));
    let history = messages.history(chat.id, page(None, None, 10)).await;
    let history = history.unwrap();
    assert_eq!(seqs(&history), [1, 2, 3], "the tombstone keeps its place");
    assert_eq!(history[1], tombstone);

    // Deleting a tombstone succeeds and changes nothing, not even the time.
    let again = messages.delete(photo.id, later(now(), 3)).await.unwrap();
    assert_eq!(again, tombstone);

    let ghost = MessageId::generate();
    not_found(messages.edit(ghost, hal, "x".to_owned(), now()).await);
    not_found(messages.delete(ghost, now()).await);
}

// The app reads the message and checks its author before it edits; the edit
// itself must still refuse a message deleted since, or someone else's, or a
// delete racing the edit could leave text on a tombstone.
async fn edits_change_only_the_authors_message_while_it_lives(repos: &Repositories) {
    let messages = &repos.messages;
    let [ira, jay] = users(repos, ["ira", "jay"]).await;
    let chat = group(repos, ira, &[jay], now()).await;
    let mine = send(repos, chat.id, ira, "mine").await;

    not_found(
        messages
            .edit(mine.id, jay, "hijacked".to_owned(), now())
            .await,
    );
    assert_eq!(messages.get(chat.id, mine.id).await.unwrap(), mine);

    let tombstone = messages.delete(mine.id, now()).await.unwrap();
    let revived = messages.edit(mine.id, ira, "back".to_owned(), later(now(), 1));
    not_found(revived.await);
    assert_eq!(messages.get(chat.id, mine.id).await.unwrap(), tombstone);
}

async fn direct_chats_are_unique_per_pair(repos: &Repositories) {
    let chats = &repos.chats;
    let [ivy, jon, kim] = users(repos, ["ivy", "jon", "kim"]).await;
    let at = now();
    let chat = direct(repos, ivy, jon, at).await;
    assert_eq!((chat.kind, chat.last_seq), (ChatKind::Direct, 0));
    assert_eq!((chat.created_at, chat.last_activity_at), (at, at));
    assert_eq!(chats.get(chat.id).await.unwrap(), chat);

    // Either order finds it, and either order is refused a second one.
    assert_eq!(chats.find_direct(ivy, jon).await.unwrap().unwrap(), chat);
    assert_eq!(chats.find_direct(jon, ivy).await.unwrap().unwrap(), chat);
    let members = vec![(jon, Role::Member), (ivy, Role::Member)];
    let second = new_chat(ChatKind::Direct, members, now());
    let second = chats.create(second).await;
    assert!(matches!(second, Err(PortError::Conflict(_))), "{second:?}");
    assert_eq!(chats.find_direct(ivy, kim).await.unwrap(), None);
    // A group of the same two is no direct chat and does not collide.
    group(repos, ivy, &[jon], now()).await;

    // One transaction: a member who does not exist leaves no chat behind.
    let members = vec![(kim, Role::Member), (UserId::generate(), Role::Member)];
    let ghost = new_chat(ChatKind::Direct, members, now());
    let ghost_id = ghost.id;
    not_found(chats.create(ghost).await);
    not_found(chats.get(ghost_id).await);
    not_found(chats.get(ChatId::generate()).await);
}

async fn groups_list_members_and_contacts(repos: &Repositories) {
    let chats = &repos.chats;
    // Created first, so the smallest id, but it joins last: order is by joining.
    let [late, own, mia, loner] = users(repos, ["late", "owner", "mia", "loner"]).await;
    let start = now();
    let chat = group(repos, own, &[mia], start).await;
    add(repos, chat.id, &[late], later(start, 1)).await;

    let members = chats.members(chat.id).await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[2].user_id, late, "oldest first: {members:?}");
    assert_eq!(members[2].joined_at, later(start, 1));
    let owner = member(repos, chat.id, own).await;
    assert_eq!((owner.role, owner.last_read_seq), (Role::Owner, 0));
    assert_eq!(owner.joined_at, start);
    assert_eq!(chats.member(chat.id, loner).await.unwrap(), None);

    // The roster is the chat and the same members, read together.
    let roster = chats.roster(chat.id).await.unwrap();
    assert_eq!(roster.chat, chats.get(chat.id).await.unwrap());
    assert_eq!(roster.members, members);
    not_found(chats.roster(ChatId::generate()).await);

    // Sharing two chats still makes one contact; nobody is their own contact.
    group(repos, mia, &[own], now()).await;
    let mut contacts = chats.contacts(own).await.unwrap();
    contacts.sort();
    assert_eq!(contacts, [late, mia], "ids ascend");
    assert!(chats.contacts(loner).await.unwrap().is_empty());
}

async fn details_and_members_change(repos: &Repositories) {
    let chats = &repos.chats;
    let [ned, ola, pam] = users(repos, ["ned", "ola", "pam"]).await;
    let chat = group(repos, ned, &[ola], now()).await;

    let details = ChatDetails {
        name: Some("Renamed".to_owned()),
        description: Some("About".to_owned()),
        avatar_url: Some("https://cdn.example.com/g.png".to_owned()),
    };
    let updated = chats.update_details(chat.id, details.clone(), now()).await;
    let updated = updated.unwrap();
    assert_eq!(updated.details, details);
    assert_eq!(chats.get(chat.id).await.unwrap(), updated);
    let nowhere = ChatId::generate();
    not_found(chats.update_details(nowhere, details, now()).await);

    // Only the newly added come back, each once; they join as plain members
    // and those already in keep their role.
    let added = add(repos, chat.id, &[ola, pam, pam, ned], now()).await;
    assert_eq!(added, [pam]);
    assert_eq!(member(repos, chat.id, pam).await.role, Role::Member);
    assert_eq!(member(repos, chat.id, ned).await.role, Role::Owner);
    assert!(add(repos, chat.id, &[pam], now()).await.is_empty());

    // Users who do not exist are named, and nobody is added with them.
    let [quin] = users(repos, ["quin"]).await;
    let ghost = UserId::generate();
    let with_ghost = chats.add_members(chat.id, vec![quin, ghost], CAP, now());
    assert_eq!(
        with_ghost.await.unwrap(),
        AddMembersOutcome::UnknownUsers(vec![ghost])
    );
    assert_eq!(chats.member(chat.id, quin).await.unwrap(), None);
    not_found(
        chats
            .add_members(ChatId::generate(), vec![quin], CAP, now())
            .await,
    );
}

// The cap is counted in the transaction that adds: members already in count,
// a refused add adds nobody, and adds racing each other never pass it.
async fn adds_never_take_a_chat_past_its_cap(repos: &Repositories) {
    let chats = &repos.chats;
    let [own, a, b, c] = users(repos, ["capper", "cap_a", "cap_b", "cap_c"]).await;
    let chat = group(repos, own, &[a], now()).await;
    let over = chats.add_members(chat.id, vec![a, b, c], 3, now()).await;
    assert_eq!(over.unwrap(), AddMembersOutcome::TooLarge);
    assert_eq!(chats.members(chat.id).await.unwrap().len(), 2);
    // `a` is in already: only `b` is new, and three is the cap, not past it.
    let within = chats.add_members(chat.id, vec![a, b], 3, now()).await;
    assert!(matches!(within.unwrap(), AddMembersOutcome::Added { added, .. } if added == [b]));

    // Twenty adders of one user each into a chat with room for five more.
    let crowd: Vec<UserId> = {
        let mut crowd = Vec::new();
        for i in 0..20 {
            let [user] = users(repos, [format!("crowd_{i}").as_str()]).await;
            crowd.push(user);
        }
        crowd
    };
    let room = group(repos, own, &[], now()).await;
    let adds = crowd
        .iter()
        .map(|user| chats.add_members(room.id, vec![*user], 6, now()));
    let outcomes = join_all(adds).await;
    let admitted = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(AddMembersOutcome::Added { .. })))
        .count();
    let refused = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(AddMembersOutcome::TooLarge)))
        .count();
    assert_eq!((admitted, refused), (5, 15));
    assert_eq!(chats.members(room.id).await.unwrap().len(), 6);
}

async fn chat_lists_sort_by_activity_and_page_by_cursor(repos: &Repositories) {
    let chats = &repos.chats;
    let [quinn, rex] = users(repos, ["quinn", "rex"]).await;
    let base = now();
    // Two chats with the same activity time: only the cursor's id separates them.
    let tied_a = group(repos, quinn, &[rex], later(base, -10)).await;
    let tied_b = group(repos, quinn, &[rex], later(base, -10)).await;
    let quiet = group(repos, quinn, &[rex], later(base, 1)).await;
    let busy = group(repos, quinn, &[rex], base).await;
    let newest = group(repos, rex, &[quinn], later(base, 2)).await;
    // Messages move `busy`, the oldest of the three, to the top.
    for (offset, sender) in [(3, rex), (4, quinn), (5, rex)] {
        let mut sent = message(busy.id, sender, "hey");
        sent.created_at = later(base, offset);
        append(repos, sent).await;
    }

    let all = chats.list_for_user(quinn, None, 10).await.unwrap();
    let ids: Vec<ChatId> = all.iter().map(|summary| summary.chat.id).collect();
    assert_eq!(ids[..3], [busy.id, newest.id, quiet.id]);
    assert!(ids[3..] == [tied_a.id, tied_b.id] || ids[3..] == [tied_b.id, tied_a.id]);

    // Walking one at a time gives the same chats, none twice, none skipped.
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = chats.list_for_user(quinn, cursor, 1).await.unwrap();
        assert!(page.len() <= 1, "limit respected");
        let Some(last) = page.last() else { break };
        cursor = Some(ChatCursor {
            last_activity_at: last.chat.last_activity_at,
            chat_id: last.chat.id,
        });
        walked.push(last.chat.id);
    }
    assert_eq!(walked, ids);

    // A summary has the role, the last message, and as unread only others' messages.
    let top = &all[0];
    assert_eq!((top.role, top.unread), (Role::Owner, 2));
    assert_eq!(top.last_read_seq, 0);
    assert_eq!(top.last_message.as_ref().map(|last| last.seq), Some(3));
    assert_eq!(top.chat.last_activity_at, later(base, 5));
    assert_eq!(all[1].role, Role::Member);
    assert!(all[1].last_message.is_none());

    // Tombstones are not unread (docs/api.md), and read messages are not either.
    let last_id = top.last_message.as_ref().unwrap().id;
    repos.messages.delete(last_id, now()).await.unwrap();
    let unread = async || chats.list_for_user(quinn, None, 1).await.unwrap()[0].unread;
    assert_eq!(unread().await, 1);
    chats.mark_read(busy.id, quinn, 1).await.unwrap();
    assert_eq!(unread().await, 0);
}

// The page's last messages and unread counts are read for the whole page at
// once: a page of 50 chats costs what a page of 2 does (it once cost one
// statement more per chat for each).
async fn a_page_of_chats_costs_the_same_statements_whatever_its_size(repos: &Repositories) {
    let [una, vel] = users(repos, ["una", "vel"]).await;
    // Chats with nothing sent, with an unread message, and read to the end:
    // the batched reads skip the first and the last kind, and must still
    // summarize every one of them right.
    let mut expected = std::collections::HashMap::new();
    for index in 0..51 {
        let chat = group(repos, una, &[vel], now()).await;
        let summary = match index % 3 {
            0 => (0, None),
            1 => {
                send(repos, chat.id, vel, "unread").await;
                (1, Some((1, vel)))
            }
            _ => {
                send(repos, chat.id, vel, "read").await;
                repos.chats.mark_read(chat.id, una, 1).await.unwrap();
                (0, Some((1, vel)))
            }
        };
        expected.insert(chat.id, summary);
    }
    let cost = async |limit: u32| {
        let before = repos.store.statements_sent();
        let page = repos.chats.list_for_user(una, None, limit).await.unwrap();
        let spent = repos.store.statements_sent() - before;
        assert_eq!(page.len(), usize::try_from(limit).unwrap());
        for summary in &page {
            let last = summary
                .last_message
                .as_ref()
                .map(|message| (message.seq, message.sender_id));
            assert_eq!(
                (summary.unread, last),
                expected[&summary.chat.id],
                "{summary:?}"
            );
        }
        spent
    };
    let small = cost(2).await;
    let full = cost(50).await;
    assert_eq!(
        small, full,
        "a page of 2 cost {small} statements, of 50 {full}"
    );
}

async fn the_oldest_member_is_promoted_when_the_last_manager_leaves(repos: &Repositories) {
    let chats = &repos.chats;
    // Created before `early`, so a smaller id: promotion follows joining, not ids.
    let [late, boss, deputy, early] = users(repos, ["late2", "boss", "deputy", "early"]).await;
    let start = now();
    let mut members = vec![(boss, Role::Owner), (deputy, Role::Admin)];
    members.push((early, Role::Member));
    let chat = new_chat(ChatKind::Group, members, start);
    let chat = chats.create(chat).await.unwrap();
    add(repos, chat.id, &[late], later(start, 1)).await;
    let promoted = async |user| chats.remove_member(chat.id, user).await.unwrap().promoted;

    assert_eq!(promoted(boss).await, None, "an admin is still there");
    assert_eq!(promoted(deputy).await, Some(early));
    assert_eq!(member(repos, chat.id, early).await.role, Role::Admin);
    assert_eq!(member(repos, chat.id, late).await.role, Role::Member);
    assert_eq!(promoted(late).await, None);
    // The last member leaves: nobody to promote, and the chat stays.
    assert_eq!(promoted(early).await, None);
    assert!(chats.members(chat.id).await.unwrap().is_empty());
    assert!(chats.get(chat.id).await.is_ok());
    not_found(chats.remove_member(chat.id, early).await);
}

async fn read_markers_only_move_forward_up_to_the_last_message(repos: &Repositories) {
    let [sal, tom] = users(repos, ["sal", "tom"]).await;
    let chat = group(repos, sal, &[tom], now()).await;
    let mark = async |seq| repos.chats.mark_read(chat.id, tom, seq).await.unwrap();
    assert_eq!(mark(5).await, 0, "nothing to read yet");
    for body in ["a", "b", "c"] {
        send(repos, chat.id, sal, body).await;
    }
    assert_eq!(mark(2).await, 2);
    assert_eq!(mark(1).await, 2, "never back");
    assert_eq!(mark(99).await, 3, "never past the last message");
    assert_eq!(member(repos, chat.id, tom).await.last_read_seq, 3);
    assert_eq!(member(repos, chat.id, sal).await.last_read_seq, 0);
    not_found(repos.chats.mark_read(chat.id, UserId::generate(), 1).await);
}

async fn blocks_hold_in_both_directions(repos: &Repositories) {
    let blocks = &repos.blocks;
    let [uma, vic, wes] = users(repos, ["uma", "vic", "wes"]).await;
    let base = now();
    blocks.block(uma, vic, base).await.unwrap();
    blocks.block(uma, wes, later(base, 1)).await.unwrap();
    // Blocking twice changes nothing, not even the order.
    blocks.block(uma, vic, later(base, 2)).await.unwrap();
    assert_eq!(blocks.blocked_by(uma).await.unwrap(), [wes, vic]);
    assert!(blocks.blocked_by(vic).await.unwrap().is_empty());

    assert!(blocks.either_blocks(uma, vic).await.unwrap());
    assert!(blocks.either_blocks(vic, uma).await.unwrap());
    assert!(!blocks.either_blocks(vic, wes).await.unwrap());

    blocks.unblock(uma, vic).await.unwrap();
    blocks.unblock(uma, vic).await.unwrap();
    assert!(!blocks.either_blocks(uma, vic).await.unwrap());
    assert_eq!(blocks.blocked_by(uma).await.unwrap(), [wes]);
    // Blocked from the other side.
    blocks.block(vic, uma, now()).await.unwrap();
    assert!(blocks.either_blocks(uma, vic).await.unwrap());
    not_found(blocks.block(uma, UserId::generate(), now()).await);
}

// Both sides of a direct chat are plain members: one leaving makes nobody a
// manager (the adapter once promoted whenever no manager remained).
async fn a_member_leaving_a_direct_chat_promotes_nobody(repos: &Repositories) {
    let [xia, yan] = users(repos, ["xia", "yan"]).await;
    let chat = direct(repos, xia, yan, now()).await;
    let removal = repos.chats.remove_member(chat.id, xia).await.unwrap();
    assert_eq!(removal.promoted, None);
    assert_eq!(member(repos, chat.id, yan).await.role, Role::Member);
}

contract_clauses![
    appends_number_each_chat_from_one_without_gaps,
    retried_appends_return_the_first_message,
    concurrent_appends_share_no_seq,
    history_pages_read_oldest_first,
    messages_are_found_only_in_their_chat,
    edits_and_deletes_keep_the_place_in_history,
    edits_change_only_the_authors_message_while_it_lives,
    direct_chats_are_unique_per_pair,
    groups_list_members_and_contacts,
    details_and_members_change,
    adds_never_take_a_chat_past_its_cap,
    chat_lists_sort_by_activity_and_page_by_cursor,
    a_page_of_chats_costs_the_same_statements_whatever_its_size,
    the_oldest_member_is_promoted_when_the_last_manager_leaves,
    read_markers_only_move_forward_up_to_the_last_message,
    blocks_hold_in_both_directions,
    blocks_between_a_user_and_many_are_read_at_once,
    a_member_leaving_a_direct_chat_promotes_nobody,
];

async fn blocks_between_a_user_and_many_are_read_at_once(repos: &Repositories) {
    let blocks = &repos.blocks;
    let [ike, jos, kit, lev, moe] = users(repos, ["ike", "jos", "kit", "lev", "moe"]).await;
    blocks.block(ike, jos, now()).await.unwrap();
    blocks.block(kit, ike, now()).await.unwrap();
    // Not involving ike, so never reported for him.
    blocks.block(jos, lev, now()).await.unwrap();
    blocks.block(lev, moe, now()).await.unwrap();

    let mut found = blocks
        .blocks_between(ike, vec![jos, kit, lev, moe, UserId::generate()])
        .await
        .unwrap();
    found.sort_by_key(|block| block.blocker);
    assert_eq!(
        found,
        [
            Block {
                blocker: ike,
                blocked: jos
            },
            Block {
                blocker: kit,
                blocked: ike
            },
        ]
    );
    // Only the users asked about.
    assert_eq!(
        blocks.blocks_between(ike, vec![kit]).await.unwrap(),
        [Block {
            blocker: kit,
            blocked: ike
        }]
    );
    assert!(
        blocks
            .blocks_between(ike, vec![lev, moe])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        blocks
            .blocks_between(ike, Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
}
