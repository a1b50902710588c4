"""Peers broken at the byte level: once open, they read frames with the permissive
codec instead of the core, so they can miss every check RFC 6455 asks for.

The opening handshake still goes through the core's ``ServerProtocol``.
"""

from __future__ import annotations

from wsconform.harness.wire.frame import WireFrame, WireParser

from .base import MAX_SIZE, PeerConnection, PeerServer

__all__ = ["NaiveEchoPeer", "Utf8AtEndPeer"]

_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_INVALID_DATA = 1007


class NaiveEchoPeer(PeerConnection):
    """Echoes every data message without checking anything.

    RSV bits, reserved opcodes (ignored), fragmented or oversized control frames,
    interleaved fragments (a new data frame restarts the message) and UTF-8 all pass.
    It answers a ping with a pong and a close with a close that echoes the first two
    bytes of its body (so an invalid code comes back as it was), then closes TCP.
    """

    #: Validate a text message's UTF-8 once the message is complete (never before).
    check_utf8_at_end = False

    def __init__(self, server: PeerServer) -> None:
        super().__init__(server)
        self._parser = WireParser(max_length=MAX_SIZE)
        self._parts: list[bytes] = []
        self._kind: int | None = None

    def frames_in(self, data: bytes) -> None:
        if self.closing:
            return
        self._parser.feed(data)
        for frame in self._parser.frames():
            self._frame(frame)
            if self.closing:
                return

    def _frame(self, frame: WireFrame) -> None:
        opcode = frame.opcode
        if opcode in (_TEXT, _BINARY):
            self._kind, self._parts = opcode, [frame.payload]
        elif opcode == _CONT and self._kind is not None:
            self._parts.append(frame.payload)
        elif opcode == _PING:
            self.write(WireFrame(_PONG, frame.payload).encode())
            return
        elif opcode == _CLOSE:
            self.write(WireFrame(_CLOSE, frame.payload[:2]).encode())
            self._close()
            return
        else:
            return
        if frame.fin and self._kind is not None:
            kind, payload = self._kind, b"".join(self._parts)
            self._kind, self._parts = None, []
            self._whole(kind, payload)

    def _whole(self, kind: int, payload: bytes) -> None:
        if kind == _TEXT and self.check_utf8_at_end:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                self.write(WireFrame(_CLOSE, _INVALID_DATA.to_bytes(2, "big")).encode())
                self._close()
                return
        self.write(WireFrame(kind, payload).encode())

    def _close(self) -> None:
        self.closing = True
        self.close_transport()


class Utf8AtEndPeer(NaiveEchoPeer):
    """A naive peer that fails with 1007 on invalid UTF-8, but only at a message's end.

    Autobahn grades this NON-STRICT in 6.4.x (fail-fast is OK) and OK elsewhere.
    """

    check_utf8_at_end = True
