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
