//! One socket's life, its transport only: greet, relay events out, read
//! frames in and dispatch them to their capability, keep the heartbeat and
//! the queue, and leave cleanly. What a capability keeps per socket (chat:
//! typing, the resume replay, the order of a send's `ack` and its event)
//! is its own, behind [`SocketCapability`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use bytestring::ByteString;
use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt, StreamExt};
use nerutalk_app::{AppError, AuthService, AuthenticatedUser, ChatService, SocketLimit};
use nerutalk_domain::{Language, UserId};
use nerutalk_i18n::Catalog;
use serde_json::Value;

use super::capability::{FrameSink, Relay, SocketCapability};
use super::chat::ChatSocket;
use super::close::{CloseText, fit_close_reason, protocol_close};
use super::frame_budget::{FrameBudget, FrameLimit, FrameVerdict};
use super::hub::{Delivery, Hub};
use super::inbound;
use super::protocol::{Routed, ServerFrame};
use crate::dto::session::{Greeting, Pong, PresenceDto};
use crate::error::{ApiError, RequestError};

/// Limits and timings of the gateway.
#[derive(Debug, Clone)]
pub struct RealtimeSettings {
    /// How often the server pings.
    pub heartbeat_interval: Duration,
    /// A socket silent for this long is closed.
    pub client_timeout: Duration,
    /// Largest frame accepted, in bytes.
    pub max_frame_bytes: usize,
    /// Events queued per socket before it is cut off as too slow.
    pub queue_capacity: usize,
    /// How often a socket checks that its sign-in still holds; one whose
    /// session was revoked (logout, password change) is closed with 4001.
    /// Revocations are also pushed, and close sockets at once: this check
    /// is the safety net for a push that was lost.
    pub session_check_interval: Duration,
    /// Frames one socket may send; `None`: as many as it likes.
    pub frame_limit: Option<FrameLimit>,
}

impl Default for RealtimeSettings {
    fn default() -> Self {
        Self {
            heartbeat_interval: Duration::from_secs(15),
            client_timeout: Duration::from_secs(45),
            max_frame_bytes: 64 * 1024,
            queue_capacity: 256,
            session_check_interval: Duration::from_secs(30),
            frame_limit: None,
        }
    }
}

/// Close code for a missing or bad token, as the original service used.
const CLOSE_UNAUTHENTICATED: u16 = 4001;

pub(crate) struct Context {
    pub(crate) auth: AuthService,
    pub(crate) chat: ChatService,
    pub(crate) hub: Arc<Hub>,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) language: Language,
    pub(crate) settings: RealtimeSettings,
    pub(crate) hold_until_resume: bool,
    pub(crate) sockets: SocketLimit,
}

struct Connection {
    context: Context,
    signed_in: AuthenticatedUser,
    socket: Session,
    /// The chat capability's state on this socket.
    chat: ChatSocket,
    /// Live events wait in the queue until the client's `resume` is answered.
    holding: bool,
    /// Client frames read but not yet handled, oldest first.
    inbox: VecDeque<ByteString>,
    /// Events a capability held back until the frame being handled is answered.
    deferred: Vec<Arc<Delivery>>,
    /// What is left of the socket's frame budget; `None`: unlimited.
    frames: Option<FrameBudget>,
}

/// Frames read ahead of the one being handled; beyond, the socket is not
/// read until the queue drains, so a flooding client is slowed, not buffered.
const MAX_INBOX: usize = 32;

/// A client frame handled on its own, while events keep flowing out.
type Handling = LocalBoxFuture<'static, Handled>;

/// Whether to keep reading after a frame was taken in.
enum Next {
    Read,
    /// Close the socket, with this reason (`None`: it is already gone).
    End(Option<CloseReason>),
}

/// What handling one client frame came to.
struct Handled {
    id: Option<Value>,
    outcome: Outcome,
}

/// A handled frame's outcome, by the capability that handled it (one
/// variant per capability, as in [`Routed`]).
enum Outcome {
    Chat(<ChatSocket as SocketCapability>::Outcome),
}

