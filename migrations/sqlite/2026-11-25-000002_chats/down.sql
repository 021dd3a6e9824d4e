DROP TABLE user_blocks;
DROP TABLE messages;
DROP TABLE chat_participants;
DROP TABLE chats;
