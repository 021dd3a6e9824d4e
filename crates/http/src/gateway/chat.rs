//! The chat capability on the WebSocket: its frame handlers, each one call
//! to a use case (the same as REST's), and its events as frames. What it
//! keeps per socket between frames is in [`socket`].

mod socket;

use nerutalk_app::ChatService;
use nerutalk_app::chat::Outgoing;
use nerutalk_domain::event::ChatEvent;
use nerutalk_domain::{ChatId, MessageId, UserId};

use super::protocol::{Ack, ServerFrame};
use crate::dto::chat::{ChatDto, MessageDto, ReadMarker};
use crate::dto::chat_frames::{
    ChatJoined, ChatRef, EditMessageFrame, MarkReadFrame, MessageAck, MessageDeleted, MessageRead,
    MessageRefFrame, ParticipantRemoved, ParticipantsAdded, SendMessageFrame, SentAck, Typing,
    TypingAck, TypingFrame,
};
use crate::error::ApiError;

pub(crate) use socket::ChatSocket;

/// What a handled frame changes in the socket's chat state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Nothing,
    /// A message went out in this chat: it ends the socket's typing there.
    MessageSent(ChatId),
    /// The socket's typing indicator in this chat started (or was renewed) or stopped.
    Typing(ChatId, bool),
}

/// A handler's answer: the frame to send back and what it changed.
type Answer = Result<(ServerFrame, Effect), ApiError>;

/// The frames the chat capability answers; the socket answers its own
/// (`ping`, `resume`) and hands these over.
#[derive(Debug)]
pub(crate) enum ChatFrame {
    SendMessage(SendMessageFrame),
    EditMessage(EditMessageFrame),
    DeleteMessage(MessageRefFrame),
    MessageRead(MarkReadFrame),
    TypingIndicator(TypingFrame),
    JoinChat(ChatRef),
    LeaveChat(ChatRef),
}

impl ChatFrame {
    /// Whether the frame's `ack` must reach the socket before its event.
    const fn is_send(&self) -> bool {
        matches!(self, Self::SendMessage(_))
    }
}

/// Hands a chat frame to its handler.
async fn dispatch(chat: &ChatService, me: UserId, frame: ChatFrame) -> Answer {
    match frame {
        ChatFrame::SendMessage(frame) => send_message(chat, me, frame).await,
        ChatFrame::EditMessage(frame) => edit_message(chat, me, frame).await,
        ChatFrame::DeleteMessage(frame) => delete_message(chat, me, frame).await,
        ChatFrame::MessageRead(frame) => mark_read(chat, me, frame).await,
        ChatFrame::TypingIndicator(frame) => typing(chat, me, frame).await,
        ChatFrame::JoinChat(frame) => join(chat, me, frame).await,
        ChatFrame::LeaveChat(frame) => leave(frame),
    }
}

fn ack(ack: Ack) -> Answer {
    Ok((ServerFrame::Ack(ack), Effect::Nothing))
}

async fn send_message(chat: &ChatService, me: UserId, frame: SendMessageFrame) -> Answer {
    let chat_id = ChatId::from_uuid(frame.chat_id);
    let appended = chat
        .send_message(me, chat_id, Outgoing::from(frame.body))
        .await?;
    let sent = Ack::Sent(SentAck {
        message: appended.message.into(),
        created: appended.created,
    });
    Ok((ServerFrame::Ack(sent), Effect::MessageSent(chat_id)))
}

async fn edit_message(chat: &ChatService, me: UserId, frame: EditMessageFrame) -> Answer {
    let message = chat
        .edit_message(
            me,
            ChatId::from_uuid(frame.chat_id),
            MessageId::from_uuid(frame.message_id),
            &frame.body.text,
        )
        .await?;
    ack(Ack::Message(MessageAck {
        message: message.into(),
    }))
}

async fn delete_message(chat: &ChatService, me: UserId, frame: MessageRefFrame) -> Answer {
    let message = chat
        .delete_message(
            me,
            ChatId::from_uuid(frame.chat_id),
            MessageId::from_uuid(frame.message_id),
        )
        .await?;
    ack(Ack::Message(MessageAck {
        message: message.into(),
    }))
}

async fn mark_read(chat: &ChatService, me: UserId, frame: MarkReadFrame) -> Answer {
    let seq = chat
        .mark_read(me, ChatId::from_uuid(frame.chat_id), frame.body.seq)
        .await?;
    ack(Ack::Read(ReadMarker {
        chat_id: frame.chat_id,
        seq,
    }))
}

async fn typing(chat: &ChatService, me: UserId, frame: TypingFrame) -> Answer {
    let chat_id = ChatId::from_uuid(frame.chat_id);
    chat.typing(me, chat_id, frame.is_typing).await?;
    let typing = Ack::Typing(TypingAck {
        chat_id: frame.chat_id,
        is_typing: frame.is_typing,
    });
    Ok((
        ServerFrame::Ack(typing),
        Effect::Typing(chat_id, frame.is_typing),
    ))
}

async fn join(chat: &ChatService, me: UserId, frame: ChatRef) -> Answer {
    let view = chat.get_chat(me, ChatId::from_uuid(frame.chat_id)).await?;
    let joined = ChatJoined {
        chat_id: frame.chat_id,
        last_seq: view.chat.last_seq,
        typing: view.typing.iter().map(|user| *user.as_uuid()).collect(),
    };
    Ok((ServerFrame::ChatJoined(joined), Effect::Nothing))
}

/// `leave_chat` changes nothing: a socket hears every chat its user is in.
fn leave(frame: ChatRef) -> Answer {
    Ok((ServerFrame::ChatLeft(frame), Effect::Nothing))
}

/// The frame that tells sockets of a chat event.
pub(crate) fn event_frame(event: &ChatEvent) -> ServerFrame {
    match event {
        ChatEvent::NewMessage(message) => {
            ServerFrame::NewMessage(MessageDto::from(message.clone()))
        }
        ChatEvent::MessageUpdated(message) => {
            ServerFrame::MessageUpdated(MessageDto::from(message.clone()))
        }
        ChatEvent::MessageDeleted {
            chat_id,
            message_id,
            seq,
        } => ServerFrame::MessageDeleted(MessageDeleted {
            chat_id: *chat_id.as_uuid(),
            message_id: *message_id.as_uuid(),
            seq: *seq,
        }),
        ChatEvent::MessageRead {
            chat_id,
            user_id,
            seq,
        } => ServerFrame::MessageRead(MessageRead {
            chat_id: *chat_id.as_uuid(),
            user_id: *user_id.as_uuid(),
            seq: *seq,
        }),
        ChatEvent::Typing {
            chat_id,
            user_id,
            is_typing,
        } => ServerFrame::Typing(Typing {
            chat_id: *chat_id.as_uuid(),
            user_id: *user_id.as_uuid(),
            is_typing: *is_typing,
        }),
        ChatEvent::ChatUpdated(chat) => ServerFrame::ChatUpdated(ChatDto::from(chat.clone())),
        ChatEvent::ParticipantAdded {
            chat_id,
            participants,
        } => ServerFrame::ParticipantAdded(ParticipantsAdded {
            chat_id: *chat_id.as_uuid(),
            participants: participants.iter().copied().map(Into::into).collect(),
        }),
        ChatEvent::ParticipantRemoved { chat_id, user_id } => {
            ServerFrame::ParticipantRemoved(ParticipantRemoved {
                chat_id: *chat_id.as_uuid(),
                user_id: *user_id.as_uuid(),
            })
        }
    }
}
