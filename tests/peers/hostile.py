"""Hostile servers: peers that attack the tester rather than get the protocol wrong.

Each is a small asyncio protocol on 127.0.0.1 that reads the upgrade request (at most
64 KiB of it) and then does one hostile thing: answer with garbage or plain HTTP, never
answer, answer one byte at a time, go silent, never close TCP, declare a 2^63-1 byte
frame, send a deflate bomb, reset the connection, storm the tester with close frames,
send fragments or pings for ever, answer with a wrong accept key, die in the middle of
a run, or stop reading. They prove that the harness gives a verdict or a harness error
for every case, in bounded time, memory and report size, whatever the target does
(``tests/integration/harness/test_hostile_peers.py`` runs them through the real
command; ``bench/bench_hostile.py`` measures the flooding ones).

The handshake answer is built here, not by the core, so that it can be wrong: RFC 6455
section 4.2.2 for the right one (:func:`accept_response`). Floods write in bounded
batches, at most :data:`FLOOD_BUFFER` bytes ahead of what the tester has read (asyncio's
``pause_writing``), and give their event loop a turn between batches.

:data:`HOSTILE_PEERS` names every peer; ``python -m tests.peers.hostile NAME`` serves one
and prints ``listening on URL`` (the benchmark runs them in their own process).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import struct
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.protocol.handshake import accept_key

from .running import in_thread

__all__ = [
    "FLOOD_BUFFER",
    "HOSTILE_PEERS",
    "CloseStormPeer",
    "DeflateBombPeer",
    "DyingPeer",
    "EndlessFragmentsPeer",
    "GarbagePeer",
    "HostilePeer",
    "HostileServer",
    "HugeLengthPeer",
    "NeverAnsweringPeer",
    "NeverClosingPeer",
    "NotReadingPeer",
    "PingFloodPeer",
    "PlainHttpPeer",
    "ResetPeer",
    "SilentPeer",
    "SlowlorisPeer",
    "WrongAcceptPeer",
    "accept_response",
    "hostile_in_thread",
    "serve_hostile",
]

#: Bytes a flood keeps queued ahead of the tester's reading.
FLOOD_BUFFER = 2**20
#: Chunks written per turn of the event loop by a flood.
_FLOOD_BATCH = 16
#: Longest request head read before the peer acts.
_MAX_HEAD = 65536

_CLOSE, _PING = 0x8, 0x9


def _header_value(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lower case) in a request head, if present."""
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


def accept_response(head: bytes, *, deflate: bool = False, accept: str | None = None) -> bytes:
    """A 101 answer to the request ``head`` (RFC 6455 section 4.2.2), with
    ``permessage-deflate`` accepted when ``deflate`` and offered, and ``accept`` as the
    ``Sec-WebSocket-Accept`` value instead of the right one when given."""
    key = (_header_value(head, b"sec-websocket-key") or b"").decode("latin-1")
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept if accept is not None else accept_key(key)}",
        "Server: wsconform-hostile",
    ]
    offers = _header_value(head, b"sec-websocket-extensions") or b""
    if deflate and b"permessage-deflate" in offers:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class HostileServer:
    """The listening side: one ``peer_class`` per connection; ``listener`` is the asyncio
    server (set by :func:`serve_hostile`), ``accepted`` counts connections."""

    def __init__(self, peer_class: type[HostilePeer]) -> None:
        self.peer_class = peer_class
        self.connections: set[HostilePeer] = set()
        self.accepted = 0
        self.listener: asyncio.Server | None = None

    def __call__(self) -> HostilePeer:
        return self.peer_class(self)

    def abort_all(self) -> None:
        """Abort every connection still open."""
        for peer in list(self.connections):
            if peer.transport is not None:
                peer.transport.abort()


