//! The API end to end: a real server, a real client, on SQLite and (with
//! `cargo xtask test`) on PostgreSQL.

#![expect(clippy::expect_used, reason = "tests expect")]
#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use serde_json::{Value, json};
use support::{Backend, PASSWORD, TestApp};

on_every_backend!(
    the_whole_auth_flow,
    a_reused_refresh_token_ends_the_session,
    changing_the_password_signs_out_other_sessions,
    email_verification_is_single_use,
    every_validation_error_is_a_localized_422,
    duplicates_are_409_naming_the_field,
    actix_errors_use_the_envelope,
    the_same_error_in_five_languages,
    the_saved_language_is_used_when_the_request_names_none,
    profiles_and_people_search,
    search_queries_and_page_sizes_have_limits,
    health_and_front_door,
);

async fn the_whole_auth_flow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("Ada@Example.com", "ada").await;
    assert_eq!(registered.status.as_u16(), 201, "{:#}", registered.body);
    assert_eq!(registered.body["data"]["email"], "ada@example.com");
    assert_eq!(registered.body["data"]["is_verified"], false);
    assert_eq!(registered.body["language"], "en");
    assert!(registered.body.get("error").is_none());

    let (access, _) = app.login("ADA@example.com", PASSWORD).await;
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(me.status.as_u16(), 200);
    assert_eq!(me.body["data"]["username"], "ada");

    let updated = app
        .send(
            "PUT",
            "/api/v1/auth/me",
            Some(&access),
            &[],
            Some(json!({ "full_name": "Ada Lovelace", "bio": "Notes" })),
        )
        .await;
    assert_eq!(updated.status.as_u16(), 200, "{:#}", updated.body);
    assert_eq!(updated.body["data"]["full_name"], "Ada Lovelace");

    let (by_username, refresh) = app.login("ada", PASSWORD).await;
    let refreshed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(refreshed.status.as_u16(), 200, "{:#}", refreshed.body);
    assert_ne!(refreshed.body["data"]["refresh_token"], refresh.as_str());
    assert_eq!(refreshed.body["data"]["token_type"], "bearer");

    let logout = app
        .post("/api/v1/auth/logout", Some(&by_username), json!({}))
        .await;
    assert_eq!(logout.status.as_u16(), 200);
    app.get("/api/v1/auth/me", Some(&by_username))
        .await
        .assert_error(401, "auth.session_revoked");
    let still_in = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(
        still_in.status.as_u16(),
        200,
        "logout ends only its own session"
    );

    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "login": "ada", "password": "Wrong1234" }),
        )
        .await;
    wrong.assert_error(401, "auth.invalid_credentials");
    let ghost = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ghost@example.com", "password": PASSWORD }),
        )
        .await;
    ghost.assert_error(401, "auth.invalid_credentials");
    assert_eq!(wrong.message(), ghost.message(), "no user enumeration");

    let missing = app.get("/api/v1/auth/me", None).await;
    missing.assert_error(401, "auth.token_missing");
    assert_eq!(missing.www_authenticate.as_deref(), Some("Bearer"));
    app.get("/api/v1/auth/me", Some("not-a-jwt"))
        .await
        .assert_error(401, "auth.token_invalid");
}

async fn a_reused_refresh_token_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, first) = app.signed_in("mallory").await;
    let rotated = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": first }),
        )
        .await;
    let second = rotated.body["data"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_access = rotated.body["data"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": first }),
    )
    .await
    .assert_error(401, "auth.refresh_token_reused");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": second }),
    )
    .await
    .assert_error(401, "auth.refresh_token_invalid");
    for token in [&access, &new_access] {
        app.get("/api/v1/auth/me", Some(token))
            .await
            .assert_error(401, "auth.session_revoked");
    }
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": "made-up" }),
    )
    .await
    .assert_error(401, "auth.refresh_token_invalid");
}