pub(crate) async fn run(
    context: Context,
    authentication: Result<AuthenticatedUser, AppError>,
    socket: Session,
    stream: actix_ws::MessageStream,
) {
    let user = match authentication {
        Ok(user) => user,
        Err(error) => {
            let reason = unauthenticated(&context, error);
            let _closed = socket.close(Some(reason)).await;
            return;
        }
    };
    let stream = stream
        .max_frame_size(context.settings.max_frame_bytes)
        .aggregate_continuations()
        .max_continuation_size(context.settings.max_frame_bytes);
    let user_id = user.user.id;
    let registration = context.hub.register(user_id, user.session_id);
    crate::metrics::socket_opened();
    tracing::Span::current()
        .record("connection", registration.id)
        .record("user_id", tracing::field::display(user_id));
    if let Err(error) = context.chat.connected(user_id, registration.first).await {
        // Live events cannot reach this node; the client retries and resumes.
        context.hub.unregister(user_id, registration.id);
        crate::metrics::socket_closed();
        let description = localize(&context.catalog, context.language, &ApiError::from(error));
        let reason = CloseReason {
            code: CloseCode::Again,
            description: Some(fit_close_reason(description)),
        };
        let _closed = socket.close(Some(reason)).await;
        return;
    }
    let hub = context.hub.clone();
    let chat = context.chat.clone();
    let holding = context.hold_until_resume;
    let frames = context.settings.frame_limit.map(FrameBudget::new);
    let mut connection = Connection {
        holding,
        chat: ChatSocket::new(context.chat.clone(), user_id),
        context,
        signed_in: user,
        socket,
        inbox: VecDeque::new(),
        deferred: Vec::new(),
        frames,
    };
    // Asked again now that this socket counts: of two upgrades racing past
    // the check before the upgrade, the one that went over closes here.
    let reason = match connection.context.sockets.still_within(user_id).await {
        Ok(()) => {
            connection
                .serve(
                    stream,
                    registration.events,
                    &registration.revoked,
                    registration.closing,
                )
                .await
        }
        Err(error) => Some(too_many_sockets(&connection.context, error)),
    };
    let _closed = connection.socket.close(reason).await;
    connection.chat.on_close().await;
    let last_here = hub.unregister(user_id, registration.id);
    crate::metrics::socket_closed();
    chat.disconnected(user_id, last_here).await;
}

impl Connection {
    fn user_id(&self) -> UserId {
        self.signed_in.user.id
    }

