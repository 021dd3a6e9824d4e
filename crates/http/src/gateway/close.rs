//! How the server closes a socket: the code for each reason, and the reason
//! in words, fitted into a close frame.

use actix_web::error::PayloadError;
use actix_ws::{CloseCode, ProtocolError};

/// Why the server closed a socket, in words for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum CloseText {
    TooSlow,
    HeartbeatTimeout,
    FrameTooLarge,
    InvalidUtf8,
    ProtocolError,
    /// The server is stopping (SIGTERM); the client reconnects and resumes.
    ServerShutdown,
    /// The client kept sending frames over its limit after being told.
    Flooding,
}

impl CloseText {
    #[must_use]
    pub const fn message_id(self) -> &'static str {
        match self {
            Self::TooSlow => "ws-close-too-slow",
            Self::HeartbeatTimeout => "ws-close-heartbeat-timeout",
            Self::FrameTooLarge => "ws-close-frame-too-large",
            Self::InvalidUtf8 => "ws-close-invalid-utf8",
            Self::ProtocolError => "ws-close-protocol-error",
            Self::ServerShutdown => "ws-close-server-shutdown",
            Self::Flooding => "ws-close-flooding",
        }
    }
}

/// How to close after a frame the protocol refuses (RFC 6455 §7.4.1): text
/// that is not UTF-8 is 1007, a frame or message over the limit 1009, any
/// other breach 1002. actix-ws reports bad UTF-8 as invalid data, a broken
/// read as a plain I/O error around the payload's error (the peer is gone;
/// 1002 is as good as any), a frame the guard refused from its header as an
/// I/O error around [`PayloadError::Overflow`], and a message over the
/// continuation limit as a plain I/O error around a message of its own.
pub(crate) fn protocol_close(error: &ProtocolError) -> (CloseCode, CloseText) {
    match error {
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            (CloseCode::Invalid, CloseText::InvalidUtf8)
        }
        ProtocolError::Io(io)
            if io.get_ref().is_some_and(|inner| {
                matches!(
                    inner.downcast_ref::<PayloadError>(),
                    Some(PayloadError::Overflow)
                )
            }) =>
        {
            (CloseCode::Size, CloseText::FrameTooLarge)
        }
        ProtocolError::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<PayloadError>()) => {
            (CloseCode::Protocol, CloseText::ProtocolError)
        }
        ProtocolError::Overflow | ProtocolError::Io(_) => {
            (CloseCode::Size, CloseText::FrameTooLarge)
        }
        _ => (CloseCode::Protocol, CloseText::ProtocolError),
    }
}

/// A close frame carries at most 125 bytes, two of them the code (RFC 6455
/// §5.5): longer localized reasons are cut at a character boundary.
pub(crate) fn fit_close_reason(mut reason: String) -> String {
    const MAX_BYTES: usize = 123;
    if reason.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame_without_splitting_characters() {
        let japanese = "アクセストークンの有効期限が切れています。".repeat(3);
        let fitted = fit_close_reason(japanese.clone());
        assert!(fitted.len() <= 123 && japanese.starts_with(&fitted));
        assert_eq!(fit_close_reason("short".to_owned()), "short");
    }

    #[test]
    fn bad_utf8_oversized_and_other_bad_frames_close_with_their_own_codes() {
        let bad_utf8 = ProtocolError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "invalid utf-8 sequence",
        ));
        assert_eq!(
            protocol_close(&bad_utf8),
            (CloseCode::Invalid, CloseText::InvalidUtf8)
        );
        assert_eq!(
            protocol_close(&ProtocolError::Overflow),
            (CloseCode::Size, CloseText::FrameTooLarge)
        );
        assert_eq!(
            protocol_close(&ProtocolError::UnmaskedFrame),
            (CloseCode::Protocol, CloseText::ProtocolError)
        );
        let too_long =
            ProtocolError::Io(std::io::Error::other("Exceeded maximum continuation size"));
        assert_eq!(
            protocol_close(&too_long),
            (CloseCode::Size, CloseText::FrameTooLarge)
        );
        let refused_from_its_header =
            ProtocolError::Io(std::io::Error::other(PayloadError::Overflow));
        assert_eq!(
            protocol_close(&refused_from_its_header),
            (CloseCode::Size, CloseText::FrameTooLarge)
        );
        let broken_read = ProtocolError::Io(std::io::Error::other(PayloadError::Incomplete(None)));
        assert_eq!(
            protocol_close(&broken_read),
            (CloseCode::Protocol, CloseText::ProtocolError),
            "a broken connection is not a frame too large"
        );
    }
}
