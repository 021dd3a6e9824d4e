# NeruTalk server messages: Simplified Chinese.
# Translated from locales/en/nerutalk.ftl; every id there must exist here too, and `cargo test` checks it.

## Replies to successful requests

notice-welcome = 欢迎使用 NeruTalk。API 文档请访问 /docs。
notice-health-live = NeruTalk 正在运行。
notice-health-ready = NeruTalk 已准备好处理请求。
notice-registered = 账号已创建。请查收邮件，完成邮箱地址验证。
notice-logged-in = 登录成功。
notice-token-refreshed = 会话已续期。
notice-logged-out = 已退出登录。
notice-profile = 这是你的个人资料。
notice-profile-updated = 个人资料已更新。
notice-password-changed = 密码已修改，你的其他会话均已退出登录。
notice-email-verified = 邮箱地址验证成功。
notice-verification-sent = 新的验证邮件已发送。
notice-user-profile = 这是该用户的个人资料。
notice-users-found = { $count ->
    [0] 没有找到符合条件的用户。
   *[other] 找到 { $count } 位用户。
}
notice-languages = 以下是支持的语言。
notice-language-current = 这是本次回复所使用的语言。
notice-language-updated = 语言设置已保存。
notice-chat-created = 聊天已创建。
notice-chat-existing = 你和此人已有聊天，这是该聊天。
notice-chats = 这是你的聊天列表。
notice-chat = 这是该聊天的详情。
notice-chat-updated = 聊天已更新。
notice-participants-added = 成员已添加。
notice-participant-removed = 该成员已被移出聊天。
notice-message-sent = 消息已发送。
notice-message-duplicate = 此消息已发送过，这是原消息。
notice-messages = 以下是消息列表。
notice-message-updated = 消息已编辑。
notice-message-deleted = 消息已删除。
notice-messages-read = 消息已标记为已读。
notice-user-blocked = 已屏蔽该用户。
notice-user-unblocked = 已取消屏蔽该用户。
notice-blocked-users = 以下是你屏蔽的用户。

## E-mail

mail-verification-subject = 验证你的 NeruTalk 邮箱地址
mail-verification-greeting = { $username }，你好：
mail-verification-intro = 感谢你加入 NeruTalk。要验证你的邮箱地址，请打开以下链接：
mail-verification-button = 验证我的邮箱地址
mail-verification-code = 或者在应用中输入以下验证码：
mail-verification-expiry = 链接和验证码将在 { $hours } 小时后过期。如果你没有创建过此账号，请忽略这封邮件。

## Validation errors

error-validation-email-invalid = 请输入有效的邮箱地址。
error-validation-email-too-long = 邮箱地址不能超过 { $max } 个字符。
error-validation-username-length = 用户名长度必须为 { $min } 到 { $max } 个字符。
error-validation-username-charset = 用户名只能包含拉丁字母（A–Z）、数字、下划线、点和连字符，且必须以字母或数字开头。
error-validation-control-characters = 此文本包含不允许使用的控制字符（例如 NUL）。
error-validation-invisible-characters = 此名称包含不允许使用的不可见字符或文字方向控制字符。
error-validation-password-too-short = 密码不能少于 { $min } 个字符。
error-validation-password-too-long = 密码不能超过 { $max } 个字符。
error-validation-password-too-weak = 密码必须包含小写字母、大写字母和数字。
error-validation-password-mismatch = 两次输入的密码不一致。
error-validation-full-name-too-long = 姓名不能超过 { $max } 个字符。
error-validation-bio-too-long = 个人简介不能超过 { $max } 个字符。
error-validation-search-query-too-long = 搜索内容不能超过 { $max } 个字符。
error-validation-phone-invalid = 请输入有效的电话号码，例如 +14155550123。
error-validation-avatar-url-invalid = 头像必须是有效的 http 或 https 网址。
error-validation-language-unsupported = 不支持该语言。请从 en、id、ja、ko、zh 中选择一种。
error-validation-chat-name-length = 聊天名称长度必须为 { $min } 到 { $max } 个字符。
error-validation-chat-description-too-long = 聊天描述不能超过 { $max } 个字符。
error-validation-direct-chat-members = 私聊必须有且仅有一位对方。
error-validation-group-too-large = 群组成员不能超过 { $max } 人。
error-validation-message-empty = 消息内容不能为空。
error-validation-message-too-long = 消息不能超过 { $max } 个字符。
error-validation-message-media-missing = 此类消息需要有效的 http 或 https 媒体网址。
error-validation-message-kind-not-allowed = 应用无法发送此类消息。
error-validation-client-message-id-invalid = 客户端消息 ID 长度必须为 1 到 { $max } 个字符。

