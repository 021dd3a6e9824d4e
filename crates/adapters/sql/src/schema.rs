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

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(email_verifications -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    email_verifications,
    mail_outbox,
);
