-- Chats, members, messages with a gap-free per-chat seq, and user blocks.

CREATE TABLE chats (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT,
    description TEXT,
    avatar_url TEXT,
    -- "<smaller user id>:<larger user id>" for direct chats: one per pair
    direct_key TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT chats_direct_key_unique UNIQUE (direct_key)
);

CREATE TABLE chat_participants (
    chat_id UUID NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_participants_user_id_idx ON chat_participants (user_id);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    chat_id UUID NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    sender_id UUID NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    text TEXT,
    media_url TEXT,
    reply_to UUID,
    client_message_id TEXT,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    CONSTRAINT messages_chat_seq_unique UNIQUE (chat_id, seq),
    CONSTRAINT messages_client_id_unique UNIQUE (chat_id, sender_id, client_message_id)
);

CREATE TABLE user_blocks (
    blocker_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX user_blocks_blocked_id_idx ON user_blocks (blocked_id);