async fn changing_the_password_signs_out_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (phone, _) = app.signed_in("grace").await;
    let (laptop, laptop_refresh) = app.login("grace", PASSWORD).await;
    let change = |current: &str, new: &str, confirm: &str| json!({ "current_password": current, "new_password": new, "confirm_password": confirm });
    app.post(
        "/api/v1/auth/change-password",
        Some(&phone),
        change("Wrong1234", "Better456", "Better456"),
    )
    .await
    .assert_error(422, "auth.current_password_wrong");
    app.post(
        "/api/v1/auth/change-password",
        Some(&phone),
        change(PASSWORD, "weak", "weak"),
    )
    .await
    .assert_error(422, "validation.password_too_short");
    app.post(
        "/api/v1/auth/change-password",
        Some(&phone),
        change(PASSWORD, PASSWORD, PASSWORD),
    )
    .await
    .assert_error(422, "auth.password_unchanged");
    let changed = app
        .post(
            "/api/v1/auth/change-password",
            Some(&phone),
            change(PASSWORD, "Better456", "Better456"),
        )
        .await;
    assert_eq!(changed.status.as_u16(), 200, "{:#}", changed.body);

    assert_eq!(
        app.get("/api/v1/auth/me", Some(&phone))
            .await
            .status
            .as_u16(),
        200
    );
    app.get("/api/v1/auth/me", Some(&laptop))
        .await
        .assert_error(401, "auth.session_revoked");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": laptop_refresh }),
    )
    .await
    .assert_error(401, "auth.refresh_token_invalid");
    app.post(
        "/api/v1/auth/login",
        None,
        json!({ "login": "grace", "password": PASSWORD }),
    )
    .await
    .assert_error(401, "auth.invalid_credentials");
    app.login("grace", "Better456").await;
}

async fn email_verification_is_single_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("vera").await;
    let first_code = app.verification_code("vera@example.com").await;
    let resent = app
        .post("/api/v1/auth/resend-verification", Some(&access), json!({}))
        .await;
    assert_eq!(resent.status.as_u16(), 200, "{:#}", resent.body);
    let code = app.verification_code_of_mail("vera@example.com", 2).await;
    assert_ne!(code, first_code);

    app.post(
        "/api/v1/auth/verify-email",
        None,
        json!({ "token": first_code }),
    )
    .await
    .assert_error(422, "auth.verification_token_used");
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": code }))
        .await;
    assert_eq!(verified.status.as_u16(), 200, "{:#}", verified.body);
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert_eq!(me.body["data"]["is_verified"], true);
    app.post("/api/v1/auth/verify-email", None, json!({ "token": code }))
        .await
        .assert_error(422, "auth.verification_token_used");
    app.post(
        "/api/v1/auth/verify-email",
        None,
        json!({ "token": "nonsense" }),
    )
    .await
    .assert_error(422, "auth.verification_token_invalid");
    app.post("/api/v1/auth/resend-verification", Some(&access), json!({}))
        .await
        .assert_error(409, "auth.already_verified");
}

