"""The frame of every peer: a real asyncio server on 127.0.0.1 driving the core's
:class:`~wsconform.reference.protocol.server.ServerProtocol`, with hooks to misbehave.

:class:`PeerConnection` is a conforming echo server written in a few lines over the
sans-I/O core; each known-broken variant (:mod:`tests.peers.variants`,
:mod:`tests.peers.raw`) overrides one hook:

* :meth:`PeerConnection.message` -- what to do with a whole data message (echo it);
* :meth:`PeerConnection.outgoing` -- rewrite, hold back or drop each frame the core
  sends, seen as a permissive :class:`~wsconform.harness.wire.frame.WireFrame`
  (mask it, change a close code, delay a pong);
* :meth:`PeerConnection.close_transport` -- what to do when the core says the TCP
  connection must close (close it, abort it, or linger);
* :meth:`PeerConnection.frames_in` -- the bytes of the open connection, before the core
  sees them (the raw peers parse them themselves).

The core gets its input cut at frame boundaries, and the events of each frame are
handled before the next frame is fed: a valid message that precedes a bad frame is
echoed before the core fails the connection, which is what Autobahn grades OK in 3.2,
4.1.3 and 5.15. A frame's payload is still fed as it arrives, so the core's fail-fast
UTF-8 check (6.4.3, 6.4.4) sees a partial frame.

:func:`serve_peer` runs a server of one such class and yields its ``ws://`` URL; on exit
it aborts every connection still open, so a peer that never closes cannot hang a test.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.protocol.connection import OPEN
from wsconform.reference.protocol.frames import BINARY, CONT, TEXT, Frame
from wsconform.reference.protocol.http import Request
from wsconform.reference.protocol.server import ServerProtocol

__all__ = ["MAX_SIZE", "PeerConnection", "PeerServer", "frame_size", "serve_peer"]

#: Largest message a peer accepts: more than any case of sections 1-7 and 10 sends.
MAX_SIZE = 2**24


def frame_size(buffer: bytes | bytearray) -> int | None:
    """The length of the frame starting ``buffer`` (header and payload), from its header.

    ``None`` while the header is incomplete (at most 14 bytes are needed).
    """
    if len(buffer) < 2:
        return None
    second = buffer[1]
    length = second & 0x7F
    size = 2
    if length == 126:
        size = 4
        if len(buffer) < size:
            return None
        length = int.from_bytes(buffer[2:4], "big")
    elif length == 127:
        size = 10
        if len(buffer) < size:
            return None
        length = int.from_bytes(buffer[2:10], "big")
    if second & 0x80:
        size += 4
    return size + length


class PeerConnection(asyncio.Protocol):
    """One server connection: a conforming echo server over the core (see module doc).

    Class attributes tune it without a subclass: ``echo_delay`` holds each echo back
    that many seconds (it is dropped if the core is no longer OPEN by then).
    """

    echo_delay: float = 0.0

    def __init__(self, server: PeerServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.protocol = ServerProtocol(max_size=MAX_SIZE, server_header="wsconform-peer")
        self.transport: asyncio.Transport | None = None
        self.opened = False
        self.closing = False
        self._pending = bytearray()
        self._left = 0  # bytes of the current frame not yet fed to the core
        self._out = WireParser(max_length=MAX_SIZE)
        self._message: list[bytes] = []
        self._opcode: int | None = None
        self._timers: list[asyncio.TimerHandle] = []

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if not self.opened:
            self.protocol.receive_data(data)
            self.process()
            return
        self.frames_in(data)

    def eof_received(self) -> bool | None:
        if not self.protocol.transport_should_close():
            with contextlib.suppress(Exception):
                self.protocol.receive_eof()
            self.process()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.server.connections.discard(self)

    # --- input --------------------------------------------------------------------------

    def frames_in(self, data: bytes) -> None:
        """Feed the open connection's bytes to the core, one frame's events at a time."""
        if self.closing:
            return  # the core discards input once it asked to close TCP
        pending = self._pending
        pending += data
        while pending and not self.closing:
            if self._left == 0:
                size = frame_size(pending)
                if size is None:
                    break
                self._left = size
            chunk = bytes(pending[: self._left])
            del pending[: len(chunk)]
            self._left -= len(chunk)
            self.protocol.receive_data(chunk)
            self.process()

    def process(self) -> None:
        """Handle the core's events, then write what it wants to send."""
        for event in self.protocol.events_received():
            if isinstance(event, Request):
                self.handshake(event)
            elif isinstance(event, Frame):
                self.frame(event)
        self.flush()

    def handshake(self, request: Request) -> None:
        """Accept the request (or answer 400/426 as the core decides)."""
        response = self.protocol.accept(request)
        self.protocol.send_response(response)
        self.write(b"".join(self.protocol.data_to_send()))
        self.opened = self.protocol.state is OPEN

    def frame(self, frame: Frame) -> None:
        """Reassemble data messages; control frames are the core's business."""
        if frame.opcode is TEXT or frame.opcode is BINARY:
            self._opcode = frame.opcode
            self._message = [frame.data]
        elif frame.opcode is CONT:
            self._message.append(frame.data)
        else:
            return
        if frame.fin and self._opcode is not None:
            payload = b"".join(self._message)
            binary = self._opcode is BINARY
            self._message, self._opcode = [], None
            if self.echo_delay > 0:
                self.later(self.echo_delay, self.message, payload, binary)
            else:
                self.message(payload, binary)

    def message(self, payload: bytes, binary: bool) -> None:
        """A whole data message: echo it (if the core can still send)."""
        if self.protocol.state is not OPEN:
            return
        if binary:
            self.protocol.send_binary(payload)
        else:
            self.protocol.send_text(payload)
        self.flush()

    # --- output -------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the core's frames through :meth:`outgoing`; close TCP when it says so."""
        out = self._out
        for data in self.protocol.data_to_send():
            out.feed(data)
            for frame in out.frames():
                for sent in self.outgoing(frame):
                    self.write(sent.encode())
        if self.protocol.transport_should_close() and not self.closing:
            self.closing = True
            self.close_transport()

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        """The frames to write for one frame of the core (default: it, unchanged)."""
        return [frame]

    def close_transport(self) -> None:
        """The core asks to close TCP (default: an orderly close after the writes)."""
        if self.transport is not None:
            self.transport.close()

    def write(self, data: bytes) -> None:
        """Write bytes unless the transport is closing."""
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def later(self, delay: float, function: Callable[..., None], *args: Any) -> None:
        """Run ``function`` after ``delay`` seconds unless the connection is gone."""
        self._timers.append(self.loop.call_later(delay, function, *args))


class PeerServer:
    """The listening side: creates one ``connection_class`` per TCP connection."""

    def __init__(self, connection_class: type[PeerConnection]) -> None:
        self.connection_class = connection_class
        self.connections: set[PeerConnection] = set()

    def __call__(self) -> PeerConnection:
        return self.connection_class(self)

    def abort_all(self) -> None:
        """Abort every connection still open."""
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()


@contextlib.asynccontextmanager
async def serve_peer(connection_class: type[PeerConnection]) -> AsyncIterator[str]:
    """Serve ``connection_class`` on 127.0.0.1 (a free port); yield the ``ws://`` URL."""
    loop = asyncio.get_running_loop()
    peers = PeerServer(connection_class)
    server = await loop.create_server(peers, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        peers.abort_all()
        await server.wait_closed()