class HostilePeer(asyncio.Protocol):
    """Reads the request head, then :meth:`answer`; later bytes go to :meth:`received`.

    The default is a conforming enough server for the first steps: it accepts the
    upgrade and then ignores what the tester sends. Subclasses override one thing.
    """

    def __init__(self, server: HostileServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.answered = False
        self._timers: list[asyncio.TimerHandle] = []
        self._flood: Callable[[], bytes] | None = None
        self._flood_paused = False
        self._flood_scheduled = False

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)
        self.server.accepted += 1

    def data_received(self, data: bytes) -> None:
        if self.answered:
            self.received(data)
            return
        self.head += data
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > _MAX_HEAD and self.transport is not None:
                self.transport.abort()
            return
        head, rest = bytes(self.head[: end + 4]), bytes(self.head[end + 4 :])
        self.answered = True
        self.answer(head)
        if rest:
            self.received(rest)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self._flood = None
        self.server.connections.discard(self)

    def pause_writing(self) -> None:
        self._flood_paused = True

    def resume_writing(self) -> None:
        self._flood_paused = False
        self._schedule_flood()

    # --- hooks --------------------------------------------------------------------------

    def answer(self, head: bytes) -> None:
        """Answer the upgrade request (default: accept it, then :meth:`opened`)."""
        self.write(accept_response(head))
        self.opened()

    def opened(self) -> None:
        """The 101 answer was written (default: nothing more)."""

    def received(self, data: bytes) -> None:
        """Bytes after the request head (default: ignored)."""

    # --- helpers ------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Write unless the transport is closing."""
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def later(self, delay: float, function: Callable[..., None], *args: Any) -> None:
        """Run ``function`` after ``delay`` seconds unless the connection is gone."""
        self._timers.append(self.loop.call_later(delay, function, *args))

    def flood(self, chunk: Callable[[], bytes]) -> None:
        """Write ``chunk()`` for ever, as fast as the tester reads (module docstring)."""
        self._flood = chunk
        self._schedule_flood()

    def _schedule_flood(self) -> None:
        if not self._flood_scheduled and self._flood is not None:
            self._flood_scheduled = True
            self.loop.call_soon(self._flood_batch)

    def _flood_batch(self) -> None:
        self._flood_scheduled = False
        transport = self.transport
        if self._flood is None or transport is None or transport.is_closing():
            return
        for _ in range(_FLOOD_BATCH):
            if self._flood_paused or transport.get_write_buffer_size() > FLOOD_BUFFER:
                return
            transport.write(self._flood())
        self._schedule_flood()


def _frames(opcode: int, payload: bytes, count: int, *, fin: bool = True) -> bytes:
    """``count`` copies of one unmasked frame, as one chunk."""
    return WireFrame(opcode, payload, fin=fin).encode() * count


class GarbagePeer(HostilePeer):
    """Answers the upgrade with bytes that are not HTTP, and keeps the connection open."""

    def answer(self, head: bytes) -> None:
        self.write(b"\x00\xff\x13\x37 this is not HTTP \xde\xad\xbe\xef\r\n\r\n")


