"""The server side of docs/reference.md over real sockets: servers, handlers, handshake."""

from __future__ import annotations

import asyncio
import functools
import logging
import pathlib
import socket
from http import HTTPStatus
from typing import Any

import pytest

from tests.timing import unit
from wsconform.reference import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidStatus,
    Request,
    Response,
    connect,
    serve,
    unix_connect,
    unix_serve,
)
from wsconform.reference.asyncio.server import ServerConnection

from .helpers import DOCS, echo, http_get, port_of, uri_of

# --- docs/reference.md "Connections": iteration ends quietly on a normal close -----


async def test_iteration_yields_every_message_and_ends_quietly() -> None:
    received: list[Any] = []
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handler(ws: ServerConnection) -> None:
        try:
            async for message in ws:
                received.append(message)
        except BaseException as exc:
            outcome.set_result(f"raised {exc!r}")
            raise
        outcome.set_result("ended quietly")

    async with serve(handler, "127.0.0.1", 0) as server:
        for code in (1000, 1001):
            received.clear()
            outcome = asyncio.get_running_loop().create_future()
            async with connect(uri_of(server)) as ws:
                await ws.send("one")
                await ws.send(b"two")
                await ws.send("three")
                await ws.close(code)
            assert await asyncio.wait_for(outcome, unit(2)) == "ended quietly"
            assert received == ["one", b"two", "three"]


