"""broadcast: encode once, write to every open connection, skip the slow ones."""

from __future__ import annotations

import logging

import pytest

from wsconform.reference.asyncio.broadcast import broadcast
from wsconform.reference.protocol.frames import BINARY, TEXT

from .fakes import make_pair


async def test_broadcast_to_every_open_connection() -> None:
    pairs = [make_pair() for _ in range(3)]
    assert broadcast([p.connection for p in pairs], "news") == 3
    assert broadcast({p.connection for p in pairs}, b"\x00") == 3
    for pair in pairs:
        assert [(f.opcode, f.data) for f in pair.received()] == [(TEXT, b"news"), (BINARY, b"\x00")]


async def test_broadcast_skips_slow_and_closed_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fast, slow, closed = make_pair(), make_pair(), make_pair()
    slow.connection.pause_writing()  # the write buffer went above write_limit
    closed.transport.lose(None)
    with caplog.at_level(logging.WARNING):
        assert broadcast([fast.connection, slow.connection, closed.connection], "x") == 1
    assert "slow client" in caplog.text
    assert [f.data for f in fast.received()] == [b"x"]
    assert slow.received() == []


async def test_broadcast_raise_exceptions() -> None:
    fast, slow = make_pair(), make_pair()
    slow.connection.pause_writing()
    with pytest.raises(ExceptionGroup) as info:
        broadcast([fast.connection, slow.connection], "x", raise_exceptions=True)
    assert len(info.value.exceptions) == 1
    assert [f.data for f in fast.received()] == [b"x"]  # the others were still served


async def test_broadcast_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        broadcast([], 42)  # type: ignore[arg-type]
