"""Known-broken variants of the conforming echo server for the ``fr`` and ``cl`` families.

Each one is the core's ``ServerProtocol`` behind :class:`~tests.peers.base.PeerConnection`
with one thing changed, the way real servers get these wrong:

* :class:`UnmaskedAcceptingPeer` takes unmasked client frames as if they were masked
  (RFC 6455 section 5.1: "The server MUST close the connection upon receiving a frame
  that is not masked");
* :class:`NonMinimalAcceptingPeer` takes non-minimal length encodings (section 5.2: "the
  minimal number of bytes MUST be used");
* :class:`OldCloseCodesPeer` knows only the close codes of RFC 6455 itself and fails the
  connection with 1002 on 1012-1014, which IANA registered later;
* :class:`SlowClosingPeer` closes TCP half a second after the closing handshake, inside
  Autobahn's 1 s allowance but not "immediately" (section 7.1.1), which only
  ``--strict`` reports.

The first two rewrite each frame the client sent into the form the core accepts before
the core reads it; a frame declaring more than the peer would ever buffer (the 64-bit
lengths with the top bit set) goes to the core unchanged, which fails the connection.
"""

from __future__ import annotations

from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.protocol.frames import CLOSE

from .base import MAX_SIZE, PeerConnection, PeerServer, frame_size
from .variants import rewritten

__all__ = [
    "NonMinimalAcceptingPeer",
    "OldCloseCodesPeer",
    "RewritingPeer",
    "SlowClosingPeer",
    "UnmaskedAcceptingPeer",
]

#: Close codes registered with IANA after RFC 6455.
_LATER_CODES = frozenset({1012, 1013, 1014})


class RewritingPeer(PeerConnection):
    """Hands every complete client frame to :meth:`rewrite` (or :meth:`refuse`) before
    the core sees it."""

    def __init__(self, server: PeerServer) -> None:
        super().__init__(server)
        self._incoming = bytearray()
        self._passthrough = False

    def frames_in(self, data: bytes) -> None:
        if self._passthrough:
            super().frames_in(data)
            return
        incoming = self._incoming
        incoming += data
        out = bytearray()
        while (size := frame_size(incoming)) is not None:
            if size > MAX_SIZE + 14:
                # Never buffered: the core gets the rest as it is, and fails.
                self._passthrough = True
                out += incoming
                incoming.clear()
                break
            if len(incoming) < size:
                break
            chunk = bytes(incoming[:size])
            del incoming[:size]
            parser = WireParser(max_length=MAX_SIZE)
            parser.feed(chunk)
            frame = parser.next_frame()
            assert frame is not None
            if self.refuse(frame):
                super().frames_in(bytes(out))
                self.protocol.fail(1002, "refused by the broken variant")
                self.flush()
                self._passthrough = True
                return
            changed = self.rewrite(frame)
            out += chunk if changed is None else changed.encode()
        if out:
            super().frames_in(bytes(out))

    def rewrite(self, frame: WireFrame) -> WireFrame | None:
        """The frame the core reads instead of ``frame``; ``None`` keeps it as it was."""
        return None

    def refuse(self, frame: WireFrame) -> bool:
        """Whether to fail the connection with 1002 at ``frame`` instead."""
        return False


class UnmaskedAcceptingPeer(RewritingPeer):
    """Masks each unmasked client frame itself, so the core accepts it."""

    def rewrite(self, frame: WireFrame) -> WireFrame | None:
        if frame.masked:
            return None
        return rewritten(frame, masked=True, mask_key=None)


class NonMinimalAcceptingPeer(RewritingPeer):
    """Re-encodes each length in its minimal form, so the core accepts it."""

    def rewrite(self, frame: WireFrame) -> WireFrame | None:
        if frame.minimal_length:
            return None
        return rewritten(frame)


class OldCloseCodesPeer(RewritingPeer):
    """Fails the connection with 1002 on a close frame carrying 1012, 1013 or 1014."""

    def refuse(self, frame: WireFrame) -> bool:
        if frame.opcode != CLOSE or len(frame.payload) < 2:
            return False
        return int.from_bytes(frame.payload[:2], "big") in _LATER_CODES


class SlowClosingPeer(PeerConnection):
    """Closes TCP ``close_delay`` seconds after the core asks for it."""

    close_delay = 0.5

    def close_transport(self) -> None:
        self.later(self.close_delay, super().close_transport)
