"""Known-broken variants of the conforming echo peer, each wrong in one way the catalog
describes (docs/autobahn.md sections 2, 3 and 4.2).

Every class is a :class:`~tests.peers.base.PeerConnection` built on the core's
``ServerProtocol`` with one hook overridden; :func:`tuned` makes a variant with other
class attributes (a pong delay, a close code) without writing a subclass by hand.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.connection import OPEN
from wsconform.reference.protocol.frames import CLOSE, PONG
from wsconform.reference.protocol.http import Request

from .base import PeerConnection

__all__ = [
    "ClosingPeer",
    "DeafPeer",
    "DeferredEchoPeer",
    "DroppingPeer",
    "EchoPeer",
    "LatePongPeer",
    "LingeringPeer",
    "MaskingPeer",
    "NoHandshakePeer",
    "RecodingPeer",
    "RejectingPeer",
    "SilentPeer",
    "WrongPongPeer",
    "rewritten",
    "tuned",
]

P = TypeVar("P", bound=PeerConnection)


def tuned(cls: type[P], **attributes: Any) -> type[P]:
    """A subclass of ``cls`` with some class attributes changed.

    Raises:
        AttributeError: ``cls`` has no such attribute (a typo would go unnoticed).
    """
    for name in attributes:
        if not hasattr(cls, name):
            raise AttributeError(f"{cls.__name__} has no attribute {name!r}")
    return type(cls.__name__, (cls,), attributes)


def rewritten(frame: WireFrame, **changes: Any) -> WireFrame:
    """``frame`` with some fields changed, its length and header recomputed."""
    return dataclasses.replace(frame, length=None, length_encoding=None, header=b"", **changes)


class EchoPeer(PeerConnection):
    """The conforming echo server: echoes, answers pings, closes as RFC 6455 says."""


class DeferredEchoPeer(PeerConnection):
    """Echoes each message 0.2 s late, like an application that answers asynchronously.

    When a bad frame follows a valid message (3.2, 4.1.3, 5.15), the core fails the
    connection before the echo is due, so the echo is lost: NON-STRICT, not OK.
    """

    echo_delay = 0.2


class SilentPeer(PeerConnection):
    """Completes the opening handshake, then never sends a byte and never closes TCP."""

    def frames_in(self, data: bytes) -> None:
        """Read and ignore everything."""


class NoHandshakePeer(PeerConnection):
    """Accepts TCP, reads the upgrade request and never answers it."""

    def data_received(self, data: bytes) -> None:
        """Read and ignore everything."""


class RejectingPeer(PeerConnection):
    """Answers the upgrade request with ``403 Forbidden``, then closes TCP."""

    def handshake(self, request: Request) -> None:
        self.protocol.send_response(self.protocol.reject(403, "Forbidden by the test.\n"))
        self.write(b"".join(self.protocol.data_to_send()))
        self.close_transport()


class RecodingPeer(PeerConnection):
    """Every close frame it sends (a reply or its own) carries ``close_code`` instead.

    With 1000 it answers everything "normally", even an invalid close code (7.9.x) or a
    protocol violation (3.x); with 1012 it uses a code the tester counts as invalid.
    """

    close_code = 1000

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        if frame.opcode != CLOSE:
            return [frame]
        body = self.close_code.to_bytes(2, "big") + frame.payload[2:]
        return [rewritten(frame, payload=body)]


class ClosingPeer(RecodingPeer):
    """Instead of echoing a message, starts the closing handshake with ``close_code``."""

    close_code = 1011

    def message(self, payload: bytes, binary: bool) -> None:
        if self.protocol.state is OPEN:
            # The core sends 1000; outgoing() puts close_code in its place, so that codes
            # the core refuses to send (1012 is fine, but 999 is not) can be used too.
            self.protocol.send_close(1000)
            self.flush()


class DroppingPeer(PeerConnection):
    """Never sends a close frame: where the core would send one, it aborts TCP instead."""

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        if frame.opcode == CLOSE:
            self.close_transport()
            return []
        return [frame]

    def close_transport(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class LingeringPeer(PeerConnection):
    """Completes the closing handshake but never closes TCP: it waits for the client.

    RFC 6455 section 7.1.1 says the server closes TCP first; the tester drops it after
    its server-drop timeout (docs/autobahn.md sections 4.1 and 4.2).
    """

    def close_transport(self) -> None:
        """Keep the TCP connection open."""


class DeafPeer(LingeringPeer):
    """Echoes, but never sends a close frame (no reply, no failing) and never closes TCP."""

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        return [] if frame.opcode == CLOSE else [frame]


class LatePongPeer(PeerConnection):
    """Answers each ping ``pong_delay`` seconds late (if the connection is still up)."""

    pong_delay = 1.5

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        if frame.opcode != PONG:
            return [frame]
        self.later(self.pong_delay, self.write, frame.encode())
        return []


class WrongPongPeer(PeerConnection):
    """Answers each ping at once with a pong whose payload is not the ping's."""

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        if frame.opcode != PONG:
            return [frame]
        wrong = b"wrong pong" if frame.payload != b"wrong pong" else b"still wrong"
        return [rewritten(frame, payload=wrong)]


class MaskingPeer(PeerConnection):
    """Masks every frame it sends, which RFC 6455 section 5.1 forbids a server to do."""

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        return [rewritten(frame, masked=True, mask_key=None)]
