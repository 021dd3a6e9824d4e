//! Refuses a client frame over the size limit from its header alone.
//!
//! actix-ws reads every byte the connection has before it decodes, and its
//! decoder waits for a whole frame before it compares the frame's length
//! with the limit: a client announcing a 10 MB frame had its 10 MB buffered
//! first, and only then was closed with 1009. [`FrameGuard`] sits between
//! the connection and actix-ws, follows the frames' boundaries as the bytes
//! pass, and as soon as a header announces a payload over the limit, stops
//! reading: the bytes before that header are handed on (the frames they
//! hold are handled), then the read fails with [`PayloadError::Overflow`],
//! which the socket answers with 1009. The payload itself is never read.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

/// A socket's bytes as actix-web takes a request payload.
pub(crate) type Boxed = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// The longest frame header: two bytes, an eight-byte length, a four-byte mask.
const MAX_HEADER: usize = 14;

/// Where in the frame sequence the bytes read so far end.
#[derive(Debug, Clone, Copy)]
enum Position {
    /// Inside a header, of which these bytes were read.
    Header {
        bytes: [u8; MAX_HEADER],
        read: usize,
    },
    /// Inside a payload, of which this many bytes are still to come.
    Payload { left: u64 },
}

impl Position {
    const fn header() -> Self {
        Self::Header {
            bytes: [0; MAX_HEADER],
            read: 0,
        }
    }
}

/// What the guard does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reading,
    /// The bytes before an oversized frame were handed on. actix-ws reads
    /// until a read is pending before it decodes, and an error ends its
    /// read before the decoding: the guard is pending once (and wakes
    /// itself), so that their frames are taken out and handled first.
    HandedOn,
    /// The next read fails.
    Refusing,
    Failed,
}

/// The bytes of one socket, read only up to an oversized frame's header.
pub(crate) struct FrameGuard<S> {
    inner: S,
    max_payload: u64,
    position: Position,
    phase: Phase,
}

impl<S> FrameGuard<S> {
    pub(crate) fn new(inner: S, max_payload: usize) -> Self {
        Self {
            inner,
            max_payload: u64::try_from(max_payload).unwrap_or(u64::MAX),
            position: Position::header(),
            phase: Phase::Reading,
        }
    }

    /// Follows `chunk`'s frame boundaries; returns where the header of an
    /// oversized frame starts in it (0 when it started in an earlier chunk).
    fn scan(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut at = 0;
        // Where the header being read started in this chunk.
        let mut header_start = 0;
        while at < chunk.len() {
            match &mut self.position {
                Position::Payload { left } => {
                    let remaining = u64::try_from(chunk.len() - at).unwrap_or(u64::MAX);
                    let step = (*left).min(remaining);
                    at += usize::try_from(step).unwrap_or(usize::MAX);
                    *left -= step;
                    if *left == 0 {
                        self.position = Position::header();
                        header_start = at;
                    }
                }
                Position::Header { bytes, read } => {
                    bytes[*read] = chunk[at];
                    *read += 1;
                    at += 1;
                    let Some(announced) = announced_length(&bytes[..*read]) else {
                        continue;
                    };
                    if announced > self.max_payload {
                        return Some(header_start);
                    }
                    if announced == 0 {
                        self.position = Position::header();
                        header_start = at;
                    } else {
                        self.position = Position::Payload { left: announced };
                    }
                }
            }
        }
        None
    }
}

