//! The contract of the user, session and verification repositories, written
//! once and run against SQLite and PostgreSQL.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use chrono::{Duration, SubsecRound, Utc};
use futures_util::future::join_all;
use nerutalk_domain::ids::{RefreshTokenId, VerificationId};
use nerutalk_domain::user::{Email, Profile, User, Username};
use nerutalk_domain::{Language, SessionId, UserId};
use nerutalk_ports::{
    ConflictField, EmailVerificationRepository, NewEmailVerification, NewRefreshToken, NewUser,
    PortError, RotationOutcome, SessionRepository, UserRepository, UserSearch, VerificationOutcome,
};
use nerutalk_sql::{
    DatabaseUrl, SqlEmailVerificationRepository, SqlSessionRepository, SqlStore, SqlUserRepository,
};

struct Repositories {
    users: SqlUserRepository,
    sessions: SqlSessionRepository,
    verifications: SqlEmailVerificationRepository,
}

async fn repositories(url: &DatabaseUrl) -> Repositories {
    let store = SqlStore::connect(url, 4).unwrap();
    store.migrate().await.unwrap();
    Repositories {
        users: SqlUserRepository::new(store.clone()),
        sessions: SqlSessionRepository::new(store.clone()),
        verifications: SqlEmailVerificationRepository::new(store),
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn new_user(email: &str, username: &str) -> NewUser {
    NewUser {
        id: UserId::generate(),
        email: Email::parse(email).unwrap(),
        username: Username::parse(username).unwrap(),
        password_hash: "$2b$04$hash".to_owned(),
        profile: Profile {
            full_name: Some(format!("{username} Example")),
            ..Profile::default()
        },
        language: Some(Language::Ja),
        created_at: now(),
    }
}

fn token(hash: &str, ttl: Duration) -> NewRefreshToken {
    NewRefreshToken {
        id: RefreshTokenId::generate(),
        token_hash: hash.to_owned(),
        expires_at: now() + ttl,
    }
}

/// A stored user with one session whose first refresh token hashes to `hash`.
async fn user_with_session(
    repos: &Repositories,
    username: &str,
    hash: &str,
    ttl: Duration,
) -> (User, SessionId) {
    let user = repos
        .users
        .create(new_user(&format!("{username}@example.com"), username))
        .await
        .unwrap();
    let session = SessionId::generate();
    repos
        .sessions
        .start(session, user.id, token(hash, ttl), now())
        .await
        .unwrap();
    (user, session)
}

async fn users_round_trip_and_stay_unique(repos: &Repositories) {
    let created = repos
        .users
        .create(new_user("Ada@Example.com", "Ada"))
        .await
        .unwrap();
    assert_eq!(repos.users.get(created.id).await.unwrap(), created);
    assert_eq!(created.language, Some(Language::Ja));

    let by_email = repos
        .users
        .find_credentials("ADA@example.com")
        .await
        .unwrap();
    let by_name = repos.users.find_credentials("ada").await.unwrap();
    assert_eq!(by_email.user.id, created.id);
    assert_eq!(by_name.password_hash, "$2b$04$hash");
    assert!(matches!(
        repos.users.find_credentials("nobody").await,
        Err(PortError::NotFound)
    ));

    let same_email = repos
        .users
        .create(new_user("ada@example.com", "other"))
        .await;
    assert!(matches!(
        same_email,
        Err(PortError::Conflict(ConflictField::Email))
    ));
    let same_name = repos
        .users
        .create(new_user("other@example.com", "ADA"))
        .await;
    assert!(matches!(
        same_name,
        Err(PortError::Conflict(ConflictField::Username))
    ));
    assert!(matches!(
        repos.users.get(UserId::generate()).await,
        Err(PortError::NotFound)
    ));
}

/// A name from before usernames were ASCII only loads, and signs in, as it
/// was stored: a tighter rule locks nobody out.
async fn usernames_taken_under_an_earlier_rule_still_load(repos: &Repositories) {
    let mut user = new_user("kenji@example.com", "kenji");
    user.username = Username::stored("ケンジ_01".to_owned());
    let created = repos.users.create(user).await.unwrap();
    let loaded = repos.users.get(created.id).await.unwrap();
    assert_eq!(loaded.username.as_str(), "ケンジ_01");
    let credentials = repos.users.find_credentials("ケンジ_01").await.unwrap();
    assert_eq!(credentials.user.id, created.id);
}

async fn profiles_passwords_and_languages_update(repos: &Repositories) {
    let user = repos
        .users
        .create(new_user("grace@example.com", "grace"))
        .await
        .unwrap();
    let profile = Profile {
        bio: Some("Compilers".to_owned()),
        avatar_url: Some("https://cdn.example.com/g.png".to_owned()),
        ..Profile::default()
    };
    let later = now() + Duration::seconds(1);
    let updated = repos
        .users
        .update_profile(user.id, profile.clone(), later)
        .await
        .unwrap();
    assert_eq!(updated.profile, profile);
    assert_eq!(updated.updated_at, later);

    repos
        .users
        .update_password_hash(user.id, "new-hash".to_owned(), later)
        .await
        .unwrap();
    assert_eq!(
        repos.users.password_hash(user.id).await.unwrap(),
        "new-hash"
    );
    let switched = repos
        .users
        .set_language(user.id, Language::Ko, later)
        .await
        .unwrap();
    assert_eq!(switched.language, Some(Language::Ko));
    assert!(matches!(
        repos
            .users
            .set_language(UserId::generate(), Language::Ko, later)
            .await,
        Err(PortError::NotFound)
    ));
}

async fn search_pages_by_username_and_name(repos: &Repositories) {
    for name in ["sam_1", "sam_2", "samantha", "zed"] {
        repos
            .users
            .create(new_user(&format!("{name}@s.io"), name))
            .await
            .unwrap();
    }
    let search = |query: &str, after: Option<&str>| UserSearch {
        query: query.to_owned(),
        limit: 2,
        after: after.map(str::to_owned),
    };
    let first = repos.users.search(search("sam", None)).await.unwrap();
    let names: Vec<_> = first
        .iter()
        .map(|u| u.username.as_str().to_owned())
        .collect();
    assert_eq!(names, ["sam_1", "sam_2"]);
    let second = repos
        .users
        .search(search("sam", Some("sam_2")))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    // `_` is literal, not a wildcard.
    let literal = repos.users.search(search("m_", None)).await.unwrap();
    assert_eq!(literal.len(), 2);
    let by_full_name = repos
        .users
        .search(search("zed example", None))
        .await
        .unwrap();
    assert_eq!(by_full_name.len(), 1);
}

/// One read answers for any number of ids, past both backends' bind limits
/// (70,000 ids), and leaves out ids nobody holds.
async fn active_users_are_picked_out_of_many_ids(repos: &Repositories) {
    let mut stored = Vec::new();
    for name in ["ann", "bea", "cid"] {
        let user = repos
            .users
            .create(new_user(&format!("{name}@a.io"), name))
            .await
            .unwrap();
        stored.push(user.id);
    }
    let mut asked: Vec<UserId> = (0..70_000).map(|_| UserId::generate()).collect();
    asked.insert(0, stored[0]);
    asked.insert(35_000, stored[1]);
    asked.push(stored[2]);
    asked.push(stored[2]);
    let mut active = repos.users.active_among(asked).await.unwrap();
    active.sort_unstable();
    stored.sort_unstable();
    assert_eq!(active, stored);
    assert!(
        repos
            .users
            .active_among(Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn refresh_tokens_rotate_once_and_reuse_revokes(repos: &Repositories) {
    let (user, session) = user_with_session(repos, "rotator", "h1", Duration::days(1)).await;
    assert!(!repos.sessions.state(session).await.unwrap().revoked);

    let rotated = repos
        .sessions
        .rotate("h1".into(), token("h2", Duration::days(1)), now())
        .await;
    assert_eq!(
        rotated.unwrap(),
        RotationOutcome::Rotated {
            user_id: user.id,
            session_id: session
        }
    );
    let unknown = repos
        .sessions
        .rotate("nope".into(), token("h3", Duration::days(1)), now())
        .await;
    assert_eq!(unknown.unwrap(), RotationOutcome::Unknown);

    let reused = repos
        .sessions
        .rotate("h1".into(), token("h4", Duration::days(1)), now())
        .await;
    assert_eq!(
        reused.unwrap(),
        RotationOutcome::ReuseDetected {
            user_id: user.id,
            session_id: session
        }
    );
    assert!(repos.sessions.state(session).await.unwrap().revoked);
    let after_revoke = repos
        .sessions
        .rotate("h2".into(), token("h5", Duration::days(1)), now())
        .await;
    assert_eq!(after_revoke.unwrap(), RotationOutcome::Revoked);
}

async fn expired_tokens_and_revocation(repos: &Repositories) {
    let user = repos
        .users
        .create(new_user("exp@example.com", "expiry"))
        .await
        .unwrap();
    let short = SessionId::generate();
    repos
        .sessions
        .start(short, user.id, token("e1", Duration::seconds(-1)), now())
        .await
        .unwrap();
    let expired = repos
        .sessions
        .rotate("e1".into(), token("e2", Duration::days(1)), now())
        .await;
    assert_eq!(expired.unwrap(), RotationOutcome::Expired);

    let keep = SessionId::generate();
    let other = SessionId::generate();
    repos
        .sessions
        .start(keep, user.id, token("k1", Duration::days(1)), now())
        .await
        .unwrap();
    repos
        .sessions
        .start(other, user.id, token("o1", Duration::days(1)), now())
        .await
        .unwrap();
    let revoked = repos
        .sessions
        .revoke_all_except(user.id, Some(keep), now())
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    assert!(!repos.sessions.state(keep).await.unwrap().revoked);
    assert!(repos.sessions.state(other).await.unwrap().revoked);

    repos.sessions.revoke(keep, now()).await.unwrap();
    repos.sessions.revoke(keep, now()).await.unwrap();
    assert!(repos.sessions.state(keep).await.unwrap().revoked);
    assert!(matches!(
        repos.sessions.revoke(SessionId::generate(), now()).await,
        Err(PortError::NotFound)
    ));
    let ghost = repos
        .sessions
        .start(
            SessionId::generate(),
            UserId::generate(),
            token("g1", Duration::days(1)),
            now(),
        )
        .await;
    assert!(matches!(ghost, Err(PortError::NotFound)));
}

async fn concurrent_presentations_rotate_exactly_once(repos: &Repositories) {
    let (_, session) = user_with_session(repos, "racer", "r1", Duration::days(1)).await;
    let attempts = (0..8).map(|i| {
        repos.sessions.rotate(
            "r1".into(),
            token(&format!("r1-{i}"), Duration::days(1)),
            now(),
        )
    });
    let outcomes = join_all(attempts).await;
    let rotated = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(RotationOutcome::Rotated { .. })))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    assert!(repos.sessions.state(session).await.unwrap().revoked);
}

async fn verification_tokens_are_single_use(repos: &Repositories) {
    let user = repos
        .users
        .create(new_user("ver@example.com", "verifier"))
        .await
        .unwrap();
    let issue = |hash: &str, ttl: Duration| NewEmailVerification {
        id: VerificationId::generate(),
        user_id: user.id,
        token_hash: hash.to_owned(),
        expires_at: now() + ttl,
    };
    let issue_token = |hash: &'static str, ttl: Duration| {
        let verification = issue(hash, ttl);
        async move {
            repos
                .verifications
                .issue(verification, now())
                .await
                .unwrap()
        }
    };
    let verify = |hash: &str| repos.verifications.verify(hash.to_owned(), now());
    issue_token("v-old", Duration::hours(1)).await;
    issue_token("v1", Duration::hours(1)).await;
    assert_eq!(
        verify("v-old").await.unwrap(),
        VerificationOutcome::AlreadyUsed,
        "issuing a new token spends the old one"
    );
    assert_eq!(
        verify("v1").await.unwrap(),
        VerificationOutcome::Verified(user.id)
    );
    assert!(repos.users.get(user.id).await.unwrap().is_verified);
    assert_eq!(
        verify("v1").await.unwrap(),
        VerificationOutcome::AlreadyUsed
    );
    issue_token("v2", Duration::seconds(-1)).await;
    assert_eq!(verify("v2").await.unwrap(), VerificationOutcome::Expired);
    assert_eq!(verify("nope").await.unwrap(), VerificationOutcome::Unknown);
}

contract_clauses![
    users_round_trip_and_stay_unique,
    usernames_taken_under_an_earlier_rule_still_load,
    profiles_passwords_and_languages_update,
    search_pages_by_username_and_name,
    active_users_are_picked_out_of_many_ids,
    refresh_tokens_rotate_once_and_reuse_revokes,
    expired_tokens_and_revocation,
    concurrent_presentations_rotate_exactly_once,
    verification_tokens_are_single_use,
];
