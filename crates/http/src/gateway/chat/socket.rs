//! The chat capability's part of one socket: typing indicators it keeps
//! alive and withdraws, messages replayed by `resume` whose live copies it
//! drops, and the user's own new messages it holds back until their send's
//! `ack`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use nerutalk_app::ChatService;
use nerutalk_app::chat::HistoryQuery;
use nerutalk_domain::event::{ChatEvent, LiveEvent};
use nerutalk_domain::{ChatId, UserId};

use super::{Answer, ChatFrame, Effect, dispatch};
use crate::dto::chat::MessageDto;
use crate::dto::session::{ResumeAck, ResumeFrame};
use crate::error::ApiError;
use crate::gateway::capability::{FrameSink, Relay, SocketCapability};
use crate::gateway::hub::Delivery;
use crate::gateway::protocol::{Ack, ServerFrame};

/// The most messages one `resume` replays per chat; beyond, the client pages by REST.
const RESUME_LIMIT_PER_CHAT: usize = 1_000;
/// Messages read per history page during a replay.
const RESUME_PAGE: u32 = 100;

/// The chat state of one socket.
pub(crate) struct ChatSocket {
    chat: ChatService,
    me: UserId,
    /// Messages sent during a resume replay, so their live copies are not sent twice.
    replayed: HashSet<(ChatId, i64)>,
    /// When each chat's typing indicator was last renewed.
    typing: HashMap<ChatId, Instant>,
    /// Whether the frame being handled is a `send_message`: its `ack` must
    /// come before the socket sees the message as an event.
    sending: bool,
    /// When the `send_message` being handled was taken up, for its latency.
    send_taken: Option<Instant>,
}

/// A handled chat frame, not yet applied to the socket's state.
pub(crate) struct Outcome(Answer);

impl ChatSocket {
    pub(crate) fn new(chat: ChatService, me: UserId) -> Self {
        Self {
            chat,
            me,
            replayed: HashSet::new(),
            typing: HashMap::new(),
            sending: false,
            send_taken: None,
        }
    }

    /// Answers `resume`: sends, oldest first, every message after the
    /// client's last seen `seq` in each chat, and returns the `ack` that
    /// counts them and names the chats that could not be read (left, or
    /// never joined). The socket calls it before relaying any live event,
    /// so the replay comes first.
    pub(crate) async fn resume(
        &mut self,
        sink: &mut impl FrameSink,
        resume: ResumeFrame,
    ) -> ServerFrame {
        let (replayed, unavailable) = self.replay(sink, resume).await;
        ServerFrame::Ack(Ack::Resume(ResumeAck {
            replayed,
            unavailable: unavailable.iter().map(|chat| *chat.as_uuid()).collect(),
        }))
    }

    /// Returns how many messages were sent, and the chats not readable.
    async fn replay(
        &mut self,
        sink: &mut impl FrameSink,
        resume: ResumeFrame,
    ) -> (usize, Vec<ChatId>) {
        let mut total = 0;
        let mut unavailable = Vec::new();
        for (chat_id, mut last_seq) in resume.chats {
            let chat_id = ChatId::from_uuid(chat_id);
            let mut sent = 0;
            while sent < RESUME_LIMIT_PER_CHAT {
                let query = HistoryQuery {
                    before_seq: None,
                    after_seq: Some(last_seq),
                    limit: Some(RESUME_PAGE),
                };
                let page = match self.chat.history(self.me, chat_id, query).await {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::debug!(%chat_id, %error, "chat not replayed");
                        unavailable.push(chat_id);
                        break;
                    }
                };
                let Some(last) = page.last() else { break };
                last_seq = last.seq;
                let count = page.len();
                for message in page {
                    self.replayed.insert((message.chat_id, message.seq));
                    let frame = ServerFrame::NewMessage(MessageDto::from(message));
                    if sink.write(&frame).await.is_err() {
                        return (total, unavailable);
                    }
                }
                sent += count;
                total += count;
                // A page shorter than asked for is the chat's last.
                if count < RESUME_PAGE as usize {
                    break;
                }
            }
        }
        (total, unavailable)
    }
}

impl SocketCapability for ChatSocket {
    type Frame = ChatFrame;
    type Outcome = Outcome;

    fn handle(&mut self, frame: ChatFrame) -> LocalBoxFuture<'static, Outcome> {
        self.sending = frame.is_send();
        self.send_taken = self.sending.then(Instant::now);
        let chat = self.chat.clone();
        let me = self.me;
        async move { Outcome(dispatch(&chat, me, frame).await) }.boxed_local()
    }

    async fn on_handled(&mut self, outcome: Outcome) -> Result<ServerFrame, ApiError> {
        // The reply is written next, and with it the send is over: the
        // messages deferred meanwhile are asked about again after it.
        self.sending = false;
        let send_taken = self.send_taken.take();
        let (reply, effect) = outcome.0?;
        match effect {
            Effect::Nothing => {}
            Effect::MessageSent(chat_id) => {
                if self.typing.remove(&chat_id).is_some() {
                    self.chat.typing_ended_by_message(self.me, chat_id).await;
                }
            }
            Effect::Typing(chat_id, true) => {
                self.typing.insert(chat_id, Instant::now());
            }
            Effect::Typing(chat_id, false) => {
                self.typing.remove(&chat_id);
            }
        }
        if let Some(taken) = send_taken {
            crate::metrics::send_acknowledged(taken);
        }
        Ok(reply)
    }

    fn should_relay(&mut self, delivery: &Delivery) -> Relay {
        if let LiveEvent::Chat(ChatEvent::NewMessage(message)) = &delivery.event {
            if self.replayed.remove(&(message.chat_id, message.seq)) {
                return Relay::Skip;
            }
            if self.sending && message.sender_id == self.me {
                return Relay::Defer;
            }
        }
        Relay::Send
    }

    /// Passes each chat in which the socket has not renewed its typing
    /// indicator in time to `typing_ran_out`, which announces the stop
    /// unless another socket of the user renewed it.
    async fn on_tick(&mut self) {
        let ttl = ChatService::TYPING_TTL
            .to_std()
            .unwrap_or(Duration::from_secs(5));
        let expired: Vec<ChatId> = self
            .typing
            .iter()
            .filter(|(_, since)| since.elapsed() > ttl)
            .map(|(chat_id, _)| *chat_id)
            .collect();
        for chat_id in expired {
            self.typing.remove(&chat_id);
            if let Err(error) = self.chat.typing_ran_out(self.me, chat_id).await {
                tracing::debug!(%error, "typing indicator not withdrawn");
            }
        }
    }

    /// Whoever saw this user typing should not wait for the indicator to time out.
    async fn on_close(&mut self) {
        for chat_id in std::mem::take(&mut self.typing).into_keys() {
            if let Err(error) = self.chat.typing(self.me, chat_id, false).await {
                tracing::debug!(%error, "typing indicator not withdrawn");
            }
        }
    }
}
