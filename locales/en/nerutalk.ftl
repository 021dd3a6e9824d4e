# NeruTalk server messages: English (the reference catalogue).
# Every id here must exist in id, ja, ko and zh too; `cargo test` checks it.

## Replies to successful requests

notice-welcome = Welcome to NeruTalk. The API documentation is at /docs.
notice-health-live = NeruTalk is running.
notice-health-ready = NeruTalk is ready to serve requests.
notice-registered = Your account has been created. Check your e-mail to verify your address.
notice-logged-in = You are signed in.
notice-token-refreshed = Your session has been renewed.
notice-logged-out = You are signed out.
notice-profile = Here is your profile.
notice-profile-updated = Your profile has been updated.
notice-password-changed = Your password has been changed. Your other sessions have been signed out.
notice-email-verified = Your e-mail address has been verified.
notice-verification-sent = A new verification e-mail has been sent.
notice-user-profile = Here is the user's profile.
notice-users-found = { $count ->
    [0] No users matched your search.
    [one] Found one user.
   *[other] Found { $count } users.
}
notice-languages = These are the supported languages.
notice-language-current = This is the language of this reply.
notice-language-updated = Your language preference has been saved.
notice-chat-created = The chat has been created.
notice-chat-existing = You already have a chat with this person; here it is.
notice-chats = Here are your chats.
notice-chat = Here is the chat.
notice-chat-updated = The chat has been updated.
notice-participants-added = The members have been added.
notice-participant-removed = The member has been removed from the chat.
notice-message-sent = Your message has been sent.
notice-message-duplicate = This message was already sent; here is the original.
notice-messages = Here are the messages.
notice-message-updated = The message has been edited.
notice-message-deleted = The message has been deleted.
notice-messages-read = The messages have been marked as read.
notice-user-blocked = The user has been blocked.
notice-user-unblocked = The user has been unblocked.
notice-blocked-users = These are the users you have blocked.

## E-mail

mail-verification-subject = Verify your NeruTalk e-mail address
mail-verification-greeting = Hello { $username },
mail-verification-intro = Thank you for joining NeruTalk. To verify your e-mail address, open this link:
mail-verification-button = Verify my e-mail address
mail-verification-code = Or enter this code in the app:
mail-verification-expiry = The link and the code expire in { $hours ->
        [one] one hour
       *[other] { $hours } hours
    }. If you did not create this account, you can ignore this e-mail.

## Validation errors

error-validation-email-invalid = Please enter a valid e-mail address.
error-validation-email-too-long = The e-mail address must be at most { $max } characters long.
error-validation-username-length = The username must be between { $min } and { $max } characters long.
error-validation-username-charset = The username may only contain Latin letters (A–Z), digits, underscores, dots and hyphens, and must start with a letter or digit.
error-validation-control-characters = This text contains control characters (such as NUL), which are not allowed here.
error-validation-invisible-characters = This name contains invisible characters or text-direction controls, which are not allowed.
error-validation-password-too-short = The password must be at least { $min } characters long.
error-validation-password-too-long = The password must be at most { $max } characters long.
error-validation-password-too-weak = The password must contain a lowercase letter, an uppercase letter and a digit.
error-validation-password-mismatch = The password confirmation does not match the password.
error-validation-full-name-too-long = The full name must be at most { $max } characters long.
error-validation-bio-too-long = The bio must be at most { $max } characters long.
error-validation-search-query-too-long = The search text must be at most { $max } characters long.
error-validation-phone-invalid = Please enter a valid phone number, such as +14155550123.
error-validation-avatar-url-invalid = The avatar must be a valid http or https URL.
error-validation-language-unsupported = This language is not supported. Choose one of en, id, ja, ko or zh.
error-validation-chat-name-length = The chat name must be between { $min } and { $max } characters long.
error-validation-chat-description-too-long = The chat description must be at most { $max } characters long.
error-validation-direct-chat-members = A direct chat needs exactly one other person.
error-validation-group-too-large = A group can have at most { $max } members.
error-validation-message-empty = The message is empty.
error-validation-message-too-long = The message must be at most { $max } characters long.
error-validation-message-media-missing = This kind of message needs a valid http or https media URL.
error-validation-message-kind-not-allowed = This kind of message cannot be sent by an app.
error-validation-client-message-id-invalid = The client message ID must be between 1 and { $max } characters long.

