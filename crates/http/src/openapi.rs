//! The OpenAPI description of every route, served at `/api-docs/openapi.json`
//! and checked in as `docs/openapi.json`.
//!
//! The document is meant to be exact, so that a generated client validates
//! what the server validates: request fields carry the domain's limits (read
//! from its constants, see [`field`]), the responses every route shares are
//! added in one place ([`CommonResponses`]), and every reply field is marked
//! as sent ([`RepliesSendEveryField`]).

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::{dto, envelope, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NeruTalk API",
        description = "Chat backend: accounts, chats, calls, media, push and location. \
            Every JSON reply is an envelope `{message, data, language, timestamp}`; failures add \
            `error: {code, details}`. Send `X-Language` (en, id, ja, ko, zh; `jp`/`cn` accepted) \
            to choose the language of `message`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        routes::root::welcome,
        routes::root::live,
        routes::root::ready,
        routes::root::health,
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::update_me,
        routes::auth::change_password,
        routes::auth::verify_email,
        routes::auth::verify_email_link,
        routes::auth::resend_verification,
        routes::users::public_profile,
        routes::users::search,
        routes::language::list,
        routes::language::current,
        routes::language::update,
        routes::chats::create,
        routes::chats::list,
        routes::chats::details,
        routes::chats::update,
        routes::chats::add_participants,
        routes::chats::remove_participant,
        routes::chats::send_message,
        routes::chats::history,
        routes::chats::edit_message,
        routes::chats::delete_message,
        routes::chats::mark_read,
        routes::blocks::block,
        routes::blocks::unblock,
        routes::blocks::blocked,
        crate::gateway::upgrade,
    ),
    components(schemas(
        envelope::ErrorEnvelope,
        envelope::ErrorBody,
        dto::RegisterRequest,
        dto::LoginRequest,
        dto::RefreshRequest,
        dto::ChangePasswordRequest,
        dto::VerifyEmailRequest,
        dto::UpdateProfileRequest,
        dto::SetLanguageRequest,
        dto::PrivateProfile,
        dto::PublicProfile,
        dto::UserPageResponse,
        dto::TokenResponse,
        dto::LanguageInfo,
        dto::CurrentLanguage,
        dto::ServiceInfo,
        dto::HealthStatus,
        dto::chat::CreateChatRequest,
        dto::chat::DirectChatRequest,
        dto::chat::GroupChatRequest,
        dto::chat::UpdateChatRequest,
        dto::chat::AddParticipantsRequest,
        dto::chat::SendMessageRequest,
        dto::chat::TextMessageRequest,
        dto::chat::MediaMessageRequest,
        dto::chat::EditMessageRequest,
        dto::chat::MarkReadRequest,
        dto::chat::ChatDto,
        dto::chat::ParticipantDto,
        dto::chat::ChatDetailsResponse,
        dto::chat::MessageDto,
        dto::chat::ChatSummaryDto,
        dto::chat::ChatPageResponse,
        dto::chat::ReadMarker,
        dto::chat::BlockedUsers,
    )),
    modifiers(&BearerAuth, &CommonResponses, &RepliesSendEveryField),
    tags(
        (name = "service", description = "Front door and health"),
        (name = "auth", description = "Accounts, sessions, verification"),
        (name = "users", description = "Profiles and people search"),
        (name = "language", description = "Reply languages"),
        (name = "chats", description = "Direct and group chats and their members"),
        (name = "messages", description = "Messages, history, edits and read receipts"),
        (name = "realtime", description = "The WebSocket gateway (see docs/websocket.md)"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The answers a route gives by its shape rather than by its use case: what
/// actix says about a body, a path or a query it cannot read, what the
/// sign-in check says, and the server's own failures. A handler's annotation
/// lists only what its use case can answer.
struct CommonResponses;

impl CommonResponses {
    fn shared(operation: &Operation) -> Vec<(&'static str, &'static str)> {
        let parameters = operation.parameters.as_deref().unwrap_or_default();
        let has = |place: ParameterIn| {
            parameters
                .iter()
                .any(|parameter| parameter.parameter_in == place)
        };
        let mut shared = Vec::new();
        if operation.request_body.is_some() {
            shared.extend([
                (
                    "400",
                    "The body is not JSON, or a field is missing or of the wrong type \
                     (`request.malformed_json`)",
                ),
                (
                    "413",
                    "The body is larger than the server accepts (`request.payload_too_large`)",
                ),
                (
                    "415",
                    "The body is not sent as `application/json` (`request.unsupported_media_type`)",
                ),
            ]);
        }
        if has(ParameterIn::Path) {
            shared.push((
                "400",
                "A path segment is not a UUID (`request.invalid_path`)",
            ));
        }
        if operation.responses.responses.contains_key("101") {
            shared.push((
                "400",
                "Not a WebSocket upgrade request (`request.malformed_json`)",
            ));
        }
        if has(ParameterIn::Query) {
            shared.push((
                "400",
                "The query string cannot be read (`request.invalid_query`)",
            ));
        }
        if operation
            .security
            .as_ref()
            .is_some_and(|security| !security.is_empty())
        {
            shared.extend([
                (
                    "401",
                    "No access token, or one that is invalid, expired or revoked (`auth.*`)",
                ),
                ("403", "The account is disabled (`auth.account_disabled`)"),
            ]);
        }
        // Any request with a bearer token has it checked against the store,
        // whatever the route, so any route can meet a store that is down.
        shared.extend([
            (
                "500",
                "The server's own failure, never the request's (`common.internal`)",
            ),
            (
                "503",
                "A backing service is unavailable; retry later (`common.unavailable`)",
            ),
        ]);
        shared
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in Self::shared(operation) {
                    let responses = &mut operation.responses.responses;
                    match responses.get_mut(status) {
                        Some(RefOr::T(response)) => {
                            if !response.description.contains(description) {
                                if !response.description.is_empty() {
                                    response.description.push_str("; or: ");
                                }
                                response.description.push_str(description);
                            }
                        }
                        Some(RefOr::Ref(_)) => {}
                        None => {
                            let response = ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                                        .build(),
                                )
                                .build();
                            responses.insert(status.to_owned(), RefOr::T(response));
                        }
                    }
                }
                if let Some(RefOr::T(unavailable)) = operation.responses.responses.get_mut("503") {
                    unavailable
                        .headers
                        .insert("Retry-After".to_owned(), retry_after());
                }
            }
        }
    }
}

