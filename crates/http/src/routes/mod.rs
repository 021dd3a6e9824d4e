//! Every route, in one place, nested as the URL is.

pub(crate) mod auth;
pub(crate) mod blocks;
pub(crate) mod chats;
pub(crate) mod language;
pub(crate) mod root;
pub(crate) mod users;

use actix_web::web;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(root::welcome)
        .service(root::live)
        .service(root::ready)
        .service(root::health)
        .service(crate::gateway::upgrade)
        .service(
            web::scope("/api/v1")
                .service(
                    web::scope("/auth")
                        .service(auth::register)
                        .service(auth::login)
                        .service(auth::refresh)
                        .service(auth::logout)
                        .service(auth::me)
                        .service(auth::update_me)
                        .service(auth::change_password)
                        .service(auth::verify_email)
                        .service(auth::verify_email_link)
                        .service(auth::resend_verification)
                        .service(users::public_profile),
                )
                .service(
                    web::scope("/chats")
                        .service(chats::create)
                        .service(chats::list)
                        .service(chats::mark_read)
                        .service(chats::details)
                        .service(chats::update)
                        .service(chats::add_participants)
                        .service(chats::remove_participant)
                        .service(chats::send_message)
                        .service(chats::history)
                        .service(chats::edit_message)
                        .service(chats::delete_message),
                )
                .service(blocks::blocked)
                .service(blocks::block)
                .service(blocks::unblock)
                .service(users::search)
                .service(language::list)
                .service(language::current)
                .service(language::update),
        );
}
