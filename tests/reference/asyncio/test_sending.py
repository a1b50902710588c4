"""Sending (the Connection's mixin): messages, fragmented messages, the drain; no sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.timing import unit
from wsconform.reference.protocol.connection import OPEN
from wsconform.reference.protocol.exceptions import ConnectionClosedError
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, TEXT

from .fakes import make_pair


async def test_send_text_and_binary() -> None:
    pair = make_pair()
    await pair.connection.send("hé")
    await pair.connection.send(b"\x01")
    await pair.connection.send(bytearray(b"\x02"))
    await pair.connection.send(memoryview(b"\x03"))
    await pair.connection.send(b"as text", text=True)
    await pair.connection.send("as binary", text=False)
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [
        (TEXT, "hé".encode()),
        (BINARY, b"\x01"),
        (BINARY, b"\x02"),
        (BINARY, b"\x03"),
        (TEXT, b"as text"),
        (BINARY, b"as binary"),
    ]


async def test_send_iterable_sends_one_fragmented_message() -> None:
    pair = make_pair()
    await pair.connection.send(["ab", "c", "d"])
    await pair.connection.send([b"x", bytearray(b"y")])
    await pair.connection.send([])  # nothing
    frames = pair.received()
    assert [(f.opcode, f.data, f.fin) for f in frames] == [
        (TEXT, b"ab", False),
        (CONT, b"c", False),
        (CONT, b"d", True),
        (BINARY, b"x", False),
        (CONT, b"y", True),
    ]


async def test_send_async_iterable() -> None:
    async def fragments() -> AsyncIterator[str]:
        for part in ("a", "b"):
            await asyncio.sleep(0)
            yield part

    pair = make_pair()
    await pair.connection.send(fragments())
    frames = pair.received()
    assert [(f.opcode, f.data, f.fin) for f in frames] == [(TEXT, b"a", False), (CONT, b"b", True)]


async def test_send_mixed_fragments_fails_the_connection() -> None:
    pair = make_pair()
    with pytest.raises(TypeError):
        await pair.connection.send(["a", b"b"])
    frames = pair.received()
    assert frames[0].opcode is TEXT and not frames[0].fin
    assert frames[-1].opcode is CLOSE and frames[-1].data[:2] == (1011).to_bytes(2, "big")
    assert pair.connection.state is not OPEN


async def test_send_rejects_other_types() -> None:
    pair = make_pair()
    with pytest.raises(TypeError):
        await pair.connection.send({"a": "b"})
    with pytest.raises(TypeError):
        await pair.connection.send(42)  # type: ignore[arg-type]


async def test_send_waits_for_a_fragmented_send_in_progress() -> None:
    pair = make_pair()
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"1"
        await release.wait()
        yield b"2"

    fragmented = asyncio.create_task(pair.connection.send(slow()))
    await asyncio.sleep(0)
    single = asyncio.create_task(pair.connection.send(b"other"))
    await asyncio.sleep(0)
    assert not single.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(fragmented, single), unit(1))
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [
        (BINARY, b"1"),
        (CONT, b"2"),
        (BINARY, b"other"),
    ]


async def test_send_waits_for_drain() -> None:
    pair = make_pair()
    pair.connection.pause_writing()
    task = asyncio.create_task(pair.connection.send(b"x"))
    await asyncio.sleep(0)
    assert not task.done()
    pair.connection.resume_writing()
    await asyncio.wait_for(task, unit(1))


async def test_send_waiting_for_drain_raises_when_connection_is_lost() -> None:
    pair = make_pair()
    pair.connection.pause_writing()
    task = asyncio.create_task(pair.connection.send(b"x"))
    await asyncio.sleep(0)
    pair.transport.lose(ConnectionResetError())
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(task, unit(1))