    /// Runs until the socket ends; returns how to close it.
    async fn serve(
        &mut self,
        mut stream: AggregatedMessageStream,
        mut events: tokio::sync::mpsc::Receiver<Arc<Delivery>>,
        revoked: &tokio::sync::Notify,
        mut closing: tokio::sync::watch::Receiver<bool>,
    ) -> Option<CloseReason> {
        // A revocation published between the upgrade's token check and this
        // socket's registration reached no socket: look once more, now that
        // any later one will arrive.
        if let Some(reason) = self.sign_in_ended().await {
            return Some(reason);
        }
        let settings = &self.context.settings;
        let greeting = ServerFrame::ConnectionEstablished(Greeting {
            user_id: *self.user_id().as_uuid(),
            language: self.context.language.code().to_owned(),
            heartbeat_interval_ms: u64::try_from(settings.heartbeat_interval.as_millis())
                .unwrap_or(u64::MAX),
            max_frame_bytes: u64::try_from(settings.max_frame_bytes).unwrap_or(u64::MAX),
        });
        if self.send(&greeting, None).await.is_err() {
            return None;
        }
        if self.send_presence_snapshot().await.is_err() {
            return None;
        }
        let mut last_heard = Instant::now();
        let mut last_ping = Instant::now();
        let mut last_session_check = Instant::now();
        let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
        // One frame is handled at a time, in order, but beside the relay of
        // events: a send waiting for the database does not hold up this
        // socket's events until its queue overflows.
        let mut handling: Option<Handling> = None;
        // Once the server stops, no new frame is taken up; the one being
        // handled is finished and answered, those read after it are refused,
        // then the socket closes.
        let mut stopping = false;
        loop {
            if stopping {
                if handling.is_none() {
                    if self.refuse_unhandled().await.is_err() {
                        return None;
                    }
                    return Some(self.close_reason(CloseCode::Away, CloseText::ServerShutdown));
                }
            } else if self.take_up_next(&mut handling).await.is_err() {
                return None;
            }
            tokio::select! {
                _ = closing.wait_for(|closing| *closing), if !stopping => stopping = true,
                incoming = stream.next(), if !stopping && self.inbox.len() < MAX_INBOX => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Close(reason))) => return reason,
                        Some(Ok(message)) => {
                            if let Next::End(reason) = self.received(message).await {
                                return reason;
                            }
                        }
                        Some(Err(error)) => {
                            tracing::debug!(%error, "protocol error; closing");
                            let (code, text) = protocol_close(&error);
                            return Some(self.close_reason(code, text));
                        }
                        None => return None,
                    }
                }
                handled = async { match handling.as_mut() {
                    Some(handling) => handling.await,
                    None => std::future::pending().await,
                } }, if handling.is_some() => {
                    handling = None;
                    if self.finish(handled).await.is_err() {
                        return None;
                    }
                }
                // Not held back by a pending resume: a revoked sign-in ends now.
                () = revoked.notified() => return Some(self.revoked().await),
                event = events.recv(), if !self.holding => match event {
                    Some(event) => {
                        if self.relay(event).await.is_err() {
                            return None;
                        }
                    }
                    // The hub let go of this socket: it could not keep up.
                    None => return Some(self.close_reason(CloseCode::Again, CloseText::TooSlow)),
                },
                _ = housekeeping.tick() => {
                    if last_heard.elapsed() > self.context.settings.client_timeout {
                        return Some(self.close_reason(CloseCode::Away, CloseText::HeartbeatTimeout));
                    }
                    if last_ping.elapsed() >= self.context.settings.heartbeat_interval {
                        last_ping = Instant::now();
                        if self.socket.ping(b"").await.is_err() {
                            return None;
                        }
                    }
                    if last_session_check.elapsed() >= self.context.settings.session_check_interval {
                        last_session_check = Instant::now();
                        if let Some(reason) = self.sign_in_ended().await {
                            return Some(reason);
                        }
                    }
                    self.chat.on_tick().await;
                }
            }
        }
    }

    /// Takes in a text, binary or ping frame the client sent, unless it is
    /// over the socket's frame budget: then it is answered with an `error`
    /// `rate_limited` and dropped before anything reads it, and a socket
    /// that keeps on is closed.
    async fn received(&mut self, message: AggregatedMessage) -> Next {
        let verdict = match self.frames.as_mut() {
            Some(budget) => budget.admit(Instant::now()),
            None => FrameVerdict::Handle,
        };
        let written = match (verdict, message) {
            (FrameVerdict::Close, _) => {
                crate::metrics::frame_received("refused");
                tracing::debug!("frames over the limit, again and again; closing");
                return Next::End(Some(
                    self.close_reason(CloseCode::Policy, CloseText::Flooding),
                ));
            }
            (FrameVerdict::Refuse(error), message) => {
                crate::metrics::frame_received("refused");
                let id = match &message {
                    AggregatedMessage::Text(text) => inbound::id_of(text),
                    _ => None,
                };
                self.error(id.as_ref(), &ApiError::from(error)).await
            }
            (FrameVerdict::Handle, AggregatedMessage::Text(text)) => {
                self.inbox.push_back(text);
                Ok(())
            }
            (FrameVerdict::Handle, AggregatedMessage::Binary(_)) => {
                crate::metrics::frame_received("binary");
                let refused =
                    ApiError::request(RequestError::MalformedJson, "binary frames are not used");
                self.error(None, &refused).await
            }
            (FrameVerdict::Handle, AggregatedMessage::Ping(bytes)) => {
                self.socket.pong(&bytes).await
            }
            (FrameVerdict::Handle, AggregatedMessage::Pong(_) | AggregatedMessage::Close(_)) => {
                Ok(())
            }
        };
        match written {
            Ok(()) => Next::Read,
            Err(actix_ws::Closed) => Next::End(None),
        }
    }

    /// Why to close when the socket's sign-in no longer holds. A store that
    /// cannot answer right now is not a reason: the next check will tell.
    async fn sign_in_ended(&self) -> Option<CloseReason> {
        match self.context.auth.still_signed_in(&self.signed_in).await {
            Ok(()) => None,
            Err(AppError::Unavailable) => {
                tracing::debug!(user_id = %self.user_id(), "sign-in not checked; will retry");
                None
            }
            Err(error) => Some(unauthenticated(&self.context, error)),
        }
    }

    /// The close for a socket whose session was revoked: the same reason the
    /// periodic check would give (an account disabled says so), or "session
    /// ended" when the store cannot tell right now.
    async fn revoked(&self) -> CloseReason {
        let error = match self.context.auth.still_signed_in(&self.signed_in).await {
            Err(error @ (AppError::SessionRevoked | AppError::AccountDisabled)) => error,
            Ok(()) | Err(_) => AppError::SessionRevoked,
        };
        unauthenticated(&self.context, error)
    }

    async fn send(
        &mut self,
        frame: &ServerFrame,
        id: Option<&Value>,
    ) -> Result<(), actix_ws::Closed> {
        write(&mut self.socket, frame, id).await
    }

    /// Who among the people this user shares a chat with is online now.
    async fn send_presence_snapshot(&mut self) -> Result<(), actix_ws::Closed> {
        let contacts = match self.context.chat.contacts_presence(self.user_id()).await {
            Ok(contacts) => contacts,
            Err(error) => {
                tracing::warn!(%error, "no presence snapshot");
                return Ok(());
            }
        };
        for presence in contacts {
            let frame = ServerFrame::Presence(PresenceDto::new(
                presence.user_id,
                presence.online,
                presence.last_seen,
            ));
            self.send(&frame, None).await?;
        }
        Ok(())
    }

    fn close_reason(&self, code: CloseCode, text: CloseText) -> CloseReason {
        let language = self.context.language;
        let description = self
            .context
            .catalog
            .message(language, text.message_id(), &[]);
        CloseReason {
            code,
            description: Some(fit_close_reason(description)),
        }
    }

    async fn error(
        &mut self,
        id: Option<&Value>,
        error: &ApiError,
    ) -> Result<(), actix_ws::Closed> {
        let frame = ServerFrame::error(&self.context.catalog, self.context.language, error);
        self.send(&frame, id).await
    }

    /// Answers every frame read but not handled, as the server stops, with
    /// an `error` `common.unavailable`: without it the client would wait for
    /// a reply that never comes, instead of sending the frame again once it
    /// has reconnected.
    async fn refuse_unhandled(&mut self) -> Result<(), actix_ws::Closed> {
        let refusal = ServerFrame::error(
            &self.context.catalog,
            self.context.language,
            &ApiError::from(AppError::Unavailable),
        );
        for text in refusals(std::mem::take(&mut self.inbox), &refusal) {
            crate::metrics::frame_sent(refusal.kind());
            self.socket.text(text).await?;
        }
        Ok(())
    }

    /// Writes an event's frame, unless a capability skips it or holds it
    /// back until the frame being handled is answered.
    async fn relay(&mut self, delivery: Arc<Delivery>) -> Result<(), actix_ws::Closed> {
        match self.chat.should_relay(&delivery) {
            Relay::Send => {
                crate::metrics::frame_sent(delivery.kind);
                self.socket.text(delivery.frame.clone()).await
            }
            Relay::Skip => Ok(()),
            Relay::Defer => {
                self.deferred.push(delivery);
                Ok(())
            }
        }
    }

    /// When no frame is being handled, starts on the next one in the inbox.
    /// Malformed frames are answered at once; `resume` is handled inline,
    /// since its replay must reach the socket before any live event, and
    /// ends the hold on them.
    async fn take_up_next(
        &mut self,
        handling: &mut Option<Handling>,
    ) -> Result<(), actix_ws::Closed> {
        while handling.is_none() {
            let Some(text) = self.inbox.pop_front() else {
                return Ok(());
            };
            let inbound = inbound::parse(&text);
            let id = inbound.id;
            let frame = match inbound.frame {
                Ok(frame) => {
                    crate::metrics::frame_received((&frame).into());
                    frame
                }
                Err(refused) => {
                    crate::metrics::frame_received("invalid");
                    self.error(id.as_ref(), &ApiError::from(refused)).await?;
                    continue;
                }
            };
            match frame.route() {
                Routed::Ping => {
                    self.send(&ServerFrame::Pong(Pong::now()), id.as_ref())
                        .await?
                }
                Routed::Resume(resume) => {
                    let ack = self.chat.resume(&mut self.socket, resume).await;
                    self.holding = false;
                    self.send(&ack, id.as_ref()).await?;
                }
                Routed::Chat(frame) => {
                    let outcome = self.chat.handle(frame);
                    *handling = Some(
                        async move {
                            Handled {
                                id,
                                outcome: Outcome::Chat(outcome.await),
                            }
                        }
                        .boxed_local(),
                    );
                }
            }
        }
        Ok(())
    }

    /// Lets the capability apply a handled frame, answers it, then relays
    /// again the events held back until that answer.
    async fn finish(&mut self, handled: Handled) -> Result<(), actix_ws::Closed> {
        let reply = match handled.outcome {
            Outcome::Chat(outcome) => self.chat.on_handled(outcome).await,
        };
        match reply {
            Ok(reply) => self.send(&reply, handled.id.as_ref()).await?,
            Err(error) => self.error(handled.id.as_ref(), &error).await?,
        }
        for delivery in std::mem::take(&mut self.deferred) {
            self.relay(delivery).await?;
        }
        Ok(())
    }
}