## Authentication errors

error-auth-invalid-credentials = 账号或密码错误。
error-auth-account-disabled = 该账号已被停用。
error-auth-token-missing = 请登录后继续。
error-auth-token-invalid = 访问令牌无效，请重新登录。
error-auth-token-expired = 访问令牌已过期，请刷新令牌或重新登录。
error-auth-session-revoked = 此会话已结束，请重新登录。
error-auth-refresh-token-invalid = 刷新令牌无效或已过期，请重新登录。
error-auth-refresh-token-reused = 此刷新令牌已被使用过，为保障你的账号安全，会话已结束。请重新登录。
error-auth-current-password-wrong = 当前密码错误。
error-auth-password-unchanged = 新密码不能与当前密码相同。
error-auth-email-taken = 该邮箱地址已被注册。
error-auth-username-taken = 该用户名已被占用。
error-auth-verification-token-invalid = 验证码无效。
error-auth-verification-token-expired = 验证码已过期，请重新获取。
error-auth-verification-token-used = 该验证码已被使用。
error-auth-already-verified = 你的邮箱地址已经验证过了。

## Other errors

error-user-not-found = 未找到该用户。
error-user-cannot-block-self = 你不能屏蔽自己。
error-chat-not-found = 未找到该聊天。
error-chat-not-admin = 只有群主或管理员才能执行此操作。
error-chat-direct-chat-fixed = 私聊不能重命名，也不能添加或移除成员。
error-chat-blocked = 你无法向此人发送消息。
error-chat-member-blocked = 你选择的人中有人无法被添加到此聊天。
error-chat-cannot-remove-owner = 不能移除群主。
error-chat-message-not-found = 未找到该消息。
error-chat-not-message-author = 只有发送者才能编辑此消息。
error-chat-message-not-editable = 只能编辑未被删除的文本消息。
error-rate-limited = 尝试次数过多，请在 { $seconds } 秒后重试。
error-auth-busy = 当前正在验证的登录请求过多，请稍后再试。
error-common-unavailable = 服务暂时不可用，请稍后重试。
error-common-internal = 服务器出了点问题，请稍后再试。

## Request errors

error-request-malformed-json = 请求体不是有效的 JSON，或缺少所需字段。
error-request-invalid-query = 查询字符串缺少参数或包含无效参数。
error-request-invalid-path = 地址中包含无效的值，例如格式错误的 ID。
error-request-unsupported-media-type = 不支持该内容类型，请使用 application/json。
error-request-payload-too-large = 请求体过大，上限为 { $limit } 字节。
error-request-route-not-found = 该地址下没有任何内容。
error-request-method-not-allowed = 此地址不允许使用该方法。

## WebSocket errors

error-ws-malformed-frame = 该帧不是 {"{"}"type", "data", "id"{"}"} 格式的有效 JSON，或其 data 缺少字段。
error-ws-malformed-field = 此帧的字段“{ $field }”缺失或类型错误。
error-ws-unknown-frame = 未知的帧类型。
error-ws-too-many-sockets = 同时打开的连接过多（上限为 { $limit } 个）。请关闭其中一个后重试。
ws-close-too-slow = 连接跟不上传入事件的速度。请重新连接并恢复。
ws-close-server-shutdown = 服务器正在重启。请稍后重新连接并恢复。
ws-close-heartbeat-timeout = 未能按时收到心跳。
ws-close-frame-too-large = 帧大小超出了允许的上限。
ws-close-invalid-utf8 = 文本帧不是有效的 UTF-8。
ws-close-protocol-error = 该帧违反了 WebSocket 协议。
ws-close-flooding = 在被告知放慢速度后，仍然过快地发送了过多的帧。