## Authentication errors

error-auth-invalid-credentials = The login or password is incorrect.
error-auth-account-disabled = This account has been disabled.
error-auth-token-missing = Please sign in to continue.
error-auth-token-invalid = Your access token is not valid. Please sign in again.
error-auth-token-expired = Your access token has expired. Please refresh it or sign in again.
error-auth-session-revoked = This session has ended. Please sign in again.
error-auth-refresh-token-invalid = The refresh token is not valid or has expired. Please sign in again.
error-auth-refresh-token-reused = This refresh token was already used, so the session has been ended for your safety. Please sign in again.
error-auth-current-password-wrong = The current password is incorrect.
error-auth-password-unchanged = The new password must be different from the current one.
error-auth-email-taken = This e-mail address is already registered.
error-auth-username-taken = This username is already taken.
error-auth-verification-token-invalid = This verification code is not valid.
error-auth-verification-token-expired = This verification code has expired. Please request a new one.
error-auth-verification-token-used = This verification code has already been used.
error-auth-already-verified = Your e-mail address is already verified.

## Other errors

error-user-not-found = The user was not found.
error-user-cannot-block-self = You cannot block yourself.
error-chat-not-found = The chat was not found.
error-chat-not-admin = Only the chat's owner or admins can do this.
error-chat-direct-chat-fixed = A direct chat cannot be renamed or have members added or removed.
error-chat-blocked = You cannot send messages to this person.
error-chat-member-blocked = One of the people you chose cannot be added to this chat.
error-chat-cannot-remove-owner = The owner of a group cannot be removed.
error-chat-message-not-found = The message was not found.
error-chat-not-message-author = Only the author can edit this message.
error-chat-message-not-editable = Only text messages that have not been deleted can be edited.
error-rate-limited = Too many attempts. Please try again in { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}.
error-auth-busy = Too many sign-ins are being checked right now. Please try again in a moment.
error-common-unavailable = The service is temporarily unavailable. Please try again shortly.
error-common-internal = Something went wrong on our side. Please try again later.

## Request errors

error-request-malformed-json = The request body is not valid JSON or does not have the expected fields.
error-request-invalid-query = The query string has a missing or invalid parameter.
error-request-invalid-path = The address contains an invalid value, such as a malformed ID.
error-request-unsupported-media-type = This content type is not supported. Send application/json.
error-request-payload-too-large = The request body is too large. The limit is { $limit } bytes.
error-request-route-not-found = There is nothing at this address.
error-request-method-not-allowed = This method is not allowed at this address.

## WebSocket errors

error-ws-malformed-frame = The frame is not valid JSON of the form {"{"}"type", "data", "id"{"}"} or its data is missing fields.
error-ws-malformed-field = The field “{ $field }” of this frame is missing or has the wrong type.
error-ws-unknown-frame = This frame type is not known.
error-ws-too-many-sockets = You have too many connections open at once (the limit is { $limit }). Close one and try again.
ws-close-too-slow = The connection could not keep up with incoming events. Reconnect and resume.
ws-close-server-shutdown = The server is restarting. Reconnect in a moment and resume.
ws-close-heartbeat-timeout = No heartbeat was received in time.
ws-close-frame-too-large = The frame is larger than the allowed size.
ws-close-invalid-utf8 = A text frame is not valid UTF-8.
ws-close-protocol-error = The frame breaks the WebSocket protocol.
ws-close-flooding = Too many frames were sent too quickly, even after being told to slow down.
