DROP TABLE mail_outbox;
DROP TABLE email_verifications;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