/// Writes a frame, with the `id` of the frame it answers, if any. A frame
/// that does not serialize is a bug: logged, and not written.
async fn write(
    socket: &mut Session,
    frame: &ServerFrame,
    id: Option<&Value>,
) -> Result<(), actix_ws::Closed> {
    match frame.encode(id) {
        Ok(text) => {
            crate::metrics::frame_sent(frame.kind());
            socket.text(text).await
        }
        Err(error) => {
            tracing::error!(%error, "frame does not serialize");
            Ok(())
        }
    }
}

impl FrameSink for Session {
    async fn write(&mut self, frame: &ServerFrame) -> Result<(), actix_ws::Closed> {
        write(self, frame, None).await
    }
}

/// `refusal` once for each frame of `inbox`, oldest first, with the frame's
/// `id`.
fn refusals(inbox: VecDeque<ByteString>, refusal: &ServerFrame) -> Vec<String> {
    inbox
        .iter()
        .filter_map(|text| match refusal.encode(inbound::id_of(text).as_ref()) {
            Ok(answer) => Some(answer),
            Err(error) => {
                tracing::error!(%error, "frame does not serialize");
                None
            }
        })
        .collect()
}

/// The close for a socket without a valid sign-in, as the original service sent it.
fn unauthenticated(context: &Context, error: AppError) -> CloseReason {
    let description = localize(&context.catalog, context.language, &ApiError::from(error));
    CloseReason {
        code: CloseCode::Other(CLOSE_UNAUTHENTICATED),
        description: Some(fit_close_reason(description)),
    }
}

