//! What the socket task asks of a capability (chat today; calls and
//! location later): handle its frames, and keep its own per-socket state
//! through a few hooks, so that the socket task stays transport only.

use actix_ws::Closed;

use super::hub::Delivery;
use super::protocol::ServerFrame;
use crate::error::ApiError;

/// What the socket does with a live event, as a capability decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relay {
    /// Write it now.
    Send,
    /// Drop it: the socket already has it.
    Skip,
    /// Hold it until the frame being handled has been answered, then ask again.
    Defer,
}

/// One capability's part of a socket: the frames it answers and the state
/// it keeps between them. The socket task owns one per connection and
/// calls its hooks; it never looks inside.
pub(crate) trait SocketCapability {
    /// The client frames this capability answers.
    type Frame;
    /// What handling one frame came to, before the state has seen it.
    type Outcome;

    /// Starts handling a frame. The future runs beside the socket loop, so
    /// that events keep flowing meanwhile; it borrows nothing from `self`.
    fn handle(
        &mut self,
        frame: Self::Frame,
    ) -> futures_util::future::LocalBoxFuture<'static, Self::Outcome>;

    /// Applies a handled frame to the state.
    ///
    /// # Errors
    /// The frame's failure, to be answered with an `error` frame.
    async fn on_handled(&mut self, outcome: Self::Outcome) -> Result<ServerFrame, ApiError>;

    /// Whether a live event goes out now, never, or once the frame being
    /// handled is answered.
    fn should_relay(&mut self, delivery: &Delivery) -> Relay;

    /// Housekeeping, about once a second.
    async fn on_tick(&mut self);

    /// The socket has closed: withdraw what it showed others.
    async fn on_close(&mut self);
}

/// Where a capability writes frames that are not the answer to a frame (a
/// replay): the socket, seen only as a sink.
pub(crate) trait FrameSink {
    /// Writes one frame, without an `id`.
    ///
    /// # Errors
    /// [`Closed`] once the socket is closed.
    async fn write(&mut self, frame: &ServerFrame) -> Result<(), Closed>;
}
