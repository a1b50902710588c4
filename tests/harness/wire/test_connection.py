"""TesterConnection: its message sender, and what it records of hostile answers.

The logged and the unlogged sender agree; an answer that is not a 101 (or not HTTP)
is recorded as the handshake failure, at once; the log puts a frame before the close it
causes; frames discarded after a failure are counted; a flood is read whole, logged
within bounds. All over real sockets.

The sender:

Sections 12 and 13 send their messages with the wire log off, through a faster path;
what reaches the peer (frames, once unmasked) and what the report counts (frames by
opcode, writes by size, wire octets) must not depend on the path. Over a real socket
to a server that records every byte.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import Callable

import pytest

from tests.peers.hostile import accept_response
from tests.timing import unit
from wsconform.harness.record.observation import (
    DISCARDED_KEEP,
    WIRELOG_LIMIT,
    Observation,
    RxFrame,
    TxFrame,
)
from wsconform.harness.wire import connection as wire
from wsconform.harness.wire.client import connect
from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.uri import parse_uri


class Quiet:
    """Connection events that are not expected here."""

    def on_open(self) -> None: ...
    def on_message(self, payload: bytes, binary: bool) -> None: ...
    def on_pong(self, payload: bytes) -> None: ...
    def on_lost(self) -> None: ...


@dataclasses.dataclass
class Sent:
    frames: list[WireFrame]
    frame_stats: dict[int, int]
    octet_stats: dict[int, int]
    wire_octets: int
    websocket_octets: int


async def send(*, wirelog: bool, deflate: bool, payload: bytes, fragment_size: int) -> Sent:
    """Open a tester connection to a recording server, send one message, return it all."""
    received = bytearray()
    eof = asyncio.Event()

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(2**16):
            received.extend(chunk)
        eof.set()
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    obs = Observation()
    obs.create_wirelog = wirelog
    loop = asyncio.get_running_loop()
    uri = parse_uri(f"ws://127.0.0.1:{port}/")
    transport, conn = await loop.create_connection(
        lambda: wire.TesterConnection(uri, obs, Quiet()), "127.0.0.1", port
    )
    await asyncio.sleep(0.05)  # the upgrade request is written
    # White-box: skip the opening handshake, count from here.
    conn.protocol.state = wire.OPEN
    if deflate:
        conn.protocol.deflate = PerMessageDeflate(False, False, 15, 15, {"level": 1})
    obs.tx_frame_stats.clear()
    obs.tx_octet_stats.clear()
    conn.send_message(payload, binary=False, fragment_size=fragment_size)
    await asyncio.sleep(0.05)
    transport.close()
    await asyncio.wait_for(eof.wait(), unit(5))
    server.close()
    await server.wait_closed()
    data = bytes(received)
    data = data[data.index(b"\r\n\r\n") + 4 :]
    parser = WireParser(max_length=2**24)
    parser.feed(data)
    frames = []
    while (frame := parser.next_frame()) is not None:
        frames.append(frame)
    return Sent(
        frames,
        dict(obs.tx_frame_stats),
        dict(obs.tx_octet_stats),
        obs.traffic.outgoing_octets_wire_level,
        obs.traffic.outgoing_octets_websocket_level,
    )


def unmasked(frames: list[WireFrame]) -> list[tuple[int, bool, int, bytes]]:
    assert all(frame.masked and frame.mask_key for frame in frames)
    return [(f.opcode, f.fin, f.rsv, f.payload) for f in frames]


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "deflate"])
@pytest.mark.parametrize("fragment_size", [0, 64, 1000])
def test_unlogged_sender_matches_the_logged_one(deflate: bool, fragment_size: int) -> None:
    # Printable text that deflate cannot shrink below 1000 bytes.
    payload = bytes(random.Random(6455).choices(range(32, 127), k=7000))

    async def both() -> tuple[Sent, Sent]:
        return (
            await send(wirelog=True, deflate=deflate, payload=payload, fragment_size=fragment_size),
            await send(
                wirelog=False, deflate=deflate, payload=payload, fragment_size=fragment_size
            ),
        )

    logged, fast = asyncio.run(asyncio.wait_for(both(), unit(20)))
    assert unmasked(fast.frames) == unmasked(logged.frames)
    assert (len(fast.frames) > 1) == (fragment_size > 0)
    assert fast.frames[0].rsv == (4 if deflate else 0)
    assert all(frame.rsv == 0 and frame.opcode == 0 for frame in fast.frames[1:])
    assert fast.frame_stats == logged.frame_stats
    assert fast.octet_stats == logged.octet_stats
    assert fast.wire_octets == logged.wire_octets
    assert fast.wire_octets == sum(size * n for size, n in fast.octet_stats.items())
    assert fast.websocket_octets == logged.websocket_octets


# --- hostile answers: handshake failures, causal order, discarded frames, floods ---------


class Waiting(Quiet):
    """Connection events that record the end of the connection."""

    def __init__(self) -> None:
        self.lost = asyncio.get_running_loop().create_future()

    def on_lost(self) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def converse(
    answer: Callable[[bytes], bytes],
    *,
    open_timeout: float = 30.0,
    close_timeout: float = 0.2,
    hang_up: bool = False,
) -> Observation:
    """Connect a tester connection to a server that answers the request head with
    ``answer(head)`` (then closes TCP when ``hang_up``); return the record once TCP is
    gone."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(head))
        await writer.drain()
        if hang_up:
            writer.close()
            return
        with contextlib.suppress(ConnectionError):
            while await reader.read(2**16):
                pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    obs = Observation()
    events = Waiting()
    uri = parse_uri(f"ws://127.0.0.1:{port}/")
    timeouts = wire.WireTimeouts(open_timeout, close_timeout, close_timeout)
    await connect(uri, lambda: wire.TesterConnection(uri, obs, events, timeouts=timeouts))
    try:
        await asyncio.wait_for(events.lost, unit(10))
    finally:
        server.close()
        await server.wait_closed()
    return obs


