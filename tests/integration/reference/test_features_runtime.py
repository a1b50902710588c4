"""The connection behaviour of docs/reference.md over real sockets (sync API: test_sync.py).

Timeouts, keepalive, automatic pongs, the Python version, logging, resource limits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
import sys
import tomllib
import zlib

import pytest

from tests.timing import unit
from wsconform.reference import ConnectionClosedError, connect, serve
from wsconform.reference.asyncio.server import ServerConnection
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
)

from .helpers import echo, port_of, uri_of
from .raw import RawClient

ROOT = pathlib.Path(__file__).resolve().parents[3]

CLOSE, PING, PONG, TEXT, BINARY, CONT = 8, 9, 10, 1, 2, 0

# --- docs/reference.md "Connections": timeouts on recv -----------------------------


async def test_wait_for_recv_and_recv_timeout_leave_the_connection_usable() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            await asyncio.sleep(unit(0.1))  # answer late
            await ws.send(message)

    async with serve(handler, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:
        await ws.send("first")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), unit(0.01))
        # The late answer is not lost: the next recv returns it.
        assert await asyncio.wait_for(ws.recv(), unit(2)) == "first"
        await ws.send("second")
        with pytest.raises(TimeoutError):
            await ws.recv(timeout=unit(0.01))
        assert await ws.recv(timeout=unit(2)) == "second"


# --- docs/reference.md "Connections": keepalive pings ------------------------------


async def test_keepalive_pings_and_latency() -> None:
    async with (
        serve(echo, "127.0.0.1", 0) as server,
        connect(uri_of(server), ping_interval=unit(0.02), ping_timeout=unit(1)) as ws,
    ):
        await asyncio.sleep(unit(0.1))
        assert ws.latency > 0
        assert ws.state.name == "OPEN"


async def test_no_pong_within_ping_timeout_closes_with_1011() -> None:
    async with serve(echo, "127.0.0.1", 0, ping_interval=unit(0.02), ping_timeout=unit(0.05)) as s:
        raw = await RawClient.connect(port_of(s))
        opcode, payload, _ = await raw.recv_frame()
        assert opcode == PING  # ... that this client does not answer
        frames = []
        while opcode != CLOSE:
            opcode, payload, _ = await raw.recv_frame(unit(1))
            frames.append(opcode)
        assert int.from_bytes(payload[:2], "big") == 1011
        assert set(frames) <= {PING, CLOSE}
        await raw.close()


async def test_none_disables_keepalive() -> None:
    async with serve(echo, "127.0.0.1", 0, ping_interval=None) as server:
        raw = await RawClient.connect(port_of(server))
        with pytest.raises(TimeoutError):
            await raw.recv_frame(unit(0.1))
        await raw.close()
    for function in (serve, connect):
        defaults = function.__init__.__kwdefaults__
        assert defaults is not None
        assert (defaults["ping_interval"], defaults["ping_timeout"]) == (20, 20)


# --- docs/reference.md "Connections": automatic pongs (RFC 6455 section 5.5.2) -----


async def test_pings_answered_with_same_payload_also_inside_a_fragmented_message() -> None:
    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        raw = await RawClient.connect(port_of(server))
        raw.send_frame(PING, b"alone")
        assert await raw.recv_frame() == (PONG, b"alone", True)
        raw.send_frame(TEXT, b"frag", fin=False)
        raw.send_frame(PING, b"in the middle")
        assert await raw.recv_frame() == (PONG, b"in the middle", True)
        raw.send_frame(PING, b"")
        assert await raw.recv_frame() == (PONG, b"", True)
        raw.send_frame(CONT, b"mented", fin=True)
        assert await raw.recv_frame() == (TEXT, b"fragmented", True)
        await raw.close()


# --- docs/reference.md: Python 3.11 or later ---------------------------------------


def test_python_3_11_or_later() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert sys.version_info >= (3, 11)


# --- docs/reference.md "Logging" ---------------------------------------------------


async def test_debug_logs_every_frame_and_state_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="wsconform.reference"):
        async with (
            serve(echo, "127.0.0.1", 0) as server,
            connect(uri_of(server)) as ws,
        ):
            await ws.send("logged message")
            await ws.recv()
            await ws.close(4001, "done here")
    server_lines = [r.getMessage() for r in caplog.records if r.name.endswith(".server")]
    client_lines = [r.getMessage() for r in caplog.records if r.name.endswith(".client")]
    for lines in (server_lines, client_lines):
        assert any(line.startswith("> ") and "TEXT" in line for line in lines), lines
        assert any(line.startswith("< ") and "TEXT" in line for line in lines), lines
        assert any(line.startswith(("> ", "< ")) and "CLOSE" in line for line in lines)
        assert any("= connection is OPEN" in line for line in lines)
        assert any("= connection is CLOSED" in line and "4001" in line for line in lines)
    assert all(r.name.startswith("wsconform.reference") for r in caplog.records)


# --- docs/reference.md "Options": bounded buffers and waits ------------------------


async def test_max_size_default_1_mib_and_none() -> None:
    async with (
        serve(echo, "127.0.0.1", 0) as server,
        connect(uri_of(server), max_size=None) as ws,
    ):
        await ws.send(b"x" * 2**20)
        assert len(await ws.recv()) == 2**20
        await ws.send(os.urandom(2**20 + 1))
        with pytest.raises(ConnectionClosedError) as info:
            await asyncio.wait_for(ws.recv(), unit(2))
        assert info.value.code == 1009
    async with (
        serve(echo, "127.0.0.1", 0, max_size=None) as server,
        connect(uri_of(server), max_size=None) as ws,
    ):
        await ws.send(os.urandom(3 * 2**20))
        assert len(await ws.recv()) == 3 * 2**20


async def test_permessage_deflate_on_by_default_with_a_decompressed_size_limit() -> None:
    async with serve(echo, "127.0.0.1", 0, max_size=2**16) as server:
        async with connect(uri_of(server)) as ws:
            assert ws.response is not None
            assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
            # A bomb: 1 MiB of zeros is about 1 KiB compressed, within max_size on the
            # wire; once inflated it is over the limit.
            assert len(zlib.compress(bytes(2**20))) < 2**16
            await ws.send(bytes(2**20))
            with pytest.raises(ConnectionClosedError) as info:
                await asyncio.wait_for(ws.recv(), unit(2))
            assert info.value.code == 1009
        async with connect(uri_of(server), compression=None) as ws:
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
        deflate = ClientPerMessageDeflateFactory(client_no_context_takeover=True)
        async with connect(uri_of(server), extensions=[deflate], compression=None) as ws:
            assert ws.response is not None
            assert "client_no_context_takeover" in ws.response.headers["Sec-WebSocket-Extensions"]


async def test_max_queue_pauses_reading_and_write_limit_bounds_the_buffer() -> None:
    async def flood(ws: ServerConnection) -> None:
        for i in range(10):
            await ws.send(str(i))
        await ws.wait_closed()

    async with (
        serve(flood, "127.0.0.1", 0, write_limit=(8192, 1024)) as server,
        connect(uri_of(server), max_queue=(2, 0)) as ws,
    ):
        # Default write_limit: 32 KiB high, a quarter low; (low, high) from asyncio.
        assert ws.transport.get_write_buffer_limits() == (8192, 32768)
        await asyncio.sleep(unit(0.1))
        assert not ws.transport.is_reading()  # 2 messages queued: reading paused
        assert [await ws.recv() for _ in range(10)] == [str(i) for i in range(10)]
        conn = next(iter(server.connections))
        assert conn.transport.get_write_buffer_limits() == (1024, 8192)


async def test_open_timeout_and_close_timeout() -> None:
    async with serve(echo, "127.0.0.1", 0, open_timeout=unit(0.1)) as server:
        # A client that connects and never sends its request is dropped.
        raw = await RawClient.connect(port_of(server), handshake=False)
        async with asyncio.timeout(unit(2)):
            assert await raw.reader.read() == b""
        await raw.close()
    async with serve(echo, "127.0.0.1", 0) as server:
        # A peer that never answers the close frame: close() returns after close_timeout.
        raw = await RawClient.connect(port_of(server))
        conn = next(iter(server.connections))
        conn.close_timeout = unit(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(conn.close(), unit(2))
        assert unit(0.1) <= loop.time() - started < unit(1)
        await raw.close()
