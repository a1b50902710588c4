"""Interop with the ``websockets`` library over real sockets, in both directions.

Our client against its server and its client against our server: text, binary, 1 MiB,
fragmented messages, ping/pong, close codes and reasons, permessage-deflate with each
parameter, subprotocols, and TLS with a certificate made at test time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trustme
import websockets.asyncio.client as their_client
import websockets.asyncio.server as their_server
from websockets.extensions import permessage_deflate as their_deflate

from tests.timing import unit
from wsconform.reference import connect, serve
from wsconform.reference.asyncio.server import ServerConnection
from wsconform.reference.protocol.extensions import permessage_deflate as our_deflate

from .helpers import port_of

TEXT = "interop ✓ " * 20
BINARY = bytes(range(256)) * 4
MEBIBYTE = bytes(2**20)

# Each row: what the client offers / the server configures, and what the response must
# then say. Window bits of 10 make both compressors use a smaller window.
DEFLATE_PARAMETERS = [
    ({"server_no_context_takeover": True}, "server_no_context_takeover"),
    ({"client_no_context_takeover": True}, "client_no_context_takeover"),
    ({"server_max_window_bits": 10}, "server_max_window_bits=10"),
    ({"client_max_window_bits": 10}, "client_max_window_bits=10"),
]


async def _echo_any(ws: Any) -> None:
    """An echo handler for either library's server connection."""
    with contextlib.suppress(Exception):
        async for message in ws:
            await ws.send(message)


@contextlib.asynccontextmanager
async def their_echo_server(**kwargs: Any) -> AsyncIterator[str]:
    async with their_server.serve(_echo_any, "127.0.0.1", 0, **kwargs) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        scheme = "wss" if kwargs.get("ssl") else "ws"
        yield f"{scheme}://127.0.0.1:{port}/"


@contextlib.asynccontextmanager
async def our_echo_server(**kwargs: Any) -> AsyncIterator[str]:
    async with serve(_echo_any, "127.0.0.1", 0, **kwargs) as server:
        scheme = "wss" if kwargs.get("ssl") else "ws"
        yield f"{scheme}://127.0.0.1:{port_of(server)}/"


def their_connect(uri: str, **kwargs: Any) -> Any:
    return their_client.connect(uri, proxy=None, **kwargs)


# Directions: (name, server context manager factory, client connect function).
DIRECTIONS: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("ours->theirs", their_echo_server, connect),
    ("theirs->ours", our_echo_server, their_connect),
]
direction = pytest.mark.parametrize(
    ("server_factory", "client_connect"),
    [(s, c) for _, s, c in DIRECTIONS],
    ids=[name for name, _, _ in DIRECTIONS],
)


@direction
@pytest.mark.parametrize("compression", ["deflate", None])
async def test_messages_round_trip(
    server_factory: Callable[..., Any], client_connect: Callable[..., Any], compression: str | None
) -> None:
    async with (
        server_factory(compression=compression) as uri,
        client_connect(uri, compression=compression) as ws,
    ):
        for message in (TEXT, BINARY, "", b"", MEBIBYTE, "é" * 2**18):
            await ws.send(message)
            assert await asyncio.wait_for(ws.recv(), unit(3)) == message


@direction
async def test_fragmented_messages(
    server_factory: Callable[..., Any], client_connect: Callable[..., Any]
) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"as", b"ync", b""):
            yield part

    async with server_factory() as uri, client_connect(uri) as ws:
        await ws.send(["frag", "mented ", "text ✓"])
        assert await asyncio.wait_for(ws.recv(), unit(2)) == "fragmented text ✓"
        await ws.send([b"\x00", b"\x01" * 70000, b"\x02"])
        assert await asyncio.wait_for(ws.recv(), unit(2)) == b"\x00" + b"\x01" * 70000 + b"\x02"
        await ws.send(parts())
        assert await asyncio.wait_for(ws.recv(), unit(2)) == b"async"


@direction
async def test_ping_pong(
    server_factory: Callable[..., Any], client_connect: Callable[..., Any]
) -> None:
    async with server_factory() as uri, client_connect(uri) as ws:
        waiter = await ws.ping(b"payload")
        latency = await asyncio.wait_for(waiter, unit(2))
        assert latency >= 0
        waiter = await ws.ping()
        await asyncio.wait_for(waiter, unit(2))
        await ws.pong(b"unsolicited")  # ignored by the peer
        await ws.send("still open")
        assert await asyncio.wait_for(ws.recv(), unit(2)) == "still open"


@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (1001, "going"), (4000, "custom ✓")])
async def test_close_codes_our_client_their_server(code: int, reason: str) -> None:
    seen: asyncio.Future[tuple[int | None, str | None]] = asyncio.get_running_loop().create_future()

    async def handler(ws: Any) -> None:
        await ws.wait_closed()
        seen.set_result((ws.close_code, ws.close_reason))

    async with their_server.serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/") as ws:
            await ws.close(code, reason)
            assert ws.close_code == code  # the server echoed the code
        assert await asyncio.wait_for(seen, unit(2)) == (code, reason)


