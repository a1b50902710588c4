"""Both reference front ends as echo servers in a thread, for raw-socket tests.

Each context manager serves on 127.0.0.1 with a free port and yields the port; extra
keyword arguments go to the front end's ``serve`` (``close_timeout``, ...).
``closed``, when given, is set once a connection has finished its closing (the handler
waits for it after the echo loop).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from tests.peers.running import in_thread
from tests.timing import unit
from wsconform.reference.asyncio.server import ServerConnection as AsyncConnection
from wsconform.reference.asyncio.server import serve as serve_asyncio
from wsconform.reference.protocol.exceptions import ConnectionClosed
from wsconform.reference.sync.server import ServerConnection as SyncConnection
from wsconform.reference.sync.server import serve as serve_sync

__all__ = ["REQUEST", "SERVERS", "asyncio_server", "sync_server"]

#: A client's upgrade request, as written on the wire (RFC 6455 section 4.1).
REQUEST = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@contextlib.contextmanager
def sync_server(closed: threading.Event | None = None, **options: Any) -> Iterator[int]:
    def echo(ws: SyncConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for message in ws:
                ws.send(message)
        if closed is not None and ws.wait_closed(unit(60)):
            closed.set()

    with serve_sync(
        echo, "127.0.0.1", 0, ping_interval=None, compression=None, **options
    ) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()
            thread.join(unit(10))


@contextlib.contextmanager
def asyncio_server(closed: threading.Event | None = None, **options: Any) -> Iterator[int]:
    async def echo(ws: AsyncConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                await ws.send(message)
        if closed is not None:
            await ws.wait_closed()
            closed.set()

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[str]:
        async with serve_asyncio(
            echo, "127.0.0.1", 0, ping_interval=None, compression=None, **options
        ) as server:
            yield str(server.sockets[0].getsockname()[1])

    with in_thread(serving) as port:
        yield int(port)


SERVERS: dict[str, Callable[..., contextlib.AbstractContextManager[int]]] = {
    "asyncio": asyncio_server,
    "sync": sync_server,
}
