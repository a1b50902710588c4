"""Variants of the conforming echo peer, each wrong in exactly one way, for the fuzzer.

Each is a :class:`~tests.peers.base.PeerConnection` (the core's ``ServerProtocol`` on a
real socket) whose input is rewritten one frame header at a time before the core sees
it (:meth:`OneDefectPeer.inbound`), or whose output is rewritten (``outgoing``). Apart
from its one defect each behaves like the reference, so a fuzz run against it can only
find that defect, and the proof tests check that it does and shrinks it to <= 3 frames:

* :class:`Utf8AtEndPeer`: validates a text message's UTF-8 only once the message is
  complete (RFC 6455 section 8.1 asks to fail as soon as the stream is invalid);
* :class:`ReservedOpcodePeer`: ignores frames with a reserved opcode (section 5.2:
  "the receiving endpoint MUST _Fail the WebSocket Connection_");
* :class:`FragmentPingPeer`: never answers a ping that arrives between the fragments of
  a message (section 5.4: control frames "MAY be injected in the middle of a
  fragmented message", section 5.5.2: answer every ping);
* :class:`UnmaskedPeer`: accepts unmasked client frames (section 5.1: "The server MUST
  close the connection upon receiving a frame that is not masked");
* :class:`Echo1005Peer`: answers an empty close with a close frame carrying 1005,
  which section 7.4.1 says "MUST NOT be set as a status code in a Close control frame".
"""

from __future__ import annotations

from tests.peers.base import PeerConnection, PeerServer, frame_size
from tests.peers.variants import rewritten
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.frames import Opcode

__all__ = [
    "BROKEN",
    "Echo1005Peer",
    "FragmentPingPeer",
    "OneDefectPeer",
    "ReservedOpcodePeer",
    "UnmaskedPeer",
    "Utf8AtEndPeer",
]

_CONT, _TEXT, _BINARY, _CLOSE, _PING = 0x0, 0x1, 0x2, 0x8, 0x9
_KNOWN = frozenset(int(op) for op in Opcode)


class OneDefectPeer(PeerConnection):
    """The conforming echo peer with a hook on every incoming frame header.

    :meth:`inbound` sees the frame's header bytes (a ``bytearray`` it may change in
    place, or grow by a masking key) and its total size, and returns whether the core
    gets the frame at all. The frame is still fed in the pieces that arrive.
    """

    def __init__(self, server: PeerServer) -> None:
        super().__init__(server)
        self._skip = 0  # bytes of a dropped frame still to discard
        self.fragmented = False  # a message with FIN clear is open

    def frames_in(self, data: bytes) -> None:
        """Feed the core frame by frame, the header through :meth:`inbound` first."""
        if self.closing:
            return
        pending = self._pending
        pending += data
        while pending and not self.closing:
            if self._skip:
                dropped = min(self._skip, len(pending))
                del pending[:dropped]
                self._skip -= dropped
                continue
            if self._left == 0:
                size = frame_size(pending)
                if size is None:
                    break
                head_size = size - _payload_length(pending)
                if len(pending) < head_size:
                    break
                head = bytearray(pending[:head_size])
                keep = self.inbound(head, size)
                self._track(head)
                if not keep:
                    self._skip = size
                    continue
                pending[:head_size] = head
                self._left = size + len(head) - head_size
            chunk = bytes(pending[: self._left])
            del pending[: len(chunk)]
            self._left -= len(chunk)
            self.protocol.receive_data(chunk)
            self.process()

    def _track(self, head: bytearray) -> None:
        opcode, fin = head[0] & 0x0F, bool(head[0] & 0x80)
        if opcode in (_TEXT, _BINARY, _CONT):
            self.fragmented = not fin

    def inbound(self, head: bytearray, size: int) -> bool:
        """Rewrite one incoming header in place; ``False`` drops the frame (default:
        keep it unchanged)."""
        return True


def _payload_length(buffer: bytes | bytearray) -> int:
    """The payload length a complete header declares (see :func:`frame_size`)."""
    length = buffer[1] & 0x7F
    if length == 126:
        return int.from_bytes(buffer[2:4], "big")
    if length == 127:
        return int.from_bytes(buffer[2:10], "big")
    return length


class Utf8AtEndPeer(OneDefectPeer):
    """Checks a text message's UTF-8 only when the message is complete.

    Text frames reach the core as binary frames (the opcode is not masked, so one bit
    of the header changes); the whole message is decoded when it ends and the
    connection failed with 1007 if it is not UTF-8.
    """

    def __init__(self, server: PeerServer) -> None:
        super().__init__(server)
        self._text = False

    def inbound(self, head: bytearray, size: int) -> bool:
        opcode = head[0] & 0x0F
        if opcode == _TEXT:
            self._text = True
            head[0] = (head[0] & 0xF0) | _BINARY
        elif opcode == _BINARY:
            self._text = False
        return True

    def message(self, payload: bytes, binary: bool) -> None:
        if not self._text:
            super().message(payload, binary)
            return
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            self.protocol.fail(1007, "invalid UTF-8 (found at the end of the message)")
            self.flush()
            return
        super().message(payload, False)


class ReservedOpcodePeer(OneDefectPeer):
    """Drops every frame whose opcode is reserved, as if it had never come."""

    def inbound(self, head: bytearray, size: int) -> bool:
        return head[0] & 0x0F in _KNOWN


class FragmentPingPeer(OneDefectPeer):
    """Drops a ping that comes while a fragmented message is open: never answered."""

    def inbound(self, head: bytearray, size: int) -> bool:
        return not (self.fragmented and head[0] & 0x0F == _PING)


class UnmaskedPeer(OneDefectPeer):
    """Accepts an unmasked frame: the core gets it masked with the all-zero key."""

    def inbound(self, head: bytearray, size: int) -> bool:
        if not head[1] & 0x80:
            head[1] |= 0x80
            head += b"\x00\x00\x00\x00"  # XOR with zeros: the payload is unchanged
        return True


class Echo1005Peer(PeerConnection):
    """Its answer to a close frame without a status code carries the code 1005."""

    def outgoing(self, frame: WireFrame) -> list[WireFrame]:
        if frame.opcode == _CLOSE and not frame.payload:
            return [rewritten(frame, payload=(1005).to_bytes(2, "big"))]
        return [frame]


#: Each variant and what a fuzz run must report about it (for the test ids).
BROKEN: dict[str, type[PeerConnection]] = {
    "utf8-at-end": Utf8AtEndPeer,
    "reserved-opcode-ignored": ReservedOpcodePeer,
    "fragment-ping-ignored": FragmentPingPeer,
    "unmasked-accepted": UnmaskedPeer,
    "close-1005-echoed": Echo1005Peer,
}
