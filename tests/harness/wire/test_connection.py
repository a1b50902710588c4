"""TesterConnection's message sender: the logged and the unlogged path agree.

Sections 12 and 13 send their messages with the wire log off, through a faster path;
what reaches the peer (frames, once unmasked) and what the report counts (frames by
opcode, writes by size, wire octets) must not depend on the path. Over a real socket
to a server that records every byte.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random

import pytest

from tests.timing import unit
from wsconform.harness.report.observation import Observation
from wsconform.harness.wire import connection as wire
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.uri import parse_uri
from wsconform.reference.protocol.wire import WireFrame, WireParser


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
    conn.state = wire.OPEN
    if deflate:
        conn.deflate = PerMessageDeflate(False, False, 15, 15, {"level": 1})
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
