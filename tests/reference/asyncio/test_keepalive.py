"""Keepalive (the Connection's mixin): pings, pongs, keepalive timers; no sockets."""

from __future__ import annotations

import asyncio

import pytest

from tests.timing import unit
from wsconform.reference.protocol.exceptions import ConcurrencyError, ConnectionClosedError
from wsconform.reference.protocol.frames import CLOSE, PING, PONG

from .fakes import make_pair


async def test_ping_resolves_on_matching_pong_and_earlier_pings() -> None:
    pair = make_pair()
    first = await pair.connection.ping(b"1")
    second = await pair.connection.ping("2")
    third = await pair.connection.ping()
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames[:2]] == [(PING, b"1"), (PING, b"2")]
    assert frames[2].opcode is PING and len(frames[2].data) == 4
    pair.peer.data_to_send()  # drop the peer's automatic pongs: answer only "2"
    pair.peer.send_pong(b"2")
    pair.deliver()
    assert first.done() and second.done() and not asyncio.ensure_future(third).done()
    assert await second >= 0
    assert pair.connection.latency == await second


async def test_ping_with_payload_already_waiting_raises() -> None:
    pair = make_pair()
    await pair.connection.ping(b"same")
    with pytest.raises(ConcurrencyError):
        await pair.connection.ping(b"same")


async def test_unsolicited_pong_is_ignored_and_pong_sends() -> None:
    pair = make_pair()
    pair.peer.send_pong(b"nobody asked")
    pair.deliver()
    await pair.connection.pong(b"beat")
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [(PONG, b"beat")]


async def test_ping_in_fragmented_message_is_answered() -> None:
    pair = make_pair()
    pair.peer.send_text(b"a", fin=False)
    pair.peer.send_ping(b"mid")
    pair.peer.send_continuation(b"b", fin=True)
    pair.deliver()
    assert [(f.opcode, f.data) for f in pair.received()] == [(PONG, b"mid")]
    assert await pair.connection.recv() == "ab"


async def test_keepalive_ping_and_timeout() -> None:
    pair = make_pair(ping_interval=unit(0.01), ping_timeout=unit(0.02))
    pair.connection._start_keepalive()
    await asyncio.sleep(unit(0.015))
    frames = pair.received()
    assert frames and frames[0].opcode is PING
    # Answer that ping: latency set; then stop answering: the connection fails with 1011.
    pair.deliver()  # the peer core's automatic pong
    assert pair.connection.latency > 0
    await asyncio.sleep(unit(0.1))
    frames = pair.received()
    closes = [f for f in frames if f.opcode is CLOSE]
    assert closes and closes[0].data[:2] == (1011).to_bytes(2, "big")


async def test_keepalive_disabled() -> None:
    pair = make_pair(ping_interval=None)
    pair.connection._start_keepalive()
    await asyncio.sleep(unit(0.02))
    assert pair.received() == []


async def test_pending_ping_fails_when_connection_is_lost() -> None:
    pair = make_pair()
    waiter = await pair.connection.ping()
    pair.transport.lose(None)
    with pytest.raises(ConnectionClosedError):
        await waiter
