//! The tables, in the type subset both backends share.

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    users (id) {
        id -> SqlUuid,
        email -> Text,
        username -> Text,
        username_key -> Text,
        password_hash -> Text,
        full_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        phone_number -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        language -> Nullable<Text>,
        is_active -> Bool,
        is_verified -> Bool,
        last_seen_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    sessions (id) {
        id -> SqlUuid,
        user_id -> SqlUuid,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    refresh_tokens (id) {
        id -> SqlUuid,
        session_id -> SqlUuid,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    email_verifications (id) {
        id -> SqlUuid,
        user_id -> SqlUuid,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    mail_outbox (id) {
        id -> SqlUuid,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    chats (id) {
        id -> SqlUuid,
        kind -> Text,
        name -> Nullable<Text>,
        description -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        direct_key -> Nullable<Text>,
        created_by -> SqlUuid,
        created_at -> Timestamp,
        last_activity_at -> Timestamp,
        last_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    chat_participants (chat_id, user_id) {
        chat_id -> SqlUuid,
        user_id -> SqlUuid,
        role -> Text,
        joined_at -> Timestamp,
        last_read_seq -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    messages (id) {
        id -> SqlUuid,
        chat_id -> SqlUuid,
        seq -> BigInt,
        sender_id -> SqlUuid,
        kind -> Text,
        text -> Nullable<Text>,
        media_url -> Nullable<Text>,
        reply_to -> Nullable<SqlUuid>,
        client_message_id -> Nullable<Text>,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    user_blocks (blocker_id, blocked_id) {
        blocker_id -> SqlUuid,
        blocked_id -> SqlUuid,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::SqlUuid;

    jobs (id) {
        id -> SqlUuid,
        kind -> Text,
        payload -> Text,
        dedupe_key -> Nullable<Text>,
        state -> Text,
        due_at -> Nullable<Timestamp>,
        worker -> Nullable<Text>,
        generation -> BigInt,
        attempts -> Integer,
        max_attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(chat_participants -> chats (chat_id));
diesel::joinable!(messages -> chats (chat_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(email_verifications -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    email_verifications,
    mail_outbox,
    chats,
    chat_participants,
    messages,
    user_blocks,
    jobs,
    server_secrets,
);
