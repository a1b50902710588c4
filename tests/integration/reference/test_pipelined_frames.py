"""Frames a client sends in the same write as its upgrade request (both front ends).

RFC 6455 section 4.1 asks a client to wait for the 101, but a server reads a TCP
stream: the frames after the request are read once the 101 is out, at once (not with
the next read, which may never come), in order, and past the message queue's bound
(the handler that empties the queue only starts after the handshake).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.timing import unit
from wsconform.cases.families.handshake_server import masked_text_frame
from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.asyncio.server import ServerConnection as AsyncConnection
from wsconform.reference.asyncio.server import serve as serve_asyncio
from wsconform.reference.protocol.exceptions import ConnectionClosed
from wsconform.reference.sync.server import ServerConnection as SyncConnection
from wsconform.reference.sync.server import serve as serve_sync

#: More messages than the default message queue holds (16).
COUNT = 40
REQUEST = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@contextlib.contextmanager
def _sync_server() -> Iterator[int]:
    def echo(ws: SyncConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for message in ws:
                ws.send(message)

    with serve_sync(echo, "127.0.0.1", 0, ping_interval=None, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()
            thread.join(unit(10))


@contextlib.contextmanager
def _asyncio_server() -> Iterator[int]:
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[int] = loop.create_future()
    stop = asyncio.Event()

    async def echo(ws: AsyncConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                await ws.send(message)

    async def main() -> None:
        async with serve_asyncio(
            echo, "127.0.0.1", 0, ping_interval=None, compression=None
        ) as server:
            ready.set_result(server.sockets[0].getsockname()[1])
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(asyncio.wait_for(ready, 10), loop).result(10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(unit(10))
        loop.close()


SERVERS = {"asyncio": _asyncio_server, "sync": _sync_server}


@pytest.mark.parametrize("api", sorted(SERVERS))
def test_frames_with_the_request_are_echoed_in_order(api: str) -> None:
    payloads = [f"message {n}".encode() for n in range(COUNT)]
    with SERVERS[api]() as port, socket.create_connection(("127.0.0.1", port), unit(5)) as sock:
        sock.sendall(REQUEST + b"".join(masked_text_frame(p) for p in payloads))
        sock.settimeout(unit(5))
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        parser = WireParser(max_length=1024)
        parser.feed(rest)
        echoed: list[bytes] = []
        while len(echoed) < COUNT:
            frame = parser.next_frame()
            if frame is not None:
                echoed.append(bytes(frame.payload))
                continue
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(echoed)} echoes"
            parser.feed(chunk)
        assert echoed == payloads


@pytest.mark.parametrize("api", sorted(SERVERS))
def test_a_bad_frame_with_the_request_fails_the_connection_after_the_echo(api: str) -> None:
    # A text message, then a frame with the reserved opcode 0x3 (RFC 6455 section 5.2:
    # "MUST _Fail the WebSocket Connection_"), both in the write of the request: the
    # message is echoed, then the server fails with 1002 on its own, without waiting for
    # more bytes from the client (which sends none and keeps its side open).
    bad = bytes([0x83, 0x80]) + b"\x00\x00\x00\x00"
    with SERVERS[api]() as port, socket.create_connection(("127.0.0.1", port), unit(5)) as sock:
        sock.sendall(REQUEST + masked_text_frame(b"before") + bad)
        sock.settimeout(unit(5))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        parser = WireParser(max_length=1024)
        parser.feed(rest)
        frames: list[WireFrame] = []
        while len(frames) < 2:
            frame = parser.next_frame()
            if frame is not None:
                frames.append(frame)
                continue
            chunk = sock.recv(65536)  # a timeout here: the failure never came
            assert chunk, f"closed after {frames}"
            parser.feed(chunk)
        echo, close = frames
        assert (echo.opcode, bytes(echo.payload)) == (0x1, b"before")
        assert close.opcode == 0x8
        assert int.from_bytes(bytes(close.payload)[:2], "big") == 1002
