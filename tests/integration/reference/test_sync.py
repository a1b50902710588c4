"""The thread-based client and server over real sockets, and interop with websockets.

The blocking API of docs/reference.md, "Blocking code".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme
import websockets.sync.client
import websockets.sync.server

from tests.timing import unit
from wsconform.reference.protocol.connection import CLOSED, OPEN
from wsconform.reference.protocol.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
    PayloadTooBig,
)
from wsconform.reference.protocol.http import Request, Response
from wsconform.reference.sync import (
    ClientConnection,
    Server,
    ServerConnection,
    connect,
    serve,
    unix_connect,
    unix_serve,
)


def echo(ws: ServerConnection) -> None:
    for message in ws:
        ws.send(message)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(unit(5))
        assert not thread.is_alive()


@contextlib.contextmanager
def sync_server(handler: Callable[[ServerConnection], Any] = echo, **kwargs: Any) -> Iterator[str]:
    """Run a thread-based server on a free port; yield its URI."""
    kwargs.setdefault("close_timeout", unit(2))
    with running(serve(handler, "127.0.0.1", 0, **kwargs)) as server:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"


@contextlib.contextmanager
def asyncio_server(**kwargs: Any) -> Iterator[str]:
    """Run the asyncio reference echo server in a thread with its own loop."""
    from wsconform.reference.asyncio.server import serve as aserve

    async def aecho(ws: Any) -> None:
        async for message in ws:
            await ws.send(message)

    ready: list[int] = []
    started = threading.Event()
    stop: list[Callable[[], None]] = []

    async def main() -> None:
        done = asyncio.Event()

        def set_done() -> None:
            loop.call_soon_threadsafe(done.set)

        stop.append(set_done)
        async with aserve(aecho, "127.0.0.1", 0, **kwargs) as server:
            ready.append(server.sockets[0].getsockname()[1])
            started.set()
            await done.wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(unit(5))
    try:
        yield f"ws://127.0.0.1:{ready[0]}/"
    finally:
        stop[0]()
        thread.join(unit(10))
        loop.close()


# --- docs/reference.md "Blocking code" ---------------------------------------------


def _exercise_blocking_api(uri: str) -> None:
    with connect(uri, close_timeout=unit(2)) as ws:
        assert isinstance(ws, ClientConnection)
        assert ws.state is OPEN
        ws.send("text")
        assert ws.recv(timeout=unit(2)) == "text"
        ws.send(b"\x00binary")
        assert ws.recv(timeout=unit(2)) == b"\x00binary"
        ws.send(["frag", "mented"])
        assert ws.recv(timeout=unit(2)) == "fragmented"
        # 1 MiB, the default max_size. Compressible: deflate makes random data a little
        # bigger on the wire, and max_size also bounds a frame's wire length.
        big = bytes(range(256)) * 4096
        ws.send(big)
        assert ws.recv(timeout=unit(10)) == big
        waiter = ws.ping()
        assert waiter.wait(unit(2))
        assert ws.latency > 0
        with pytest.raises(TimeoutError):
            ws.recv(timeout=unit(0.05))
        ws.send("still usable")
        assert ws.recv(timeout=unit(2)) == "still usable"
        assert ws.remote_address[1] == int(uri.rsplit(":", 1)[1].strip("/"))
        assert ws.local_address[0] == "127.0.0.1"
        assert ws.request is not None and ws.response is not None
        assert ws.response.status_code == 101
        assert ws.subprotocol is None
        assert ws.id is not None
    assert ws.state is CLOSED
    assert ws.close_code == 1000


def test_blocking_api() -> None:
    """Sync client against the sync server and against the asyncio server."""
    with sync_server() as uri:
        _exercise_blocking_api(uri)
    with asyncio_server() as uri:
        _exercise_blocking_api(uri)


def test_same_method_names_as_asyncio() -> None:
    from wsconform.reference.asyncio.connection import Connection as AsyncioConnection
    from wsconform.reference.sync.connection import Connection

    names = ["recv", "send", "ping", "pong", "close", "wait_closed", "__iter__"]
    names += ["remote_address", "local_address", "subprotocol", "state"]
    names += ["close_code", "close_reason", "id"]
    assert [n for n in names if not hasattr(Connection, n)] == []
    asyncio_names = [n if n != "__iter__" else "__aiter__" for n in names]
    assert [n for n in asyncio_names if not hasattr(AsyncioConnection, n)] == []


def test_iteration_ends_quietly_on_normal_close() -> None:
    def two_then_close(ws: ServerConnection) -> None:
        ws.send("one")
        ws.send("two")

    with sync_server(two_then_close) as uri, connect(uri) as ws:
        assert list(ws) == ["one", "two"]
        assert ws.close_code == 1000


def test_handler_exception_closes_with_1011(caplog: pytest.LogCaptureFixture) -> None:
    def broken(ws: ServerConnection) -> None:
        raise RuntimeError("handler bug")

    with caplog.at_level(logging.ERROR), sync_server(broken) as uri, connect(uri) as ws:
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=unit(5))
        assert info.value.code == 1011
    assert "connection handler failed" in caplog.text


def test_shutdown_closes_connections_with_1001() -> None:
    server = serve(echo, "127.0.0.1", 0, close_timeout=unit(2))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.socket.getsockname()[1]
    clients = [connect(f"ws://127.0.0.1:{port}/") for _ in range(3)]
    started = time.monotonic()
    server.shutdown()
    assert time.monotonic() - started < unit(3)
    thread.join(unit(2))
    assert not thread.is_alive()
    for ws in clients:
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=unit(2))
        assert ws.close_code == 1001
    with pytest.raises(OSError):
        connect(f"ws://127.0.0.1:{port}/", open_timeout=unit(2))


def test_process_request_answers_plain_http() -> None:
    def health(ws: ServerConnection, request: Request) -> Response | None:
        if request.path == "/health":
            return ws.respond(200, "OK\n")
        if "secret" not in request.headers:
            return ws.respond(403, "Forbidden\n")
        return None

    def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        ws.send(ws.request.headers["secret"])

    with sync_server(handler, process_request=health) as uri:
        with pytest.raises(InvalidStatus) as info:
            connect(uri + "health")
        assert info.value.response.status_code == 200
        assert info.value.response.body == b"OK\n"
        with pytest.raises(InvalidStatus) as info:
            connect(uri)
        assert info.value.response.status_code == 403
        with connect(uri, additional_headers={"secret": "s3"}) as ws:
            assert ws.recv(timeout=unit(2)) == "s3"


def test_compression_negotiated_by_default_and_off_on_request() -> None:
    with sync_server() as uri:
        with connect(uri) as ws:
            assert ws.response is not None
            assert "permessage-deflate" in (
                ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            )
            ws.send("a" * 10000)
            assert ws.recv(timeout=unit(2)) == "a" * 10000
        with connect(uri, compression=None) as ws:
            assert ws.response is not None
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
    with sync_server(compression=None) as uri, connect(uri) as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


def test_subprotocol_negotiation() -> None:
    with (
        sync_server(subprotocols=["chat", "superchat"]) as uri,
        connect(uri, subprotocols=["superchat"]) as ws,
    ):
        assert ws.subprotocol == "superchat"


def test_max_size_fails_with_1009() -> None:
    with sync_server(max_size=1000) as uri, connect(uri) as ws:
        with pytest.raises(ConnectionClosedError) as info:
            # The server may fail the connection before send() has returned.
            ws.send(b"x" * 1001)
            ws.recv(timeout=unit(2))
        assert info.value.code == PayloadTooBig.code


class Labelled(ClientConnection):
    def __init__(self, *args: Any, label: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.label = label


def test_create_connection_subclass() -> None:
    class Tagged(ServerConnection):
        tag = "subclass"

    def handler(ws: ServerConnection) -> None:
        assert isinstance(ws, Tagged)
        ws.send(ws.tag)

    with (
        sync_server(handler, create_connection=Tagged) as uri,
        connect(uri, create_connection=functools.partial(Labelled, label="x")) as ws,
    ):
        assert ws.recv(timeout=unit(2)) == "subclass"
        assert isinstance(ws, Labelled) and ws.label == "x"


def test_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ws.sock")
        with (
            running(unix_serve(echo, path, close_timeout=unit(2))),
            unix_connect(path) as ws,
        ):
            ws.send("over unix")
            assert ws.recv(timeout=unit(2)) == "over unix"


def test_open_timeout_on_a_silent_server() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            connect(f"ws://127.0.0.1:{port}/", open_timeout=unit(0.3))
        assert time.monotonic() - started < unit(3)


def test_keepalive_closes_with_1011_when_pongs_stop() -> None:
    def silent(ws: ServerConnection) -> None:
        # Stall the server's reader: it cannot answer pings any more.
        with ws._protocol_lock:
            time.sleep(unit(3))

    with sync_server(silent) as uri:
        ws = connect(uri, ping_interval=unit(0.2), ping_timeout=unit(0.3), close_timeout=unit(1))
        with pytest.raises(ConnectionClosedError):
            ws.recv(timeout=unit(5))
        assert ws.protocol.close_sent is not None
        assert ws.protocol.close_sent.code == 1011


# --- TLS -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


def test_tls(certificates: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_context, client_context = certificates
    with running(serve(echo, "127.0.0.1", 0, ssl=server_context, close_timeout=unit(2))) as srv:
        uri = f"wss://127.0.0.1:{srv.socket.getsockname()[1]}/"
        with connect(uri, ssl=client_context) as ws:
            payload = os.urandom(300_000)
            ws.send(payload)
            assert ws.recv(timeout=unit(5)) == payload
            # Full duplex: the client writes while its reader thread reads, the server
            # echoes while its reader reads (what ssl.SSLSocket cannot do safely).
            messages = [os.urandom(1 + i * 37 % 3000) for i in range(500)]
            for message in messages:
                ws.send(message)
            for message in messages:
                assert ws.recv(timeout=unit(5)) == message
        # A clean closing handshake and a clean end of TLS (close_notify, then FIN).
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000
        assert ws._recv_exc is None
        with pytest.raises(ssl.SSLError):
            connect(uri, open_timeout=unit(5))  # default context: unknown CA


# --- interop with the websockets library -------------------------------------------


def test_websockets_client_to_sync_server() -> None:
    with sync_server() as uri, websockets.sync.client.connect(uri) as ws:
        assert ws.response is not None
        assert "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        ws.send("hello")
        assert ws.recv(timeout=unit(2)) == "hello"
        ws.send(b"\xff" * 2**20)
        assert ws.recv(timeout=unit(5)) == b"\xff" * 2**20
        ws.send(["a", "b", "c"])
        assert ws.recv(timeout=unit(2)) == "abc"
        assert ws.ping(b"p").wait(unit(2))
        ws.close(4001, "done")
    assert ws.close_code == 1000 or ws.close_code == 4001


def test_sync_client_to_websockets_server() -> None:
    def wecho(ws: websockets.sync.server.ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    with websockets.sync.server.serve(wecho, "127.0.0.1", 0) as wserver:
        thread = threading.Thread(target=wserver.serve_forever, daemon=True)
        thread.start()
        uri = f"ws://127.0.0.1:{wserver.socket.getsockname()[1]}/"
        with connect(uri) as ws:
            assert ws.response is not None
            assert "permessage-deflate" in (
                ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            )
            ws.send("hello")
            assert ws.recv(timeout=unit(2)) == "hello"
            ws.send(b"\x01" * 2**20)
            assert ws.recv(timeout=unit(5)) == b"\x01" * 2**20
            ws.send([b"x", b"y"])
            assert ws.recv(timeout=unit(2)) == b"xy"
            assert ws.ping().wait(unit(2))
            ws.close(4002, "bye")
        wserver.shutdown()
        thread.join(unit(5))
