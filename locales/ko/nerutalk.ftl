# NeruTalk server messages: Korean.
# Translated from locales/en/nerutalk.ftl; every id there must exist here too, and `cargo test` checks it.

## Replies to successful requests

notice-welcome = NeruTalk에 오신 것을 환영합니다. API 문서는 /docs에서 확인할 수 있습니다.
notice-health-live = NeruTalk 서버가 실행 중입니다.
notice-health-ready = NeruTalk 서버가 요청을 처리할 준비가 되었습니다.
notice-registered = 계정이 생성되었습니다. 이메일을 확인해 이메일 주소 인증을 완료해 주세요.
notice-logged-in = 로그인되었습니다.
notice-token-refreshed = 세션이 갱신되었습니다.
notice-logged-out = 로그아웃되었습니다.
notice-profile = 내 프로필입니다.
notice-profile-updated = 프로필이 업데이트되었습니다.
notice-password-changed = 비밀번호가 변경되었습니다. 다른 모든 세션에서 로그아웃되었습니다.
notice-email-verified = 이메일 주소가 인증되었습니다.
notice-verification-sent = 새 인증 이메일을 보냈습니다.
notice-user-profile = 사용자 프로필입니다.
notice-users-found = { $count ->
    [0] 검색 조건과 일치하는 사용자가 없습니다.
   *[other] 사용자 { $count }명을 찾았습니다.
}
notice-languages = 지원되는 언어 목록입니다.
notice-language-current = 이 응답에 사용된 언어입니다.
notice-language-updated = 언어 설정이 저장되었습니다.
notice-chat-created = 채팅이 생성되었습니다.
notice-chat-existing = 이 상대와의 채팅이 이미 있습니다. 기존 채팅을 보여 드립니다.
notice-chats = 내 채팅 목록입니다.
notice-chat = 채팅 정보입니다.
notice-chat-updated = 채팅이 업데이트되었습니다.
notice-participants-added = 멤버가 추가되었습니다.
notice-participant-removed = 멤버를 채팅에서 내보냈습니다.
notice-message-sent = 메시지를 보냈습니다.
notice-message-duplicate = 이미 보낸 메시지입니다. 원래 메시지를 보여 드립니다.
notice-messages = 메시지 목록입니다.
notice-message-updated = 메시지가 수정되었습니다.
notice-message-deleted = 메시지가 삭제되었습니다.
notice-messages-read = 메시지를 읽음으로 표시했습니다.
notice-user-blocked = 사용자를 차단했습니다.
notice-user-unblocked = 사용자 차단을 해제했습니다.
notice-blocked-users = 차단한 사용자 목록입니다.

## E-mail

mail-verification-subject = NeruTalk 이메일 주소를 인증해 주세요
mail-verification-greeting = { $username }님, 안녕하세요.
mail-verification-intro = NeruTalk에 가입해 주셔서 감사합니다. 이메일 주소를 인증하려면 아래 링크를 열어 주세요.
mail-verification-button = 이메일 주소 인증하기
mail-verification-code = 또는 앱에서 아래 코드를 입력해 주세요.
mail-verification-expiry = 링크와 코드는 { $hours }시간 후에 만료됩니다. 이 계정을 만든 적이 없다면 이 이메일은 무시하셔도 됩니다.

## Validation errors

error-validation-email-invalid = 올바른 이메일 주소를 입력해 주세요.
error-validation-email-too-long = 이메일 주소는 최대 { $max }자까지 입력할 수 있습니다.
error-validation-username-length = 사용자 이름은 { $min }~{ $max }자로 입력해 주세요.
error-validation-username-charset = 사용자 이름에는 로마자(A–Z), 숫자, 밑줄, 마침표, 하이픈만 사용할 수 있으며, 로마자나 숫자로 시작해야 합니다.
error-validation-control-characters = 이 텍스트에는 사용할 수 없는 제어 문자(NUL 등)가 포함되어 있습니다.
error-validation-invisible-characters = 이 이름에는 사용할 수 없는 보이지 않는 문자나 텍스트 방향 제어 문자가 포함되어 있습니다.
error-validation-password-too-short = 비밀번호는 { $min }자 이상이어야 합니다.
error-validation-password-too-long = 비밀번호는 최대 { $max }자까지 입력할 수 있습니다.
error-validation-password-too-weak = 비밀번호에는 소문자, 대문자, 숫자가 각각 하나 이상 포함되어야 합니다.
error-validation-password-mismatch = 비밀번호 확인이 비밀번호와 일치하지 않습니다.
error-validation-full-name-too-long = 이름은 최대 { $max }자까지 입력할 수 있습니다.
error-validation-bio-too-long = 자기소개는 최대 { $max }자까지 입력할 수 있습니다.
error-validation-search-query-too-long = 검색어는 최대 { $max }자까지 입력할 수 있습니다.
error-validation-phone-invalid = 올바른 전화번호를 입력해 주세요(예: +14155550123).
error-validation-avatar-url-invalid = 아바타는 올바른 http 또는 https URL이어야 합니다.
error-validation-language-unsupported = 지원하지 않는 언어입니다. en, id, ja, ko, zh 중에서 선택해 주세요.
error-validation-chat-name-length = 채팅 이름은 { $min }~{ $max }자로 입력해 주세요.
error-validation-chat-description-too-long = 채팅 설명은 최대 { $max }자까지 입력할 수 있습니다.
error-validation-direct-chat-members = 1:1 채팅에는 상대방이 정확히 한 명 있어야 합니다.
error-validation-group-too-large = 그룹 멤버는 최대 { $max }명까지 둘 수 있습니다.
error-validation-message-empty = 메시지 내용이 비어 있습니다.
error-validation-message-too-long = 메시지는 최대 { $max }자까지 입력할 수 있습니다.
error-validation-message-media-missing = 이 유형의 메시지에는 올바른 http 또는 https 미디어 URL이 필요합니다.
error-validation-message-kind-not-allowed = 이 유형의 메시지는 앱에서 보낼 수 없습니다.
error-validation-client-message-id-invalid = 클라이언트 메시지 ID는 1~{ $max }자여야 합니다.