async fn every_validation_error_is_a_localized_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = json!({ "email": "v@example.com", "username": "valid", "password": PASSWORD, "confirm_password": PASSWORD });
    let cases = [
        ("email", json!("not-an-email"), "validation.email_invalid"),
        (
            "email",
            json!(format!("{}@example.com", "a".repeat(250))),
            "validation.email_too_long",
        ),
        ("username", json!("ab"), "validation.username_length"),
        ("username", json!("bad name"), "validation.username_charset"),
        ("password", json!("Sh0rt"), "validation.password_too_short"),
        (
            "password",
            json!(format!("Aa1{}", "x".repeat(80))),
            "validation.password_too_long",
        ),
        (
            "password",
            json!("alllowercase1"),
            "validation.password_too_weak",
        ),
        (
            "confirm_password",
            json!("Secret124"),
            "validation.password_mismatch",
        ),
        (
            "full_name",
            json!("x".repeat(101)),
            "validation.full_name_too_long",
        ),
        ("bio", json!("x".repeat(501)), "validation.bio_too_long"),
        ("phone_number", json!("call me"), "validation.phone_invalid"),
    ];
    for (field, value, code) in cases {
        let mut body = base.clone();
        body[field] = value;
        if field == "password" {
            body["confirm_password"] = body["password"].clone();
        }
        let reply = app.post("/api/v1/auth/register", None, body).await;
        reply.assert_error(422, code);
        assert_eq!(reply.body["error"]["details"]["field"], field, "{code}");
    }
    let short = app
        .post("/api/v1/auth/register", None, json!({ "email": "v@example.com", "username": "valid", "password": "Sh0rt", "confirm_password": "Sh0rt" }))
        .await;
    assert_eq!(short.body["error"]["details"]["min"], 8);
    assert!(short.message().contains('8'), "{}", short.message());

    let (access, _) = app.signed_in("editor").await;
    app.send(
        "PUT",
        "/api/v1/auth/me",
        Some(&access),
        &[],
        Some(json!({ "avatar_url": "javascript:alert(1)" })),
    )
    .await
    .assert_error(422, "validation.avatar_url_invalid");
    app.send(
        "PUT",
        "/api/v1/language",
        Some(&access),
        &[],
        Some(json!({ "language": "fr" })),
    )
    .await
    .assert_error(422, "validation.language_unsupported");
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    assert!(
        me.body["data"]["avatar_url"].is_null(),
        "a refused edit changes nothing"
    );
    let nobody = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "login": "v@example.com", "password": PASSWORD }),
        )
        .await;
    nobody.assert_error(401, "auth.invalid_credentials");
}

async fn duplicates_are_409_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        app.register("dup@example.com", "dup").await.status.as_u16(),
        201
    );
    let email = app.register("DUP@example.com", "other").await;
    email.assert_error(409, "auth.email_taken");
    assert_eq!(email.body["error"]["details"]["field"], "email");
    let name = app.register("other@example.com", "DUP").await;
    name.assert_error(409, "auth.username_taken");
    assert_eq!(name.body["error"]["details"]["field"], "username");
}

async fn actix_errors_use_the_envelope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.post_raw("/api/v1/auth/login", "application/json", b"{not json")
        .await
        .assert_error(400, "request.malformed_json");
    app.post_raw(
        "/api/v1/auth/login",
        "application/json",
        b"{\"login\": \"x\"}",
    )
    .await
    .assert_error(400, "request.malformed_json");
    app.post_raw("/api/v1/auth/login", "text/plain", b"hello")
        .await
        .assert_error(415, "request.unsupported_media_type");
    let huge: &'static [u8] = Box::leak(
        format!("{{\"login\": \"{}\"}}", "x".repeat(8_000))
            .into_bytes()
            .into_boxed_slice(),
    );
    let too_large = app
        .post_raw("/api/v1/auth/login", "application/json", huge)
        .await;
    too_large.assert_error(413, "request.payload_too_large");
    assert!(
        too_large.message().contains("4096"),
        "{}",
        too_large.message()
    );
    app.get("/api/v1/nowhere", None)
        .await
        .assert_error(404, "request.route_not_found");
    let wrong_method = app
        .send(
            "DELETE",
            "/api/v1/auth/login",
            None,
            &[("X-Language", "ja")],
            None,
        )
        .await;
    wrong_method.assert_error(405, "request.method_not_allowed");
    assert_eq!(wrong_method.allow.as_deref(), Some("POST"));
    assert_eq!(wrong_method.body["language"], "ja");

    let (access, _) = app.signed_in("pathy").await;
    app.get("/api/v1/auth/user/not-a-uuid", Some(&access))
        .await
        .assert_error(400, "request.invalid_path");
    app.get("/api/v1/users?limit=many", Some(&access))
        .await
        .assert_error(400, "request.invalid_query");
}

