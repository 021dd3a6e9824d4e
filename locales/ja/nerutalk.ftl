# NeruTalk server messages: Japanese.
# Translated from locales/en/nerutalk.ftl; every id there must exist here too, and `cargo test` checks it.

## Replies to successful requests

notice-welcome = NeruTalkへようこそ。APIドキュメントは /docs でご覧いただけます。
notice-health-live = NeruTalkは稼働中です。
notice-health-ready = NeruTalkはリクエストを受け付ける準備ができています。
notice-registered = アカウントを作成しました。届いたメールを確認して、メールアドレスの認証を完了してください。
notice-logged-in = ログインしました。
notice-token-refreshed = セッションを更新しました。
notice-logged-out = ログアウトしました。
notice-profile = あなたのプロフィールです。
notice-profile-updated = プロフィールを更新しました。
notice-password-changed = パスワードを変更しました。他のセッションはすべてログアウトしました。
notice-email-verified = メールアドレスの認証が完了しました。
notice-verification-sent = 新しい認証メールを送信しました。
notice-user-profile = ユーザーのプロフィールです。
notice-users-found = { $count ->
    [0] 検索条件に一致するユーザーは見つかりませんでした。
   *[other] { $count }人のユーザーが見つかりました。
}
notice-languages = 対応している言語の一覧です。
notice-language-current = この応答で使用している言語です。
notice-language-updated = 言語設定を保存しました。
notice-chat-created = チャットを作成しました。
notice-chat-existing = この相手とのチャットはすでにあります。こちらがそのチャットです。
notice-chats = チャットの一覧です。
notice-chat = チャットの詳細です。
notice-chat-updated = チャットを更新しました。
notice-participants-added = メンバーを追加しました。
notice-participant-removed = メンバーをチャットから削除しました。
notice-message-sent = メッセージを送信しました。
notice-message-duplicate = このメッセージはすでに送信済みです。こちらが元のメッセージです。
notice-messages = メッセージの一覧です。
notice-message-updated = メッセージを編集しました。
notice-message-deleted = メッセージを削除しました。
notice-messages-read = メッセージを既読にしました。
notice-user-blocked = ユーザーをブロックしました。
notice-user-unblocked = ユーザーのブロックを解除しました。
notice-blocked-users = ブロックしているユーザーの一覧です。

## E-mail

mail-verification-subject = NeruTalkのメールアドレスを認証してください
mail-verification-greeting = { $username } さん、こんにちは。
mail-verification-intro = NeruTalkにご登録いただきありがとうございます。メールアドレスを認証するには、次のリンクを開いてください。
mail-verification-button = メールアドレスを認証する
mail-verification-code = または、アプリで次のコードを入力してください。
mail-verification-expiry = リンクとコードの有効期限は{ $hours }時間です。このアカウントの作成に心当たりがない場合は、このメールを無視してください。

## Validation errors

error-validation-email-invalid = 有効なメールアドレスを入力してください。
error-validation-email-too-long = メールアドレスは{ $max }文字以内で入力してください。
error-validation-username-length = ユーザー名は{ $min }〜{ $max }文字で入力してください。
error-validation-username-charset = ユーザー名に使用できるのは半角英字（A〜Z）、数字、アンダースコア、ピリオド、ハイフンのみです。また、先頭は英字または数字にしてください。
error-validation-control-characters = このテキストには使用できない制御文字（NUL など）が含まれています。
error-validation-invisible-characters = この名前には使用できない不可視文字または文字方向の制御文字が含まれています。
error-validation-password-too-short = パスワードは{ $min }文字以上で入力してください。
error-validation-password-too-long = パスワードは{ $max }文字以内で入力してください。
error-validation-password-too-weak = パスワードには小文字、大文字、数字をそれぞれ1文字以上含めてください。
error-validation-password-mismatch = 確認用のパスワードが一致しません。
error-validation-full-name-too-long = 氏名は{ $max }文字以内で入力してください。
error-validation-bio-too-long = 自己紹介は{ $max }文字以内で入力してください。
error-validation-search-query-too-long = 検索語は{ $max }文字以内で入力してください。
error-validation-phone-invalid = 有効な電話番号を入力してください（例：+14155550123）。
error-validation-avatar-url-invalid = アバターには有効な http または https のURLを指定してください。
error-validation-language-unsupported = この言語には対応していません。en、id、ja、ko、zh のいずれかを選択してください。
error-validation-chat-name-length = チャット名は{ $min }〜{ $max }文字で入力してください。
error-validation-chat-description-too-long = チャットの説明は{ $max }文字以内で入力してください。
error-validation-direct-chat-members = 1対1のチャットには、相手を1人だけ指定してください。
error-validation-group-too-large = グループのメンバーは最大{ $max }人までです。
error-validation-message-empty = メッセージが空です。
error-validation-message-too-long = メッセージは{ $max }文字以内で入力してください。
error-validation-message-media-missing = この種類のメッセージには、有効な http または https のメディアURLが必要です。
error-validation-message-kind-not-allowed = この種類のメッセージはアプリから送信できません。
error-validation-client-message-id-invalid = クライアントメッセージIDは1〜{ $max }文字で指定してください。

