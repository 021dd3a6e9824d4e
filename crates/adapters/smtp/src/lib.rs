//! NeruTalk's SMTP adapter: [`SmtpMailer`], the [`nerutalk_ports::Mailer`]
//! that delivers each mail at once over SMTP (lettre on tokio, TLS by
//! rustls), chosen at start-up when `SMTP_URL` is set.

mod mailer;
mod message;
#[cfg(feature = "testing")]
pub mod testing;

pub use mailer::{SmtpMailer, SmtpSetupError};
