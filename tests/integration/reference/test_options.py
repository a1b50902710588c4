"""Options of serve/connect that the feature rows do not cover on their own."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from tests.timing import unit
from wsconform.reference import InvalidStatus, Request, Response, connect, serve
from wsconform.reference.asyncio.server import ServerConnection

from .helpers import echo, http_get, port_of, uri_of


async def test_select_subprotocol_sees_the_connection_and_the_offer() -> None:
    calls: list[tuple[type, list[str]]] = []

    def select(connection: ServerConnection, offered: Any) -> str | None:
        calls.append((type(connection), list(offered)))
        return offered[-1] if offered else None

    async def report(ws: ServerConnection) -> None:
        await ws.send(str(ws.subprotocol))

    async with serve(report, "127.0.0.1", 0, select_subprotocol=select) as server:
        async with connect(uri_of(server), subprotocols=["a", "b"]) as ws:
            assert ws.subprotocol == "b"
            assert await asyncio.wait_for(ws.recv(), unit(2)) == "b"
        async with connect(uri_of(server)) as ws:
            assert ws.subprotocol is None
    assert calls == [(ServerConnection, ["a", "b"]), (ServerConnection, [])]


async def test_origins() -> None:
    async with serve(echo, "127.0.0.1", 0, origins=["https://good.example", None]) as server:
        async with connect(uri_of(server), origin="https://good.example") as ws:
            await ws.send("ok")
            assert await ws.recv() == "ok"
        async with connect(uri_of(server)) as ws:  # no Origin: None is in the list
            await ws.send("ok")
            assert await ws.recv() == "ok"
        with pytest.raises(InvalidStatus) as info:
            await connect(uri_of(server), origin="https://evil.example")
        assert info.value.response.status_code == 403


async def test_server_and_user_agent_headers() -> None:
    seen: list[str | None] = []

    def record(connection: ServerConnection, request: Request) -> None:
        seen.append(request.headers.get("User-Agent"))

    async with serve(echo, "127.0.0.1", 0, process_request=record) as server:
        async with connect(uri_of(server)) as ws:
            assert ws.response is not None
            assert "wsconform" in ws.response.headers["Server"]
        async with connect(uri_of(server), user_agent_header="agent/1") as ws:
            pass
        async with connect(uri_of(server), user_agent_header=None) as ws:
            pass
    assert seen[0] is not None and "wsconform" in seen[0]
    assert seen[1:] == ["agent/1", None]
    async with (
        serve(echo, "127.0.0.1", 0, server_header="srv/2") as server,
        connect(uri_of(server)) as ws,
    ):
        assert ws.response is not None
        assert ws.response.headers["Server"] == "srv/2"
    async with (
        serve(echo, "127.0.0.1", 0, server_header=None) as server,
        connect(uri_of(server)) as ws,
    ):
        assert ws.response is not None
        assert "Server" not in ws.response.headers


async def test_process_response_can_change_or_replace_the_response() -> None:
    def add_header(
        connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        if request.path == "/replace":
            return connection.respond(409, "replaced\n")
        response.headers["X-Added"] = "yes"
        return None

    async with serve(echo, "127.0.0.1", 0, process_response=add_header) as server:
        async with connect(uri_of(server)) as ws:
            assert ws.response is not None
            assert ws.response.headers["X-Added"] == "yes"
        with pytest.raises(InvalidStatus) as info:
            await connect(uri_of(server, "/replace"))
        assert info.value.response.status_code == 409


async def test_async_hooks_and_a_failing_hook_gives_500(caplog: pytest.LogCaptureFixture) -> None:
    async def slow_check(connection: ServerConnection, request: Request) -> Response | None:
        await asyncio.sleep(0)
        if request.path == "/boom":
            raise RuntimeError("hook bug")
        return None

    with caplog.at_level(logging.ERROR, logger="wsconform.reference"):
        async with serve(echo, "127.0.0.1", 0, process_request=slow_check) as server:
            async with connect(uri_of(server)) as ws:
                await ws.send("fine")
                assert await ws.recv() == "fine"
            status, _, _ = await http_get(port_of(server), "/boom")
            assert status == 500
    assert "hook bug" in caplog.text


async def test_logger_option(caplog: pytest.LogCaptureFixture) -> None:
    mine = logging.getLogger("tests.mine")
    with caplog.at_level(logging.DEBUG, logger="tests.mine"):
        async with (
            serve(echo, "127.0.0.1", 0, logger=mine) as server,
            connect(uri_of(server), logger=mine) as ws,
        ):
            await ws.send("x")
            await ws.recv()
    assert any(r.name == "tests.mine" and r.getMessage().startswith("> ") for r in caplog.records)


async def test_handshake_failures_are_answered_and_logged_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="wsconform.reference"):
        async with serve(echo, "127.0.0.1", 0) as server:
            status, _, body = await http_get(port_of(server), "/", "Upgrade: websocket\r\n")
            assert status == 400 and body
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(server))
            writer.write(b"garbage\r\n\r\n")
            assert (await asyncio.wait_for(reader.read(), unit(2))).startswith(b"HTTP/1.1 400")
            writer.close()
            async with connect(uri_of(server)) as ws:  # the server still works
                await ws.send("after")
                assert await ws.recv() == "after"
    assert "opening handshake failed" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_server_refuses_new_connections_while_closing() -> None:
    started = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        started.set()
        await ws.wait_closed()

    server = await serve(handler, "127.0.0.1", 0)
    uri = uri_of(server)
    ws = await connect(uri)
    await asyncio.wait_for(started.wait(), unit(2))
    server.close()
    await asyncio.wait_for(server.wait_closed(), unit(2))
    await asyncio.wait_for(ws.wait_closed(), unit(2))
    assert ws.close_code == 1001
    with pytest.raises(OSError):
        await connect(uri)
