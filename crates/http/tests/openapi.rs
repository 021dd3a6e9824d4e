//! `docs/openapi.json` is what the code describes (`cargo xtask openapi` rewrites it).

#[test]
fn checked_in_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let generated = nerutalk_http::openapi::json().unwrap();
    assert!(
        checked_in == generated,
        "docs/openapi.json is stale: run `cargo xtask openapi` and commit it"
    );
}

#[test]
fn every_operation_documents_its_replies_and_protected_ones_the_bearer_scheme() {
    let document: serde_json::Value =
        serde_json::from_str(&nerutalk_http::openapi::json().unwrap()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 17, "{} paths", paths.len());
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path} documents no reply");
            let protected = responses.contains_key("401");
            let has_security = operation.get("security").is_some();
            if protected && !path.ends_with("/login") && !path.ends_with("/refresh") {
                assert!(
                    has_security,
                    "{method} {path} answers 401 but names no scheme"
                );
            }
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[cfg(test)]
fn document() -> serde_json::Value {
    serde_json::from_str(&nerutalk_http::openapi::json().unwrap()).unwrap()
}

#[test]
fn error_details_are_documented_as_sent_an_object_or_null() {
    let document = document();
    let details = &document["components"]["schemas"]["ErrorBody"]["properties"]["details"];
    assert_eq!(details["type"], serde_json::json!(["object", "null"]));
    let data = &document["components"]["schemas"]["ErrorEnvelope"]["properties"]["data"];
    assert_eq!(data["type"], "null");
}

#[test]
fn every_route_documents_what_actix_and_the_sign_in_check_answer() {
    let document = document();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let takes = |place: &str| parameters.iter().any(|parameter| parameter["in"] == place);
            if operation.get("requestBody").is_some() {
                assert!(
                    has("400") && has("413") && has("415"),
                    "{method} {path} takes a body but does not document 400, 413 and 415"
                );
            }
            if takes("path") || takes("query") {
                assert!(has("400"), "{method} {path} does not document 400");
            }
            if operation.get("security").is_some() {
                assert!(has("401"), "{method} {path} needs sign-in but has no 401");
            }
            assert!(
                has("500") && has("503"),
                "{method} {path} does not document the server's own failures"
            );
        }
    }
}

#[test]
fn reply_schemas_require_every_field_they_send() {
    let document = document();
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        if name.ends_with("Request") {
            continue;
        }
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|names| names.iter().filter_map(|name| name.as_str()).collect())
            .unwrap_or_default();
        for property in properties.keys() {
            assert!(
                required.contains(&property.as_str()),
                "{name}.{property} is always sent but not required"
            );
        }
    }
    let profile = &document["components"]["schemas"]["PrivateProfile"]["properties"];
    assert_eq!(
        profile["last_seen"]["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(profile["last_seen"]["format"], "date-time");
}

#[test]
fn request_schemas_carry_the_domains_limits() {
    use nerutalk_domain::chat::{ChatDetails, MessageContent};
    use nerutalk_domain::user::{Password, Username};

    let document = document();
    let schemas = &document["components"]["schemas"];
    let register = &schemas["RegisterRequest"]["properties"];
    let username = register["username"]["pattern"].as_str().unwrap();
    assert!(
        username.contains(&format!(
            "[A-Za-z0-9][A-Za-z0-9_.-]{{{},{}}}",
            Username::MIN_LEN - 1,
            Username::MAX_LEN - 1
        )),
        "{username}"
    );
    assert_eq!(register["password"]["minLength"], Password::MIN_LEN);
    assert_eq!(register["email"]["format"], "email");
    let name = schemas["GroupChatRequest"]["properties"]["name"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        name.contains(&format!("{{0,{}}}", ChatDetails::NAME_MAX - 2)),
        "{name}"
    );
    assert!(
        name.contains(r"\u202A-\u202E"),
        "names refuse bidi controls: {name}"
    );
    let text = schemas["TextMessageRequest"]["properties"]["text"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        text.contains(&format!("{{0,{}}}", MessageContent::TEXT_MAX - 2)),
        "{text}"
    );
    assert!(
        text.contains(r"\u0000-\u0008\u000B\u000C\u000E-\u001F"),
        "{text}"
    );
    assert_eq!(
        schemas["MediaMessageRequest"]["properties"]["kind"]["enum"],
        serde_json::json!(["image", "video", "file", "sticker", "gif"])
    );
    assert_eq!(
        schemas["DirectChatRequest"]["properties"]["member_ids"]["maxItems"],
        1
    );
}

/// The characters a regular-expression class names (`\uXXXX`, `\t`, `\n`,
/// `\r`, literals and ranges of them), as inclusive ranges.
#[cfg(test)]
fn class_ranges(class: &str) -> Vec<(char, char)> {
    let mut chars = class.chars().peekable();
    let next_char = |chars: &mut std::iter::Peekable<std::str::Chars>| -> Option<char> {
        let c = chars.next()?;
        if c != '\\' {
            return Some(c);
        }
        match chars.next()? {
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                char::from_u32(u32::from_str_radix(&hex, 16).unwrap())
            }
            't' => Some('\t'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            other => Some(other),
        }
    };
    let mut ranges = Vec::new();
    while let Some(low) = next_char(&mut chars) {
        if chars.peek() == Some(&'-') {
            chars.next();
            let high = next_char(&mut chars).unwrap();
            ranges.push((low, high));
        } else {
            ranges.push((low, low));
        }
    }
    ranges
}

#[cfg(test)]
fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

/// The class of the lookahead that requires one visible character.
#[cfg(test)]
fn visible_lookahead(pattern: &str) -> Vec<(char, char)> {
    let start = r"(?=[\s\S]*[^";
    let from = pattern.find(start).unwrap_or_else(|| panic!("{pattern}")) + start.len();
    let length = pattern[from..].find("])").unwrap();
    class_ranges(&pattern[from..from + length])
}

#[test]
fn names_and_messages_count_as_empty_exactly_what_the_domain_counts_as_blank() {
    use nerutalk_domain::text::is_blank;

    let document = document();
    let schemas = &document["components"]["schemas"];
    for pattern in [
        &schemas["GroupChatRequest"]["properties"]["name"]["pattern"],
        &schemas["UpdateChatRequest"]["properties"]["name"]["pattern"],
        &schemas["TextMessageRequest"]["properties"]["text"]["pattern"],
    ] {
        let not_visible = visible_lookahead(pattern.as_str().unwrap());
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let blank = is_blank(&c.to_string()) || c.is_control();
            assert_eq!(
                in_ranges(&not_visible, c),
                blank,
                "U+{:04X}: the pattern and the domain disagree on whether it shows",
                u32::from(c)
            );
        }
    }
}