## Authentication errors

error-auth-invalid-credentials = 아이디 또는 비밀번호가 올바르지 않습니다.
error-auth-account-disabled = 비활성화된 계정입니다.
error-auth-token-missing = 계속하려면 로그인해 주세요.
error-auth-token-invalid = 액세스 토큰이 유효하지 않습니다. 다시 로그인해 주세요.
error-auth-token-expired = 액세스 토큰이 만료되었습니다. 토큰을 갱신하거나 다시 로그인해 주세요.
error-auth-session-revoked = 세션이 종료되었습니다. 다시 로그인해 주세요.
error-auth-refresh-token-invalid = 리프레시 토큰이 유효하지 않거나 만료되었습니다. 다시 로그인해 주세요.
error-auth-refresh-token-reused = 이미 사용된 리프레시 토큰이므로 안전을 위해 세션을 종료했습니다. 다시 로그인해 주세요.
error-auth-current-password-wrong = 현재 비밀번호가 올바르지 않습니다.
error-auth-password-unchanged = 새 비밀번호는 현재 비밀번호와 달라야 합니다.
error-auth-email-taken = 이미 등록된 이메일 주소입니다.
error-auth-username-taken = 이미 사용 중인 사용자 이름입니다.
error-auth-verification-token-invalid = 유효하지 않은 인증 코드입니다.
error-auth-verification-token-expired = 인증 코드가 만료되었습니다. 새 코드를 요청해 주세요.
error-auth-verification-token-used = 이미 사용된 인증 코드입니다.
error-auth-already-verified = 이미 인증된 이메일 주소입니다.

## Other errors

error-user-not-found = 사용자를 찾을 수 없습니다.
error-user-cannot-block-self = 자기 자신은 차단할 수 없습니다.
error-chat-not-found = 채팅을 찾을 수 없습니다.
error-chat-not-admin = 채팅 소유자나 관리자만 이 작업을 할 수 있습니다.
error-chat-direct-chat-fixed = 1:1 채팅은 이름을 바꾸거나 멤버를 추가하거나 내보낼 수 없습니다.
error-chat-blocked = 이 상대에게는 메시지를 보낼 수 없습니다.
error-chat-member-blocked = 선택한 사람 중에 이 채팅에 추가할 수 없는 사람이 있습니다.
error-chat-cannot-remove-owner = 그룹 소유자는 내보낼 수 없습니다.
error-chat-message-not-found = 메시지를 찾을 수 없습니다.
error-chat-not-message-author = 이 메시지는 보낸 사람만 수정할 수 있습니다.
error-chat-message-not-editable = 삭제되지 않은 텍스트 메시지만 수정할 수 있습니다.
error-rate-limited = 시도 횟수가 너무 많습니다. { $seconds }초 후에 다시 시도해 주세요.
error-auth-busy = 지금 처리 중인 로그인 요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.
error-common-unavailable = 일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도해 주세요.
error-common-internal = 서버에 문제가 발생했습니다. 나중에 다시 시도해 주세요.

## Request errors

error-request-malformed-json = 요청 본문이 올바른 JSON이 아니거나 필요한 필드가 없습니다.
error-request-invalid-query = 쿼리 문자열에 누락되었거나 잘못된 매개변수가 있습니다.
error-request-invalid-path = 주소에 잘못된 값(예: 형식이 올바르지 않은 ID)이 포함되어 있습니다.
error-request-unsupported-media-type = 지원하지 않는 콘텐츠 형식입니다. application/json으로 보내 주세요.
error-request-payload-too-large = 요청 본문이 너무 큽니다. 최대 { $limit }바이트까지 보낼 수 있습니다.
error-request-route-not-found = 이 주소에는 아무것도 없습니다.
error-request-method-not-allowed = 이 주소에서는 허용되지 않는 메서드입니다.

## WebSocket errors

error-ws-malformed-frame = 프레임이 {"{"}"type", "data", "id"{"}"} 형식의 올바른 JSON이 아니거나 data에 필요한 필드가 없습니다.
error-ws-malformed-field = 이 프레임의 “{ $field }” 필드가 없거나 형식이 잘못되었습니다.
error-ws-unknown-frame = 알 수 없는 프레임 유형입니다.
error-ws-too-many-sockets = 동시에 열린 연결이 너무 많습니다(한도는 { $limit }개입니다). 하나를 닫고 다시 시도해 주세요.
ws-close-too-slow = 연결이 수신 이벤트를 따라가지 못했습니다. 다시 연결한 후 이어서 받아 주세요.
ws-close-server-shutdown = 서버가 다시 시작되는 중입니다. 잠시 후 다시 연결한 뒤 이어서 받아 주세요.
ws-close-heartbeat-timeout = 제한 시간 안에 하트비트를 받지 못했습니다.
ws-close-frame-too-large = 프레임이 허용된 크기보다 큽니다.
ws-close-invalid-utf8 = 텍스트 프레임이 올바른 UTF-8이 아닙니다.
ws-close-protocol-error = 프레임이 WebSocket 프로토콜을 위반합니다.
ws-close-flooding = 속도를 늦추라는 안내 후에도 너무 많은 프레임을 너무 빠르게 보냈습니다.
