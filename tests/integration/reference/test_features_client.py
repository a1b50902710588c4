"""The client side of docs/reference.md over real sockets: clients, TLS, tasks, broadcast."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import pathlib
import socket
import ssl
import tomllib
from http import HTTPStatus
from typing import Any

import pytest
import trustme

from tests.timing import unit
from wsconform.reference import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
    Request,
    Response,
    broadcast,
    connect,
    serve,
)
from wsconform.reference.asyncio.client import ClientConnection, process_exception
from wsconform.reference.asyncio.connection import Connection
from wsconform.reference.asyncio.server import ServerConnection

from .helpers import DOCS, echo, port_of, uri_of
from .raw import RawClient

ROOT = pathlib.Path(__file__).resolve().parents[3]

# --- docs/reference.md "Clients": closed on exit, also on error --------------------


async def test_async_with_closes_cleanly_also_on_error() -> None:
    codes: list[int | None] = []

    async def handler(ws: ServerConnection) -> None:
        try:
            await echo(ws)
        finally:
            codes.append(ws.close_code)

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(uri_of(server)) as ws:
            await ws.send("x")
            await ws.recv()
        assert ws.state.name == "CLOSED"
        with pytest.raises(ZeroDivisionError):
            async with connect(uri_of(server)) as failing:
                1 / 0  # noqa: B018
        assert failing.state.name == "CLOSED"
        for _ in range(100):
            if len(codes) == 2:
                break
            await asyncio.sleep(unit(0.01))
    assert codes == [1000, 1000]


# --- docs/reference.md "Reconnecting" ----------------------------------------------


async def test_async_for_reconnects_after_a_drop() -> None:
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        if connections == 1:
            ws.transport.abort()  # the network drops the first connection
            return
        await ws.send("welcome back")
        await ws.wait_closed()

    dropped = 0
    async with serve(handler, "127.0.0.1", 0) as server:
        async for ws in connect(uri_of(server), backoff_initial_delay=unit(0.01)):
            try:
                message = await asyncio.wait_for(ws.recv(), unit(2))
            except ConnectionClosedError:
                dropped += 1
                continue
            assert message == "welcome back"
            break
    assert (dropped, connections) == (1, 2)


async def test_backoff_grows_between_failed_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    loop = asyncio.get_running_loop()
    failures: list[float] = []

    def policy(exc: Exception) -> Exception | None:
        failures.append(loop.time())
        return process_exception(exc)

    async def start_later() -> Any:
        await asyncio.sleep(unit(0.5))
        return await serve(echo, "127.0.0.1", port)

    starting = asyncio.create_task(start_later())
    async for ws in connect(
        f"ws://127.0.0.1:{port}/",
        process_exception=policy,
        backoff_initial_delay=unit(0.04),
        backoff_factor=2,
    ):
        await ws.send("up")
        assert await ws.recv() == "up"
        break
    server = await starting
    server.close()
    await server.wait_closed()
    gaps = [b - a for a, b in itertools.pairwise(failures)]
    assert len(gaps) >= 2
    for n, gap in enumerate(gaps):
        # Delay n is drawn in [d/2, d] with d = 0.04 * 2**n (plus a failed connect).
        assert gap >= unit(0.04) * 2**n / 2 * 0.9


async def test_fatal_handshake_error_stops_the_loop() -> None:
    attempts = 0

    def forbid(connection: ServerConnection, request: Request) -> Response:
        nonlocal attempts
        attempts += 1
        return connection.respond(HTTPStatus.FORBIDDEN, "no\n")

    async with serve(echo, "127.0.0.1", 0, process_request=forbid) as server:
        with pytest.raises(InvalidStatus) as info:
            async for _ in connect(uri_of(server), backoff_initial_delay=unit(0.01)):
                pytest.fail("connected")
    assert info.value.response.status_code == 403
    assert attempts == 1


async def test_server_error_is_retried() -> None:
    attempts = 0

    def flaky(connection: ServerConnection, request: Request) -> Response | None:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "later\n")
        return None

    async with serve(echo, "127.0.0.1", 0, process_request=flaky) as server:
        async for ws in connect(uri_of(server), backoff_initial_delay=unit(0.01)):
            await ws.send("finally")
            assert await ws.recv() == "finally"
            break
    assert attempts == 3


# --- docs/reference.md "TLS" -------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


def _server_context(ca: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


async def test_tls_with_verification(ca: Any) -> None:
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    async with (
        serve(echo, "127.0.0.1", 0, ssl=_server_context(ca)) as server,
        connect(uri_of(server, scheme="wss"), ssl=client_context) as ws,
    ):
        assert ws.transport.get_extra_info("ssl_object") is not None
        await ws.send("secret")
        assert await ws.recv() == "secret"


async def test_wss_uses_tls_by_default_and_verification_can_be_turned_off(
    ca: Any,
) -> None:
    async with serve(echo, "127.0.0.1", 0, ssl=_server_context(ca)) as server:
        # Default context: TLS is used and the test CA is not trusted.
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(uri_of(server, scheme="wss"))
        unverified = ssl.create_default_context()
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        async with connect(uri_of(server, scheme="wss"), ssl=unverified) as ws:
            await ws.send("not verified")
            assert await ws.recv() == "not verified"


# --- docs/reference.md "Connections": recv and send from two tasks -----------------


async def test_recv_and_send_from_different_tasks() -> None:
    async with serve(echo, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:

        async def writer() -> None:
            for i in range(50):
                await ws.send(str(i))

        async def reader() -> list[str]:
            return [str(await ws.recv()) for _ in range(50)]

        _, received = await asyncio.wait_for(asyncio.gather(writer(), reader()), unit(3))
        assert received == [str(i) for i in range(50)]


async def test_second_concurrent_recv_raises_a_clear_error() -> None:
    async with serve(echo, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:
        first = asyncio.create_task(ws.recv())
        await asyncio.sleep(0)
        with pytest.raises(ConcurrencyError, match="already waiting"):
            await ws.recv()
        await ws.send("for the first")
        assert await asyncio.wait_for(first, unit(2)) == "for the first"


# --- docs/reference.md "Broadcasting and channels" ---------------------------------


async def test_broadcast_skips_a_slow_client_without_blocking_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscribers: set[Connection] = set()
    joined = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        if ws.request.path == "/slow":
            sock = ws.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        subscribers.add(ws)
        if len(subscribers) == 4:
            joined.set()
        try:
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    count, size = 60, 8192
    async with serve(handler, "127.0.0.1", 0, compression=None, write_limit=4096) as server:
        # The slow client never reads: a raw socket with a small receive buffer.
        slow_sock = socket.socket()
        slow_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow_sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(slow_sock, ("127.0.0.1", port_of(server)))
        reader, writer = await asyncio.open_connection(sock=slow_sock)
        slow = RawClient(reader, writer)
        await slow.handshake("/slow")
        fast = [await connect(uri_of(server), max_size=None) for _ in range(3)]
        await asyncio.wait_for(joined.wait(), unit(2))

        async def consume(ws: ClientConnection) -> int:
            return sum([len(await ws.recv()) > 0 for _ in range(count)])

        consumers = [asyncio.create_task(consume(ws)) for ws in fast]
        delivered = []
        with caplog.at_level(logging.WARNING, logger="wsconform.reference"):
            for i in range(count):
                delivered.append(broadcast(subscribers, bytes([i % 256]) * size))
                await asyncio.sleep(0)
        assert await asyncio.wait_for(asyncio.gather(*consumers), unit(5)) == [count] * 3
        assert min(delivered) == 3 and max(delivered) == 4  # the slow one was skipped
        assert "skipped broadcast" in caplog.text
        for ws in fast:
            await ws.close()
        await slow.close()


def test_docs_show_the_in_memory_channels_pattern() -> None:
    text = DOCS.read_text()
    assert "channels[channel].add(ws)" in text
    assert "broadcast(channels[channel], message)" in text


# --- docs/reference.md "Connections": closing and errors, 1006 ---------------------


async def test_lost_tcp_raises_1006_with_the_cause_and_normal_close_raises_ok() -> None:
    async def handler(ws: ServerConnection) -> None:
        message = await ws.recv()
        if message == "drop":
            ws.transport.abort()
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(uri_of(server)) as ws:
            await ws.send("drop")
            with pytest.raises(ConnectionClosedError) as info:
                await asyncio.wait_for(ws.recv(), unit(2))
            assert info.value.code == 1006
            assert isinstance(info.value.__cause__, OSError | EOFError)
            assert ws.close_code == 1006
        async with connect(uri_of(server)) as ws:
            await ws.close()
            with pytest.raises(ConnectionClosedOK):
                await ws.recv()
            with pytest.raises(ConnectionClosed):
                await ws.send("late")


# --- docs/reference.md "Options": create_connection, a subclass or a partial -------


class TaggedServerConnection(ServerConnection):
    def __init__(self, *args: Any, tag: str = "default", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag


class TaggedClientConnection(ClientConnection):
    def __init__(self, *args: Any, tag: str = "default", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag

    async def shout(self, message: str) -> None:
        await self.send(message.upper())


async def test_create_connection_accepts_a_subclass_or_a_partial() -> None:
    async def handler(ws: ServerConnection) -> None:
        assert isinstance(ws, TaggedServerConnection)
        async for message in ws:
            await ws.send(f"{ws.tag}:{message!s}")

    for server_option in (
        {"create_connection": TaggedServerConnection},
        {"create_connection": functools.partial(TaggedServerConnection, tag="partial")},
        {"create_protocol": functools.partial(TaggedServerConnection, tag="alias")},
    ):
        async with serve(handler, "127.0.0.1", 0, **server_option) as server:
            for client_option in (
                {"create_connection": TaggedClientConnection},
                {"create_protocol": functools.partial(TaggedClientConnection, tag="c")},
            ):
                async with connect(uri_of(server), **client_option) as ws:
                    assert isinstance(ws, TaggedClientConnection)
                    await ws.shout("hi")
                    tag = getattr(server_option.get("create_connection"), "keywords", {})
                    reply = await asyncio.wait_for(ws.recv(), unit(2))
                    assert str(reply).endswith(":HI")
                    assert tag == {} or reply == f"{tag['tag']}:HI"


# --- docs/reference.md: the package imports as wsconform ---------------------------


def test_the_package_imports_as_wsconform(tmp_path: pathlib.Path) -> None:
    import wsconform.reference

    assert wsconform.reference.__name__ == "wsconform.reference"
    assert callable(wsconform.reference.serve) and callable(wsconform.reference.connect)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "wsconform"


# --- docs/reference.md "Callbacks" -------------------------------------------------


async def test_no_callbacks_coroutines_only() -> None:
    for name in ("on_message", "on_open", "on_close", "on_error", "add_callback"):
        assert not hasattr(Connection, name)
    text = DOCS.read_text()
    assert "There is no callback API" in text
    events: list[str] = []

    # The coroutine equivalent of callbacks, as the docs show it.
    async def handler(ws: ServerConnection) -> None:
        events.append("open")
        try:
            async for message in ws:
                events.append(f"message {message!s}")
        finally:
            events.append(f"close {ws.close_code}")

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(uri_of(server)) as ws:
            await ws.send("a")
        for _ in range(100):
            if events and events[-1].startswith("close"):
                break
            await asyncio.sleep(unit(0.01))
    assert events == ["open", "message a", "close 1000"]