class PlainHttpPeer(HostilePeer):
    """A plain web server: ``HTTP/1.0 200 OK`` with a page, then it closes TCP."""

    def answer(self, head: bytes) -> None:
        body = b"<html><body>hello</body></html>"
        self.write(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        if self.transport is not None:
            self.transport.close()


class NeverAnsweringPeer(HostilePeer):
    """Accepts TCP, reads the request, and never writes a byte."""

    def answer(self, head: bytes) -> None:
        return


class SlowlorisPeer(HostilePeer):
    """Writes a correct 101 answer one byte every 0.2 s (it takes half a minute)."""

    delay = 0.2

    def answer(self, head: bytes) -> None:
        self._dribble(accept_response(head))

    def _dribble(self, rest: bytes) -> None:
        if rest:
            self.write(rest[:1])
            self.later(self.delay, self._dribble, rest[1:])


class SilentPeer(HostilePeer):
    """Completes the opening handshake, then reads everything and never writes again."""


class NeverClosingPeer(HostilePeer):
    """Echoes data frames and answers a close with a close, but never closes TCP."""

    def opened(self) -> None:
        self.parser = WireParser(max_length=2**24)

    def received(self, data: bytes) -> None:
        self.parser.feed(data)
        for frame in self.parser.frames():
            if frame.opcode == _CLOSE:
                self.write(WireFrame(_CLOSE, frame.payload[:2]).encode())
            elif frame.opcode < 8:
                self.write(WireFrame(frame.opcode, frame.payload, fin=frame.fin).encode())


class HugeLengthPeer(HostilePeer):
    """Declares a binary frame of 2^63-1 bytes and streams zeros for ever."""

    def opened(self) -> None:
        self.write(b"\x82\x7f" + struct.pack("!Q", 2**63 - 1))
        zeros = bytes(65536)
        self.flood(lambda: zeros)


@functools.cache
def _bomb(size: int) -> bytes:
    """A raw deflate stream (RFC 7692 section 7.2.1: no trailer) of ``size`` zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(2**20)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    data = b"".join(parts)
    return data[:-4] if data.endswith(b"\x00\x00\xff\xff") else data


class DeflateBombPeer(HostilePeer):
    """Accepts permessage-deflate when offered, then sends one compressed message that
    inflates to 256 MiB of zeros (about 250 KB on the wire), and another after it."""

    size = 256 * 2**20

    def answer(self, head: bytes) -> None:
        self.write(accept_response(head, deflate=True))
        frame = WireFrame(0x2, _bomb(self.size), fin=True, rsv=4).encode()
        self.write(frame * 2)


class ResetPeer(HostilePeer):
    """Completes the opening handshake and resets the TCP connection 50 ms later."""

    def opened(self) -> None:
        self.later(0.05, self._reset)

    def _reset(self) -> None:
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()


class CloseStormPeer(HostilePeer):
    """Sends close frames (1000) for ever, and never closes TCP."""

    def opened(self) -> None:
        chunk = _frames(_CLOSE, (1000).to_bytes(2, "big"), 256)
        self.flood(lambda: chunk)


class EndlessFragmentsPeer(HostilePeer):
    """Starts a text message and sends empty continuation frames for ever."""

    def opened(self) -> None:
        self.write(WireFrame(0x1, b"a", fin=False).encode())
        chunk = _frames(0x0, b"", 4096, fin=False)
        self.flood(lambda: chunk)


class PingFloodPeer(HostilePeer):
    """Sends pings for ever (and reads the pongs, or not: it never looks)."""

    def opened(self) -> None:
        chunk = _frames(_PING, b"ping", 2048)
        self.flood(lambda: chunk)


class WrongAcceptPeer(HostilePeer):
    """Answers 101 with a ``Sec-WebSocket-Accept`` that is not the key's."""

    def answer(self, head: bytes) -> None:
        self.write(accept_response(head, accept="dGhlIHNhbXBsZSBub25jZQ=="))


class DyingPeer(NeverClosingPeer):
    """Serves ``lives`` connections as :class:`NeverClosingPeer` closing TCP after a close,
    then dies: the listener closes and every connection is aborted."""

    lives = 2

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.server.accepted > self.lives:
            listener = self.server.listener
            if listener is not None:
                listener.close()
            self.server.abort_all()

    def write(self, data: bytes) -> None:
        super().write(data)
        if data[:1] == bytes([0x80 | _CLOSE]) and self.transport is not None:
            self.transport.close()  # its close frame is out: close TCP as a server must


class NotReadingPeer(HostilePeer):
    """Completes the opening handshake, then stops reading (and never writes)."""

    def opened(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()


#: Every hostile peer, by the name the tests and the benchmark use.
HOSTILE_PEERS: dict[str, type[HostilePeer]] = {
    "garbage": GarbagePeer,
    "plain-http": PlainHttpPeer,
    "never-answering": NeverAnsweringPeer,
    "slowloris": SlowlorisPeer,
    "silent": SilentPeer,
    "never-closing": NeverClosingPeer,
    "huge-length": HugeLengthPeer,
    "deflate-bomb": DeflateBombPeer,
    "reset": ResetPeer,
    "close-storm": CloseStormPeer,
    "endless-fragments": EndlessFragmentsPeer,
    "ping-flood": PingFloodPeer,
    "wrong-accept": WrongAcceptPeer,
    "dying": DyingPeer,
    "not-reading": NotReadingPeer,
}


@contextlib.asynccontextmanager
async def serve_hostile(peer_class: type[HostilePeer]) -> AsyncIterator[str]:
    """Serve ``peer_class`` on 127.0.0.1 (a free port); yield the ``ws://`` URL; abort
    every connection on exit."""
    loop = asyncio.get_running_loop()
    server = HostileServer(peer_class)
    listener = await loop.create_server(server, "127.0.0.1", 0)
    server.listener = listener
    try:
        port = listener.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"
    finally:
        listener.close()
        server.abort_all()
        await listener.wait_closed()


def hostile_in_thread(peer: type[HostilePeer]) -> contextlib.AbstractContextManager[str]:
    """Serve a hostile peer from an event loop in a thread; yield its URL."""
    return in_thread(lambda: serve_hostile(peer))


async def _serve_forever(name: str) -> None:
    async with serve_hostile(HOSTILE_PEERS[name]) as url:
        print(f"listening on {url}", flush=True)
        await asyncio.get_running_loop().create_future()


def main(argv: list[str]) -> int:
    """``python -m tests.peers.hostile NAME``: serve one peer until killed."""
    if len(argv) != 1 or argv[0] not in HOSTILE_PEERS:
        print(
            f"usage: python -m tests.peers.hostile {{{','.join(HOSTILE_PEERS)}}}", file=sys.stderr
        )
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