async fn the_same_error_in_five_languages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = json!({ "login": "nobody", "password": PASSWORD });
    let mut messages = Vec::new();
    for (tag, expected) in [
        ("en", "en"),
        ("id", "id"),
        ("ja", "ja"),
        ("ko", "ko"),
        ("zh", "zh"),
        ("jp", "ja"),
        ("cn", "zh"),
    ] {
        let reply = app
            .send(
                "POST",
                "/api/v1/auth/login",
                None,
                &[("X-Language", tag)],
                Some(login.clone()),
            )
            .await;
        reply.assert_error(401, "auth.invalid_credentials");
        assert_eq!(reply.body["language"], expected, "{tag}");
        messages.push((expected, reply.message().to_owned()));
    }
    let distinct: std::collections::BTreeSet<_> = messages.iter().map(|(_, m)| m.clone()).collect();
    assert_eq!(distinct.len(), 5, "{messages:?}");
    let japanese = &messages[2].1;
    assert_eq!(&messages[5].1, japanese, "jp is ja");

    let by_query = app
        .send(
            "POST",
            "/api/v1/auth/login?lang=ko",
            None,
            &[],
            Some(login.clone()),
        )
        .await;
    assert_eq!(by_query.body["language"], "ko");
    let by_accept = app
        .send(
            "POST",
            "/api/v1/auth/login",
            None,
            &[("Accept-Language", "fr;q=1, zh-CN;q=0.8, ja;q=0.5")],
            Some(login.clone()),
        )
        .await;
    assert_eq!(by_accept.body["language"], "zh");
    let header_wins = app
        .send(
            "POST",
            "/api/v1/auth/login?lang=ko",
            None,
            &[("X-Language", "id"), ("Accept-Language", "ja")],
            Some(login),
        )
        .await;
    assert_eq!(header_wins.body["language"], "id");
}

async fn the_saved_language_is_used_when_the_request_names_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("kim").await;
    let saved = app
        .send(
            "PUT",
            "/api/v1/language",
            Some(&access),
            &[],
            Some(json!({ "language": "ko-KR" })),
        )
        .await;
    assert_eq!(saved.status.as_u16(), 200, "{:#}", saved.body);
    assert_eq!(
        saved.body["language"], "ko",
        "confirmed in the new language"
    );
    assert_eq!(saved.body["data"]["language"], "ko");

    let current = app
        .send(
            "GET",
            "/api/v1/language/current",
            Some(&access),
            &[("Accept-Language", "ja")],
            None,
        )
        .await;
    assert_eq!(current.body["data"]["code"], "ko");
    assert_eq!(current.body["data"]["source"], "user_preference");
    let overridden = app
        .send(
            "GET",
            "/api/v1/language/current",
            Some(&access),
            &[("X-Language", "cn")],
            None,
        )
        .await;
    assert_eq!(overridden.body["data"]["code"], "zh");
    assert_eq!(overridden.body["data"]["source"], "header");
    let anonymous = app.get("/api/v1/language/current", None).await;
    assert_eq!(anonymous.body["data"]["source"], "default");

    let languages = app.get("/api/v1/languages", None).await;
    let codes: Vec<_> = languages.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].clone())
        .collect();
    assert_eq!(codes, ["en", "id", "ja", "ko", "zh"]);
    assert_eq!(languages.body["data"][2]["native_name"], "日本語");
}

