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