/// Every `(scheme bytes, class, count)` of a URL pattern: after a scheme,
/// `count` characters of `class`, at most.
#[cfg(test)]
fn url_length_tiers(pattern: &str) -> Vec<(usize, &str, usize)> {
    let mut tiers = Vec::new();
    for (at, _) in pattern.match_indices("://") {
        let scheme = if pattern[..at].ends_with("http") {
            "http://".len()
        } else {
            "https://".len()
        };
        let host = "://(?![/?#])";
        let mut rest = pattern[at..]
            .strip_prefix(host)
            .unwrap_or_else(|| panic!("{pattern}"));
        rest = rest.strip_prefix("(?:").unwrap_or(rest);
        while let Some(class) = rest.strip_prefix('[') {
            let end = class.find(']').unwrap();
            let count = class[end..].strip_prefix("]{1,").unwrap();
            let digits = count.find('}').unwrap();
            tiers.push((scheme, &class[..end], count[..digits].parse().unwrap()));
            rest = &count[digits + 1..];
            match rest.strip_prefix('|') {
                Some(next) if next.starts_with('[') => rest = next,
                _ => break,
            }
        }
    }
    tiers
}

#[test]
fn url_patterns_admit_nothing_longer_than_the_servers_byte_limit() {
    use nerutalk_domain::user::Profile;

    let document = document();
    let mut urls = 0;
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (property, field) in properties {
            let Some(pattern) = field["pattern"].as_str() else {
                continue;
            };
            if !pattern.contains("https?://") {
                continue;
            }
            urls += 1;
            let tiers = url_length_tiers(pattern);
            assert_eq!(tiers.len(), 5, "{name}.{property}: {pattern}");
            for (scheme, class, count) in tiers {
                let widest = if let Some(refused) = class.strip_prefix('^') {
                    let refused = class_ranges(refused);
                    for c in [' ', '\u{a0}', '\u{3000}', '\u{85}', '\u{7f}'] {
                        assert!(in_ranges(&refused, c), "{name}.{property}: {c:?} in a URL");
                    }
                    4
                } else {
                    let ranges = class_ranges(class);
                    let admitted = (0..=0x10_FFFF)
                        .filter_map(char::from_u32)
                        .filter(|c| in_ranges(&ranges, *c));
                    let mut widest = 0;
                    for c in admitted {
                        assert!(
                            !c.is_whitespace() && !c.is_control(),
                            "{name}.{property}: U+{:04X} in a URL",
                            u32::from(c)
                        );
                        widest = widest.max(c.len_utf8());
                    }
                    widest
                };
                let longest = scheme + widest * count;
                assert!(
                    longest <= Profile::AVATAR_URL_MAX,
                    "{name}.{property}: {count} characters of {widest} bytes are too long"
                );
                if widest == 1 {
                    assert_eq!(
                        longest,
                        Profile::AVATAR_URL_MAX,
                        "{name}.{property}: an ASCII URL may take the whole limit"
                    );
                }
            }
        }
    }
    assert!(urls >= 5, "{urls} URL fields");
}

#[test]
fn member_lists_refuse_no_list_the_server_takes_and_state_its_distinct_limit() {
    use nerutalk_domain::chat::ChatDetails;

    let document = document();
    let schemas = &document["components"]["schemas"];
    for (members, limit) in [
        (
            &schemas["GroupChatRequest"]["properties"]["member_ids"],
            ChatDetails::GROUP_MAX_MEMBERS - 1,
        ),
        (
            &schemas["AddParticipantsRequest"]["properties"]["user_ids"],
            ChatDetails::GROUP_MAX_MEMBERS,
        ),
    ] {
        assert!(
            members.get("maxItems").is_none(),
            "repeats are left out before the server counts: {members}"
        );
        let description = members["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("more than {limit} distinct ids"))
                || description.contains(&format!("More than {limit} distinct ids")),
            "{description}"
        );
    }
}

#[test]
fn edits_and_deletes_document_the_block_that_freezes_a_direct_chat() {
    let document = document();
    let messages = &document["paths"]["/api/v1/chats/{chat_id}/messages/{message_id}"];
    for method in ["put", "delete"] {
        let forbidden = messages[method]["responses"]["403"]["description"]
            .as_str()
            .unwrap();
        assert!(
            forbidden.contains("`chat.blocked`"),
            "{method}: {forbidden}"
        );
    }
}