async fn profiles_and_people_search(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("seeker").await;
    for name in ["alice", "alina", "bob"] {
        app.signed_in(name).await;
    }
    let page = app
        .get("/api/v1/users?query=AL&limit=1", Some(&access))
        .await;
    assert_eq!(page.status.as_u16(), 200, "{:#}", page.body);
    let items = page.body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "alice");
    assert!(items[0].get("email").is_none(), "search never shows e-mail");
    let cursor = page.body["data"]["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("/api/v1/users?query=al&limit=1&cursor={cursor}"),
            Some(&access),
        )
        .await;
    assert_eq!(next.body["data"]["items"][0]["username"], "alina");
    assert!(next.body["data"]["next_cursor"].is_null());

    let id = items[0]["id"].as_str().unwrap();
    let profile = app
        .get(&format!("/api/v1/auth/user/{id}"), Some(&access))
        .await;
    assert_eq!(profile.body["data"]["username"], "alice");
    assert!(
        profile.body["data"].get("email").is_none()
            && profile.body["data"].get("phone_number").is_none()
    );
    app.get(
        &format!("/api/v1/auth/user/{}", uuid::Uuid::now_v7()),
        Some(&access),
    )
    .await
    .assert_error(404, "user.not_found");
    app.get(&format!("/api/v1/auth/user/{id}"), None)
        .await
        .assert_error(401, "auth.token_missing");
    app.get("/api/v1/users", None)
        .await
        .assert_error(401, "auth.token_missing");
}

/// The limits a search or a page request can run into (the body, text,
/// members-per-request and frame limits have their tests with their routes):
/// a query too long is a localized 422 naming the field and the limit, a
/// page size that is not a 32-bit count a localized 400, and any other
/// page size is clamped, as documented.
async fn search_queries_and_page_sizes_have_limits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (access, _) = app.signed_in("limited").await;
    let too_long = app
        .send(
            "GET",
            &format!("/api/v1/users?query={}", "a".repeat(101)),
            Some(&access),
            &[("X-Language", "ko")],
            None,
        )
        .await;
    too_long.assert_error(422, "validation.search_query_too_long");
    assert_eq!(too_long.body["error"]["details"]["field"], "query");
    assert_eq!(too_long.body["error"]["details"]["max"], 100);
    assert!(too_long.message().contains("100"), "{}", too_long.message());
    // Spaces around it are trimmed before it is counted.
    let padded = format!("%20%20{}%20%20", "a".repeat(100));
    let fits = app
        .get(&format!("/api/v1/users?query={padded}"), Some(&access))
        .await;
    assert_eq!(fits.status, 200, "{:#}", fits.body);

    for path in [
        "/api/v1/users?limit=4294967296",
        "/api/v1/users?limit=-1",
        "/api/v1/chats?limit=4294967296",
    ] {
        app.get(path, Some(&access))
            .await
            .assert_error(400, "request.invalid_query");
    }
    for _ in 0..3 {
        app.signed_in(&format!(
            "u{}",
            &uuid::Uuid::now_v7().simple().to_string()[24..]
        ))
        .await;
    }
    let clamped = app.get("/api/v1/users?limit=1000", Some(&access)).await;
    assert_eq!(clamped.status, 200, "{:#}", clamped.body);
    let shortest = app.get("/api/v1/users?limit=0", Some(&access)).await;
    assert_eq!(
        shortest.body["data"]["items"].as_array().unwrap().len(),
        1,
        "0 is clamped to 1"
    );
}

async fn health_and_front_door(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/health/live", "/health/ready", "/health"] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status.as_u16(), 200, "{path}");
        assert_eq!(reply.body["data"]["status"], "ok");
    }
    let root = app
        .get("/", Some("garbage-token-is-ignored-on-public-routes"))
        .await;
    assert_eq!(root.body["data"]["name"], "NeruTalk");
    let spec = app
        .client
        .get(format!("{}/api-docs/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(spec.status().as_u16(), 200);
    let mut protocol = app
        .client
        .get(format!("{}/api-docs/asyncapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(protocol.status().as_u16(), 200);
    let served: Value = protocol.json().limit(1 << 20).await.unwrap();
    let generated: Value = serde_json::from_str(&nerutalk_http::asyncapi::json().unwrap()).unwrap();
    assert_eq!(
        served, generated,
        "the WebSocket protocol's document is served"
    );
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status().as_u16(), 200, "Swagger UI is served offline");
}