@pytest.mark.parametrize(("code", "reason"), [(1000, ""), (1001, "going"), (4000, "custom ✓")])
async def test_close_codes_their_client_our_server(code: int, reason: str) -> None:
    seen: asyncio.Future[tuple[int | None, str | None]] = asyncio.get_running_loop().create_future()

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()
        seen.set_result((ws.close_code, ws.close_reason))

    async with serve(handler, "127.0.0.1", 0) as server:
        async with their_connect(f"ws://127.0.0.1:{port_of(server)}/") as ws:
            await ws.close(code, reason)
            assert ws.close_code == code
        assert await asyncio.wait_for(seen, unit(2)) == (code, reason)


@pytest.mark.parametrize(("code", "reason"), [(1001, "shutting down"), (4999, "app")])
async def test_server_initiated_close_both_ways(code: int, reason: str) -> None:
    async def our_handler(ws: ServerConnection) -> None:
        await ws.close(code, reason)

    async def their_handler(ws: Any) -> None:
        await ws.close(code, reason)

    async with (
        serve(our_handler, "127.0.0.1", 0) as server,
        their_connect(f"ws://127.0.0.1:{port_of(server)}/") as ws,
    ):
        await asyncio.wait_for(ws.wait_closed(), unit(2))
        assert (ws.close_code, ws.close_reason) == (code, reason)
    async with their_server.serve(their_handler, "127.0.0.1", 0) as theirs:
        port = next(iter(theirs.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/") as ours:
            await asyncio.wait_for(ours.wait_closed(), unit(2))
            assert (ours.close_code, ours.close_reason) == (code, reason)


@pytest.mark.parametrize(("params", "expected"), DEFLATE_PARAMETERS)
async def test_deflate_parameter_our_client_their_server(
    params: dict[str, Any], expected: str
) -> None:
    # Offered by our client, accepted by theirs.
    offer = our_deflate.ClientPerMessageDeflateFactory(**params)
    async with (
        their_echo_server() as uri,
        connect(uri, extensions=[offer], compression=None) as ws,
    ):
        assert ws.response is not None
        assert expected in ws.response.headers["Sec-WebSocket-Extensions"]
        for _ in range(3):
            await ws.send(TEXT)
            assert await asyncio.wait_for(ws.recv(), unit(2)) == TEXT
    # Required by their server from our default client.
    config = their_deflate.ServerPerMessageDeflateFactory(**params)
    async with (
        their_echo_server(extensions=[config], compression=None) as uri,
        connect(uri) as ws,
    ):
        assert ws.response is not None
        assert expected in ws.response.headers["Sec-WebSocket-Extensions"]
        for _ in range(3):
            await ws.send(TEXT)
            assert await asyncio.wait_for(ws.recv(), unit(2)) == TEXT


@pytest.mark.parametrize(("params", "expected"), DEFLATE_PARAMETERS)
async def test_deflate_parameter_their_client_our_server(
    params: dict[str, Any], expected: str
) -> None:
    # Offered by their client, accepted by our server.
    offer = their_deflate.ClientPerMessageDeflateFactory(**params)
    async with (
        our_echo_server() as uri,
        their_connect(uri, extensions=[offer], compression=None) as ws,
    ):
        assert expected in ws.response.headers["Sec-WebSocket-Extensions"]
        for _ in range(3):
            await ws.send(TEXT)
            assert await asyncio.wait_for(ws.recv(), unit(2)) == TEXT
    # Required by our server from their default client (which offers
    # client_max_window_bits, so a window size can be asked of it).
    config = our_deflate.ServerPerMessageDeflateFactory(**params)
    async with (
        our_echo_server(extensions=[config], compression=None) as uri,
        their_connect(uri) as ws,
    ):
        assert expected in ws.response.headers["Sec-WebSocket-Extensions"]
        for _ in range(3):
            await ws.send(TEXT)
            assert await asyncio.wait_for(ws.recv(), unit(2)) == TEXT


async def test_subprotocols_both_ways() -> None:
    async def report(ws: Any) -> None:
        await ws.send(str(ws.subprotocol))

    supported: list[Any] = ["chat", "v2"]  # websockets types them as Subprotocol
    async with their_server.serve(report, "127.0.0.1", 0, subprotocols=supported) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}/", subprotocols=["v2", "other"]) as ws:
            assert ws.subprotocol == "v2"
            assert await asyncio.wait_for(ws.recv(), unit(2)) == "v2"
    async with serve(report, "127.0.0.1", 0, subprotocols=["chat", "v2"]) as server:
        uri = f"ws://127.0.0.1:{port_of(server)}/"
        async with their_connect(uri, subprotocols=["v2", "chat"]) as ws:
            assert ws.subprotocol == "v2"  # the first of the client's that is supported
            assert await asyncio.wait_for(ws.recv(), unit(2)) == "v2"
        async with their_connect(uri, subprotocols=["none-of-these"]) as ws:
            assert ws.subprotocol is None
            assert await asyncio.wait_for(ws.recv(), unit(2)) == "None"


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 and a client trusting its CA."""
    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@direction
async def test_tls(
    server_factory: Callable[..., Any],
    client_connect: Callable[..., Any],
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = tls
    async with server_factory(ssl=server_context) as uri:
        assert uri.startswith("wss://")
        async with client_connect(uri, ssl=client_context) as ws:
            await ws.send(TEXT)
            assert await asyncio.wait_for(ws.recv(), unit(2)) == TEXT
            await ws.send(MEBIBYTE)
            assert await asyncio.wait_for(ws.recv(), unit(3)) == MEBIBYTE