/// The payload length a frame header announces, once `header` holds all of
/// it (RFC 6455 §5.2); `None` while bytes of it are missing.
fn announced_length(header: &[u8]) -> Option<u64> {
    let [_, second, rest @ ..] = header else {
        return None;
    };
    let mask = if second & 0x80 == 0 { 0 } else { 4 };
    let (extended, length) = match second & 0x7f {
        126 => (2, None),
        127 => (8, None),
        short => (0, Some(u64::from(short))),
    };
    if rest.len() < extended + mask {
        return None;
    }
    length.or_else(|| {
        let mut length = [0; 8];
        length[8 - extended..].copy_from_slice(&rest[..extended]);
        Some(u64::from_be_bytes(length))
    })
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.phase {
            Phase::Reading => {}
            Phase::HandedOn => {
                this.phase = Phase::Refusing;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Phase::Refusing => {
                this.phase = Phase::Failed;
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
            Phase::Failed => return Poll::Ready(None),
        }
        let chunk = match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            other => return other,
        };
        let Some(oversized_at) = this.scan(&chunk) else {
            return Poll::Ready(Some(Ok(chunk)));
        };
        if oversized_at == 0 {
            this.phase = Phase::Failed;
            return Poll::Ready(Some(Err(PayloadError::Overflow)));
        }
        this.phase = Phase::HandedOn;
        Poll::Ready(Some(Ok(chunk.slice(..oversized_at))))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// A masked client frame header announcing `length` bytes.
    fn header(length: u64) -> Vec<u8> {
        let mut header = vec![0x81];
        match length {
            0..=125 => header.push(0x80 | u8::try_from(length).unwrap()),
            126..=0xffff => {
                header.push(0x80 | 126);
                header.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
            }
            _ => {
                header.push(0x80 | 127);
                header.extend_from_slice(&length.to_be_bytes());
            }
        }
        header.extend_from_slice(&[1, 2, 3, 4]);
        header
    }

    fn frame(length: usize) -> Vec<u8> {
        let mut frame = header(length as u64);
        frame.extend(std::iter::repeat_n(b'x', length));
        frame
    }

    async fn read(chunks: Vec<Vec<u8>>, max: usize) -> (Vec<u8>, bool) {
        let inner = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| Ok::<_, PayloadError>(Bytes::from(chunk))),
        );
        let mut guard = FrameGuard::new(inner, max);
        let mut passed = Vec::new();
        let mut refused = false;
        while let Some(item) = guard.next().await {
            match item {
                Ok(bytes) => passed.extend_from_slice(&bytes),
                Err(PayloadError::Overflow) => refused = true,
                Err(other) => panic!("{other}"),
            }
        }
        (passed, refused)
    }

    #[test]
    fn header_lengths_are_read_in_all_three_forms() {
        assert_eq!(announced_length(&header(5)), Some(5));
        assert_eq!(announced_length(&header(300)), Some(300));
        assert_eq!(announced_length(&header(10_000_000)), Some(10_000_000));
        assert_eq!(announced_length(&header(10_000_000)[..9]), None);
        assert_eq!(announced_length(&[0x81, 0x05]), Some(5), "unmasked");
        assert_eq!(announced_length(&[0x81]), None);
    }

    #[actix_web::test]
    async fn frames_within_the_limit_pass_whole_however_they_are_cut() {
        let bytes: Vec<u8> = [frame(10), frame(0), frame(200), frame(64)].concat();
        for cut in [1, 3, 7, 64, bytes.len()] {
            let chunks = bytes.chunks(cut).map(<[u8]>::to_vec).collect();
            assert_eq!(read(chunks, 200).await, (bytes.clone(), false), "cut {cut}");
        }
    }

    #[actix_web::test]
    async fn an_oversized_header_ends_the_read_and_its_payload_is_not_passed() {
        let small = frame(10);
        let mut big = header(10_000_000);
        big.extend_from_slice(b"only a few bytes");
        // In one chunk: the frame before it passes, then the read fails.
        let (passed, refused) = read(vec![[small.clone(), big.clone()].concat()], 64).await;
        assert_eq!((passed, refused), (small.clone(), true));
        // The header cut across chunks: refused once its length is read.
        let joined = [small.clone(), big].concat();
        let chunks = joined.chunks(5).map(<[u8]>::to_vec).collect();
        let (passed, refused) = read(chunks, 64).await;
        assert!(refused);
        assert!(passed.len() < small.len() + MAX_HEADER, "{}", passed.len());
    }
}
