"""Servers that get the opening handshake wrong, for the ``hs`` family's tests.

Each is the reference asyncio echo server with one hook changed, on real sockets
(:func:`serving`), or a bare TCP listener (:func:`never_answering`):

* :func:`unoffered_subprotocol`: every 101 names a subprotocol nobody offered
  (RFC 6455 section 4.2.2: "The value chosen MUST be derived from the client's
  handshake");
* :func:`larger_window_bits`: an accepted permessage-deflate offer is answered with
  ``server_max_window_bits=15`` whatever the offer asked (RFC 7692 section 7.1.2.1:
  "the same or smaller value as the offer");
* :func:`never_answering`: reads the request and never answers, so a case must end on
  the tester's own timer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from wsconform.reference.asyncio.server import ServerConnection, serve
from wsconform.reference.protocol.exceptions import ConnectionClosed
from wsconform.reference.protocol.http import Request, Response

__all__ = [
    "UNOFFERED",
    "larger_window_bits",
    "never_answering",
    "serving",
    "unoffered_subprotocol",
]

#: The subprotocol :func:`unoffered_subprotocol` names.
UNOFFERED = "nobody-offered-this"

ProcessResponse = Callable[[ServerConnection, Request, Response], Response | None]


async def _echo(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in ws:
            await ws.send(message)


def unoffered_subprotocol(
    connection: ServerConnection, request: Request, response: Response
) -> Response | None:
    """Name :data:`UNOFFERED` in every 101."""
    if response.status_code == 101:
        response.headers["Sec-WebSocket-Protocol"] = UNOFFERED
    return None


def larger_window_bits(
    connection: ServerConnection, request: Request, response: Response
) -> Response | None:
    """Answer an accepted permessage-deflate offer with ``server_max_window_bits=15``.

    Only the header changes: the server still compresses as it negotiated, so the
    window it uses is within the offer and only the answer breaks the rule.
    """
    value = response.headers.get("Sec-WebSocket-Extensions")
    if response.status_code == 101 and value is not None and "permessage-deflate" in value:
        kept = [p.strip() for p in value.split(";") if "server_max_window_bits" not in p]
        del response.headers["Sec-WebSocket-Extensions"]
        response.headers["Sec-WebSocket-Extensions"] = "; ".join(
            [*kept, "server_max_window_bits=15"]
        )
    return None


@contextlib.asynccontextmanager
async def serving(
    process_response: ProcessResponse | None = None, **options: object
) -> AsyncIterator[str]:
    """The reference echo server on a free port of 127.0.0.1, with ``process_response``;
    yields its URL."""
    async with serve(
        _echo, "127.0.0.1", 0, process_response=process_response, ping_interval=None,
        **options,  # type: ignore[arg-type]
    ) as server:  # fmt: skip
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


class _Deaf(asyncio.Protocol):
    """Reads whatever comes and never writes; keeps its transport in ``open``."""

    def __init__(self, open_transports: set[asyncio.Transport]) -> None:
        self.open = open_transports
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.open.add(transport)

    def data_received(self, data: bytes) -> None:
        """Ignore it."""

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.open.discard(self.transport)


@contextlib.asynccontextmanager
async def never_answering() -> AsyncIterator[str]:
    """A TCP listener that reads requests and never answers; yields its URL."""
    loop = asyncio.get_running_loop()
    transports: set[asyncio.Transport] = set()
    server = await loop.create_server(lambda: _Deaf(transports), "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        for transport in list(transports):
            transport.abort()
        await server.wait_closed()
