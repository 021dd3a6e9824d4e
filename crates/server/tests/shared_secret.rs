//! Two server processes on one PostgreSQL database, neither given
//! `JWT_SECRET_KEY`: they share the key the first one stored in the database,
//! so a token one issues is accepted by the other (behind a load balancer,
//! a user's requests land on either).

#![expect(clippy::unwrap_used, reason = "tests unwrap")]
#![expect(clippy::expect_used, reason = "tests expect")]

mod support;

use nerutalk_sql::scratch::ScratchDatabase;
use support::process::{Node, NodeSettings};

#[actix_web::test]
#[ignore = "needs PostgreSQL: cargo xtask test"]
async fn nodes_without_a_configured_key_accept_each_others_tokens() {
    let database = ScratchDatabase::create().unwrap();
    // Started together: whichever stores its key first, both use it.
    let (node_a, node_b) = futures_util::join!(
        Node::start(NodeSettings::new(database.url()).without_jwt_secret_key()),
        Node::start(NodeSettings::new(database.url()).without_jwt_secret_key()),
    );
    let (a, b) = (&node_a.app, &node_b.app);

    let (token, _) = a.signed_in("ada").await;
    let me = b.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.status.as_u16(), 200, "{:#}", me.body);
    assert_eq!(me.body["data"]["username"], "ada", "{:#}", me.body);

    // And the other way round, and across a restart of node A.
    let (token, _) = b.signed_in("bob").await;
    drop(node_a);
    let node_a = Node::start(NodeSettings::new(database.url()).without_jwt_secret_key()).await;
    let me = node_a.app.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.status.as_u16(), 200, "{:#}", me.body);
}