def switching(head: bytes, *, accept: str | None = None) -> bytes:
    return accept_response(head, accept=accept)


def test_a_status_line_other_than_101_is_kept_as_the_handshake_failure() -> None:
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>hello</p>"
    obs = asyncio.run(converse(lambda head: answer, hang_up=True))
    assert not obs.opened
    assert obs.handshake_status == "HTTP/1.0 200 OK"
    assert (
        obs.handshake_failure
        == "the server answered 'HTTP/1.0 200 OK', not 101 Switching Protocols"
    )


def test_an_answer_that_is_not_http_fails_the_handshake_at_once() -> None:
    # The open timer is 30 s: the connection must end on the first bytes, not on it.
    obs = asyncio.run(converse(lambda head: b"\x00\xffgarbage\r\n\r\n"))
    assert not obs.opened and not obs.was_open_handshake_timeout
    assert obs.handshake_failure is not None
    assert obs.handshake_failure.startswith("the answer is not HTTP: b'\\x00\\xffgarbage")
    assert obs.was_not_clean_reason == f"opening handshake failed: {obs.handshake_failure}"


def test_a_status_line_that_is_not_one_fails_the_handshake_at_once() -> None:
    obs = asyncio.run(converse(lambda head: b"HTTP/x.y hello\r\nand more"))
    assert not obs.was_open_handshake_timeout
    assert obs.handshake_status == "HTTP/x.y hello"
    assert obs.handshake_failure == "the answer is not HTTP: status line b'HTTP/x.y hello'"


def test_a_prefix_of_a_status_line_is_waited_for() -> None:
    obs = asyncio.run(converse(lambda head: b"HTT", open_timeout=0.2))
    assert obs.was_open_handshake_timeout
    assert obs.handshake_failure == "the answer was incomplete after 0.2 s (3 bytes)"


def test_no_answer_is_a_timeout_failure() -> None:
    obs = asyncio.run(converse(lambda head: b"", open_timeout=0.2))
    assert obs.was_open_handshake_timeout
    assert obs.handshake_failure == "no answer within 0.2 s"


def test_a_wrong_accept_key_is_the_handshake_failure() -> None:
    wrong = "dGhlIHNhbXBsZSBub25jZQ=="
    obs = asyncio.run(converse(lambda head: switching(head, accept=wrong)))
    assert obs.handshake_status == "HTTP/1.1 101 Switching Protocols"
    assert obs.handshake_failure is not None and "Sec-WebSocket-Accept" in obs.handshake_failure


def test_the_frame_that_breaks_a_rule_is_logged_before_the_close_it_causes() -> None:
    bad = WireFrame(0x1, b"hello", rsv=2).encode()
    obs = asyncio.run(converse(lambda head: switching(head) + bad))
    assert obs.failed_by_me and obs.local_close_code == 1002
    kinds = [type(entry).__name__ for entry in obs.wirelog]
    rx = kinds.index("RxFrame")
    close = next(i for i, e in enumerate(obs.wirelog) if isinstance(e, TxFrame) and e.opcode == 0x8)
    assert rx < close, kinds
    assert obs.wirelog[rx] == RxFrame(5, b"hello", 0x1, True, 2, False, None)


def test_frames_after_the_tester_failed_are_counted_and_the_first_kept() -> None:
    frames = WireFrame(0x1, b"x", rsv=2).encode() + b"".join(
        WireFrame(0x2, bytes([i])).encode() for i in range(10)
    )
    obs = asyncio.run(converse(lambda head: switching(head) + frames))
    assert obs.local_close_code == 1002
    assert obs.received == []
    assert obs.discarded_frames == 11
    assert len(obs.discarded) == DISCARDED_KEEP
    assert obs.discarded[0] == RxFrame(1, b"x", 0x1, True, 2, False, None)
    assert [e.head for e in obs.discarded[1:]] == [bytes([i]) for i in range(4)]


def test_a_flood_of_frames_is_read_whole_and_logged_within_bounds() -> None:
    count = 100_000
    flood = (
        WireFrame(0x1, b"a", fin=False).encode() + WireFrame(0x0, b"", fin=False).encode() * count
    )
    obs = asyncio.run(converse(lambda head: switching(head) + flood, hang_up=True))
    assert obs.rx_frame_stats == {0x1: 1, 0x0: count}
    assert obs.traffic.incoming_websocket_frames == count + 1
    assert len(obs.wirelog) == WIRELOG_LIMIT and obs.wirelog_truncated
    rx_octets = sum(obs.rx_octet_stats.values())
    # Every read and every frame was either kept or counted as dropped.
    tx_octets = sum(obs.tx_octet_stats.values())
    assert len(obs.wirelog) + obs.wirelog_dropped == tx_octets + rx_octets + count + 1