/// The close for a socket over the user's socket limit (1008), or whose
/// count could not be read while the limit fails closed (1013, try again).
fn too_many_sockets(context: &Context, error: AppError) -> CloseReason {
    let code = match error {
        AppError::TooManySockets { .. } => CloseCode::Policy,
        _ => CloseCode::Again,
    };
    let description = localize(&context.catalog, context.language, &ApiError::from(error));
    CloseReason {
        code,
        description: Some(fit_close_reason(description)),
    }
}

fn localize(catalog: &Catalog, language: Language, error: &ApiError) -> String {
    catalog.message(
        language,
        &error.message_id(),
        &crate::envelope::error_args(error),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn frames_left_unhandled_at_shutdown_are_each_refused_as_unavailable_with_their_id() {
        let catalog = Catalog::load().unwrap();
        let refusal = ServerFrame::error(
            &catalog,
            Language::En,
            &ApiError::from(AppError::Unavailable),
        );
        let inbox: VecDeque<ByteString> = [
            r#"{"type": "send_message", "data": {"text": "a"}, "id": "s1"}"#,
            r#"{"type": "ping"}"#,
            "not json",
            r#"{"id": 3, "type": "typing_indicator"}"#,
        ]
        .into_iter()
        .map(ByteString::from_static)
        .collect();
        let answers: Vec<Value> = refusals(inbox, &refusal)
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        assert_eq!(answers.len(), 4);
        for answer in &answers {
            assert_eq!(answer["type"], "error");
            assert_eq!(answer["data"]["code"], "common.unavailable");
        }
        let ids: Vec<Option<&Value>> = answers.iter().map(|answer| answer.get("id")).collect();
        assert_eq!(ids, [Some(&json!("s1")), None, None, Some(&json!(3))]);
    }
}