/// The header every 503 carries.
fn retry_after() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .minimum(Some(0))
                .build(),
        )
        .description(Some(format!(
            "Seconds to wait before retrying; {}",
            crate::error::RETRY_AFTER_SECONDS
        )))
        .build()
}

/// Reply bodies are serialized with every field present (`null` when there
/// is nothing), so every property of a reply schema is required; utoipa
/// leaves `Option` fields out of `required`, which would let a client assume
/// they may be missing.
pub(crate) struct RepliesSendEveryField;

impl RepliesSendEveryField {
    /// Marks every property of `schema` required; the AsyncAPI document's
    /// server frames are written the same way.
    pub(crate) fn require_all(schema: &mut Schema) {
        match schema {
            Schema::Object(object) => {
                object.required = object.properties.keys().cloned().collect();
            }
            Schema::AllOf(all_of) => {
                for item in &mut all_of.items {
                    if let RefOr::T(inner) = item {
                        Self::require_all(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Modify for RepliesSendEveryField {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, schema) in &mut components.schemas {
            if !name.ends_with("Request")
                && let RefOr::T(schema) = schema
            {
                Self::require_all(schema);
            }
        }
    }
}

/// Request field schemas built from the domain's own limits, for
/// `#[schema(schema_with = ...)]`. utoipa's `max_length = …` takes only
/// literals; these read the constants, so a changed limit changes the
/// document (and the drift test says so).
///
/// Text is trimmed by the server before it is measured, so a length limit
/// is written into the pattern (surrounding whitespace is free) rather than
/// as `maxLength`, which would count the whitespace the server ignores.
pub(crate) mod field {
    use nerutalk_app::{ChatService, UserService};
    use nerutalk_domain::chat::{
        CLIENT_MESSAGE_ID_MAX, ChatDetails, ChatKind, MessageContent, MessageKind, Role,
    };
    use nerutalk_domain::text::Lines;
    use nerutalk_domain::user::{Email, Password, Profile, Username};
    use utoipa::openapi::schema::{
        Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type,
    };

    /// C0 and C1 control characters, and the line and paragraph separators:
    /// refused in single-line text.
    pub(crate) const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F\u2028\u2029";
    /// Control characters refused in multi-line text: all but TAB, LF and CR.
    pub(crate) const CONTROL_MULTILINE: &str =
        r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
    /// What `str::trim` removes that is neither a control character nor a
    /// line or paragraph separator.
    const SPACE: &str = r" \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000";
    /// TAB, LF, CR and the line and paragraph separators: whitespace that
    /// multi-line text allows.
    const SPACE_MULTILINE: &str = r"\t\n\r\u2028\u2029";
    /// Bidi controls and invisible characters, refused in names.
    const NAME_INVISIBLE: &str =
        r"\u00AD\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF";
    /// Zero-width non-joiner and joiner: allowed inside a name, trimmed from its ends.
    const JOINERS: &str = r"\u200C\u200D";
    /// With whitespace and [`NAME_INVISIBLE`], what the domain's `is_blank`
    /// counts as showing nothing: the joiners, the Hangul fillers, the
    /// Mongolian vowel separator, the braille blank and the variation selectors.
    const DRAWS_NOTHING: &str = r"\u115F\u1160\u180E\u200C\u200D\u2800\u3164\uFE00-\uFE0F\uFFA0";
    /// The end of a pattern. For ECMA-262, whose patterns JSON Schema uses,
    /// the lookahead changes nothing; Python's `$`, which test generators
    /// use, also matches before a final newline, a control character the
    /// server refuses in single-line text.
    const END: &str = r"(?!\n)$";
    /// bcrypt reads 72 bytes; longer passwords are refused.
    const PASSWORD_MAX_BYTES: usize = 72;

    /// What a trimmed text is measured against.
    struct Text {
        lines: Lines,
        /// Characters refused anywhere in the text, besides control characters.
        refused: &'static str,
        /// Characters that do not count towards "not empty".
        blank: &'static [&'static str],
        /// Characters trimmed from the ends like whitespace, besides it.
        trimmed: &'static str,
        min: usize,
        max: usize,
    }

    impl Text {
        const fn single(min: usize, max: usize) -> Self {
            Self {
                lines: Lines::Single,
                refused: "",
                blank: &[],
                trimmed: "",
                min,
                max,
            }
        }

        const fn multi(min: usize, max: usize) -> Self {
            Self {
                lines: Lines::Multi,
                ..Self::single(min, max)
            }
        }

        const fn name(min: usize, max: usize) -> Self {
            Self {
                refused: NAME_INVISIBLE,
                blank: &[DRAWS_NOTHING],
                trimmed: JOINERS,
                ..Self::single(min, max)
            }
        }

        /// `^space* (edge (any{0,max-2} edge)?)? space*$`: between optional
        /// surrounding whitespace, `min` to `max` characters that neither
        /// start nor end with whitespace.
        fn pattern(&self) -> String {
            let (control, space, end) = match self.lines {
                Lines::Single => (CONTROL, SPACE.to_owned(), END),
                Lines::Multi => (CONTROL_MULTILINE, format!("{SPACE}{SPACE_MULTILINE}"), "$"),
            };
            let (refused, trimmed) = (self.refused, self.trimmed);
            let any = format!("[^{control}{refused}]");
            let edge = format!("[^{control}{refused}{space}{trimmed}]");
            let pad = format!("[{space}{trimmed}]*");
            let inner = self.max.saturating_sub(2);
            let body = if self.max > 1 {
                format!("{edge}(?:{any}{{0,{inner}}}{edge})?")
            } else {
                edge
            };
            let visible = if self.min > 0 && !self.blank.is_empty() {
                format!(
                    "(?=[\\s\\S]*[^{control}{refused}{space}{}])",
                    self.blank.concat()
                )
            } else {
                String::new()
            };
            if self.min > 0 {
                format!("^{visible}{pad}{body}{pad}{end}")
            } else {
                format!("^{pad}(?:{body}{pad})?{end}")
            }
        }

        fn schema(&self, nullable: bool, description: &str) -> Object {
            let description = format!(
                "{description} Trimmed, then {} to {} characters{}.",
                self.min,
                self.max,
                match self.lines {
                    Lines::Single => "; no control characters",
                    Lines::Multi =>
                        "; no control characters but tab, line feed and carriage return",
                }
            );
            string(nullable)
                .min_length((self.min > 0).then_some(self.min))
                .pattern(Some(self.pattern()))
                .description(Some(description))
                .build()
        }
    }

    fn string(nullable: bool) -> ObjectBuilder {
        ObjectBuilder::new().schema_type(if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::new(Type::String)
        })
    }

    /// Single-line text with no other rule.
    fn plain(nullable: bool, description: &str) -> Object {
        string(nullable)
            .pattern(Some(format!("^[^{CONTROL}]*{END}")))
            .description(Some(format!("{description} No control characters.")))
            .build()
    }

    fn enumeration<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
        string(false)
            .enum_values(Some(values))
            .description(Some(description))
            .build()
    }

    pub(crate) fn email() -> Object {
        string(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(Email::MAX_LEN))
            .description(Some("An e-mail address; compared without regard to case."))
            .examples(["ada@example.com"])
            .build()
    }

    pub(crate) fn username() -> Object {
        let (min, max) = (Username::MIN_LEN, Username::MAX_LEN);
        string(false)
            .min_length(Some(min))
            .pattern(Some(format!(
                "^[{SPACE}]*[A-Za-z0-9][A-Za-z0-9_.-]{{{},{}}}[{SPACE}]*{END}",
                min - 1,
                max - 1
            )))
            .description(Some(format!(
                "{min} to {max} ASCII letters, digits, `_`, `.` or `-`, starting with a letter \
                 or digit (after trimming and Unicode NFKC normalization; unique without regard \
                 to case)."
            )))
            .examples(["ada"])
            .build()
    }

    /// A new password: its length and the characters bcrypt can hash.
    pub(crate) fn new_password() -> Object {
        string(false)
            .min_length(Some(Password::MIN_LEN))
            .max_length(Some(Password::MAX_LEN.min(PASSWORD_MAX_BYTES)))
            .pattern(Some(r"^[^\u0000]*$"))
            .description(Some(format!(
                "{} to {} characters and at most {PASSWORD_MAX_BYTES} bytes of UTF-8, with a \
                 lowercase letter, an uppercase letter and a digit; no NUL.",
                Password::MIN_LEN,
                Password::MAX_LEN.min(PASSWORD_MAX_BYTES)
            )))
            .examples(["Secret123"])
            .build()
    }

    /// A password being checked, not chosen: anything but NUL.
    pub(crate) fn password() -> Object {
        string(false)
            .pattern(Some(r"^[^\u0000]*$"))
            .description(Some("No NUL."))
            .examples(["Secret123"])
            .build()
    }

    pub(crate) fn login_identifier() -> Object {
        plain(true, "E-mail address or username.")
    }

    pub(crate) fn token() -> Object {
        plain(false, "As issued by the server.")
    }

    pub(crate) fn full_name() -> Object {
        Text::name(0, Profile::FULL_NAME_MAX).schema(
            true,
            "Empty clears it. No bidi controls or invisible characters.",
        )
    }

    pub(crate) fn bio() -> Object {
        Text::multi(0, Profile::BIO_MAX).schema(true, "Empty clears it.")
    }

    pub(crate) fn phone_number() -> Object {
        let digits = "(?:[ ().-]*[0-9]){6,15}[ ().-]*";
        let edge = "[+0-9().-]";
        let length = format!(
            "(?={edge}(?:[ +0-9().-]{{0,{}}}{edge})?[{SPACE}]*$)",
            Profile::PHONE_MAX - 2
        );
        string(true)
            .pattern(Some(format!(
                "^[{SPACE}]*(?:{length}\\+?{digits})?[{SPACE}]*{END}"
            )))
            .description(Some(format!(
                "E.164-style, such as `+14155550123`: an optional `+`, then 6 to 15 digits, with \
                 spaces, dashes, dots and parentheses between them; at most {} characters once \
                 trimmed. Empty clears it.",
                Profile::PHONE_MAX
            )))
            .build()
    }

    /// What a URL may hold (neither whitespace nor a control character), by
    /// the most bytes of UTF-8 one of its characters takes: 1, 2 or 3 (a
    /// character of any width is the negated class in [`url_pattern`]).
    /// Written as ranges, not negated, so that no class matches a character
    /// wider than its tier (an ECMA-262 pattern without the `u` flag reads
    /// a character beyond the BMP as two surrogates, which no range here holds).
    const URL_BY_WIDTH: [&str; 3] = [
        r"\u0021-\u007E",
        r"\u0021-\u007E\u00A1-\u07FF",
        r"\u0021-\u007E\u00A1-\u167F\u1681-\u1FFF\u200B-\u2027\u202A-\u202E\u2030-\u205E\u2060-\u2FFF\u3001-\uD7FF\uE000-\uFFFF",
    ];

    /// An http(s) URL of at most `AVATAR_URL_MAX` bytes between optional
    /// whitespace; `required: false` also takes empty (or only whitespace),
    /// which the server reads as "none".
    ///
    /// The server counts the trimmed URL's bytes, which a pattern cannot: it
    /// admits as many characters after the scheme as fit when every one takes
    /// as many bytes as the URL's widest. Nothing it admits is too long; a
    /// long URL of mixed widths may fit the server and not the pattern. No
    /// lookahead carries the bound, because test generators emit a positive
    /// lookahead's text instead of checking it.
    fn url_pattern(required: bool) -> String {
        let [one, two, three] = URL_BY_WIDTH;
        let host = "(?![/?#])";
        let after = |scheme: &str| Profile::AVATAR_URL_MAX - scheme.len();
        let (http, https) = (after("http://"), after("https://"));
        let url = format!(
            "(?:http://{host}[{one}]{{1,{http}}}|https://{host}[{one}]{{1,{https}}}\
             |https?://{host}(?:[{two}]{{1,{}}}|[{three}]{{1,{}}}|[^{CONTROL}{SPACE}]{{1,{}}}))",
            https / 2,
            https / 3,
            https / 4
        );
        let url = if required { url } else { format!("(?:{url})?") };
        format!("^[{SPACE}]*{url}[{SPACE}]*{END}")
    }

    /// What the server refuses in a URL, for the descriptions.
    fn url_rule() -> String {
        let max = Profile::AVATAR_URL_MAX;
        let https = max - "https://".len();
        format!(
            "An absolute `http` or `https` URL without whitespace, at most {max} bytes of UTF-8 \
             once trimmed. The pattern admits after `https://` {https} characters when all are \
             ASCII ({} after `http://`), {} when none is beyond U+07FF, {} within the Basic \
             Multilingual Plane and {} otherwise.",
            https + 1,
            https / 2,
            https / 3,
            https / 4
        )
    }

    pub(crate) fn avatar_url() -> Object {
        string(true)
            .pattern(Some(url_pattern(false)))
            .description(Some(format!("{} Empty clears it.", url_rule())))
            .build()
    }

    pub(crate) fn unused_media_url() -> Object {
        string(true)
            .pattern(Some(url_pattern(false)))
            .description(Some(format!(
                "Checked like a media message's, then not stored with a text message. {}",
                url_rule()
            )))
            .build()
    }

    pub(crate) fn media_url() -> Object {
        string(false)
            .pattern(Some(url_pattern(true)))
            .description(Some(url_rule()))
            .build()
    }

    pub(crate) fn language_tag() -> Object {
        let primary = "[Ee][Nn]|[Ii][DdNn]|[Jj][AaPp]|[Kk][OoRr]|[Zz][Hh]|[Cc][Nn]";
        string(false)
            .pattern(Some(format!(
                "^[{SPACE}]*(?:{primary})(?:[-_][^{CONTROL}]*)?[{SPACE}]*{END}"
            )))
            .description(Some(
                "A BCP 47 tag (`ja`, `zh-CN`) or a legacy alias (`jp`, `cn`, `kr`, `in`); only \
                 the primary subtag counts.",
            ))
            .examples(["ja"])
            .build()
    }

    pub(crate) fn search_query() -> Object {
        let mut query = plain(
            false,
            "Part of a username or full name; empty lists everyone.",
        );
        // Trimmed before it is counted, so only the characters kept count;
        // the schema's bound is on what is sent and must allow the spaces.
        query.description = query.description.map(|description| {
            format!(
                "{description} At most {} characters once trimmed.",
                nerutalk_domain::user::SEARCH_QUERY_MAX
            )
        });
        query
    }

    pub(crate) fn cursor() -> Object {
        string(true)
            .description(Some(
                "`next_cursor` of the previous page; one the server did not make reads as the \
                 first page.",
            ))
            .build()
    }

    fn page_limit(default: u32, max: u32) -> Object {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .maximum(Some(u32::MAX))
            .description(Some(format!(
                "Page size, 1 to {max} (default {default}); other values are clamped into \
                 that range."
            )))
            .build()
    }

    pub(crate) fn user_page_limit() -> Object {
        page_limit(UserService::DEFAULT_PAGE, UserService::MAX_PAGE)
    }

    pub(crate) fn chat_page_limit() -> Object {
        page_limit(20, ChatService::MAX_CHAT_PAGE)
    }

    pub(crate) fn history_limit() -> Object {
        page_limit(50, ChatService::MAX_HISTORY_PAGE)
    }

    pub(crate) fn direct_kind() -> Object {
        enumeration([ChatKind::Direct.as_str()], "A chat between two people.")
    }

    pub(crate) fn group_kind() -> Object {
        enumeration([ChatKind::Group.as_str()], "A chat of several members.")
    }

    fn uuids(description: String) -> ArrayBuilder {
        ArrayBuilder::new()
            .items(uuid())
            .description(Some(description))
    }

    pub(crate) fn direct_member() -> Array {
        uuids("The other member's id.".to_owned())
            .min_items(Some(1))
            .max_items(Some(1))
            .build()
    }

    // The server leaves repeated ids out before it counts, so a list's
    // length is no limit: JSON Schema cannot count distinct items, and a
    // `maxItems` would refuse lists the server takes. The limits are stated.

    pub(crate) fn group_members() -> Array {
        uuids(format!(
            "The other members' ids. The caller's own id and repeats are left out; if more than \
             {} distinct ids remain, the request is refused with 422 \
             (`validation.group_too_large`) before any user is looked up.",
            ChatDetails::GROUP_MAX_MEMBERS - 1
        ))
        .build()
    }

    pub(crate) fn new_members() -> Array {
        uuids(format!(
            "Users to add; repeats are left out. More than {max} distinct ids, or a group of more \
             than {max} members once they join, is refused with 422 \
             (`validation.group_too_large`).",
            max = ChatDetails::GROUP_MAX_MEMBERS
        ))
        .build()
    }

    /// The hyphenated form (the server also reads the other forms the
    /// `uuid` crate parses; this is the one it writes).
    const UUID: &str =
        r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?!\n)$";

    fn uuid() -> Object {
        string(false)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .pattern(Some(UUID))
            .build()
    }

    pub(crate) fn reply_to() -> Object {
        string(true)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .pattern(Some(UUID))
            .description(Some("The message this one answers, in the same chat."))
            .build()
    }

    pub(crate) fn chat_name() -> Object {
        Text::name(1, ChatDetails::NAME_MAX)
            .schema(false, "No bidi controls or invisible characters.")
    }

    pub(crate) fn chat_name_update() -> Object {
        Text::name(1, ChatDetails::NAME_MAX).schema(
            true,
            "Left out or `null` keeps it. No bidi controls or invisible characters.",
        )
    }

    pub(crate) fn chat_description() -> Object {
        Text::multi(0, ChatDetails::DESCRIPTION_MAX).schema(true, "Empty clears it.")
    }

    pub(crate) fn message_text() -> Object {
        Text {
            blank: &[NAME_INVISIBLE, DRAWS_NOTHING],
            ..Text::multi(1, MessageContent::TEXT_MAX)
        }
        .schema(
            false,
            "Text that is only whitespace and invisible characters counts as empty.",
        )
    }

    pub(crate) fn caption() -> Object {
        Text::multi(0, MessageContent::TEXT_MAX).schema(true, "A caption.")
    }

    pub(crate) fn text_kind() -> Object {
        enumeration(
            [MessageKind::Text.as_str()],
            "A text message (the default).",
        )
    }

    pub(crate) fn media_kind() -> Object {
        enumeration(
            [
                MessageKind::Image,
                MessageKind::Video,
                MessageKind::File,
                MessageKind::Sticker,
                MessageKind::Gif,
            ]
            .map(MessageKind::as_str),
            "A media message: `media_url` is required, `text` is its caption.",
        )
    }

    pub(crate) fn chat_kind() -> Object {
        enumeration(
            [ChatKind::Direct, ChatKind::Group].map(ChatKind::as_str),
            "`direct` or `group`.",
        )
    }

    pub(crate) fn role() -> Object {
        enumeration(
            [Role::Owner, Role::Admin, Role::Member].map(Role::as_str),
            "Owners and admins manage a group.",
        )
    }

    pub(crate) fn message_kind() -> Object {
        enumeration(
            [
                MessageKind::Text,
                MessageKind::Image,
                MessageKind::Video,
                MessageKind::File,
                MessageKind::Sticker,
                MessageKind::Gif,
                MessageKind::System,
            ]
            .map(MessageKind::as_str),
            "`system` messages are written by the server.",
        )
    }

    pub(crate) fn client_message_id() -> Object {
        Text::single(1, CLIENT_MESSAGE_ID_MAX).schema(
            true,
            "Idempotency key: a retry with the same key returns the first message.",
        )
    }
}

/// The document as pretty JSON with a trailing newline, as checked in.
///
/// # Errors
/// When serialization fails (it does not for this document).
pub fn json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|mut text| {
        text.push('\n');
        text
    })
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::DomainError;
    use nerutalk_domain::chat::{CLIENT_MESSAGE_ID_MAX, parse_client_message_id};

    #[test]
    fn client_message_id_limit_is_the_domains() {
        let longest = "x".repeat(CLIENT_MESSAGE_ID_MAX);
        assert!(parse_client_message_id(&longest).is_ok());
        assert_eq!(
            parse_client_message_id(&format!("{longest}x")),
            Err(DomainError::ClientMessageIdInvalid {
                max: CLIENT_MESSAGE_ID_MAX
            })
        );
    }
}