async def test_handler_returning_after_one_message_closes_the_connection() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.recv()

    async with serve(handler, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:
        await ws.send("only one")
        with pytest.raises(ConnectionClosedOK):
            await asyncio.wait_for(ws.recv(), unit(2))
        assert ws.close_code == 1000


# --- docs/reference.md "Handlers": a task per connection ---------------------------


async def test_each_connection_has_its_own_task_and_a_slow_handler_delays_nobody() -> None:
    release = asyncio.Event()
    tasks: set[asyncio.Task[Any] | None] = set()

    async def handler(ws: ServerConnection) -> None:
        tasks.add(asyncio.current_task())
        assert ws.request is not None
        if ws.request.path == "/slow":
            await release.wait()  # a slow handler: it awaits, it does not block
        await echo(ws)

    async def one_round_trip(index: int) -> str:
        async with connect(uri_of(server)) as ws:
            await ws.send(f"hello {index}")
            return str(await ws.recv())

    async with serve(handler, "127.0.0.1", 0) as server:
        slow = await connect(uri_of(server, "/slow"))
        results = await asyncio.wait_for(
            asyncio.gather(*(one_round_trip(i) for i in range(20))), unit(5)
        )
        assert results == [f"hello {i}" for i in range(20)]
        assert not release.is_set()  # all of that while the slow handler was waiting
        release.set()
        await slow.send("finally")
        assert await slow.recv() == "finally"
        await slow.close()
    assert len(tasks) == 21


def test_docs_say_a_blocking_handler_is_the_users_bug() -> None:
    text = DOCS.read_text()
    assert "blocks the event loop" in text
    assert "bug in the handler" in text


# --- docs/reference.md "Handlers": any callable, partials, handler(ws, path) -------


async def test_partial_and_other_callables_are_accepted() -> None:
    async def tagged(ws: ServerConnection, *, tag: str) -> None:
        await ws.send(f"tag={tag}")

    class Callable:
        async def __call__(self, ws: ServerConnection) -> None:
            await ws.send("object")

    def returns_awaitable(ws: ServerConnection) -> Any:
        return ws.send("plain function")

    for handler, expected in (
        (functools.partial(tagged, tag="extra"), "tag=extra"),
        (Callable(), "object"),
        (returns_awaitable, "plain function"),
    ):
        async with serve(handler, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:
            assert await asyncio.wait_for(ws.recv(), unit(2)) == expected


async def test_legacy_two_argument_handler_gets_the_path() -> None:
    async def legacy(ws: ServerConnection, path: str) -> None:
        await ws.send(path)

    async with (
        serve(legacy, "127.0.0.1", 0) as server,
        connect(uri_of(server, "/room/42?x=1")) as ws,
    ):
        assert await asyncio.wait_for(ws.recv(), unit(2)) == "/room/42?x=1"


# --- docs/reference.md "The opening handshake": process_request, headers -----------


async def test_process_request_sees_path_and_headers_before_the_upgrade() -> None:
    seen: list[tuple[str, str | None, bool]] = []

    def process_request(connection: ServerConnection, request: Request) -> None:
        seen.append(
            (request.path, request.headers.get("Cookie"), connection.state.name == "CONNECTING")
        )

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        await ws.send(f"{ws.request.headers['Cookie']}|{ws.request_headers['X-Token']}")

    headers = {"Cookie": "session=abc", "X-Token": "t0k"}
    async with (
        serve(handler, "127.0.0.1", 0, process_request=process_request) as server,
        connect(uri_of(server, "/private"), additional_headers=headers) as ws,
    ):
        assert await asyncio.wait_for(ws.recv(), unit(2)) == "session=abc|t0k"
    assert seen == [("/private", "session=abc", True)]


# --- docs/reference.md "The opening handshake": plain HTTP from the hook -----------


async def test_process_request_answers_plain_http() -> None:
    async def process_request(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "OK\n")
        if request.path == "/old":
            response = connection.respond(HTTPStatus.FOUND, "moved\n")
            response.headers["Location"] = "/new"
            return response
        if request.headers.get("Authorization") != "Bearer good":
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Missing token\n")
        return None

    async with serve(echo, "127.0.0.1", 0, process_request=process_request) as server:
        port = port_of(server)
        status, _, body = await http_get(port, "/healthz")
        assert (status, body) == (200, b"OK\n")
        status, head, _ = await http_get(port, "/old")
        assert status == 302 and b"Location: /new" in head
        with pytest.raises(InvalidStatus) as info:
            await connect(uri_of(server, "/private"))
        assert info.value.response.status_code == 401
        assert info.value.response.body == b"Missing token\n"
        with pytest.raises(InvalidStatus) as info:
            await connect(uri_of(server, "/private"), additional_headers={"Authorization": "x"})
        async with connect(
            uri_of(server, "/private"), additional_headers={"Authorization": "Bearer good"}
        ) as ws:
            await ws.send("in")
            assert await ws.recv() == "in"


async def test_a_users_own_response_gets_a_content_length() -> None:
    from wsconform.reference.protocol.headers import Headers

    def process_request(connection: ServerConnection, request: Request) -> Response:
        return Response(403, "Forbidden", Headers([("X-Why", "no")]), b"go away")

    async with serve(echo, "127.0.0.1", 0, process_request=process_request) as server:
        status, head, body = await http_get(port_of(server), "/")
    assert status == 403 and body == b"go away"
    assert b"Content-Length: 7" in head and b"X-Why: no" in head


# --- docs/reference.md "Connections": remote_address, local_address ----------------


async def test_remote_and_local_address() -> None:
    addresses: asyncio.Future[tuple[Any, Any]] = asyncio.get_running_loop().create_future()

    async def handler(ws: ServerConnection) -> None:
        addresses.set_result((ws.remote_address, ws.local_address))
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server, connect(uri_of(server)) as ws:
        remote, local = await asyncio.wait_for(addresses, unit(2))
        assert remote == ws.local_address
        assert local == ws.remote_address == ("127.0.0.1", port_of(server))


# --- docs/reference.md "Servers": create_server options, unix_serve ----------------


async def test_create_server_options_pass_through() -> None:
    async with serve(echo, ["127.0.0.1"], 0, backlog=5, reuse_port=True) as server:
        assert server.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        async with connect(uri_of(server)) as ws:
            await ws.send("list of hosts")
            assert await ws.recv() == "list of hosts"
    sock = socket.create_server(("127.0.0.1", 0))
    async with serve(echo, sock=sock) as server:
        assert server.sockets[0].getsockname() == sock.getsockname()
        async with connect(uri_of(server)) as ws:
            await ws.send("own socket")
            assert await ws.recv() == "own socket"
    async with serve(echo, "127.0.0.1", 0, start_serving=False) as server:
        assert not server.is_serving()
        await server.start_serving()
        assert server.is_serving()


async def test_unix_serve(tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "ws.sock")
    async with unix_serve(echo, path) as server:
        assert server.sockets[0].family == socket.AF_UNIX
        async with unix_connect(path) as ws:
            await ws.send("over a unix socket")
            assert await ws.recv() == "over a unix socket"


# --- docs/reference.md "Servers", "Handlers": 1000, 1011, 1001 ---------------------


async def test_handler_return_closes_1000_and_exception_closes_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: ServerConnection) -> None:
        message = await ws.recv()
        if message == "fail":
            raise RuntimeError("handler bug")

    with caplog.at_level(logging.ERROR, logger="wsconform.reference"):
        async with serve(handler, "127.0.0.1", 0) as server:
            async with connect(uri_of(server)) as ws:
                await ws.send("return")
                with pytest.raises(ConnectionClosedOK):
                    await asyncio.wait_for(ws.recv(), unit(2))
                assert ws.close_code == 1000
            async with connect(uri_of(server)) as ws:
                await ws.send("fail")
                with pytest.raises(ConnectionClosedError):
                    await asyncio.wait_for(ws.recv(), unit(2))
                assert ws.close_code == 1011
    assert "connection handler failed" in caplog.text
    assert "handler bug" in caplog.text


async def test_server_close_closes_connections_1001_and_waits_for_handlers() -> None:
    handler_done = asyncio.Event()
    started = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        started.set()
        try:
            async for _ in ws:
                pass
        finally:
            await asyncio.sleep(unit(0.1))  # cleanup the server must wait for
            handler_done.set()

    server = await serve(handler, "127.0.0.1", 0)
    ws = await connect(uri_of(server))
    await asyncio.wait_for(started.wait(), unit(2))
    server.close()
    await asyncio.wait_for(server.wait_closed(), unit(3))
    assert handler_done.is_set()
    with pytest.raises(ConnectionClosedOK):
        await ws.recv()
    assert ws.close_code == 1001
    assert not server.is_serving()


async def test_serve_forever_returns_after_close() -> None:
    async with serve(echo, "127.0.0.1", 0) as server:
        asyncio.get_running_loop().call_later(unit(0.05), server.close)
        await asyncio.wait_for(server.serve_forever(), unit(2))


# --- docs/reference.md "The opening handshake": HTTP on one port, not a goal -------


async def test_plain_http_is_limited_to_process_request_responses() -> None:
    def health(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "OK\n")
        return None

    async with serve(echo, "127.0.0.1", 0, process_request=health) as server:
        assert await http_get(port_of(server), "/healthz") == (
            200,
            (await http_get(port_of(server), "/healthz"))[1],
            b"OK\n",
        )
        # Any other plain HTTP request is refused as a failed upgrade, not served.
        status, _, _ = await http_get(port_of(server), "/index.html")
        assert 400 <= status < 500
    text = DOCS.read_text()
    assert "Serving HTTP and WebSocket on one port is not a goal" in text