## Authentication errors

error-auth-invalid-credentials = ログインIDまたはパスワードが正しくありません。
error-auth-account-disabled = このアカウントは無効になっています。
error-auth-token-missing = 続行するにはログインしてください。
error-auth-token-invalid = アクセストークンが無効です。もう一度ログインしてください。
error-auth-token-expired = アクセストークンの有効期限が切れました。更新するか、再度ログインしてください。
error-auth-session-revoked = このセッションは終了しました。もう一度ログインしてください。
error-auth-refresh-token-invalid = リフレッシュトークンが無効か、有効期限が切れています。もう一度ログインしてください。
error-auth-refresh-token-reused = このリフレッシュトークンはすでに使用されているため、安全のためセッションを終了しました。もう一度ログインしてください。
error-auth-current-password-wrong = 現在のパスワードが正しくありません。
error-auth-password-unchanged = 新しいパスワードには、現在のパスワードと異なるものを設定してください。
error-auth-email-taken = このメールアドレスはすでに登録されています。
error-auth-username-taken = このユーザー名はすでに使用されています。
error-auth-verification-token-invalid = この認証コードは無効です。
error-auth-verification-token-expired = この認証コードは有効期限が切れています。新しいコードをリクエストしてください。
error-auth-verification-token-used = この認証コードはすでに使用されています。
error-auth-already-verified = メールアドレスはすでに認証済みです。

## Other errors

error-user-not-found = ユーザーが見つかりませんでした。
error-user-cannot-block-self = 自分自身をブロックすることはできません。
error-chat-not-found = チャットが見つかりませんでした。
error-chat-not-admin = この操作は、チャットのオーナーまたは管理者のみが行えます。
error-chat-direct-chat-fixed = 1対1のチャットでは、名前の変更やメンバーの追加・削除はできません。
error-chat-blocked = この相手にはメッセージを送信できません。
error-chat-member-blocked = 選んだ相手の中に、このチャットに追加できない人がいます。
error-chat-cannot-remove-owner = グループのオーナーは削除できません。
error-chat-message-not-found = メッセージが見つかりませんでした。
error-chat-not-message-author = このメッセージを編集できるのは送信者のみです。
error-chat-message-not-editable = 編集できるのは、削除されていないテキストメッセージのみです。
error-rate-limited = 試行回数が多すぎます。{ $seconds } 秒後にもう一度お試しください。
error-auth-busy = 現在、多数のサインインを確認中です。少し待ってからもう一度お試しください。
error-common-unavailable = サービスを一時的にご利用いただけません。しばらくしてから再度お試しください。
error-common-internal = サーバー側で問題が発生しました。しばらくしてから、もう一度お試しください。

## Request errors

error-request-malformed-json = リクエスト本文が有効なJSONではないか、必要な項目が含まれていません。
error-request-invalid-query = クエリ文字列のパラメーターが不足しているか、無効です。
error-request-invalid-path = アドレスに無効な値（形式が正しくないIDなど）が含まれています。
error-request-unsupported-media-type = このコンテンツタイプには対応していません。application/json で送信してください。
error-request-payload-too-large = リクエスト本文が大きすぎます。上限は{ $limit }バイトです。
error-request-route-not-found = このアドレスには何もありません。
error-request-method-not-allowed = このアドレスでは、このメソッドは使用できません。

## WebSocket errors

error-ws-malformed-frame = フレームが {"{"}"type", "data", "id"{"}"} 形式の有効なJSONではないか、data に必要な項目が含まれていません。
error-ws-malformed-field = このフレームの項目「{ $field }」がないか、型が正しくありません。
error-ws-unknown-frame = 不明なフレームタイプです。
error-ws-too-many-sockets = 同時に開いている接続が多すぎます（上限は { $limit } です）。どれかを閉じてからもう一度お試しください。
ws-close-too-slow = 接続が受信イベントの速度に追いつけませんでした。再接続して再開してください。
ws-close-server-shutdown = サーバーを再起動しています。しばらくしてから再接続して再開してください。
ws-close-heartbeat-timeout = ハートビートが時間内に届きませんでした。
ws-close-frame-too-large = フレームが許可されたサイズを超えています。
ws-close-invalid-utf8 = テキストフレームが正しい UTF-8 ではありません。
ws-close-protocol-error = フレームが WebSocket プロトコルに違反しています。
ws-close-flooding = 速度を落とすよう伝えた後も、短時間に多すぎるフレームが送られました。
